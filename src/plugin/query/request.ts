/**
 * A panel query (after variable interpolation) and a time range as the bridge's request body.
 * Pure: the data source and the editor's validation share it.
 */

import type { CdnLogsOptions, BridgeFilter, BridgeQueryBody, CdnLogsQuery, QueryFilter, SourceSelector } from '../types';
import { IDENTITY_SELECTORS } from '../providers';

export const DEFAULT_LIMIT = 1000;
/** The bridge's own bound on buckets (src/core/stats.ts MAX_STATS_BUCKETS). */
export const MAX_STATS_BUCKETS = 10_000;
/** How long the bridge may hold the first answer before saying `running`; later answers are polled. */
export const FIRST_ANSWER_WAIT_MS = 5_000;
/** Grafana's data proxy gives up on a response after this (jsonData.timeout overrides it). */
export const DEFAULT_PROXY_TIMEOUT_S = 30;

const LIST_OPS = new Set(['in', 'not in']);

/** The query's source over the data source's default: the query's own when it names a source, else the default narrowed by the query. */
export function effectiveSource(defaults: SourceSelector | undefined, own: SourceSelector | undefined): Record<string, string> {
  const clean = (s: SourceSelector | undefined) => Object.fromEntries(Object.entries(s ?? {}).filter(([, v]) => typeof v === 'string' && v.trim() !== '').map(([k, v]) => [k, v.trim()]));
  const mine = clean(own);
  const namesSource = Object.keys(mine).some((k) => IDENTITY_SELECTORS.includes(k));
  return namesSource ? mine : { ...clean(defaults), ...mine };
}

/** `in` / `not in` take `a,b,c`; every other operator one value. */
export function bridgeFilter(filter: QueryFilter): BridgeFilter {
  if (LIST_OPS.has(filter.op)) {
    const list = filter.value
      .replace(/^\(|\)$/g, '')
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    return { field: filter.field, op: filter.op, value: list };
  }
  return { field: filter.field, op: filter.op, value: filter.value };
}

/** Stats bucket width: the query's interval, else the panel's, in whole seconds and never over MAX_STATS_BUCKETS buckets. */
export function statsIntervalMs(askedMs: number | undefined, fromMs: number, toMs: number): number {
  const floorMs = Math.ceil((toMs - fromMs) / MAX_STATS_BUCKETS);
  const ms = Math.max(askedMs && askedMs > 0 ? askedMs : 0, floorMs, 1_000);
  return Math.ceil(ms / 1_000) * 1_000;
}

/** How long the first answer may take: well inside the data proxy's timeout. */
export function firstAnswerWaitMs(settings: Pick<CdnLogsOptions, 'timeout'>): number {
  const proxyMs = (settings.timeout && settings.timeout > 0 ? settings.timeout : DEFAULT_PROXY_TIMEOUT_S) * 1_000;
  return Math.max(0, Math.min(FIRST_ANSWER_WAIT_MS, proxyMs - 5_000));
}

export interface RequestContext {
  settings: CdnLogsOptions;
  fromMs: number;
  toMs: number;
  /** Stats: the bucket width asked for (query interval, else the panel's). */
  intervalMs?: number;
}

/** The bridge request for an interpolated query. */
export function bridgeBody(query: CdnLogsQuery, ctx: RequestContext): BridgeQueryBody {
  const { settings } = ctx;
  const mode = query.mode ?? 'logs';
  const body: BridgeQueryBody = {
    provider: settings.provider ?? '',
    fromMs: Math.floor(ctx.fromMs),
    toMs: Math.ceil(ctx.toMs),
    mode,
    waitMs: firstAnswerWaitMs(settings),
  };
  const source = effectiveSource(settings.defaultSource, query.source);
  if (Object.keys(source).length > 0) body.source = source;
  const filters = (query.filters ?? []).filter((f) => f.field && f.op).map(bridgeFilter);
  if (filters.length > 0) body.filters = filters;
  if (query.search?.trim()) body.search = query.search.trim();
  if (settings.apiBaseUrl?.trim()) body.baseUrl = settings.apiBaseUrl.trim();
  if (mode === 'logs') {
    body.limit = query.limit ?? DEFAULT_LIMIT;
    body.sort = query.sort ?? 'desc';
    if (query.fields && query.fields.length > 0) body.fields = query.fields;
  } else {
    body.groupBy = query.groupBy?.trim() ? query.groupBy.trim() : null;
    body.metric = query.metric ?? 'count';
    body.topK = query.topK ?? 10;
    body.intervalMs = statsIntervalMs(ctx.intervalMs, body.fromMs, body.toMs);
    if (query.allowSampling) body.allowSampling = true;
  }
  return body;
}
