import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { CdnLogError } from '../core/errors';
import { type CdnLogRecord, emptyRecord } from '../core/record';
import type { Http, HttpRequest, HttpResponse } from '../transport/http';
import { type RetryHooks, withRetry } from '../transport/retry';
import { requestId, TapePlayer } from './tape';
import {
  nodeWindowCacheFs,
  WindowCache,
  type WindowCacheFile,
  type WindowCacheFs,
  type WindowCacheOptions,
  type WindowFetch,
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
  const cache = await WindowCache.open({ maxBytes: 1 << 30, ...options });
  caches.push(cache);
  return cache;
}

afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
  await Promise.all(dirs.splice(0).map((dir) => fsp.rm(dir, { recursive: true, force: true })));
});

/** Records of one window, with the awkward parts of real provider data. */
function windowRecords(window: string, count: number): CdnLogRecord[] {
  const records: CdnLogRecord[] = [];
  for (let i = 0; i < count; i++) {
    const record = emptyRecord('cloudflare', 'zone-1', Date.UTC(2026, 0, 15, 10) + i * 17.25);
    record.id = `${window}-${i}`;
    record.path = `/assets/${window}/${i}.js`;
    record.status = i % 11 === 0 ? 503 : 200;
    record.bytesSent = 1000 + i;
    record.userAgent = 'Mozilla/5.0 é€😀 \u2028';
    records.push(record);
  }
  return records;
}

const PAGE_RECORDS = 100;
const CHUNK_BYTES = 1500;

/**
 * A provider on no network: each window is pages of NDJSON at `https://provider.test/<window>?page=N`,
 * sent in chunks. `sent` counts the requests that reached it; `hold` delays the body of page `holdPage`;
 * `cutOnce` cuts that page's first answer part-way; `unavailableOnce` answers 503 to it first.
 */
class FakeProvider implements Http {
  readonly retry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 1000 };
  readonly sent: string[] = [];
  private readonly cut = new Set<string>();
  private readonly unavailable = new Set<string>();

  constructor(
    private readonly windows: Record<string, CdnLogRecord[]>,
    private readonly options: { hold?: Promise<void>; holdPage?: number; failWith?: unknown; cutOnce?: string; unavailableOnce?: string } = {},
  ) {}

  retryHooks(signal: AbortSignal | undefined, onRetry?: RetryHooks['onRetry']): RetryHooks {
    return { signal, onRetry };
  }

  sendWithRetry<T>(req: HttpRequest, check: (res: HttpResponse) => Promise<T>, onRetry?: RetryHooks['onRetry']): Promise<T> {
    return withRetry(this.retry, async () => check(await this.send(req)), this.retryHooks(req.signal, onRetry));
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    req.signal?.throwIfAborted();
    req.onSent?.();
    this.sent.push(req.url);
    const url = new URL(req.url);
    const window = url.pathname.slice(1);
    const page = Number(url.searchParams.get('page'));
    if (this.options.failWith !== undefined) throw this.options.failWith;
    if (this.options.unavailableOnce === req.url && !this.unavailable.has(req.url)) {
      this.unavailable.add(req.url);
      return response(503, Buffer.from('busy'));
    }
    const records = this.windows[window] ?? [];
    const text = records
      .slice(page * PAGE_RECORDS, (page + 1) * PAGE_RECORDS)
      .map((r) => JSON.stringify(r) + '\n')
      .join('');
    const cutHere = this.options.cutOnce === req.url && !this.cut.has(req.url);
    if (cutHere) this.cut.add(req.url);
    const hold = page === (this.options.holdPage ?? -1) ? this.options.hold : undefined;
    return response(200, Buffer.from(text), { hold, signal: req.signal, cutAt: cutHere ? Math.floor(text.length / 2) : undefined });
  }
}

function response(status: number, body: Buffer, options: { hold?: Promise<void>; signal?: AbortSignal; cutAt?: number } = {}): HttpResponse {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let at = 0; at < body.length; at += CHUNK_BYTES) {
      if (options.cutAt !== undefined && at >= options.cutAt) throw new CdnLogError('Transient', 'the connection was cut');
      if (at > 0 && options.hold) await untilAbortedOr(options.hold, options.signal);
      yield body.subarray(at, at + CHUNK_BYTES);
    }
  }
  const iterable = chunks();
  return {
    status,
    headers: { 'content-type': 'application/x-ndjson' },
    body: iterable,
    async text(maxBytes = 65536) {
      const parts: Buffer[] = [];
      for await (const chunk of iterable) parts.push(chunk);
      return Buffer.concat(parts).subarray(0, maxBytes).toString('utf8');
    },
    async dump() {},
  };
}

function untilAbortedOr(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    promise.then(resolve, reject);
  });
}

/**
 * The adapter's part: reads the pages of `window` through whatever `http` it is given (the provider,
 * a recorder, a player), retrying a page that fails, and yields each page's records as they decode.
 * `calls` counts the reads, `readers` the http each read got.
 */
function windowFetch(window: string, pages: number): WindowFetch & { calls: number } {
  const fetch = Object.assign(
    (http: Http, signal: AbortSignal) => {
      fetch.calls++;
      return (async function* () {
        for (let page = 0; page < pages; page++) {
          const url = `https://provider.test/${window}?page=${page}`;
          const batches: CdnLogRecord[][] = await withRetry(http.retry, async () => {
            const res = await http.send({ method: 'GET', url, signal });
            if (res.status !== 200) throw new CdnLogError('Transient', `HTTP ${res.status}`, { status: res.status });
            const out: CdnLogRecord[][] = [];
            const utf8 = new StringDecoder('utf8');
            let rest = '';
            for await (const chunk of res.body) {
              const lines = (rest + utf8.write(Buffer.from(chunk))).split('\n');
              rest = lines.pop()!;
              if (lines.length > 0) out.push(lines.map((line) => JSON.parse(line) as CdnLogRecord));
            }
            return out;
          });
          for (const batch of batches) yield batch;
        }
      })();
    },
    { calls: 0 },
  );
  return fetch;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function readAll(read: WindowRead): Promise<CdnLogRecord[]> {
  const records: CdnLogRecord[] = [];
  for await (const batch of read.records) records.push(...batch);
  return records;
}

/** The directory's files but the lock, which an open cache holds. */
async function entryFiles(dir: string): Promise<string[]> {
  return (await fsp.readdir(dir)).filter((name) => name !== 'lock');
}

function hashName(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Waits (bounded by the jest timeout) until `condition` holds; for effects of background work. */
async function eventually(condition: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 2));
}

const KEY = 'cloudflare|acct:9f86d081|zone-1|2026-01-15T10:00Z..11:00Z|fields=all|filters=none';
const PAGES = 4;

function world(count = 400, options: ConstructorParameters<typeof FakeProvider>[1] = {}) {
  const records = windowRecords('w', count);
  const provider = new FakeProvider({ w: records }, options);
  return { records, provider, fetch: windowFetch('w', Math.ceil(count / PAGE_RECORDS)) };
}

// ---------------------------------------------------------------- tests

describe('WindowCache', () => {
  it('a download gives its caller the records as they decode, and a kept window is read back from its tape with no request', async () => {
    const dir = await newDir();
    const cache = await openCache({ dir });
    const { records, provider, fetch } = world();
    const first = cache.read(KEY, fetch, { keep: true, http: provider });
    expect(await readAll(first)).toEqual(records);
    expect(first.source()).toBe('download');
    expect(provider.sent).toHaveLength(PAGES);
    await eventually(() => cache.stats().entries === 1);

    const again = cache.read(KEY, fetch, { keep: true, http: provider });
    expect(await readAll(again)).toEqual(records);
    expect(again.source()).toBe('cache');
    expect(provider.sent).toHaveLength(PAGES);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, replayMisses: 0 });
    const name = hashName(KEY);
    expect((await entryFiles(dir)).sort()).toEqual([`${name}.meta.json`, `${name}.tape`]);
    // The tape is the provider's bytes, as they came.
    const sent = records.map((r) => JSON.stringify(r) + '\n').join('');
    expect(await fsp.readFile(path.join(dir, `${name}.tape`), 'utf8')).toBe(sent);
  });

  it('eight concurrent reads of one window: one download, seven read its tape, eight equal results', async () => {
    const cache = await openCache({ dir: await newDir() });
    const gate = deferred();
    const { records, provider, fetch } = world(400, { hold: gate.promise, holdPage: 1 });
    const reads = Array.from({ length: 8 }, () => cache.read(KEY, fetch, { keep: true, http: provider }));
    const results = reads.map(readAll);
    await eventually(() => provider.sent.length === 2);
    gate.resolve();
    for (const result of await Promise.all(results)) expect(result).toEqual(records);
    expect(provider.sent).toHaveLength(PAGES);
    expect(reads.map((r) => r.source()).sort()).toEqual(['download', ...Array(7).fill('shared')]);
    expect(cache.stats()).toMatchObject({ misses: 1, shared: 7, replayMisses: 0 });
  });

  it('keep:false leaves nothing on disk once its readers finish, and the next read downloads again', async () => {
    const dir = await newDir();
    const cache = await openCache({ dir });
    const { records, provider, fetch } = world();
    expect(await readAll(cache.read(KEY, fetch, { keep: false, http: provider }))).toEqual(records);
    await eventually(async () => (await entryFiles(dir)).length === 0);
    const again = cache.read(KEY, fetch, { keep: false, http: provider });
    expect(await readAll(again)).toEqual(records);
    expect(again.source()).toBe('download');
    expect(provider.sent).toHaveLength(2 * PAGES);
  });

  it('keeps a window when any caller that waited for its download asks to keep it', async () => {
    const cache = await openCache({ dir: await newDir() });
    const gate = deferred();
    const { provider, fetch } = world(400, { hold: gate.promise, holdPage: 0 });
    const a = readAll(cache.read(KEY, fetch, { keep: false, http: provider }));
    await eventually(() => provider.sent.length === 1);
    const b = readAll(cache.read(KEY, fetch, { keep: true, http: provider }));
    gate.resolve();
    await Promise.all([a, b]);
    await eventually(() => cache.stats().entries === 1);
  });

  it('answers that would be different on a retry (503) are not taped; a cut answer is not taped, its complete retry is', async () => {
    const dir = await newDir();
    const cache = await openCache({ dir });
    const records = windowRecords('w', 400);
    const provider = new FakeProvider({ w: records }, { unavailableOnce: 'https://provider.test/w?page=1', cutOnce: 'https://provider.test/w?page=2' });
    const fetch = windowFetch('w', PAGES);
    // The fake adapter retries a cut page whole and keeps only its complete answer's records.
    expect(await readAll(cache.read(KEY, fetch, { keep: true, http: provider }))).toEqual(records);
    expect(provider.sent).toHaveLength(PAGES + 2);
    await eventually(() => cache.stats().entries === 1);
    const meta = JSON.parse(await fsp.readFile(path.join(dir, `${hashName(KEY)}.meta.json`), 'utf8'));
    expect(meta.exchanges.map((e: { status: number }) => e.status)).toEqual(Array(PAGES).fill(200));
    const again = cache.read(KEY, fetch, { keep: true, http: provider });
    expect(await readAll(again)).toEqual(records);
    expect(provider.sent).toHaveLength(PAGES + 2);
    expect(cache.stats().replayMisses).toBe(0);
  });

  it('a replay sends what its tape does not hold to the provider, and counts it', async () => {
    const cache = await openCache({ dir: await newDir() });
    const { records, provider, fetch } = world();
    await readAll(cache.read(KEY, fetch, { keep: true, http: provider }));
    await eventually(() => cache.stats().entries === 1);
    // A reader that also asks for a page the download never did (e.g. a package another window of its query had read).
    const more = new FakeProvider({ w: records, x: windowRecords('x', 50) });
    const extra = windowFetch('x', 1);
    const both: WindowFetch = (http, signal) =>
      (async function* () {
        yield* fetch(http, signal);
        yield* extra(http, signal);
      })();
    expect(await readAll(cache.read(KEY, both, { keep: true, http: more }))).toHaveLength(450);
    expect(more.sent).toEqual(['https://provider.test/x?page=0']);
    expect(cache.stats().replayMisses).toBe(1);
  });

  describe('a corrupt entry is dropped and its window downloaded again', () => {
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
      ['tape deleted', async (data) => fsp.unlink(data)],
    ];

    it.each(damages)('%s', async (_what, damage) => {
      const dir = await newDir();
      const cache = await openCache({ dir });
      const { records, provider, fetch } = world();
      await readAll(cache.read(KEY, fetch, { keep: true, http: provider }));
      await eventually(() => cache.stats().entries === 1);
      const name = hashName(KEY);
      await damage(path.join(dir, `${name}.tape`), path.join(dir, `${name}.meta.json`));

      const read = cache.read(KEY, fetch, { keep: true, http: provider });
      expect(await readAll(read)).toEqual(records);
      expect(read.source()).toBe('download');
      expect(provider.sent).toHaveLength(2 * PAGES);
      expect(cache.stats()).toMatchObject({ corruptDropped: 1, hits: 0 });
      await eventually(() => cache.stats().entries === 1);

      const hit = cache.read(KEY, fetch, { keep: true, http: provider });
      expect(await readAll(hit)).toEqual(records);
      expect(hit.source()).toBe('cache');
    });

    it('a meta whose pieces point outside the tape is refused on open', async () => {
      const dir = await newDir();
      const cache = await openCache({ dir });
      const { provider, fetch } = world();
      await readAll(cache.read(KEY, fetch, { keep: true, http: provider }));
      await cache.close();
      const metaFile = path.join(dir, `${hashName(KEY)}.meta.json`);
      const meta = JSON.parse(await fsp.readFile(metaFile, 'utf8'));
      meta.exchanges[0].pieces[0][0] = meta.fileBytes;
      await fsp.writeFile(metaFile, JSON.stringify(meta));
      const reopened = await openCache({ dir });
      expect(reopened.stats()).toMatchObject({ entries: 0, corruptDropped: 1 });
    });

    it('concurrent readers of a corrupt entry share one new download', async () => {
      const dir = await newDir();
      const cache = await openCache({ dir });
      const { records, provider, fetch } = world();
      await readAll(cache.read(KEY, fetch, { keep: true, http: provider }));
      await eventually(() => cache.stats().entries === 1);
      await fsp.truncate(path.join(dir, `${hashName(KEY)}.tape`), 10);
      const results = await Promise.all([1, 2, 3].map(() => readAll(cache.read(KEY, fetch, { keep: true, http: provider }))));
      for (const result of results) expect(result).toEqual(records);
      expect(provider.sent).toHaveLength(2 * PAGES);
    });
  });

  it('evicts the least recently used entry first and keeps total bytes within maxBytes', async () => {
    const probe = await openCache({ dir: await newDir() });
    const w = world();
    await readAll(probe.read('probe', w.fetch, { keep: true, http: w.provider }));
    await eventually(() => probe.stats().entries === 1);
    const oneEntry = probe.stats().bytes;

    const cache = await openCache({ dir: await newDir(), maxBytes: Math.floor(oneEntry * 2.5) });
    const keys = ['a', 'b', 'c'].map((k) => `${KEY}|${k}`);
    for (const key of keys.slice(0, 2)) {
      await readAll(cache.read(key, w.fetch, { keep: true, http: w.provider }));
      await eventually(() => !cache['running'].size);
    }
    // a is used again, so b is the least recently used when c comes.
    await readAll(cache.read(keys[0], w.fetch, { keep: true, http: w.provider }));
    await readAll(cache.read(keys[2], w.fetch, { keep: true, http: w.provider }));
    await eventually(() => cache.stats().evictions === 1);
    expect(cache.stats().bytes).toBeLessThanOrEqual(Math.floor(oneEntry * 2.5));
    const b = cache.read(keys[1], w.fetch, { keep: true, http: w.provider });
    await readAll(b);
    expect(b.source()).toBe('download');
    const a = cache.read(keys[0], w.fetch, { keep: true, http: w.provider });
    await readAll(a);
    expect(a.source()).toBe('cache');
  });

  it('does not keep a window larger than maxBytes, serves it, and says so in stats', async () => {
    const dir = await newDir();
    const cache = await openCache({ dir, maxBytes: 1000 });
    const { records, provider, fetch } = world();
    expect(await readAll(cache.read(KEY, fetch, { keep: true, http: provider }))).toEqual(records);
    await eventually(() => cache.stats().tooLarge === 1);
    expect(cache.stats().entries).toBe(0);
    await eventually(async () => (await entryFiles(dir)).length === 0);
  });

  it('reopened on the same directory, finds the kept entries and deletes tmp files, orphans and old-format spools', async () => {
    const dir = await newDir();
    const cache = await openCache({ dir });
    const { records, provider, fetch } = world();
    await readAll(cache.read(KEY, fetch, { keep: true, http: provider }));
    await cache.close();
    const orphan = `${hashName('gone')}.tape`;
    const oldSpool = `${hashName('old')}.ndjson.gz`;
    for (const name of ['tmp-123.tape', orphan, oldSpool, 'notes.txt']) await fsp.writeFile(path.join(dir, name), 'x');

    const reopened = await openCache({ dir });
    expect(reopened.stats()).toMatchObject({ entries: 1 });
    expect((await entryFiles(dir)).sort()).toEqual([`${hashName(KEY)}.meta.json`, `${hashName(KEY)}.tape`, 'notes.txt']);
    const read = reopened.read(KEY, fetch, { keep: true, http: provider });
    expect(await readAll(read)).toEqual(records);
    expect(read.source()).toBe('cache');
    expect(provider.sent).toHaveLength(PAGES);
  });

  it('a download that fails fails the callers waiting for it with its kind; nothing is kept; the next read downloads again', async () => {
    const dir = await newDir();
    const cache = await openCache({ dir });
    const gate = deferred();
    const refused = new CdnLogError('AuthFailed', 'the provider refused the token');
    const records = windowRecords('w', 400);
    const failing = new FakeProvider({ w: records }, { hold: gate.promise, holdPage: 1 });
    const fetch = windowFetch('w', PAGES);
    const failingFetch: WindowFetch = (http, signal) =>
      (async function* () {
        yield* fetch(http, signal);
        throw refused;
      })();
    const reads = [1, 2].map(() => readAll(cache.read(KEY, failingFetch, { keep: true, http: failing })));
    await eventually(() => failing.sent.length === 2);
    gate.resolve();
    for (const read of reads) await expect(read).rejects.toMatchObject({ kind: 'AuthFailed' });
    await eventually(async () => (await entryFiles(dir)).length === 0);
    const good = new FakeProvider({ w: records });
    const next = cache.read(KEY, fetch, { keep: true, http: good });
    expect(await readAll(next)).toEqual(records);
    expect(next.source()).toBe('download');
  });

  describe('cancellation', () => {
    it('the abort of the downloading caller: it gets its reason, the caller waiting downloads the window itself and gets it all', async () => {
      const cache = await openCache({ dir: await newDir() });
      const gate = deferred();
      const { records, provider, fetch } = world(400, { hold: gate.promise, holdPage: 1 });
      const leader = new AbortController();
      const first = readAll(cache.read(KEY, fetch, { keep: true, http: provider, signal: leader.signal }));
      await eventually(() => provider.sent.length === 2);
      const second = cache.read(KEY, fetch, { keep: true, http: provider });
      const secondRecords = readAll(second);
      leader.abort(new Error('panel closed'));
      await expect(first).rejects.toThrow('panel closed');
      gate.resolve();
      expect(await secondRecords).toEqual(records);
      expect(second.source()).toBe('download');
    });

    it('a waiting caller that aborts gets its reason; the download goes on for its own caller', async () => {
      const cache = await openCache({ dir: await newDir() });
      const gate = deferred();
      const { records, provider, fetch } = world(400, { hold: gate.promise, holdPage: 1 });
      const first = readAll(cache.read(KEY, fetch, { keep: true, http: provider }));
      await eventually(() => provider.sent.length === 2);
      const waiter = new AbortController();
      const second = readAll(cache.read(KEY, fetch, { keep: true, http: provider, signal: waiter.signal }));
      waiter.abort(new Error('gone'));
      await expect(second).rejects.toThrow('gone');
      gate.resolve();
      expect(await first).toEqual(records);
      await eventually(() => cache.stats().entries === 1);
    });

    it('a caller whose signal is already aborted gets its reason and sends nothing', async () => {
      const cache = await openCache({ dir: await newDir() });
      const { provider, fetch } = world();
      const signal = AbortSignal.abort(new Error('already'));
      await expect(readAll(cache.read(KEY, fetch, { keep: true, http: provider, signal }))).rejects.toThrow('already');
      expect(provider.sent).toHaveLength(0);
    });

    it('a downloading caller that stops early (break): nothing is kept, and a caller waiting downloads the window itself', async () => {
      const dir = await newDir();
      const cache = await openCache({ dir });
      const gate = deferred();
      const { records, provider, fetch } = world(400, { hold: gate.promise, holdPage: 1 });
      const firstRead = cache.read(KEY, fetch, { keep: true, http: provider });
      const iterator = firstRead.records[Symbol.asyncIterator]();
      await iterator.next();
      const second = readAll(cache.read(KEY, fetch, { keep: true, http: provider }));
      await iterator.return!(undefined);
      gate.resolve();
      expect(await second).toEqual(records);
      await eventually(() => cache.stats().entries === 1);
    });
  });

  it('a reader of an entry that is evicted mid-read keeps its descriptor and reads it to the end', async () => {
    const cache = await openCache({ dir: await newDir() });
    const { records, provider, fetch } = world();
    await readAll(cache.read(KEY, fetch, { keep: true, http: provider }));
    await eventually(() => cache.stats().entries === 1);
    const iterator = cache.read(KEY, fetch, { keep: true, http: provider }).records[Symbol.asyncIterator]();
    const got: CdnLogRecord[] = [...(await iterator.next()).value];
    cache['forget'](cache['entries'].values().next().value!);
    await eventually(() => cache['background'].size === 0);
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) got.push(...step.value);
    expect(got).toEqual(records);
  });

  describe('a disk that fails does not lose the query', () => {
    /** node:fs, except that the n-th tape write on (from 1), opening a tape, or renames fail as a full disk does. */
    function failingDisk(options: { failOpen?: boolean; failWriteFrom?: number; failRename?: boolean }): WindowCacheFs {
      let writes = 0;
      const full = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return {
        ...nodeWindowCacheFs,
        open: async (file, flags) => {
          if (flags === 'wx+' && options.failOpen) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
          const real = await nodeWindowCacheFs.open(file, flags);
          if (flags !== 'wx+') return real;
          const tape: WindowCacheFile = {
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
          return tape;
        },
        rename: async (from, to) => {
          if (options.failRename) throw full();
          return nodeWindowCacheFs.rename(from, to);
        },
      };
    }

    it('a tape that cannot be created: every caller is served (each downloads), nothing is kept, the failure is counted', async () => {
      const dir = await newDir();
      const cache = await openCache({ dir, fs: failingDisk({ failOpen: true }) });
      const { records, provider, fetch } = world();
      const results = await Promise.all([1, 2, 3].map(() => readAll(cache.read(KEY, fetch, { keep: true, http: provider }))));
      for (const result of results) expect(result).toEqual(records);
      expect(cache.stats()).toMatchObject({ entries: 0 });
      expect(cache.stats().diskErrors).toBeGreaterThanOrEqual(1);
      expect(await entryFiles(dir)).toEqual([]);
    });

    it('a disk that fills up mid-download: the caller gets everything, one waiting downloads again, nothing kept', async () => {
      const dir = await newDir();
      const cache = await openCache({ dir, fs: failingDisk({ failWriteFrom: 3 }) });
      const gate = deferred();
      const { records, provider, fetch } = world(400, { hold: gate.promise, holdPage: 1 });
      const reads = [1, 2].map(() => readAll(cache.read(KEY, fetch, { keep: true, http: provider })));
      await eventually(() => provider.sent.length === 2);
      gate.resolve();
      for (const result of await Promise.all(reads)) expect(result).toEqual(records);
      await cache.close();
      expect(cache.stats()).toMatchObject({ entries: 0 });
      expect(cache.stats().diskErrors).toBeGreaterThanOrEqual(1);
      expect(await entryFiles(dir)).toEqual([]);
    });

    it('a disk that fails when the window is kept: served, not kept, counted', async () => {
      const dir = await newDir();
      const cache = await openCache({ dir, fs: failingDisk({ failRename: true }) });
      const { records, provider, fetch } = world();
      expect(await readAll(cache.read(KEY, fetch, { keep: true, http: provider }))).toEqual(records);
      await cache.close();
      expect(cache.stats()).toMatchObject({ entries: 0, diskErrors: 1 });
      expect(await entryFiles(dir)).toEqual([]);
    });

    it('a cache directory removed under the running bridge: records still served, counted', async () => {
      const dir = await newDir();
      const cache = await openCache({ dir });
      await fsp.rm(dir, { recursive: true });
      const { records, provider, fetch } = world();
      expect(await readAll(cache.read(KEY, fetch, { keep: true, http: provider }))).toEqual(records);
      expect(cache.stats()).toMatchObject({ entries: 0, diskErrors: 1 });
    });
  });

  it('source() before the records have started is an error that says so', async () => {
    const cache = await openCache({ dir: await newDir() });
    const { provider } = world();
    const read = cache.read(KEY, windowFetch('w', 0), { keep: false, http: provider });
    expect(() => read.source()).toThrow(/known once its records have started/);
    expect(await readAll(read)).toEqual([]);
    expect(read.source()).toBe('download');
  });

  it('one process owns a directory: a second cache on it is refused naming the owner, a lock left by a dead process is taken over', async () => {
    const dir = await newDir();
    const cache = await openCache({ dir });
    expect(await fsp.readFile(path.join(dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    // Another process of this machine owns it: the test's parent (jest's runner) is alive and is not us.
    await fsp.writeFile(path.join(dir, 'lock'), `${process.ppid}\n`);
    await expect(WindowCache.open({ dir, maxBytes: 1 << 20 })).rejects.toMatchObject({ kind: 'BadInput', message: expect.stringContaining(`in use by process ${process.ppid}`) });
    await cache.close();
    expect(await fsp.readdir(dir)).toEqual([]);
    // A pid no process has.
    await fsp.writeFile(path.join(dir, 'lock'), '2147483646\n');
    await openCache({ dir });
    expect(await fsp.readFile(path.join(dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('rejects options it cannot work with', async () => {
    await expect(WindowCache.open({ dir: '', maxBytes: 1 })).rejects.toMatchObject({ kind: 'BadInput', field: 'dir' });
    await expect(WindowCache.open({ dir: await newDir(), maxBytes: Number.NaN })).rejects.toMatchObject({ kind: 'BadInput', field: 'maxBytes' });
  });
});

describe('TapePlayer', () => {
  it('recognises a request by method, URL and body, or by its replay key when the body holds a nonce', () => {
    const base = { method: 'POST' as const, url: 'https://api.test/' };
    expect(requestId({ ...base, body: 'a' })).toBe(requestId({ ...base, body: 'a' }));
    expect(requestId({ ...base, body: 'a' })).not.toBe(requestId({ ...base, body: 'b' }));
    expect(requestId({ ...base, body: 'nonce=1', replayKey: 'k' })).toBe(requestId({ ...base, body: 'nonce=2', replayKey: 'k' }));
    expect(requestId({ ...base, replayKey: 'k' })).not.toBe(requestId({ ...base, url: 'https://api.test/other', replayKey: 'k' }));
  });

  it('answers text() like the client: a bounded prefix, or TooLarge for a whole answer past the bound', async () => {
    const body = Buffer.from('0123456789');
    const file = { read: async (b: Buffer, o: number, l: number, p: number) => ({ bytesRead: body.copy(b, o, p, p + l) }), write: async () => ({ bytesWritten: 0 }) };
    const req = { method: 'GET' as const, url: 'https://api.test/x' };
    const exchange = { request: requestId(req), status: 200, headers: {}, pieces: [[0, 10]] as Array<[number, number]>, bytes: 10 };
    const provider = new FakeProvider({});
    const player = new TapePlayer(provider, file, [exchange, exchange]);
    expect(await (await player.send(req)).text(4)).toBe('0123');
    await expect((await player.send(req)).text(4, { whole: true })).rejects.toMatchObject({ kind: 'TooLarge' });
    // Each recorded answer is used once; the third goes to the provider.
    await player.send(req);
    expect(provider.sent).toEqual(['https://api.test/x']);
    expect(player.misses).toBe(1);
  });
});
