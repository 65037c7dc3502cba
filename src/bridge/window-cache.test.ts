import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { CdnLogError } from '../core/errors';
import { type AttributeValue, type CdnLogRecord, emptyRecord } from '../core/record';
import {
  nodeWindowCacheFs,
  WindowCache,
  type WindowCacheFile,
  type WindowCacheFs,
  type WindowCacheOptions,
  type WindowRead,
} from './window-cache';

// ---------------------------------------------------------------- fixtures

const dirs: string[] = [];
const caches: WindowCache[] = [];

async function newDir(): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'window-cache-test-'));
  dirs.push(dir);
  return dir;
}

async function openCache(options: Partial<WindowCacheOptions> & { dir: string }): Promise<WindowCache> {
  // One append per batch, as the tests count appends (disk failures, pacing); the bridge gathers batches.
  const cache = await WindowCache.open({ maxBytes: 1 << 30, spoolBatchRecords: 1, ...options });
  caches.push(cache);
  return cache;
}

afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
  await Promise.all(dirs.splice(0).map((dir) => fsp.rm(dir, { recursive: true, force: true })));
});

/** Records of one window, each with the awkward parts of real provider data in its attributes. */
function windowRecords(window: string, count: number): CdnLogRecord[] {
  const records: CdnLogRecord[] = [];
  for (let i = 0; i < count; i++) {
    const record = emptyRecord('cloudflare', 'zone-1', Date.UTC(2026, 0, 15, 10) + i * 17.25);
    record.id = `${window}-${i}`;
    record.clientIp = i % 5 === 0 ? '2001:db8::1' : `198.51.100.${i % 250}`;
    record.method = 'GET';
    record.host = 'www.example.com';
    record.path = `/assets/${window}/${i}.js`;
    record.query = i % 3 === 0 ? 'v=1&q="quoted"\n' : null;
    record.status = i % 11 === 0 ? 503 : 200;
    record.bytesSent = 1000 + i;
    record.durationMs = i % 7 === 0 ? null : i / 8;
    record.cacheStatus = i % 2 === 0 ? 'HIT' : 'MISS';
    record.userAgent = 'Mozilla/5.0 (X11; Linux x86_64) é€😀 \u2028';
    record.severity = i % 11 === 0 ? 'error' : 'info';
    // A provider key `__proto__` is an own attribute; JSON.parse makes own `__proto__` keys in nested values too.
    record.attributes['__proto__'] = { polluted: true };
    Object.assign(record.attributes, { constructor: 'ctor' });
    record.attributes.nested = JSON.parse(`{"__proto__": {"deep": [1, 2.5, -3, null, true, "x"]}, "n": ${i}}`) as AttributeValue;
    record.attributes.deep = [[[[{ a: [{ b: 'lone \ud800 surrogate' }] }]]]];
    records.push(record);
  }
  return records;
}

interface FakeFetch {
  fetch: (signal: AbortSignal) => AsyncIterable<CdnLogRecord[]>;
  calls: number;
  signals: AbortSignal[];
  /** Batches the fetch has produced so far (over all calls). */
  pulled: number;
}

/** A provider fetch that yields `records` in batches of `batchSize`, waiting before batch `holdAt` until `hold` resolves. */
function fakeFetch(records: CdnLogRecord[], options: { batchSize?: number; hold?: Promise<void>; holdAt?: number; failWith?: unknown } = {}): FakeFetch {
  const batchSize = options.batchSize ?? 250;
  const fake: FakeFetch = {
    calls: 0,
    signals: [],
    pulled: 0,
    fetch: (signal) => {
      fake.calls++;
      fake.signals.push(signal);
      return (async function* () {
        let batchIndex = 0;
        for (let at = 0; at < records.length; at += batchSize, batchIndex++) {
          if (options.hold !== undefined && batchIndex === (options.holdAt ?? 1)) await untilAbortedOr(options.hold, signal);
          signal.throwIfAborted();
          fake.pulled++;
          yield records.slice(at, at + batchSize);
        }
        if (options.hold !== undefined && batchIndex <= (options.holdAt ?? 1)) await untilAbortedOr(options.hold, signal);
        if (options.failWith !== undefined) throw options.failWith;
      })();
    },
  };
  return fake;
}

function untilAbortedOr(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    promise.then(resolve, reject);
  });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function readAll(read: WindowRead): Promise<{ records: CdnLogRecord[]; batchSizes: number[] }> {
  const records: CdnLogRecord[] = [];
  const batchSizes: number[] = [];
  for await (const batch of read.records) {
    batchSizes.push(batch.length);
    records.push(...batch);
  }
  return { records, batchSizes };
}

function hashName(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Waits (bounded by the jest timeout) until `condition` holds; for effects of background work. */
async function eventually(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 2));
}

async function exists(file: string): Promise<boolean> {
  return fsp.access(file).then(
    () => true,
    () => false,
  );
}

/** The size on disk of one kept window of `count` records, measured in a cache of its own. */
async function entryBytes(count: number): Promise<number> {
  const cache = await openCache({ dir: await newDir() });
  await readAll(cache.read('probe', fakeFetch(windowRecords('probe', count)).fetch, { keep: true }));
  return cache.stats().bytes;
}

const KEY = 'cloudflare|acct:9f86d081|zone-1|2026-01-15T10:00Z..11:00Z|fields=all|filters=none';

// ---------------------------------------------------------------- tests

describe('WindowCache', () => {
  it('hands the records a download fetches to its callers as they are, not decoded back from the spool', async () => {
    const dir = await newDir();
    const cache = await WindowCache.open({ dir, maxBytes: 1 << 30 });
    const records = windowRecords('h', 3000);
    const fake = fakeFetch(records, { batchSize: 100 });
    const result = await readAll(cache.read(KEY, fake.fetch, { keep: true }));
    expect(result.records).toEqual(records);
    expect(result.records.every((r, i) => r === records[i])).toBe(true);
    // A second read decodes the kept entry: equal records, new objects.
    const again = await readAll(cache.read(KEY, fake.fetch, { keep: true }));
    expect(again.records).toEqual(records);
    expect(again.records[0]).not.toBe(records[0]);
    await cache.close();
  });

  it('with waitForKeep false, a read ends with its last record while the spool is written; the next read still gets everything, with no second fetch', async () => {
    const dir = await newDir();
    const cache = await WindowCache.open({ dir, maxBytes: 1 << 30 });
    const records = windowRecords('k', 6000);
    const fake = fakeFetch(records, { batchSize: 100 });
    expect((await readAll(cache.read(KEY, fake.fetch, { keep: true, waitForKeep: false }))).records).toEqual(records);
    const next = cache.read(KEY, fake.fetch, { keep: true });
    expect((await readAll(next)).records).toEqual(records);
    expect(['shared', 'cache']).toContain(next.source());
    expect(fake.calls).toBe(1);
    const later = cache.read(KEY, fake.fetch, { keep: true });
    expect((await readAll(later)).records).toEqual(records);
    expect(later.source()).toBe('cache');
    await cache.close();
  });

  it('gathers small batches into larger spool appends (the default) and keeps them all, in order', async () => {
    const dir = await newDir();
    const cache = await WindowCache.open({ dir, maxBytes: 1 << 30 });
    const records = windowRecords('g', 5000);
    const fake = fakeFetch(records, { batchSize: 50 });
    expect((await readAll(cache.read(KEY, fake.fetch, { keep: true }))).records).toEqual(records);
    const again = await readAll(cache.read(KEY, fake.fetch, { keep: true }));
    expect(again.records).toEqual(records);
    expect(fake.calls).toBe(1);
    await cache.close();
  });

  it('serves a kept window from disk: equal records, no second fetch, files named by sha256 of the key', async () => {
    const dir = await newDir();
    const cache = await openCache({ dir });
    const records = windowRecords('a', 1200);
    const fake = fakeFetch(records);

    const first = cache.read(KEY, fake.fetch, { keep: true });
    expect((await readAll(first)).records).toEqual(records);
    expect(first.source()).toBe('download');

    const second = cache.read(KEY, fake.fetch, { keep: true });
    expect((await readAll(second)).records).toEqual(records);
    expect(second.source()).toBe('cache');
    expect(fake.calls).toBe(1);
    expect(cache.stats()).toMatchObject({ entries: 1, hits: 1, misses: 1, shared: 0 });
    const name = hashName(KEY);
    expect((await fsp.readdir(dir)).sort()).toEqual([`${name}.meta.json`, `${name}.ndjson.gz`]);
    const meta = JSON.parse(await fsp.readFile(path.join(dir, `${name}.meta.json`), 'utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({ key: KEY, records: 1200 });
  });

  it('reads back from disk in batches of at most 1000 records', async () => {
    const cache = await openCache({ dir: await newDir() });
    const records = windowRecords('b', 2500);
    const fake = fakeFetch(records, { batchSize: 100 });
    await readAll(cache.read(KEY, fake.fetch, { keep: true }));
    const hit = await readAll(cache.read(KEY, fake.fetch, { keep: true }));
    expect(hit.batchSizes).toEqual([1000, 1000, 500]);
    expect(hit.records).toEqual(records);
  });

  it('gives eight concurrent reads of one window one fetch and eight equal results', async () => {
    const cache = await openCache({ dir: await newDir() });
    const records = windowRecords('c', 1000);
    const gate = deferred();
    const fake = fakeFetch(records, { hold: gate.promise, holdAt: 2 });
    const reads = Array.from({ length: 8 }, () => cache.read(KEY, fake.fetch, { keep: true }));
    const results = Promise.all(reads.map(readAll));
    gate.resolve();
    for (const result of await results) expect(result.records).toEqual(records);
    expect(fake.calls).toBe(1);
    expect(reads.map((read) => read.source()).sort()).toEqual(['download', ...Array(7).fill('shared')]);
    expect(cache.stats()).toMatchObject({ misses: 1, shared: 7, entries: 1 });
  });

  it('streams from the spool: a caller gets the first batch while the download still runs, and a late joiner gets everything from the start', async () => {
    const cache = await openCache({ dir: await newDir() });
    const records = windowRecords('d', 30);
    const gate = deferred();
    const fake = fakeFetch(records, { batchSize: 10, hold: gate.promise, holdAt: 1 });
    const early = cache.read(KEY, fake.fetch, { keep: false });
    const iterator = early.records[Symbol.asyncIterator]();
    const firstBatch = await iterator.next();
    expect(firstBatch.value).toEqual(records.slice(0, 10));
    expect(early.source()).toBe('download');

    const late = cache.read(KEY, fake.fetch, { keep: false });
    const lateAll = readAll(late);
    gate.resolve();
    const rest: CdnLogRecord[] = [];
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) rest.push(...step.value);
    expect(rest).toEqual(records.slice(10));
    expect((await lateAll).records).toEqual(records);
    expect(late.source()).toBe('shared');
    expect(fake.calls).toBe(1);
  });

  it('keep:false leaves nothing on disk once its readers finish, and the next read fetches again', async () => {
    const dir = await newDir();
    const cache = await openCache({ dir });
    const records = windowRecords('e', 600);
    const fake = fakeFetch(records);
    const results = await Promise.all([1, 2, 3].map(() => readAll(cache.read(KEY, fake.fetch, { keep: false }))));
    for (const result of results) expect(result.records).toEqual(records);
    expect(await fsp.readdir(dir)).toEqual([]);
    expect(fake.calls).toBe(1);

    const again = cache.read(KEY, fake.fetch, { keep: false });
    expect((await readAll(again)).records).toEqual(records);
    expect(again.source()).toBe('download');
    expect(fake.calls).toBe(2);
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('keeps a window when any caller that joined its download asks to keep it', async () => {
    const cache = await openCache({ dir: await newDir() });
    const records = windowRecords('f', 50);
    const gate = deferred();
    const fake = fakeFetch(records, { batchSize: 10, hold: gate.promise });
    const reads = [cache.read(KEY, fake.fetch, { keep: false }), cache.read(KEY, fake.fetch, { keep: true })];
    const results = Promise.all(reads.map(readAll));
    gate.resolve();
    await results;
    expect(cache.stats().entries).toBe(1);
  });

  describe('a corrupt entry is dropped and its window fetched again', () => {
    const damages: Array<[string, (data: string, meta: string) => Promise<void>]> = [
      [
        'bytes flipped',
        async (data) => {
          const bytes = await fsp.readFile(data);
          for (let i = 0; i < 4; i++) bytes[Math.floor(bytes.length / 2) + i] ^= 0xff;
          await fsp.writeFile(data, bytes);
        },
      ],
      ['truncated', async (data) => fsp.truncate(data, Math.floor((await fsp.stat(data)).size / 2))],
      ['meta deleted', async (_data, meta) => fsp.unlink(meta)],
      ['meta rewritten', async (_data, meta) => fsp.writeFile(meta, '{"format":"x"')],
      ['data deleted', async (data) => fsp.unlink(data)],
    ];

    it.each(damages)('%s', async (_what, damage) => {
      const dir = await newDir();
      const cache = await openCache({ dir });
      const records = windowRecords('g', 800);
      const fake = fakeFetch(records);
      await readAll(cache.read(KEY, fake.fetch, { keep: true }));
      const name = hashName(KEY);
      await damage(path.join(dir, `${name}.ndjson.gz`), path.join(dir, `${name}.meta.json`));

      const read = cache.read(KEY, fake.fetch, { keep: true });
      expect((await readAll(read)).records).toEqual(records);
      expect(read.source()).toBe('download');
      expect(fake.calls).toBe(2);
      expect(cache.stats()).toMatchObject({ corruptDropped: 1, hits: 0, entries: 1 });

      // The window fetched again is a good entry.
      const hit = cache.read(KEY, fake.fetch, { keep: true });
      expect((await readAll(hit)).records).toEqual(records);
      expect(hit.source()).toBe('cache');
    });

    it('the window fetched again is not deleted by the slow deletion of the corrupt entry it replaces', async () => {
      const dir = await newDir();
      let renamed = deferred();
      const turns = async (n: number) => {
        for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
      };
      const slowUnlink: WindowCacheFs = {
        ...nodeWindowCacheFs,
        // A deletion that lands after the new entry's renames, unless the cache waits for it.
        unlink: async (file) => {
          await Promise.race([renamed.promise.then(() => turns(5)), turns(200)]);
          return nodeWindowCacheFs.unlink(file);
        },
        rename: async (from, to) => {
          await nodeWindowCacheFs.rename(from, to);
          renamed.resolve();
        },
      };
      const cache = await openCache({ dir, fs: slowUnlink });
      const records = windowRecords('g1', 200);
      const fake = fakeFetch(records);
      await readAll(cache.read(KEY, fake.fetch, { keep: true }));
      renamed = deferred();
      await fsp.truncate(path.join(dir, `${hashName(KEY)}.ndjson.gz`), 10);
      await readAll(cache.read(KEY, fake.fetch, { keep: true }));
      await turns(400); // every deletion has landed by now
      const hit = cache.read(KEY, fake.fetch, { keep: true });
      expect((await readAll(hit)).records).toEqual(records);
      expect(hit.source()).toBe('cache');
      expect(fake.calls).toBe(2);
    });

    it('concurrent readers of a corrupt entry share one new fetch', async () => {
      const dir = await newDir();
      const cache = await openCache({ dir });
      const records = windowRecords('g2', 300);
      const fake = fakeFetch(records);
      await readAll(cache.read(KEY, fake.fetch, { keep: true }));
      await fsp.truncate(path.join(dir, `${hashName(KEY)}.ndjson.gz`), 10);
      const results = await Promise.all([1, 2, 3].map(() => readAll(cache.read(KEY, fake.fetch, { keep: true }))));
      for (const result of results) expect(result.records).toEqual(records);
      expect(fake.calls).toBe(2);
      expect(cache.stats()).toMatchObject({ corruptDropped: 1, misses: 2, shared: 2 });
    });
  });

  it('evicts the least recently used entry first and keeps total bytes within maxBytes', async () => {
    const size = await entryBytes(400);
    const maxBytes = Math.floor(size * 3.5);
    const dir = await newDir();
    const cache = await openCache({ dir, maxBytes });
    const fakes = Object.fromEntries(['A', 'B', 'C', 'D'].map((w) => [w, fakeFetch(windowRecords(w, 400))]));
    const read = async (w: string) => {
      const r = cache.read(`window ${w}`, fakes[w].fetch, { keep: true });
      await readAll(r);
      return r.source();
    };
    for (const w of ['A', 'B', 'C']) expect(await read(w)).toBe('download');
    expect(await read('A')).toBe('cache'); // A is now more recent than B and C
    expect(await read('D')).toBe('download'); // past the bound: B goes
    expect(cache.stats()).toMatchObject({ entries: 3, evictions: 1 });
    expect(cache.stats().bytes).toBeLessThanOrEqual(maxBytes);
    await eventually(async () => !(await exists(path.join(dir, `${hashName('window B')}.ndjson.gz`))));

    expect(await read('C')).toBe('cache');
    expect(await read('A')).toBe('cache');
    expect(await read('D')).toBe('cache');
    expect(await read('B')).toBe('download'); // and now C, the least recently used, goes
    expect(await read('A')).toBe('cache');
    expect(await read('C')).toBe('download');
    expect(cache.stats().bytes).toBeLessThanOrEqual(maxBytes);
    expect(cache.stats().evictions).toBe(3);
  });

  it('does not keep a window larger than maxBytes, serves it, and says so in stats', async () => {
    const dir = await newDir();
    const cache = await openCache({ dir, maxBytes: 1000 });
    const records = windowRecords('h', 500);
    const fake = fakeFetch(records);
    expect((await readAll(cache.read(KEY, fake.fetch, { keep: true }))).records).toEqual(records);
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0, tooLarge: 1 });
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  it('reopened on the same directory, finds the kept entries in LRU order and deletes tmp files and orphans', async () => {
    const size = await entryBytes(300);
    const dir = await newDir();
    const first = await openCache({ dir });
    const a = fakeFetch(windowRecords('A', 300));
    const b = fakeFetch(windowRecords('B', 300));
    await readAll(first.read('window A', a.fetch, { keep: true }));
    await readAll(first.read('window B', b.fetch, { keep: true }));
    await readAll(first.read('window A', a.fetch, { keep: true })); // A is the most recently used
    await first.close();
    const orphan = `${hashName('crashed between renames')}.ndjson.gz`;
    await fsp.writeFile(path.join(dir, orphan), 'x');
    await fsp.writeFile(path.join(dir, 'tmp-0000.spool'), 'partial');
    await fsp.writeFile(path.join(dir, 'notes.txt'), 'not ours');

    const second = await openCache({ dir });
    expect(second.stats()).toMatchObject({ entries: 2, bytes: first.stats().bytes, corruptDropped: 0 });
    expect((await fsp.readdir(dir)).filter((f) => f === orphan || f.startsWith('tmp-'))).toEqual([]);
    expect(await exists(path.join(dir, 'notes.txt'))).toBe(true);
    const hit = second.read('window B', b.fetch, { keep: true });
    expect((await readAll(hit)).records).toEqual(windowRecords('B', 300));
    expect(hit.source()).toBe('cache');
    await second.close();

    // Room for one entry only: the most recently used one (B, read just now) stays.
    const third = await openCache({ dir, maxBytes: Math.floor(size * 1.5) });
    expect(third.stats()).toMatchObject({ entries: 1, evictions: 1 });
    const stayed = third.read('window B', b.fetch, { keep: true });
    await readAll(stayed);
    expect(stayed.source()).toBe('cache');
    expect(a.calls + b.calls).toBe(2);
  });

  it('a fetch failure reaches every joined caller with its kind, and nothing is kept', async () => {
    const dir = await newDir();
    const cache = await openCache({ dir });
    const failure = new CdnLogError('RateLimited', 'Cloudflare asked to slow down; retry after 2 s', { retryAfterMs: 2000 });
    const records = windowRecords('i', 40);
    const gate = deferred();
    const fake = fakeFetch(records, { batchSize: 10, hold: gate.promise, holdAt: 2, failWith: failure });
    const outcomes = Promise.all(
      [1, 2, 3].map((n) =>
        readAll(cache.read(KEY, fake.fetch, { keep: n !== 2 })).then(
          () => 'no error',
          (err: unknown) => err,
        ),
      ),
    );
    gate.resolve();
    for (const outcome of await outcomes) {
      expect(outcome).toBe(failure);
      expect((outcome as CdnLogError).kind).toBe('RateLimited');
    }
    expect(fake.calls).toBe(1);
    await cache.close();
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  it('a fetch that fails is not remembered: the next read fetches again', async () => {
    const cache = await openCache({ dir: await newDir() });
    let calls = 0;
    const records = windowRecords('j', 20);
    const flaky = (signal: AbortSignal) => {
      calls++;
      return (async function* () {
        signal.throwIfAborted();
        if (calls === 1) throw new CdnLogError('Transient', 'connection reset by the provider; retry');
        yield records;
      })();
    };
    await expect(readAll(cache.read(KEY, flaky, { keep: true }))).rejects.toMatchObject({ kind: 'Transient' });
    expect((await readAll(cache.read(KEY, flaky, { keep: true }))).records).toEqual(records);
    expect(calls).toBe(2);
  });

  describe('cancellation', () => {
    it('the abort of one of two callers does not abort the fetch: it gets its reason, the other reads everything', async () => {
      const cache = await openCache({ dir: await newDir() });
      const records = windowRecords('k', 40);
      const gate = deferred();
      const fake = fakeFetch(records, { batchSize: 10, hold: gate.promise });
      const quitter = new AbortController();
      const quitting = cache.read(KEY, fake.fetch, { keep: true, signal: quitter.signal });
      const staying = cache.read(KEY, fake.fetch, { keep: true, signal: new AbortController().signal });
      const quitterIterator = quitting.records[Symbol.asyncIterator]();
      expect((await quitterIterator.next()).value).toHaveLength(10);
      const stayingAll = readAll(staying);
      const waiting = quitterIterator.next(); // waits for the held batch
      const reason = new Error('panel closed');
      quitter.abort(reason);
      await expect(waiting).rejects.toBe(reason);
      gate.resolve();
      expect((await stayingAll).records).toEqual(records);
      expect(fake.calls).toBe(1);
      expect(fake.signals[0].aborted).toBe(false);
      expect(cache.stats().entries).toBe(1);
    });

    it('the abort of every caller aborts the fetch, and nothing is kept', async () => {
      const dir = await newDir();
      const cache = await openCache({ dir });
      const records = windowRecords('l', 40);
      const fake = fakeFetch(records, { batchSize: 10, hold: new Promise<void>(() => undefined) });
      const controllers = [new AbortController(), new AbortController()];
      const reads = controllers.map((c) => cache.read(KEY, fake.fetch, { keep: true, signal: c.signal }));
      const iterators = reads.map((r) => r.records[Symbol.asyncIterator]());
      for (const iterator of iterators) expect((await iterator.next()).value).toHaveLength(10);
      const reasons = [new Error('first panel closed'), new Error('second panel closed')];
      controllers[0].abort(reasons[0]);
      expect(fake.signals[0].aborted).toBe(false);
      controllers[1].abort(reasons[1]);
      expect(fake.signals[0].aborted).toBe(true);
      await expect(iterators[0].next()).rejects.toBe(reasons[0]);
      await expect(iterators[1].next()).rejects.toBe(reasons[1]);
      await cache.close();
      expect(cache.stats()).toMatchObject({ entries: 0 });
      expect(await fsp.readdir(dir)).toEqual([]);
    });

    it('a caller whose signal is already aborted gets its reason and fetches nothing', async () => {
      const cache = await openCache({ dir: await newDir() });
      const fake = fakeFetch(windowRecords('m', 10));
      const reason = new Error('gone before it started');
      await expect(readAll(cache.read(KEY, fake.fetch, { keep: true, signal: AbortSignal.abort(reason) }))).rejects.toBe(reason);
      expect(fake.calls).toBe(0);
    });

    it('a caller that stops early (break) releases its share: the other caller goes on', async () => {
      const cache = await openCache({ dir: await newDir() });
      const records = windowRecords('n', 40);
      const gate = deferred();
      const fake = fakeFetch(records, { batchSize: 10, hold: gate.promise });
      const staying = readAll(cache.read(KEY, fake.fetch, { keep: true }));
      for await (const batch of cache.read(KEY, fake.fetch, { keep: true }).records) {
        expect(batch).toHaveLength(10);
        break;
      }
      gate.resolve();
      expect((await staying).records).toEqual(records);
      expect(fake.signals[0].aborted).toBe(false);
    });

    it('a lone caller that stops early (break) stops the download, and nothing is kept', async () => {
      const dir = await newDir();
      const cache = await openCache({ dir });
      const fake = fakeFetch(windowRecords('o', 40), { batchSize: 10, hold: new Promise<void>(() => undefined) });
      for await (const batch of cache.read(KEY, fake.fetch, { keep: true }).records) {
        expect(batch).toHaveLength(10);
        break;
      }
      expect(fake.signals[0].aborted).toBe(true);
      await cache.close();
      expect(await fsp.readdir(dir)).toEqual([]);
      expect(cache.stats().entries).toBe(0);
    });
  });

  it('round-trips records with a `__proto__` attribute and deep values, through the spool and from disk', async () => {
    const cache = await openCache({ dir: await newDir() });
    const records = windowRecords('p', 5);
    const fake = fakeFetch(records);
    for (const expected of ['download', 'cache']) {
      const read = cache.read(KEY, fake.fetch, { keep: true });
      const back = (await readAll(read)).records;
      expect(read.source()).toBe(expected);
      expect(back).toEqual(records);
      for (const record of back) {
        expect(Object.getPrototypeOf(record.attributes)).toBeNull();
        expect(Object.keys(record.attributes)).toEqual(['__proto__', 'constructor', 'nested', 'deep']);
        expect(Object.getOwnPropertyDescriptor(record.attributes, '__proto__')?.value).toEqual({ polluted: true });
        const nested = record.attributes.nested as Record<string, AttributeValue>;
        expect(Object.keys(nested)).toEqual(['__proto__', 'n']);
        expect(Object.getOwnPropertyDescriptor(nested, '__proto__')?.value).toEqual({ deep: [1, 2.5, -3, null, true, 'x'] });
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a reader of an entry that is evicted mid-read keeps its descriptor and reads it to the end', async () => {
    const size = await entryBytes(2500);
    const dir = await newDir();
    const cache = await openCache({ dir, maxBytes: Math.floor(size * 1.5) });
    const a = windowRecords('A', 2500);
    const fakeA = fakeFetch(a);
    await readAll(cache.read('window A', fakeA.fetch, { keep: true }));
    const reading = cache.read('window A', fakeA.fetch, { keep: true });
    const iterator = reading.records[Symbol.asyncIterator]();
    const got: CdnLogRecord[] = [...((await iterator.next()).value as CdnLogRecord[])];
    expect(reading.source()).toBe('cache');

    await readAll(cache.read('window B', fakeFetch(windowRecords('B', 2500)).fetch, { keep: true }));
    expect(cache.stats()).toMatchObject({ entries: 1, evictions: 1 });
    await eventually(async () => !(await exists(path.join(dir, `${hashName('window A')}.ndjson.gz`))));

    for (let step = await iterator.next(); !step.done; step = await iterator.next()) got.push(...step.value);
    expect(got).toEqual(a);
  });

  describe('a disk that fails does not lose the query', () => {
    /** node:fs, except that the n-th spool write on (from 1) and, optionally, opening a spool fail as a full disk does. */
    function failingDisk(options: { failOpen?: boolean; failWriteFrom?: number; failRename?: boolean }): WindowCacheFs {
      let writes = 0;
      const full = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return {
        ...nodeWindowCacheFs,
        open: async (file, flags) => {
          if (flags === 'wx+' && options.failOpen) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
          const real = await nodeWindowCacheFs.open(file, flags);
          if (flags !== 'wx+') return real;
          const spool: WindowCacheFile = {
            read: (...args) => real.read(...args),
            write: async (...args) => {
              writes++;
              if (options.failWriteFrom !== undefined && writes >= options.failWriteFrom) throw full();
              return real.write(...args);
            },
            sync: () => real.sync(),
            stat: () => real.stat(),
            close: () => real.close(),
          };
          return spool;
        },
        rename: async (from, to) => {
          if (options.failRename) throw full();
          return nodeWindowCacheFs.rename(from, to);
        },
      };
    }

    it('a spool that cannot be created: every caller gets every record from memory, nothing is kept, the failure is counted', async () => {
      const dir = await newDir();
      const cache = await openCache({ dir, fs: failingDisk({ failOpen: true }) });
      const records = windowRecords('q', 1000);
      const fake = fakeFetch(records, { batchSize: 100 });
      const results = await Promise.all([1, 2, 3].map(() => readAll(cache.read(KEY, fake.fetch, { keep: true }))));
      for (const result of results) expect(result.records).toEqual(records);
      expect(fake.calls).toBe(1);
      expect(cache.stats()).toMatchObject({ entries: 0, diskErrors: 1 });
      expect(await fsp.readdir(dir)).toEqual([]);
    });

    it('a disk that fills up mid-download: the spooled part and the rest from memory, in order, nothing kept', async () => {
      const dir = await newDir();
      const cache = await openCache({ dir, fs: failingDisk({ failWriteFrom: 4 }) });
      const records = windowRecords('r', 1000);
      const gate = deferred();
      const fake = fakeFetch(records, { batchSize: 100, hold: gate.promise, holdAt: 2 });
      const reads = [1, 2].map(() => readAll(cache.read(KEY, fake.fetch, { keep: true })));
      gate.resolve();
      for (const result of await Promise.all(reads)) expect(result.records).toEqual(records);
      expect(fake.calls).toBe(1);
      expect(cache.stats()).toMatchObject({ entries: 0, diskErrors: 1 });
      expect(await fsp.readdir(dir)).toEqual([]);
    });

    it('a disk that fails when the window is kept: served, not kept, counted', async () => {
      const dir = await newDir();
      const cache = await openCache({ dir, fs: failingDisk({ failRename: true }) });
      const records = windowRecords('s', 300);
      const fake = fakeFetch(records);
      expect((await readAll(cache.read(KEY, fake.fetch, { keep: true }))).records).toEqual(records);
      await cache.close();
      expect(cache.stats()).toMatchObject({ entries: 0, diskErrors: 1 });
      expect(await fsp.readdir(dir)).toEqual([]);
    });

    it('a cache directory removed under the running bridge: records still served, counted', async () => {
      const dir = await newDir();
      const cache = await openCache({ dir });
      await fsp.rm(dir, { recursive: true });
      const records = windowRecords('t', 300);
      const fake = fakeFetch(records);
      expect((await readAll(cache.read(KEY, fake.fetch, { keep: true }))).records).toEqual(records);
      expect(cache.stats()).toMatchObject({ entries: 0, diskErrors: 1 });
    });

    it('serving from memory, the download waits for the slowest caller instead of queueing the whole window', async () => {
      const cache = await openCache({ dir: await newDir(), fs: failingDisk({ failOpen: true }) });
      const records = windowRecords('u', 500);
      const fake = fakeFetch(records, { batchSize: 10 });
      const iterator = cache.read(KEY, fake.fetch, { keep: false }).records[Symbol.asyncIterator]();
      expect((await iterator.next()).value).toEqual(records.slice(0, 10));
      for (let turn = 0; turn < 200; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(fake.pulled).toBeLessThanOrEqual(12);
      const rest: CdnLogRecord[] = [];
      for (let step = await iterator.next(); !step.done; step = await iterator.next()) rest.push(...step.value);
      expect(rest).toEqual(records.slice(10));
    });
  });

  it('source() before the records have started is an error that says so', async () => {
    const cache = await openCache({ dir: await newDir() });
    const read = cache.read(KEY, fakeFetch([]).fetch, { keep: false });
    expect(() => read.source()).toThrow(/known once its records have started/);
    expect((await readAll(read)).records).toEqual([]);
    expect(read.source()).toBe('download');
  });

  it('rejects options it cannot work with', async () => {
    await expect(WindowCache.open({ dir: '', maxBytes: 1 })).rejects.toMatchObject({ kind: 'BadInput', field: 'dir' });
    await expect(WindowCache.open({ dir: await newDir(), maxBytes: Number.NaN })).rejects.toMatchObject({ kind: 'BadInput', field: 'maxBytes' });
  });
});
