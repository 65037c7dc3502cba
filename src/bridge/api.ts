/**
 * What the bridge's query API accepts: the core query (src/core/query.ts) plus the bridge's own
 * settings, validated strictly (an unknown key is a typo to report, not to ignore).
 */

import { z } from 'zod';
import { CdnLogError } from '../core/errors';
import { type CdnQuery, parseQuery } from '../core/query';
import { checkStatsSpec, STATS_METRICS, type StatsSpec } from '../core/stats';
import { parseTime } from '../core/time';

/** The first answer comes within this, complete or `running` (Grafana's data proxy waits 30 s). */
export const DEFAULT_WAIT_MS = 20_000;
export const MAX_WAIT_MS = 25_000;

const bridgeSchema = z
  .object({
    provider: z.string(),
    source: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
    fromMs: z.number().finite().optional(),
    toMs: z.number().finite().optional(),
    /** `-1h`, `now`, ISO 8601 with a zone: for people with curl; fromMs/toMs win. */
    from: z.string().max(64).optional(),
    to: z.string().max(64).optional(),
    filters: z.array(z.unknown()).max(100).optional(),
    search: z.string().max(1_000).optional(),
    fields: z.array(z.string()).max(100).optional(),
    limit: z.number().optional(),
    options: z.record(z.string(), z.string().max(4_096)).optional(),
    mode: z.enum(['logs', 'stats']).default('logs'),
    sort: z.enum(['desc', 'asc']).default('desc'),
    groupBy: z.string().max(200).nullable().optional(),
    metric: z.enum(STATS_METRICS).default('count'),
    intervalMs: z.number().finite().optional(),
    topK: z.number().int().default(10),
    waitMs: z.number().int().min(0).max(MAX_WAIT_MS).default(DEFAULT_WAIT_MS),
    /** Stats only: Cloudflare may sample a long range (counts scaled back, meta.sampled set). */
    allowSampling: z.boolean().default(false),
    /** A provider API root other than the default: only the provider's known hosts (or, in demo mode, its emulator). */
    baseUrl: z.string().max(2_048).optional(),
  })
  .strict();

export interface BridgeQuery {
  query: CdnQuery;
  mode: 'logs' | 'stats';
  sort: 'desc' | 'asc';
  stats: StatsSpec | null;
  waitMs: number;
  allowSampling: boolean;
  baseUrl: string | undefined;
}

/** Buckets of a stats query when none is asked for: about 100 points over the range, in whole seconds. */
export function defaultIntervalMs(fromMs: number, toMs: number): number {
  return Math.max(1_000, Math.ceil((toMs - fromMs) / 100 / 1_000) * 1_000);
}

/** Validates a request body; a BadInput naming the field otherwise. */
export function parseBridgeQuery(body: unknown, nowMs: number): BridgeQuery {
  const parsed = bridgeSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.join('.') : 'query';
    throw new CdnLogError('BadInput', `${where}: ${issue.message}`, { field: where || 'query' });
  }
  const b = parsed.data;
  const fromMs = b.fromMs ?? (b.from !== undefined ? parseTime(b.from, nowMs, 'from') : undefined);
  const toMs = b.toMs ?? parseTime(b.to ?? 'now', nowMs, 'to');
  if (fromMs === undefined) throw new CdnLogError('BadInput', 'fromMs: required (epoch ms), or from ("-1h", ISO 8601 with a zone)', { field: 'fromMs' });
  const query = parseQuery({
    provider: b.provider,
    source: b.source,
    fromMs,
    toMs,
    filters: b.filters,
    search: b.search,
    fields: b.fields,
    limit: b.limit,
    options: b.options,
  });
  const stats =
    b.mode === 'stats'
      ? checkStatsSpec({
          groupBy: b.groupBy ?? null,
          metric: b.metric,
          fromMs: query.fromMs,
          toMs: query.toMs,
          intervalMs: b.intervalMs ?? defaultIntervalMs(query.fromMs, query.toMs),
          topK: b.topK,
        })
      : null;
  return { query, mode: b.mode, sort: b.sort, stats, waitMs: b.waitMs, allowSampling: b.allowSampling, baseUrl: b.baseUrl };
}
