import { badInput } from '../core/errors';
import { compileFilters, compileSearch, type Filter } from '../core/filter';
import type { CdnQuery } from '../core/query';
import type { CdnLogRecord } from '../core/record';
import { credentialValues, SecretScrubber, scrubError } from '../core/secrets';
import { BoundedSelection } from '../core/selection';
import { DAY_MS, formatDuration } from '../core/time';
import { type Clamp, planWindows, type TimeRange } from '../core/windows';
import type { HttpClient } from '../transport/http';
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
  /** True when the limit stopped the read before the range was exhausted. */
  truncated: boolean;
  /**
   * The end (exclusive) of the part of the range whose every record was returned: the range's end,
   * or, when the limit stopped the read, the time of the last record returned. A limited read
   * returns the oldest records of the range, with no gap before this instant.
   */
  coveredToMs: number;
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

export interface RunOptions {
  http: HttpClient;
  baseUrl?: string;
  nowMs?: () => number;
  maxDecodedBytes?: number;
  /** Origins whose package URLs are trusted whole: the emulator's, in demo and test mode only. */
  trustedPackageOrigins?: readonly string[];
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
  const plan = planWindows({ fromMs: query.fromMs, toMs: query.toMs }, adapter.limits, nowMs(), adapter.name);
  const scrubber = new SecretScrubber(credentialValues(credentials));
  const stats = emptyStats();
  const meta: QueryMeta = Object.assign(stats, {
    provider: adapter.id,
    source: adapter.sourceName(source),
    range: plan.range,
    clamps: plan.clamps,
    windows: plan.windows.length,
    windowsDone: 0,
    recordsReturned: 0,
    truncated: false,
    coveredToMs: plan.range.toMs,
    sampled: query.options.sample === undefined ? null : Number(query.options.sample),
    pushedDown: adapter.pushedDown(query.filters, source),
  });
  const sorted = adapter.sortedByTime === true;
  const everyFilterPushed = meta.pushedDown.length === query.filters.length && !query.search?.trim();
  const matches = compileFilters(query.filters);
  const searched = compileSearch(query.search);

  const ctx: ReadContext<C, S> = {
    http: options.http,
    baseUrl: options.baseUrl ?? adapter.defaultBaseUrl,
    credentials,
    source,
    filters: query.filters,
    options: query.options,
    stats,
    nowMs,
    // Asking for fewer is only right where the first records are the oldest.
    stillWanted: () => (sorted && everyFilterPushed ? query.limit - meta.recordsReturned : undefined),
    maxDecodedBytes: options.maxDecodedBytes ?? adapter.limits.maxBodyBytes ?? DEFAULT_MAX_DECODED_BYTES,
    trustedPackageOrigins: options.trustedPackageOrigins ?? [],
    signal: options.signal,
  };

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

  function stopAtLimit(coveredToMs: number): void {
    meta.truncated = true;
    meta.coveredToMs = coveredToMs;
  }

  async function* readWindows(): AsyncIterable<CdnLogRecord[]> {
    for (const window of plan.windows) {
      const room = query.limit - meta.recordsReturned;
      if (room <= 0) return stopAtLimit(window.fromMs);
      const selection = sorted ? null : new BoundedSelection(room, 'oldest');
      for await (const batch of adapter.readWindow(ctx, window)) {
        stats.recordsDownloaded += batch.length;
        const kept = keep(batch, window);
        if (selection) {
          for (const r of kept) selection.add(r);
          continue;
        }
        const left = query.limit - meta.recordsReturned;
        if (kept.length >= left) {
          // The limit is reached: stop reading (the adapter's return() closes the download).
          const last = kept.slice(0, left);
          meta.recordsReturned += last.length;
          stopAtLimit(last.length > 0 ? last[last.length - 1].timestamp : window.fromMs);
          if (last.length > 0) yield last;
          return;
        }
        meta.recordsReturned += kept.length;
        scrubNotes();
        if (kept.length > 0) yield kept;
        options.onProgress?.(progress());
      }
      if (selection) {
        const oldest = selection.take();
        meta.recordsReturned += oldest.length;
        scrubNotes();
        if (oldest.length > 0) yield oldest;
        if (selection.dropped > 0) return stopAtLimit(oldest[oldest.length - 1].timestamp);
      }
      meta.windowsDone++;
      scrubNotes();
      options.onProgress?.(progress());
    }
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

  return { records: records(), meta, scrubber };
}
