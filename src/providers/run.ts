import { badInput } from '../core/errors';
import { compileFilters, compileSearch, type Filter } from '../core/filter';
import type { CdnQuery } from '../core/query';
import type { CdnLogRecord } from '../core/record';
import { type Clamp, planWindows, type TimeRange } from '../core/windows';
import type { HttpClient } from '../transport/http';
import { emptyStats, type ProviderAdapter, type ReadContext, type ReadStats } from './types';

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
  /** Filled in as `records` is read; final once it is exhausted. */
  meta: QueryMeta;
}

/** For a provider whose limits name no body bound. */
export const DEFAULT_MAX_DECODED_BYTES = 1024 * 1024 * 1024;

/**
 * Plans a query into legal windows and reads them one after another through the adapter,
 * applying every filter and the free-text search locally (push-down only saves bytes).
 */
export function runQuery<C, S>(adapter: ProviderAdapter<C, S>, credentials: C, query: CdnQuery, options: RunOptions): QueryRun {
  const nowMs = options.nowMs ?? Date.now;
  const unknown = Object.keys(query.options).find((key) => !adapter.options.includes(key));
  if (unknown !== undefined) {
    throw badInput('options', `${adapter.name} has no option "${unknown}"; it has: ${adapter.options.join(', ') || 'none'}`);
  }
  const source = adapter.parseSource(query.source);
  const plan = planWindows({ fromMs: query.fromMs, toMs: query.toMs }, adapter.limits, nowMs(), adapter.name);
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
    sampled: query.options.sample === undefined ? null : Number(query.options.sample),
    pushedDown: adapter.pushedDown(query.filters, source),
  });
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
    stillWanted: () => (everyFilterPushed ? query.limit - meta.recordsReturned : undefined),
    maxDecodedBytes: options.maxDecodedBytes ?? adapter.limits.maxBodyBytes ?? DEFAULT_MAX_DECODED_BYTES,
    trustedPackageOrigins: options.trustedPackageOrigins ?? [],
    signal: options.signal,
  };

  const progress = (): QueryProgress => ({ windowsDone: meta.windowsDone, windows: meta.windows, records: meta.recordsReturned, bytes: stats.bytes });

  async function* records(): AsyncIterable<CdnLogRecord[]> {
    for (const window of plan.windows) {
      for await (const batch of adapter.readWindow(ctx, window)) {
        stats.recordsDownloaded += batch.length;
        let kept = batch.filter((r) => matches(r) && searched(r));
        const room = query.limit - meta.recordsReturned;
        if (kept.length >= room) {
          kept = kept.slice(0, room);
          meta.recordsReturned += kept.length;
          // The limit is reached: stop reading (the adapter's return() closes the download).
          meta.truncated = true;
          if (kept.length > 0) yield kept;
          return;
        }
        meta.recordsReturned += kept.length;
        if (kept.length > 0) yield kept;
        options.onProgress?.(progress());
      }
      meta.windowsDone++;
      options.onProgress?.(progress());
    }
  }

  return { records: records(), meta };
}
