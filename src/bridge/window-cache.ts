/**
 * The bridge's window store: what makes "windows downloaded once" true (architecture.md › Bridge API).
 *
 * A window comes from a slow, rate-limited, costly provider fetch. This store sits in front of it:
 * one download per window while it runs, however many queries ask (a dashboard of eight panels asks
 * for the same hour eight times), and a window that can no longer change (`keep`) stays on disk,
 * bounded by `maxBytes` with least-recently-used eviction.
 *
 * What it keeps is a tape (bridge/tape.ts): the provider's answers as they came, compressed as sent.
 * The caller that starts a download gets its records as the adapter decodes them, while the answers
 * are copied to the tape; every other caller of that window waits for the tape and reads it back
 * through the adapter, with no provider request. Reading a tape costs what decoding the download
 * cost; writing one costs a copy of bytes.
 *
 * On disk, per entry, named by sha256(key) (keys are long and opaque; the caller hashes any account in them):
 *   `<sha256>.tape`       the answers' bodies, one after another;
 *   `<sha256>.meta.json`  {"format", "key", "fileBytes", "sha256", "exchanges"}: the sha256 of the tape,
 *                         and per answer its request's hash, status, content type and encoding, and pieces.
 * Everything in flight is `tmp-*` and deleted on open, as are a tape without its meta (a crash between
 * renames) and the record spools of the previous format (`.ndjson.gz`). One process owns the directory.
 */

import { createHash, randomUUID } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { badInput, CdnLogError } from '../core/errors';
import type { CdnLogRecord } from '../core/record';
import type { Http } from '../transport/http';
import { type TapeExchange, TapePlayer, TapeRecorder } from './tape';

export interface WindowCacheOptions {
  /** Created if missing. */
  dir: string;
  /** Bound on the bytes of kept entries on disk (tape and meta files); least recently used entries go past it. */
  maxBytes: number;
  /** The file operations used; node:fs/promises unless a test passes a disk that fails. */
  fs?: WindowCacheFs;
}

export type WindowSourceKind = 'cache' | 'download' | 'shared';

export interface WindowRead {
  records: AsyncIterable<CdnLogRecord[]>;
  /** Known once records has started: where the records came from (disk hit, this caller's download, or another caller's download it waited for). */
  source(): WindowSourceKind;
}

export interface WindowReadOptions {
  /** The window can no longer change: keep it on disk once downloaded. */
  keep: boolean;
  /** The query's HTTP client: what the download uses, and what a replay sends the requests its tape cannot answer to. */
  http: Http;
  signal?: AbortSignal;
}

/** Reads the window through `http` (the real client, a recorder or a player); the same function for each. */
export type WindowFetch = (http: Http, signal: AbortSignal) => AsyncIterable<CdnLogRecord[]>;

export interface WindowCacheStats {
  entries: number;
  bytes: number;
  /** Reads served from a kept entry. */
  hits: number;
  /** Reads that started a download. */
  misses: number;
  /** Reads that waited for another caller's download and read its tape. */
  shared: number;
  /** Requests that a replay sent to the provider because its tape did not hold them. */
  replayMisses: number;
  evictions: number;
  /** Entries found corrupt or unreadable (on open or on read) and deleted. */
  corruptDropped: number;
  /** Windows downloaded with keep that were larger than maxBytes on their own: served, not kept. */
  tooLarge: number;
  /** Disk errors (full, permissions, vanished directory) while taping or keeping a window: served, not kept. */
  diskErrors: number;
}

/** The file operations the cache needs: a seam for tests of a disk that fills up or refuses writes. */
export interface WindowCacheFs {
  mkdir(dir: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  /** 'r' to read, 'wx+' for a new tape (read back while written), 'wx' for a new meta file. */
  open(file: string, flags: 'r' | 'wx' | 'wx+'): Promise<WindowCacheFile>;
  readText(file: string): Promise<string>;
  stat(file: string): Promise<{ size: number; mtimeMs: number }>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  touch(file: string, time: Date): Promise<void>;
}

/** An open file: positional reads and writes only, so that many readers can share one descriptor. */
export interface WindowCacheFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

export const nodeWindowCacheFs: WindowCacheFs = {
  mkdir: async (dir) => {
    await fsp.mkdir(dir, { recursive: true });
  },
  readdir: (dir) => fsp.readdir(dir),
  open: (file, flags) => fsp.open(file, flags),
  readText: (file) => fsp.readFile(file, 'utf8'),
  stat: (file) => fsp.stat(file),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (file) => fsp.unlink(file),
  touch: (file, time) => fsp.utimes(file, time, time),
};

const FORMAT = 'cdn-log-bridge/window-tape/1';
const DATA_SUFFIX = '.tape';
const META_SUFFIX = '.meta.json';
/** The record spools of the first format: deleted on open. */
const OLD_DATA_SUFFIX = '.ndjson.gz';
const TMP_PREFIX = 'tmp-';
/** Holds the pid of the process that owns the directory. */
const LOCK_FILE = 'lock';
const ENTRY_FILE = /^([0-9a-f]{64})(\.tape|\.meta\.json|\.ndjson\.gz)$/;
const HASH_CHUNK_BYTES = 1024 * 1024;

interface EntryMeta {
  format: string;
  key: string;
  fileBytes: number;
  sha256: string;
  exchanges: TapeExchange[];
}

/** A kept window: its meta as on disk (compared byte for byte on each read) and its size on disk. */
interface Entry {
  name: string;
  meta: EntryMeta;
  metaText: string;
  bytes: number;
}

/** A finished tape: the answers of one complete download. */
interface Tape {
  exchanges: TapeExchange[];
  bytes: number;
  sha256: string;
}

export class WindowCache {
  /** Kept entries by file name, least recently used first (a Map iterates in insertion order). */
  private readonly entries = new Map<string, Entry>();
  /** Downloads a new caller may wait for, by key. */
  private readonly joinable = new Map<string, Download>();
  /** Downloads not yet settled (close() aborts and waits for them). */
  private readonly running = new Set<Download>();
  /** Deletions of dropped or evicted entries in progress, by name: a new entry of that name waits for them. */
  private readonly deleting = new Map<string, Promise<void>>();
  /** Keeps, unlinks, touches and releases nobody waits for; close() does. */
  private readonly background = new Set<Promise<unknown>>();
  /** Aborted by close(): every download's fetch listens to it. */
  private readonly closing = new AbortController();
  private totalBytes = 0;
  /** The last use time handed out: strictly increasing, so that LRU order survives a restart even within one millisecond. */
  private lastUseMs = 0;
  private unlocked = false;
  private readonly counts = { hits: 0, misses: 0, shared: 0, replayMisses: 0, evictions: 0, corruptDropped: 0, tooLarge: 0, diskErrors: 0 };

  private constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly fs: WindowCacheFs,
  ) {}

  /** Opens (creating) the directory, keeps the valid entries it holds and deletes leftovers. */
  static async open(options: WindowCacheOptions): Promise<WindowCache> {
    if (typeof options.dir !== 'string' || options.dir === '') throw badInput('dir', 'the window cache needs a directory');
    if (typeof options.maxBytes !== 'number' || !(options.maxBytes >= 0) || !Number.isFinite(options.maxBytes)) {
      throw badInput('maxBytes', `must be a number of bytes >= 0 (e.g. 10737418240 for 10 GiB), got ${String(options.maxBytes)}`);
    }
    const cache = new WindowCache(path.resolve(options.dir), options.maxBytes, options.fs ?? nodeWindowCacheFs);
    await cache.fs.mkdir(cache.dir);
    await cache.lock();
    await cache.scan();
    return cache;
  }

  /**
   * One process owns the directory: a second bridge on it would delete the first one's tapes in
   * flight as leftovers. The lock file holds the owner's pid; a lock whose process is gone is taken over.
   */
  private async lock(): Promise<void> {
    const file = path.join(this.dir, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeDurably(this.fs, file, `${process.pid}\n`);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== 'EEXIST') throw err;
      }
      const owner = Number.parseInt(await this.fs.readText(file).catch(() => ''), 10);
      if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && processIsAlive(owner)) {
        throw badInput('cacheDir', `the cache directory ${this.dir} is in use by process ${owner}; give each bridge its own cache directory (--cache-dir)`);
      }
      await this.fs.unlink(file).catch(ignore);
    }
    throw badInput('cacheDir', `the cache directory ${this.dir} could not be locked for this process; give each bridge its own cache directory (--cache-dir)`);
  }

  /**
   * The records of window `key`: read back from a kept entry (verified first), else from the tape of
   * a running download of the same key once it is complete, else from a new call of `fetch`.
   * Nothing happens until `records` is iterated.
   */
  read(key: string, fetch: WindowFetch, options: WindowReadOptions): WindowRead {
    let source: WindowSourceKind | undefined;
    const records = this.records(key, fetch, options, (kind) => {
      source = kind;
    });
    return {
      records,
      source: () => {
        if (source === undefined) {
          throw new CdnLogError('BadInput', 'source: the window source is known once its records have started; read them first', {
            field: 'source',
          });
        }
        return source;
      },
    };
  }

  stats(): WindowCacheStats {
    return { entries: this.entries.size, bytes: this.totalBytes, ...this.counts };
  }

  /** Aborts the downloads still running (their callers get a Transient error) and waits for disk work to end. */
  async close(): Promise<void> {
    this.closing.abort(new CdnLogError('Transient', 'the window cache was closed while this window was downloading; retry the query'));
    await Promise.all([...this.running].map((download) => download.settled));
    while (this.background.size > 0) await Promise.all([...this.background]);
    if (!this.unlocked) {
      this.unlocked = true;
      await this.fs.unlink(path.join(this.dir, LOCK_FILE)).catch(ignore);
    }
  }

  private async *records(
    key: string,
    fetch: WindowFetch,
    options: WindowReadOptions,
    setSource: (kind: WindowSourceKind) => void,
  ): AsyncGenerator<CdnLogRecord[]> {
    const signal = options.signal ?? new AbortController().signal;
    for (;;) {
      signal.throwIfAborted();
      if (this.closing.signal.aborted) throw new CdnLogError('Transient', 'the window cache is closed; open it again to read windows');
      const entry = this.entries.get(entryName(key));
      if (entry !== undefined && entry.meta.key === key) {
        const file = await this.openVerified(entry);
        // Corrupt, and now deleted: look again (someone may be downloading it already).
        if (file === undefined) continue;
        setSource('cache');
        this.counts.hits++;
        this.touch(entry);
        try {
          yield* this.replay(fetch, options.http, file, entry.meta.exchanges, signal, entry);
        } finally {
          await file.close().catch(ignore);
        }
        return;
      }
      const running = this.joinable.get(key);
      if (running === undefined) {
        setSource('download');
        this.counts.misses++;
        yield* this.download(key, fetch, options, signal);
        return;
      }
      running.keep ||= options.keep;
      running.holders++;
      try {
        const tape = await untilAborted(running.tape, signal);
        if (tape === null) {
          // A download that failed fails its waiters the same way; one that was stopped (its caller
          // went away) or could not be taped leaves them to read the window themselves.
          if (running.error !== undefined) throw running.error;
          continue;
        }
        setSource('shared');
        this.counts.shared++;
        yield* this.replay(fetch, options.http, running.file!, tape.exchanges, signal);
        return;
      } finally {
        running.holders--;
        this.releaseIfDone(running);
      }
    }
  }

  /** The window read back through the adapter from a tape; requests it does not hold go to `http`. */
  private async *replay(
    fetch: WindowFetch,
    http: Http,
    file: WindowCacheFile,
    exchanges: readonly TapeExchange[],
    signal: AbortSignal,
    entry?: Entry,
  ): AsyncGenerator<CdnLogRecord[]> {
    const player = new TapePlayer(http, file, exchanges);
    try {
      yield* fetch(player, signal);
    } catch (err) {
      if (signal.aborted || err instanceof CdnLogError) throw err;
      // The sha256 matched, so only a disk failing under us gets here.
      if (entry !== undefined) this.dropCorrupt(entry);
      throw new CdnLogError('Transient', 'a cached window could not be read back to its end; retry the query', { cause: err });
    } finally {
      this.counts.replayMisses += player.misses;
    }
  }

  /** This caller's download: its records as they decode, the answers taped behind them for the others. */
  private async *download(key: string, fetch: WindowFetch, options: WindowReadOptions, signal: AbortSignal): AsyncGenerator<CdnLogRecord[]> {
    const download = new Download(key, options.keep);
    this.joinable.set(key, download);
    this.running.add(download);
    let recorder: TapeRecorder | undefined;
    try {
      const tmp = this.tmpPath('tape');
      download.file = await this.fs.open(tmp, 'wx+');
      download.tmpPath = tmp;
      recorder = new TapeRecorder(options.http, download.file);
    } catch {
      this.counts.diskErrors++;
    }
    let outcome: 'done' | 'failed' | 'stopped' = 'stopped';
    let error: unknown;
    try {
      for await (const batch of fetch(recorder ?? options.http, AbortSignal.any([signal, this.closing.signal]))) yield batch;
      outcome = 'done';
    } catch (err) {
      if (!signal.aborted) {
        outcome = 'failed';
        error = this.closing.signal.aborted ? this.closing.signal.reason : err;
      }
      throw err;
    } finally {
      // The answer does not wait for the disk: the tape is finished and kept in the background.
      this.inBackground(this.settle(download, outcome === 'done' ? recorder : undefined, error));
    }
  }

  /** Ends a download: hands its tape (or its failure) to the waiting callers, then keeps it if asked. */
  private async settle(download: Download, recorder: TapeRecorder | undefined, error: unknown): Promise<void> {
    try {
      const finished = recorder === undefined ? null : await recorder.finish();
      if (recorder !== undefined && finished === null) this.counts.diskErrors++;
      if (finished === null) {
        this.unjoinable(download);
        download.end(null, error);
        return;
      }
      const tape: Tape = { exchanges: recorder!.exchanges, ...finished };
      download.end(tape, undefined);
      if (download.keep) await this.keep(download, tape);
      this.unjoinable(download);
    } finally {
      this.running.delete(download);
      download.done = true;
      download.markSettled();
      this.releaseIfDone(download);
    }
  }

  /** The entry's file, open and checked against its meta (size, sha256); undefined when it was corrupt and is now gone. */
  private async openVerified(entry: Entry): Promise<WindowCacheFile | undefined> {
    let file: WindowCacheFile | undefined;
    try {
      const metaText = await this.fs.readText(this.metaPath(entry.name));
      if (metaText !== entry.metaText) throw new Error('meta changed');
      file = await this.fs.open(this.dataPath(entry.name), 'r');
      const { size } = await file.stat();
      if (size !== entry.meta.fileBytes) throw new Error('size differs from the meta');
      if ((await sha256Of(file, size)) !== entry.meta.sha256) throw new Error('sha256 differs from the meta');
      return file;
    } catch {
      await file?.close().catch(ignore);
      this.dropCorrupt(entry);
      return undefined;
    }
  }

  /** Makes the finished tape an entry: fsync, meta written and fsynced, renames (meta last), directory fsync. */
  private async keep(download: Download, tape: Tape): Promise<void> {
    const name = entryName(download.key);
    const meta: EntryMeta = { format: FORMAT, key: download.key, fileBytes: tape.bytes, sha256: tape.sha256, exchanges: tape.exchanges };
    const metaText = JSON.stringify(meta);
    const bytes = meta.fileBytes + Buffer.byteLength(metaText);
    if (bytes > this.maxBytes) {
      this.counts.tooLarge++;
      return;
    }
    const metaTmp = this.tmpPath('meta');
    let dataRenamed = false;
    try {
      await download.file!.sync();
      await writeDurably(this.fs, metaTmp, metaText);
      await this.fs.touch(metaTmp, this.nextUse());
      const replaced = this.entries.get(name);
      if (replaced !== undefined) {
        // Its files are overwritten by the renames; its readers keep their descriptors.
        this.entries.delete(name);
        this.totalBytes -= replaced.bytes;
      }
      // An entry of the same name dropped a moment ago may still be being deleted.
      await this.deleting.get(name);
      await this.fs.rename(download.tmpPath!, this.dataPath(name));
      download.tmpPath = undefined;
      dataRenamed = true;
      await this.fs.rename(metaTmp, this.metaPath(name));
    } catch {
      this.counts.diskErrors++;
      this.unlinkLater(metaTmp);
      // A tape without its meta would be an orphan; its readers keep their descriptor.
      if (dataRenamed) this.unlinkLater(this.dataPath(name));
      return;
    }
    await this.syncDir();
    this.entries.set(name, { name, meta, metaText, bytes });
    this.totalBytes += bytes;
    this.evictPastBound();
  }

  private evictPastBound(): void {
    for (const entry of this.entries.values()) {
      if (this.totalBytes <= this.maxBytes) break;
      this.forget(entry);
      this.counts.evictions++;
    }
  }

  private dropCorrupt(entry: Entry): void {
    if (this.entries.get(entry.name) !== entry) return; // another caller dropped it already
    this.forget(entry);
    this.counts.corruptDropped++;
  }

  /** Removes an entry from the index and from disk; open readers keep their descriptors. */
  private forget(entry: Entry): void {
    this.entries.delete(entry.name);
    this.totalBytes -= entry.bytes;
    // Meta first: a tape without its meta is an orphan that the next open deletes.
    const deletion = (async () => {
      await this.fs.unlink(this.metaPath(entry.name)).catch(ignore);
      await this.fs.unlink(this.dataPath(entry.name)).catch(ignore);
    })();
    this.deleting.set(entry.name, deletion);
    this.inBackground(deletion.finally(() => this.deleting.get(entry.name) === deletion && this.deleting.delete(entry.name)));
  }

  /** A hit makes the entry the most recently used; the meta's mtime carries that order across restarts. */
  private touch(entry: Entry): void {
    this.entries.delete(entry.name);
    this.entries.set(entry.name, entry);
    this.inBackground(this.fs.touch(this.metaPath(entry.name), this.nextUse()));
  }

  private nextUse(): Date {
    this.lastUseMs = Math.max(Date.now(), this.lastUseMs + 1);
    return new Date(this.lastUseMs);
  }

  private unjoinable(download: Download): void {
    if (this.joinable.get(download.key) === download) this.joinable.delete(download.key);
  }

  /** Once settled and no caller reads its tape: close the file, and delete it unless it became an entry. */
  private releaseIfDone(download: Download): void {
    if (!download.done || download.holders > 0 || download.released) return;
    download.released = true;
    const { file, tmpPath } = download;
    download.file = undefined;
    download.tmpPath = undefined;
    this.inBackground(
      (async () => {
        await file?.close().catch(ignore);
        if (tmpPath !== undefined) await this.fs.unlink(tmpPath).catch(ignore);
      })(),
    );
  }

  private async scan(): Promise<void> {
    const names = await this.fs.readdir(this.dir);
    const found: Array<{ entry: Entry; usedMs: number }> = [];
    const kept = new Set<string>();
    for (const name of names) {
      const match = ENTRY_FILE.exec(name);
      if (match === null || match[2] !== META_SUFFIX) continue;
      const loaded = await this.load(match[1]);
      if (loaded === undefined) {
        this.counts.corruptDropped++;
        await this.fs.unlink(path.join(this.dir, name)).catch(ignore);
        continue;
      }
      found.push(loaded);
      kept.add(match[1]);
    }
    for (const name of names) {
      const match = ENTRY_FILE.exec(name);
      const orphan = match !== null && (match[2] === OLD_DATA_SUFFIX || (match[2] === DATA_SUFFIX && !kept.has(match[1])));
      if (orphan || name.startsWith(TMP_PREFIX)) await this.fs.unlink(path.join(this.dir, name)).catch(ignore);
    }
    found.sort((a, b) => a.usedMs - b.usedMs);
    for (const { entry, usedMs } of found) {
      this.entries.set(entry.name, entry);
      this.totalBytes += entry.bytes;
      this.lastUseMs = Math.max(this.lastUseMs, usedMs);
    }
    this.evictPastBound();
  }

  /** An entry as found on open: a meta that parses, names its own file and matches the tape's size (sha256 is checked on read). */
  private async load(name: string): Promise<{ entry: Entry; usedMs: number } | undefined> {
    try {
      const metaText = await this.fs.readText(this.metaPath(name));
      const meta = parseMeta(metaText);
      if (meta === undefined || entryName(meta.key) !== name) return undefined;
      const data = await this.fs.stat(this.dataPath(name));
      if (data.size !== meta.fileBytes) return undefined;
      const { mtimeMs } = await this.fs.stat(this.metaPath(name));
      return { entry: { name, meta, metaText, bytes: data.size + Buffer.byteLength(metaText) }, usedMs: mtimeMs };
    } catch {
      return undefined;
    }
  }

  private async syncDir(): Promise<void> {
    // Makes the renames durable; a file system that cannot fsync a directory still has the data.
    try {
      const dir = await this.fs.open(this.dir, 'r');
      await dir.sync().finally(() => dir.close());
    } catch {
      // nothing to do: the entry is complete either way
    }
  }

  private unlinkLater(file: string): void {
    this.inBackground(this.fs.unlink(file));
  }

  private inBackground(work: Promise<unknown>): void {
    const settled = work.catch(ignore);
    this.background.add(settled);
    void settled.finally(() => this.background.delete(settled));
  }

  private dataPath(name: string): string {
    return path.join(this.dir, name + DATA_SUFFIX);
  }

  private metaPath(name: string): string {
    return path.join(this.dir, name + META_SUFFIX);
  }

  private tmpPath(kind: 'tape' | 'meta'): string {
    return path.join(this.dir, `${TMP_PREFIX}${randomUUID()}.${kind}`);
  }
}

/** One download of a window, and the callers waiting for its tape. */
class Download {
  /** The tape file: written by the recorder, read by every waiting caller, open until the last of them is done. */
  file: WindowCacheFile | undefined;
  /** Its name while it is a tmp file (undefined once renamed into an entry). */
  tmpPath: string | undefined;
  /** Callers waiting for the tape or reading it. */
  holders = 0;
  /** Settled: the tape is kept or not, and nothing more will be written. */
  done = false;
  released = false;
  /** Why the download failed, for its waiters; undefined when it was stopped by its caller instead. */
  error: unknown;
  /** The complete tape, or null when there is none (failed, stopped, disk error). */
  readonly tape: Promise<Tape | null>;
  /** Resolves once the download has settled. */
  readonly settled: Promise<void>;
  private resolveTape: (tape: Tape | null) => void = ignore;
  private resolveSettled: () => void = ignore;

  constructor(
    readonly key: string,
    /** Kept when any caller asks to keep it. */
    public keep: boolean,
  ) {
    this.tape = new Promise((resolve) => (this.resolveTape = resolve));
    this.settled = new Promise((resolve) => (this.resolveSettled = resolve));
  }

  end(tape: Tape | null, error: unknown): void {
    this.error = error;
    this.resolveTape(tape);
  }

  markSettled(): void {
    this.resolveSettled();
  }
}

function parseMeta(text: string): EntryMeta | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const meta = value as Partial<EntryMeta>;
  const count = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (meta.format !== FORMAT || typeof meta.key !== 'string' || !count(meta.fileBytes)) return undefined;
  if (typeof meta.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(meta.sha256)) return undefined;
  if (!Array.isArray(meta.exchanges)) return undefined;
  const fileBytes = meta.fileBytes;
  const exchanges: TapeExchange[] = [];
  for (const raw of meta.exchanges as unknown[]) {
    const exchange = parseExchange(raw, fileBytes, count);
    if (exchange === undefined) return undefined;
    exchanges.push(exchange);
  }
  return { format: meta.format, key: meta.key, fileBytes, sha256: meta.sha256, exchanges };
}

/** One exchange of a meta, checked whole: pieces inside the tape, lengths that add up. */
function parseExchange(raw: unknown, fileBytes: number, count: (n: unknown) => n is number): TapeExchange | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const e = raw as Partial<TapeExchange>;
  if (typeof e.request !== 'string' || !/^[0-9a-f]{64}$/.test(e.request) || !count(e.status) || !count(e.bytes)) return undefined;
  if (e.headers === null || typeof e.headers !== 'object' || !Array.isArray(e.pieces)) return undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(e.headers)) {
    if (typeof value !== 'string') return undefined;
    headers[name] = value;
  }
  let total = 0;
  const pieces: Array<[number, number]> = [];
  for (const piece of e.pieces as unknown[]) {
    if (!Array.isArray(piece) || piece.length !== 2 || !count(piece[0]) || !count(piece[1]) || piece[0] + piece[1] > fileBytes) return undefined;
    pieces.push([piece[0], piece[1]]);
    total += piece[1];
  }
  if (total !== e.bytes) return undefined;
  return { request: e.request, status: e.status, headers, pieces, bytes: e.bytes };
}

async function writeDurably(fs: WindowCacheFs, file: string, text: string): Promise<void> {
  const handle = await fs.open(file, 'wx');
  try {
    const data = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await handle.write(data, written, data.length - written, written);
      if (bytesWritten === 0) throw new Error('the disk accepted no bytes');
      written += bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function sha256Of(file: WindowCacheFile, size: number): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(Math.min(HASH_CHUNK_BYTES, Math.max(size, 1)));
  for (let position = 0; position < size; ) {
    const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, size - position), position);
    if (bytesRead === 0) throw new Error('the file is shorter than it was');
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return hash.digest('hex');
}

function entryName(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The promise, or the signal's reason as soon as it aborts (the promise's own outcome is then ignored). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** True when a process of that pid exists (signal 0 checks without sending anything; EPERM: it exists, not ours). */
function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

function ignore(): void {}
