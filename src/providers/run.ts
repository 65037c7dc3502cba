import { badInput } from '../core/errors';
import { compileFilters, compileSearch, type Filter } from '../core/filter';
import type { CdnQuery } from '../core/query';
import type { CdnLogRecord } from '../core/record';
import { credentialValues, SecretScrubber, scrubError } from '../core/secrets';
import { BoundedSelection } from '../core/selection';
import { DAY_MS, formatDuration } from '../core/time';
import { type Clamp, planWindows, type TimeRange } from '../core/windows';
import type { Http } from '../transport/http';
import type { PackageLedger } from './packages';
import { stableId } from './record-id';
import { emptyStats, noteSkipped, type ProviderAdapter, type ReadContext, type ReadStats } from './types';

export interface QueryMeta extends ReadStats {
  provider: string;
  source: string;
  /** The range after clamping to what the provider serves. */
  range: TimeRange;
  clamps: Clamp[];
  windows: number;
  windowsDone: number;
  recordsReturned: number;
  /** True when the limit (or a budget) stopped the read before the range was exhausted. */
  truncated: boolean;
  /** Why the read stopped early: `limit`, or the budget that ran out; null when it did not. */
  truncatedBy: 'limit' | 'records' | 'bytes' | 'time' | null;
  /**
   * The part of the range whose every record was returned: the whole range, or, when the read
   * stopped early, from the requested end to the last record returned (exclusive): a limited read
   * returns the oldest (asc) or newest (desc) records of the range, with no gap.
   */
  covered: TimeRange;
  /** Windows whose records came from the window reader's store rather than the provider (bridge cache). */
  windowsFromStore: number;
  /** The fraction the provider sampled (Cloudflare `sample`), or null: every record. */
  sampled: number | null;
  pushedDown: Filter[];
}

export interface QueryProgress {
  windowsDone: number;
  windows: number;
  records: number;
  bytes: number;
}

/** Bounds on one query's work; past one, the read stops with what it has (meta.truncatedBy says which). */
export interface QueryBudget {
  /** Records decoded (before filters). */
  maxRecordsScanned?: number;
  /** Bytes downloaded from the provider. */
  maxBytes?: number;
  /** Wall-clock time of the read. */
  maxMs?: number;
}

/** What identifies a window's download: everything that changes what the provider sends (never a credential). */
export interface WindowIdentity {
  /** provider, hashed account, source, window, base URL, options and pushed-down filters, as one string. */
  key: string;
  /** True when the window is older than the provider's immutability horizon: its records will not change. */
  settled: boolean;
}

/**
 * Reads a window through a store (the bridge's cache): `download` reads it from the provider.
 * Returns the records and whether they came from the store.
 */
export type WindowReader = (
  window: TimeRange,
  identity: WindowIdentity,
  /**
   * Reads the window through `http`: the query's client, or the store's stand-in for it (a recorder
   * of the answers, or a player of recorded ones); `signal` replaces the query's own.
   */
  read: (http: Http, signal: AbortSignal) => AsyncIterable<CdnLogRecord[]>,
  /** The query's client. */
  http: Http,
) => { records: AsyncIterable<CdnLogRecord[]>; fromStore: () => boolean };

export interface RunOptions {
  http: Http;
  /** `asc` (default): the oldest records first, windows from the start; `desc`: the newest first, windows from the end. */
  order?: 'asc' | 'desc';
  /** Every matching record, streamed, with no limit (stats): the query's limit is ignored. */
  unlimited?: boolean;
  budget?: QueryBudget;
  windowReader?: WindowReader;
  baseUrl?: string;
  nowMs?: () => number;
  maxDecodedBytes?: number;
  /** Origins whose package URLs are trusted whole: the emulator's, in demo and test mode only. */
  trustedPackageOrigins?: readonly string[];
  /** Packages a continuous reader already took (DSA, EdgeOne): not read again. */
  packages?: PackageLedger;
  signal?: AbortSignal;
  onProgress?: (progress: QueryProgress) => void;
}

export interface QueryRun {
  /** Batches of records, window after window, filtered and capped at the query's limit. */
  records: AsyncIterable<CdnLogRecord[]>;
  /** Filled in as `records` is read; final once it is exhausted. Its notes never hold a credential. */
  meta: QueryMeta;
  /** Removes the query's credentials from any other text about to leave the process. */
  scrubber: SecretScrubber;
  /**
   * While a window is read whole to select its best N (a limited read of unsorted windows): what it
   * would return if it ended now, best first, not yet in `records`. Empty otherwise. For progress
   * answers: a long window shows its records before it ends, and they may still be displaced.
   */
  provisional(): CdnLogRecord[];
}

/**
 * A record dated further than this outside the window it was read for is not taken on trust (a
 * provider's 1970 or next-year record); nearer ones are kept: Cloudflare serves by time received,
 * so a long request may start well before its window.
 */
export const RECORD_TIME_TOLERANCE_MS = DAY_MS;

/** For a provider whose limits name no body bound. */
export const DEFAULT_MAX_DECODED_BYTES = 1024 * 1024 * 1024;

/**
 * Plans a query into legal windows and reads them one after another through the adapter, applying
 * every filter and the free-text search locally (push-down only saves bytes). A limited read returns
 * the oldest records of the range with no gap: a window whose provider does not sort it is read
 * whole while its oldest N are kept. Records without a usable time, or dated far outside their
 * window, are skipped and counted. Errors and notes leave with the credentials scrubbed out.
 */
export function runQuery<C, S>(adapter: ProviderAdapter<C, S>, credentials: C, query: CdnQuery, options: RunOptions): QueryRun {
  const nowMs = options.nowMs ?? Date.now;
  const unknown = Object.keys(query.options).find((key) => !adapter.options.includes(key));
  if (unknown !== undefined) {
    throw badInput('options', `${adapter.name} has no option "${unknown}"; it has: ${adapter.options.join(', ') || 'none'}`);
  }
  const source = adapter.parseSource(query.source);
  const startedMs = nowMs();
  const plan = planWindows({ fromMs: query.fromMs, toMs: query.toMs }, adapter.limits, startedMs, adapter.name);
  const scrubber = new SecretScrubber(credentialValues(credentials));
  const stats = emptyStats();
  const meta: QueryMeta = Object.assign(stats, {
    provider: adapter.id,
    source: adapter.sourceName(source),
    range: plan.range,
    clamps: plan.clamps,
    windows: plan.windows.length,
    windowsDone: 0,
    windowsFromStore: 0,
    recordsReturned: 0,
    truncated: false,
    truncatedBy: null,
    covered: { ...plan.range },
    sampled: query.options.sample === undefined ? null : Number(query.options.sample),
    pushedDown: adapter.pushedDown(query.filters, source),
  });
  const descending = options.order === 'desc';
  const limit = options.unlimited ? Number.POSITIVE_INFINITY : query.limit;
  // Records stream out as they come when no limit can cut a window, or when the provider sends a
  // window oldest first and the oldest are wanted; otherwise a window's best N are selected.
  const streaming = options.unlimited === true || (adapter.sortedByTime === true && !descending);
  const everyFilterPushed = meta.pushedDown.length === query.filters.length && !query.search?.trim();
  const matches = compileFilters(query.filters);
  const searched = compileSearch(query.search);
  const baseUrl = options.baseUrl ?? adapter.defaultBaseUrl;

  const ctx: ReadContext<C, S> = {
    http: options.http,
    baseUrl,
    credentials,
    source,
    filters: query.filters,
    options: query.options,
    stats,
    nowMs,
    // Asking for fewer is only right where the first records are the ones wanted.
    stillWanted: () => (streaming && !options.unlimited && everyFilterPushed ? limit - meta.recordsReturned : undefined),
    maxDecodedBytes: options.maxDecodedBytes ?? adapter.limits.maxBodyBytes ?? DEFAULT_MAX_DECODED_BYTES,
    trustedPackageOrigins: options.trustedPackageOrigins ?? [],
    packages: options.packages,
    signal: options.signal,
  };

  const account = stableId(credentialValues(credentials).join('\n'));
  const identityOf = (window: TimeRange): WindowIdentity => ({
    key: JSON.stringify([adapter.id, account, meta.source, window.fromMs, window.toMs, baseUrl, query.options, meta.pushedDown]),
    settled: adapter.limits.immutableAfterMs !== undefined && window.toMs + adapter.limits.immutableAfterMs <= startedMs,
  });

  const progress = (): QueryProgress => ({ windowsDone: meta.windowsDone, windows: meta.windows, records: meta.recordsReturned, bytes: stats.bytes });
  let notesScrubbed = 0;
  const scrubNotes = () => {
    for (; notesScrubbed < stats.notes.length; notesScrubbed++) stats.notes[notesScrubbed] = scrubber.scrub(stats.notes[notesScrubbed]);
  };
  let outOfWindow = 0;

  /** The records of a batch worth returning: a usable time near the window, and every filter met. */
  function keep(batch: readonly CdnLogRecord[], window: TimeRange): CdnLogRecord[] {
    const earliest = window.fromMs - RECORD_TIME_TOLERANCE_MS;
    const latest = window.toMs + RECORD_TIME_TOLERANCE_MS;
    const kept: CdnLogRecord[] = [];
    for (const r of batch) {
      if (!(r.timestamp >= earliest && r.timestamp < latest)) outOfWindow++;
      else if (matches(r) && searched(r)) kept.push(r);
    }
    return kept;
  }

  /** The read stops here; `lastMs` is the time of the last record returned (or the edge reached). */
  function stop(by: NonNullable<QueryMeta['truncatedBy']>, lastMs: number): void {
    meta.truncated = true;
    meta.truncatedBy = by;
    meta.covered = descending ? { fromMs: lastMs, toMs: plan.range.toMs } : { fromMs: plan.range.fromMs, toMs: lastMs };
  }

  /** The budget that has run out, if any. */
  function spentBudget(): 'records' | 'bytes' | 'time' | null {
    const budget = options.budget;
    if (!budget) return null;
    if (budget.maxRecordsScanned !== undefined && stats.recordsDownloaded >= budget.maxRecordsScanned) return 'records';
    if (budget.maxBytes !== undefined && stats.bytes >= budget.maxBytes) return 'bytes';
    if (budget.maxMs !== undefined && nowMs() - startedMs >= budget.maxMs) return 'time';
    return null;
  }

  function readWindow(window: TimeRange): { records: AsyncIterable<CdnLogRecord[]>; fromStore: () => boolean } {
    if (!options.windowReader) return { records: adapter.readWindow(ctx, window), fromStore: () => false };
    return options.windowReader(window, identityOf(window), (http, signal) => adapter.readWindow({ ...ctx, http, signal }, window), ctx.http);
  }

  /** The selection of the window being read, while there is one. */
  let current: BoundedSelection | null = null;

  async function* readWindows(): AsyncIterable<CdnLogRecord[]> {
    const windows = descending ? [...plan.windows].reverse() : plan.windows;
    for (const window of windows) {
      const edge = descending ? window.toMs : window.fromMs;
      const room = limit - meta.recordsReturned;
      if (room <= 0) return stop('limit', edge);
      const spent = spentBudget();
      if (spent) return stop(spent, edge);
      const selection = streaming ? null : new BoundedSelection(room, descending ? 'newest' : 'oldest');
      current = selection;
      const read = readWindow(window);
      let lastMs = edge;
      for await (const batch of read.records) {
        stats.recordsDownloaded += batch.length;
        const kept = keep(batch, window);
        if (selection) for (const r of kept) selection.add(r);
        else if (kept.length > 0) {
          const left = limit - meta.recordsReturned;
          const out = kept.length > left ? kept.slice(0, left) : kept;
          meta.recordsReturned += out.length;
          lastMs = out[out.length - 1].timestamp;
          scrubNotes();
          yield out;
          // The limit is reached: stop reading (the adapter's return() closes the download).
          if (meta.recordsReturned >= limit) return stop('limit', lastMs);
        }
        const overBudget = spentBudget();
        if (overBudget) {
          // What this window still holds is unread: only an ordered stream covers up to its last record.
          if (selection) yield* flush(selection);
          return stop(overBudget, streaming && !options.unlimited ? lastMs : edge);
        }
        if (!selection) options.onProgress?.(progress());
      }
      if (read.fromStore()) meta.windowsFromStore++;
      meta.windowsDone++;
      if (selection) {
        const dropped = selection.dropped;
        const lastKept = yield* flush(selection);
        if (dropped > 0) return stop('limit', lastKept);
      }
      scrubNotes();
      options.onProgress?.(progress());
    }
  }

  /** Yields what a selection kept, best first; returns the time of its last record. */
  async function* flush(selection: BoundedSelection): AsyncGenerator<CdnLogRecord[], number> {
    current = null;
    const best = selection.take();
    meta.recordsReturned += best.length;
    scrubNotes();
    if (best.length > 0) yield best;
    return best.length > 0 ? best[best.length - 1].timestamp : Number.NaN;
  }

  async function* records(): AsyncIterable<CdnLogRecord[]> {
    try {
      yield* readWindows();
    } catch (err) {
      throw scrubError(err, scrubber);
    } finally {
      noteSkipped(stats, outOfWindow, `records without a usable time or dated more than ${formatDuration(RECORD_TIME_TOLERANCE_MS)} outside the window they were read for`);
      scrubNotes();
    }
  }

  return { records: records(), meta, scrubber, provisional: () => current?.peek() ?? [] };
}
