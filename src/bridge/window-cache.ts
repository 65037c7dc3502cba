/**
 * The bridge's window store: what makes "windows downloaded once" true (architecture.md › Bridge API).
 *
 * A window's records come from a slow, rate-limited, costly provider fetch. This store sits in front of
 * it: one fetch per window while it runs, however many queries ask (a dashboard of eight panels asks
 * for the same hour eight times); the records are spooled to disk as they arrive, and every caller reads
 * them back from the spool while the download goes on; a window that can no longer change (`keep`)
 * becomes an entry on disk, bounded by `maxBytes` with least-recently-used eviction.
 *
 * On disk, per entry, named by sha256(key) (keys are long and opaque; the caller hashes any account in them):
 *   `<sha256>.ndjson.gz`  gzip of NDJSON, one record per line, sync-flushed after each fetched batch;
 *   `<sha256>.meta.json`  {"format", "key", "records", "fileBytes", "sha256"}: the sha256 of the .gz file.
 * Everything in flight is `tmp-*` and deleted on open, as is a .gz without its meta (a crash between renames).
 * One process owns the directory.
 */

import { createHash, randomUUID } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { constants as zlibConstants, createGunzip, createGzip, type Gunzip, type Gzip } from 'node:zlib';
import { badInput, CdnLogError } from '../core/errors';
import type { CdnLogRecord } from '../core/record';

export interface WindowCacheOptions {
  /** Created if missing. */
  dir: string;
  /** Bound on the bytes of kept entries on disk (data and meta files); least recently used entries go past it. */
  maxBytes: number;
  /** The file operations used; node:fs/promises unless a test passes a disk that fails. */
  fs?: WindowCacheFs;
  /** Records gathered before one append to a spool (default SPOOL_BATCH_RECORDS); 1 appends each batch as it comes. */
  spoolBatchRecords?: number;
}

export type WindowSourceKind = 'cache' | 'download' | 'shared';

export interface WindowRead {
  records: AsyncIterable<CdnLogRecord[]>;
  /** Known once records has started: where the records came from (disk hit, this caller's download, or another caller's download it joined). */
  source(): WindowSourceKind;
}

export interface WindowReadOptions {
  /** The window can no longer change: keep it on disk once downloaded. */
  keep: boolean;
  signal?: AbortSignal;
  /**
   * True (default): the records end once the window is kept, so that a read that follows finds the
   * entry. False: they end as soon as the last record is handed over, while the spool may still be
   * written (a later read then joins the download or finds the entry): an answer never waits on the disk.
   */
  waitForKeep?: boolean;
}

export type WindowFetch = (signal: AbortSignal) => AsyncIterable<CdnLogRecord[]>;

export interface WindowCacheStats {
  entries: number;
  bytes: number;
  /** Reads served from a kept entry. */
  hits: number;
  /** Reads that started a download. */
  misses: number;
  /** Reads that joined another caller's running download. */
  shared: number;
  evictions: number;
  /** Entries found corrupt or unreadable (on open or on read) and deleted. */
  corruptDropped: number;
  /** Windows downloaded with keep that were larger than maxBytes on their own: served, not kept. */
  tooLarge: number;
  /** Disk errors (full, permissions, vanished directory) while spooling or keeping a window: served, not kept. */
  diskErrors: number;
}

/** The file operations the cache needs: a seam for tests of a disk that fills up or refuses writes. */
export interface WindowCacheFs {
  mkdir(dir: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  /** 'r' to read, 'wx+' for a new spool (read back while written), 'wx' for a new meta file. */
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

const FORMAT = 'cdn-log-bridge/window-cache/1';
const DATA_SUFFIX = '.ndjson.gz';
const META_SUFFIX = '.meta.json';
const TMP_PREFIX = 'tmp-';
const ENTRY_FILE = /^([0-9a-f]{64})(\.ndjson\.gz|\.meta\.json)$/;
/** Records per batch read back from disk. */
const BATCH_RECORDS = 1000;
/**
 * Records gathered before one append to a spool (one sync-flushed gzip step and one write): providers
 * hand over a 64 KiB chunk's worth at a time. A fetch that waits on the network commits what it has.
 */
const SPOOL_BATCH_RECORDS = 2000;
/** Compressed bytes per read of a spool or entry: decoded, that is a few hundred records. */
const READ_CHUNK_BYTES = 64 * 1024;
const HASH_CHUNK_BYTES = 1024 * 1024;
/**
 * Measured on 140 MB of NDJSON (200k normalised records): level 4 deflates in 0.7 s to 13.2 MB, the
 * default 6 in 0.9 s to 11.9 MB, level 1 in 0.5 s to 14.3 MB. The spool is written while a cold query
 * waits (bench/bridge.bench.ts: level 1 took the cold stats query from 3.1-3.4x to 2.6-3.2x a plain
 * read), and 8 % more disk is the cheaper side of that trade.
 */
const GZIP_LEVEL = 1;
/** Fetched batches waiting to be written to the spool before the fetch waits for the disk. */
const MAX_SPOOL_BACKLOG = 256;
/** Only when the disk fails: batches held in memory per caller before the download waits for the slowest. */
const MAX_QUEUED_BATCHES = 8;

interface EntryMeta {
  format: string;
  key: string;
  records: number;
  fileBytes: number;
  sha256: string;
}

/** A kept window: its meta as on disk (compared byte for byte on each read) and its size on disk. */
interface Entry {
  name: string;
  meta: EntryMeta;
  metaText: string;
  bytes: number;
}

export class WindowCache {
  /** Kept entries by file name, least recently used first (a Map iterates in insertion order). */
  private readonly entries = new Map<string, Entry>();
  /** Downloads a new caller may join, by key. */
  private readonly joinable = new Map<string, Download>();
  /** Downloads whose run has not settled (close() waits for them). */
  private readonly running = new Set<Download>();
  /** Deletions of dropped or evicted entries in progress, by name: a new entry of that name waits for them. */
  private readonly deleting = new Map<string, Promise<void>>();
  /** Unlinks, touches and releases nobody waits for; close() does. */
  private readonly background = new Set<Promise<unknown>>();
  private totalBytes = 0;
  /** The last use time handed out: strictly increasing, so that LRU order survives a restart even within one millisecond. */
  private lastUseMs = 0;
  private readonly counts = { hits: 0, misses: 0, shared: 0, evictions: 0, corruptDropped: 0, tooLarge: 0, diskErrors: 0 };
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly fs: WindowCacheFs,
    private readonly spoolBatchRecords: number,
  ) {}

  /** Opens (creating) the directory, keeps the valid entries it holds and deletes leftovers. */
  static async open(options: WindowCacheOptions): Promise<WindowCache> {
    if (typeof options.dir !== 'string' || options.dir === '') throw badInput('dir', 'the window cache needs a directory');
    if (typeof options.maxBytes !== 'number' || !(options.maxBytes >= 0) || !Number.isFinite(options.maxBytes)) {
      throw badInput('maxBytes', `must be a number of bytes >= 0 (e.g. 10737418240 for 10 GiB), got ${String(options.maxBytes)}`);
    }
    const cache = new WindowCache(path.resolve(options.dir), options.maxBytes, options.fs ?? nodeWindowCacheFs, options.spoolBatchRecords ?? SPOOL_BATCH_RECORDS);
    await cache.fs.mkdir(cache.dir);
    await cache.scan();
    return cache;
  }

  /**
   * The records of window `key`: from a kept entry (verified first), else from a running download of
   * the same key (joined), else from one new call of `fetch`. Nothing happens until `records` is iterated.
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
    this.closed = true;
    const reason = new CdnLogError('Transient', 'the window cache was closed while this window was downloading; retry the query');
    for (const download of this.running) download.abort(reason);
    await Promise.all([...this.running].map((download) => download.finished));
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  private async *records(
    key: string,
    fetch: WindowFetch,
    options: WindowReadOptions,
    setSource: (kind: WindowSourceKind) => void,
  ): AsyncGenerator<CdnLogRecord[]> {
    const signal = options.signal;
    signal?.throwIfAborted();
    if (this.closed) throw new CdnLogError('Transient', 'the window cache is closed; open it again to read windows');
    const entry = this.entries.get(entryName(key));
    if (entry !== undefined && entry.meta.key === key) {
      const file = await this.openVerified(entry);
      if (file !== undefined) {
        try {
          signal?.throwIfAborted();
          setSource('cache');
          this.counts.hits++;
          this.touch(entry);
          yield* this.readEntry(entry, file, signal);
        } finally {
          await file.close().catch(ignore);
        }
        return;
      }
      signal?.throwIfAborted();
      if (this.closed) throw new CdnLogError('Transient', 'the window cache is closed; open it again to read windows');
    }
    let download = this.joinable.get(key);
    if (download === undefined) {
      download = this.startDownload(key, fetch);
      setSource('download');
      this.counts.misses++;
    } else {
      setSource('shared');
      this.counts.shared++;
    }
    const share = download.join(options.keep, signal, options.waitForKeep ?? true);
    try {
      yield* readDownload(download, share, signal);
    } finally {
      await share.leave();
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

  private async *readEntry(entry: Entry, file: WindowCacheFile, signal: AbortSignal | undefined): AsyncGenerator<CdnLogRecord[]> {
    const view: SpoolView = {
      file,
      bytes: entry.meta.fileBytes,
      records: entry.meta.records,
      closed: true,
      complete: true,
      check: () => undefined,
      changed: () => Promise.resolve(),
    };
    try {
      yield* readSpool(view, signal);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      // The sha256 matched, so only a disk failing under us gets here.
      this.dropCorrupt(entry);
      throw new CdnLogError('Transient', 'a cached window could not be read back to its end and was deleted; retry the query', {
        cause: err,
      });
    }
  }

  private startDownload(key: string, fetch: WindowFetch): Download {
    const download: Download = new Download(
      key,
      () => this.unjoinable(download),
      () => this.release(download),
    );
    this.joinable.set(key, download);
    this.running.add(download);
    download.finished = this.runDownload(download, fetch).finally(() => {
      this.running.delete(download);
      this.unjoinable(download);
      download.settled = true;
      download.changed.fire();
      void download.releaseIfDone();
    });
    return download;
  }

  /** Fetches into the spool (or, when the disk fails, into the callers' queues), then keeps the spool if asked. */
  private async runDownload(download: Download, fetch: WindowFetch): Promise<void> {
    const signal = download.controller.signal;
    let writer: SpoolWriter | undefined;
    try {
      writer = await this.createSpool(download);
      const iterator = fetch(signal)[Symbol.asyncIterator]();
      // Each fetched batch goes at once to the callers that have caught up; the spool is written behind
      // the fetch by its own task (gzip works off the main thread). At most MAX_SPOOL_BACKLOG batches
      // wait to be written: memory stays bounded.
      const backlog: Array<{ batch: CdnLogRecord[]; handedOver: boolean }> = [];
      const backlogChanged = new Pulse();
      let fetchEnded = false;
      const writing = this.writeBehind(download, writer, backlog, backlogChanged, () => fetchEnded);
      try {
        for (;;) {
          const step = await untilAborted(iterator.next(), signal);
          if (step.done) break;
          const batch = step.value;
          if (batch.length === 0) continue;
          let handedOver = false;
          if (writer !== undefined && !download.spoolFailed) {
            await roomForLiveBatch(download);
            for (const share of download.shares) share.live?.push(batch);
            download.handedOverRecords += batch.length;
            handedOver = true;
            download.changed.fire();
          }
          backlog.push({ batch, handedOver });
          backlogChanged.fire();
          // Without a spool the callers' queues pace the fetch (broadcast waits for the slowest).
          const most = writer === undefined || download.spoolFailed ? 1 : MAX_SPOOL_BACKLOG;
          while (backlog.length >= most) await untilAborted(backlogChanged.next(), signal);
        }
      } catch (err) {
        // Aborted, or failed on our side: the fetch may be stuck where it cannot see its signal; let it end in the background.
        void Promise.resolve(iterator.return?.()).catch(ignore);
        fetchEnded = true;
        backlogChanged.fire();
        await writing.catch(ignore);
        throw err;
      }
      fetchEnded = true;
      download.fetchDone = true;
      backlogChanged.fire();
      download.changed.fire();
      await writing;
      if (writer !== undefined && !download.spoolFailed) {
        try {
          await writer.finish();
          download.spoolBytes = writer.bytes;
        } catch {
          this.spoolFailed(download, writer);
        }
      }
      download.spoolClosed = true;
      download.state = 'fetched';
      download.changed.fire();
      if (download.keep && writer !== undefined && !download.spoolFailed) await this.keep(download, writer.sha256());
    } catch (err) {
      writer?.destroy();
      download.state = 'failed';
      download.error = err;
      download.spoolClosed = true;
      download.changed.fire();
    }
  }

  /**
   * Writes the backlog of fetched batches to the spool, gathered to spoolBatchRecords, until the fetch
   * has ended and the backlog is empty. When the disk fails (or there is no spool), the batches go to
   * the callers from memory instead: to all, or to those that did not have them handed over.
   */
  private async writeBehind(
    download: Download,
    writer: SpoolWriter | undefined,
    backlog: Array<{ batch: CdnLogRecord[]; handedOver: boolean }>,
    backlogChanged: Pulse,
    fetchEnded: () => boolean,
  ): Promise<void> {
    const signal = download.controller.signal;
    for (;;) {
      if (backlog.length === 0) {
        if (fetchEnded()) return;
        await untilAborted(backlogChanged.next(), signal);
        continue;
      }
      const handedOver = backlog[0].handedOver;
      let text = '';
      let count = 0;
      // A gathering holds batches of one kind (handed over or not), for the memory fallback below; and
      // while the fetch waits on the network, what is there is written rather than held back.
      while (backlog.length > 0 && backlog[0].handedOver === handedOver && count < this.spoolBatchRecords) {
        const { batch } = backlog.shift()!;
        text += ndjson(batch);
        count += batch.length;
      }
      backlogChanged.fire();
      if (writer !== undefined && !download.spoolFailed) {
        try {
          await writer.append(text);
          download.spoolBytes = writer.bytes;
          download.spoolRecords += count;
          download.changed.fire();
          continue;
        } catch {
          this.spoolFailed(download, writer);
        }
      }
      await broadcast(download, text, handedOver ? (share) => share.live === null : undefined);
    }
  }

  /** A new spool file shared by the download (writes) and its callers (reads); undefined when the disk refuses it. */
  private async createSpool(download: Download): Promise<SpoolWriter | undefined> {
    const spoolPath = this.tmpPath('spool');
    try {
      download.spool = await this.fs.open(spoolPath, 'wx+');
      download.spoolPath = spoolPath;
      download.changed.fire();
      return new SpoolWriter(download.spool);
    } catch {
      this.spoolFailed(download, undefined);
      return undefined;
    }
  }

  /** The disk failed: what is in the spool stays readable, the rest goes to the callers from memory, nothing is kept. */
  private spoolFailed(download: Download, writer: SpoolWriter | undefined): void {
    writer?.destroy();
    download.spoolFailed = true;
    download.spoolClosed = true;
    this.counts.diskErrors++;
    // A caller joining now would miss the batches already handed out from memory.
    this.unjoinable(download);
    download.changed.fire();
  }

  /** Makes the finished spool an entry: fsync, meta written and fsynced, renames (meta last), directory fsync. */
  private async keep(download: Download, sha256: string): Promise<void> {
    const name = entryName(download.key);
    const meta: EntryMeta = {
      format: FORMAT,
      key: download.key,
      records: download.spoolRecords,
      fileBytes: download.spoolBytes,
      sha256,
    };
    const metaText = JSON.stringify(meta);
    const bytes = meta.fileBytes + Buffer.byteLength(metaText);
    if (bytes > this.maxBytes) {
      this.counts.tooLarge++;
      return;
    }
    const metaTmp = this.tmpPath('meta');
    let dataRenamed = false;
    try {
      await download.spool!.sync();
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
      await this.fs.rename(download.spoolPath!, this.dataPath(name));
      download.spoolPath = undefined;
      dataRenamed = true;
      await this.fs.rename(metaTmp, this.metaPath(name));
    } catch {
      this.counts.diskErrors++;
      this.unlinkLater(metaTmp);
      // A data file without its meta would be an orphan; its readers keep their descriptor.
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
    // Meta first: a data file without its meta is an orphan that the next open deletes.
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

  /** Once the run has settled and the last caller has left: close the spool and delete it unless it became an entry. */
  private release(download: Download): Promise<void> {
    const spool = download.spool;
    const spoolPath = download.spoolPath;
    download.spool = undefined;
    download.spoolPath = undefined;
    const work = (async () => {
      await spool?.close().catch(ignore);
      if (spoolPath !== undefined) await this.fs.unlink(spoolPath).catch(ignore);
    })();
    this.inBackground(work);
    return work;
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
      const orphan = match !== null && match[2] === DATA_SUFFIX && !kept.has(match[1]);
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

  /** An entry as found on open: a meta that parses, names its own file and matches the data file's size (sha256 is checked on read). */
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

  private tmpPath(kind: 'spool' | 'meta'): string {
    return path.join(this.dir, `${TMP_PREFIX}${randomUUID()}.${kind}`);
  }
}

/** One run of a window's fetch, shared by the callers that joined it. */
class Download {
  readonly controller = new AbortController();
  /** Settles when the fetch has ended and the spool was kept or not. */
  finished: Promise<void> = Promise.resolve();
  settled = false;
  /** 'fetched': every record is in the spool or the callers' queues. */
  state: 'fetching' | 'fetched' | 'failed' = 'fetching';
  error: unknown;
  /** Kept when any caller that joined asked to keep it. */
  keep = false;
  /** The spool: one descriptor for the writer and every reader (positional reads), open until the last caller leaves. */
  spool: WindowCacheFile | undefined;
  /** The spool's name while it is a tmp file (undefined once renamed into an entry). */
  spoolPath: string | undefined;
  /** Bytes and records of the spool that readers may decode: whole batches, sync-flushed. */
  spoolBytes = 0;
  spoolRecords = 0;
  /** Records handed to the callers that read live; ahead of spoolRecords while a batch is being written. */
  handedOverRecords = 0;
  /** The fetch has ended: callers reading live have every record once their queue is empty. */
  fetchDone = false;
  /** No more bytes will be appended: the gzip trailer is written, or the disk failed. */
  spoolClosed = false;
  spoolFailed = false;
  readonly shares = new Set<Share>();
  /** Fired whenever the spool grows, a queue gets a batch, or the state changes. */
  readonly changed = new Pulse();
  /** Fired whenever a caller takes a queued batch or leaves (memory fallback pacing). */
  readonly sharesChanged = new Pulse();
  private released: Promise<void> | undefined;

  constructor(
    readonly key: string,
    private readonly onAbandoned: () => void,
    private readonly onRelease: () => Promise<void>,
  ) {}

  join(keep: boolean, signal: AbortSignal | undefined, waitForKeep = true): Share {
    this.keep ||= keep;
    const share = new Share(this, signal, waitForKeep);
    this.shares.add(share);
    return share;
  }

  abort(reason: unknown): void {
    if (this.state === 'fetching') this.controller.abort(reason);
  }

  /** The last caller left: a fetch nobody reads is stopped, and nobody may join it any more. */
  lastShareLeft(): void {
    // Fetched, or only the spool still being written: it is kept or released as usual.
    if (this.state !== 'fetching' || this.fetchDone) return;
    this.onAbandoned();
    this.abort(new DOMException('every caller reading this window stopped or aborted', 'AbortError'));
  }

  releaseIfDone(): Promise<void> {
    if (!this.settled || this.shares.size > 0) return Promise.resolve();
    this.released ??= this.onRelease();
    return this.released;
  }
}

/** One caller's part in a download: its queue (memory fallback only) and its hold on the spool. */
class Share {
  readonly queue: string[] = [];
  /**
   * Once the caller has read everything committed to the spool: the batches committed after that,
   * handed over as they are (no decoding them back from disk). Null while it is still catching up.
   */
  live: CdnLogRecord[][] | null = null;
  private leaving: Promise<void> | undefined;
  private readonly onAbort = (): void => void this.leave();

  constructor(
    private readonly download: Download,
    private readonly signal: AbortSignal | undefined,
    readonly waitForKeep: boolean,
  ) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Idempotent; resolves once the spool is released if this was the last caller of a settled download. */
  leave(): Promise<void> {
    if (this.leaving === undefined) {
      this.signal?.removeEventListener('abort', this.onAbort);
      this.download.shares.delete(this);
      this.download.sharesChanged.fire();
      if (this.download.shares.size === 0) this.download.lastShareLeft();
      this.leaving = this.download.releaseIfDone();
    }
    return this.leaving;
  }
}

/** What a reader sees of a spool or an entry: how far it may read, and whether more will come. */
interface SpoolView {
  file: WindowCacheFile | undefined;
  bytes: number;
  records: number;
  /** No more bytes will come. */
  closed: boolean;
  /** Closed with the gzip trailer (not cut short by a disk error). */
  complete: boolean;
  /** Throws the download's error, if it failed. */
  check(): void;
  changed(): Promise<void>;
}

/** The records of a download: its spool, streamed while it grows, then (memory fallback) the caller's queue. */
async function* readDownload(download: Download, share: Share, signal: AbortSignal | undefined): AsyncGenerator<CdnLogRecord[]> {
  const view: SpoolView = {
    get file() {
      return download.spool;
    },
    get bytes() {
      return download.spoolBytes;
    },
    get records() {
      return download.spoolRecords;
    },
    get closed() {
      return download.spoolClosed;
    },
    get complete() {
      return download.spoolClosed && !download.spoolFailed;
    },
    check: () => {
      if (download.state === 'failed') throw download.error;
    },
    changed: () => download.changed.next(),
  };
  // Catch up from the spool; from then on, take the batches the download hands over as they come.
  yield* readSpool(view, signal, () => {
    if (download.spoolClosed || download.spoolRecords !== download.handedOverRecords) return false;
    share.live = [];
    return true;
  });
  for (;;) {
    signal?.throwIfAborted();
    view.check();
    const batch = share.live?.shift();
    if (batch !== undefined) {
      download.sharesChanged.fire();
      yield batch;
      continue;
    }
    const text = share.queue.shift();
    if (text !== undefined) {
      download.sharesChanged.fire();
      yield parseNdjson(text);
      continue;
    }
    if (download.state === 'fetched') break;
    // Reading live, it has every record once the fetch has ended (unless the disk failed and the rest
    // comes from memory); the spool may still be being written.
    if (!share.waitForKeep && share.live !== null && download.fetchDone && !download.spoolFailed) return;
    await untilAborted(download.changed.next(), signal);
  }
  // Ends once the window is kept (or not): a read that follows this one finds the entry.
  while (share.waitForKeep && !download.settled) await untilAborted(download.changed.next(), signal);
}

/**
 * Decodes a spool or entry file up to what is committed, waiting for more while it is not closed.
 * Batches hold up to BATCH_RECORDS; what is decoded is handed out before waiting, so callers see records
 * as the download brings them. Every record counted as committed must come out, and no more.
 */
async function* readSpool(view: SpoolView, signal: AbortSignal | undefined, caughtUp?: () => boolean): AsyncGenerator<CdnLogRecord[]> {
  const decoder = new RecordDecoder();
  let position = 0;
  let decoded = 0;
  let pending: CdnLogRecord[] = [];
  try {
    for (;;) {
      signal?.throwIfAborted();
      view.check();
      const file = view.file;
      if (file !== undefined && position < view.bytes) {
        const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, view.bytes - position));
        const { bytesRead } = await file.read(chunk, 0, chunk.length, position);
        if (bytesRead === 0) throw new Error(`the file ends at ${position} bytes, before the ${view.bytes} committed`);
        position += bytesRead;
        const records = await decoder.push(chunk.subarray(0, bytesRead));
        decoded += records.length;
        pending = pending.length === 0 ? records : pending.concat(records);
        while (pending.length >= BATCH_RECORDS) yield pending.splice(0, BATCH_RECORDS);
        continue;
      }
      if (view.closed) {
        if (file !== undefined && position > 0) {
          const rest = view.complete ? await decoder.end() : await decoder.flush();
          decoded += rest.length;
          pending = pending.concat(rest);
        }
        if (decoded !== view.records) throw new Error(`decoded ${decoded} records where ${view.records} were written`);
        while (pending.length > 0) yield pending.splice(0, BATCH_RECORDS);
        return;
      }
      if (pending.length > 0) {
        const batch = pending;
        pending = [];
        yield batch;
        continue;
      }
      // Everything committed is decoded and handed out: a download's caller may switch to its batches
      // (checked and switched in one synchronous step, so no commit falls between the two).
      if (caughtUp !== undefined && position === view.bytes && decoded === view.records && caughtUp()) return;
      await untilAborted(view.changed(), signal);
    }
  } finally {
    decoder.destroy();
  }
}

/** Appends batches to a spool as gzip, sync-flushed after each so that readers can decode every committed record. */
class SpoolWriter {
  bytes = 0;
  private readonly gzip: Gzip = createGzip({ level: GZIP_LEVEL });
  private readonly output: Buffer[] = [];
  private readonly hash = createHash('sha256');

  constructor(private readonly file: WindowCacheFile) {
    this.gzip.on('data', (chunk: Buffer) => this.output.push(chunk));
    this.gzip.on('error', ignore); // reported by the step that caused it
  }

  async append(text: string): Promise<void> {
    await zlibStep(this.gzip, (done) => {
      this.gzip.write(text, 'utf8');
      this.gzip.flush(zlibConstants.Z_SYNC_FLUSH, done);
    });
    await this.writeOutput();
  }

  async finish(): Promise<void> {
    await zlibEnd(this.gzip);
    await this.writeOutput();
  }

  sha256(): string {
    return this.hash.digest('hex');
  }

  destroy(): void {
    this.gzip.destroy();
  }

  private async writeOutput(): Promise<void> {
    if (this.output.length === 0) return;
    const data = Buffer.concat(this.output.splice(0));
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.file.write(data, written, data.length - written, this.bytes + written);
      if (bytesWritten === 0) throw new Error('the disk accepted no bytes');
      written += bytesWritten;
    }
    this.hash.update(data);
    this.bytes += data.length;
  }
}

/** Inflates a spool or entry piece by piece into records (one NDJSON line each). */
class RecordDecoder {
  private readonly gunzip: Gunzip = createGunzip();
  private readonly output: Buffer[] = [];
  private readonly text = new StringDecoder('utf8');
  private partialLine = '';

  constructor() {
    this.gunzip.on('data', (chunk: Buffer) => this.output.push(chunk));
    this.gunzip.on('error', ignore); // reported by the step that caused it
  }

  /** The records completed by this piece of the file. */
  async push(compressed: Buffer): Promise<CdnLogRecord[]> {
    await zlibStep(this.gunzip, (done) => this.gunzip.write(compressed, done));
    return this.take();
  }

  /** The last records of a complete file (the gzip trailer's CRC and length are checked). */
  async end(): Promise<CdnLogRecord[]> {
    await zlibEnd(this.gunzip);
    const records = this.take();
    if (this.partialLine !== '' || this.text.end() !== '') throw new Error('the file ends inside a record');
    return records;
  }

  /** The records of a spool cut short by a disk error: whole batches, sync-flushed, so nothing is held back. */
  async flush(): Promise<CdnLogRecord[]> {
    await zlibStep(this.gunzip, (done) => this.gunzip.flush(zlibConstants.Z_SYNC_FLUSH, done));
    return this.take();
  }

  destroy(): void {
    this.gunzip.destroy();
  }

  private take(): CdnLogRecord[] {
    if (this.output.length === 0) return [];
    const text = this.partialLine + this.text.write(Buffer.concat(this.output.splice(0)));
    const lines = text.split('\n');
    this.partialLine = lines.pop()!;
    return lines.map(reviveRecord);
  }
}

function ndjson(batch: readonly CdnLogRecord[]): string {
  let text = '';
  for (const record of batch) text += JSON.stringify(record) + '\n';
  return text;
}

function parseNdjson(text: string): CdnLogRecord[] {
  const lines = text.split('\n');
  lines.pop(); // after the last newline
  return lines.map(reviveRecord);
}

/**
 * A record as it was written. `attributes` gets its null prototype back (emptyRecord's convention):
 * JSON.parse keeps a provider key `__proto__` as an own property, and Object.assign onto a
 * null-prototype object keeps it as an own property too.
 */
function reviveRecord(line: string): CdnLogRecord {
  const record = JSON.parse(line) as CdnLogRecord;
  if (record.attributes !== null && typeof record.attributes === 'object') {
    record.attributes = Object.assign(Object.create(null), record.attributes);
  }
  return record;
}

/** Waits while a caller that has caught up is MAX_QUEUED_BATCHES behind: memory stays bounded by the slowest reader. */
async function roomForLiveBatch(download: Download): Promise<void> {
  const signal = download.controller.signal;
  while ([...download.shares].some((share) => share.live !== null && share.live.length >= MAX_QUEUED_BATCHES)) {
    await untilAborted(download.sharesChanged.next(), signal);
  }
}

/** The memory fallback: every caller gets the batch; the download waits while any caller is MAX_QUEUED_BATCHES behind. */
async function broadcast(download: Download, text: string, to: (share: Share) => boolean = () => true): Promise<void> {
  const signal = download.controller.signal;
  while ([...download.shares].some((share) => to(share) && share.queue.length >= MAX_QUEUED_BATCHES)) {
    await untilAborted(download.sharesChanged.next(), signal);
  }
  for (const share of download.shares) if (to(share)) share.queue.push(text);
  download.changed.fire();
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
  if (meta.format !== FORMAT || typeof meta.key !== 'string' || !count(meta.records) || !count(meta.fileBytes)) return undefined;
  if (typeof meta.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(meta.sha256)) return undefined;
  return { format: meta.format, key: meta.key, records: meta.records, fileBytes: meta.fileBytes, sha256: meta.sha256 };
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

/** One zlib operation: settles when its callback runs, or when the stream fails instead (corrupt input). */
function zlibStep(stream: Gzip | Gunzip, start: (done: (err?: Error | null) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (stream.destroyed) {
      reject(stream.errored ?? new Error('the zlib stream was destroyed'));
      return;
    }
    const onError = (err: Error): void => reject(err);
    stream.once('error', onError);
    start((err) => {
      stream.off('error', onError);
      if (err) reject(err);
      else resolve();
    });
  });
}

function zlibEnd(stream: Gzip | Gunzip): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (stream.destroyed) {
      reject(stream.errored ?? new Error('the zlib stream was destroyed'));
      return;
    }
    stream.once('end', resolve);
    stream.once('error', reject);
    stream.end();
  });
}

/** A promise per change: waiters take next(), the changer calls fire(). */
class Pulse {
  private resolve: () => void = () => undefined;
  private promise: Promise<void> = this.renew();

  next(): Promise<void> {
    return this.promise;
  }

  fire(): void {
    const resolve = this.resolve;
    this.promise = this.renew();
    resolve();
  }

  private renew(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.resolve = resolve;
    });
  }
}

/** The promise, or the signal's reason as soon as it aborts (the promise's own outcome is then ignored). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(ignore);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(ignore);
      reject(signal.reason);
    };
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

function ignore(): void {}

/** True when `promise` settles before the event loop turns (the next batch is already decoded). */
function readyNow(promise: Promise<unknown>): Promise<boolean> {
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => setImmediate(() => resolve(false))),
  ]);
}
