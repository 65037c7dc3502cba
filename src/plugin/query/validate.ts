/**
 * Checks a query as the bridge will (the `core` query model and stats spec), so that a query
 * written by hand (provisioning, dashboards as code) shows what is wrong in the editor instead of
 * failing quietly on every refresh.
 */

import { rangeUtil } from '@grafana/data';
import { isCdnLogError } from '../../core/errors';
import { parseQuery } from '../../core/query';
import { checkStatsSpec } from '../../core/stats';
import type { CdnLogsOptions, CdnLogsQuery } from '../types';
import { bridgeBody } from './request';

/** The first problem of an interpolated query, in the bridge's words; null when it is valid. */
/** A bucket width as Grafana writes it (30s, 5m, 1h); undefined when empty or still a `$variable` (`$__interval` is the panel's). */
export function intervalMs(interval: string | undefined): number | undefined {
  const text = interval?.trim();
  if (!text || text.includes('$')) return undefined;
  try {
    return rangeUtil.intervalToMs(text);
  } catch {
    throw new Error(`interval: "${text}" is not a duration; write it as 30s, 5m or 1h, or leave it empty for the panel's`);
  }
}

export function validationError(query: CdnLogsQuery, settings: CdnLogsOptions, fromMs: number, toMs: number): string | null {
  if (query.mode !== undefined && query.mode !== 'logs' && query.mode !== 'stats') return `mode: "${String(query.mode)}" is not a mode; use logs or stats`;
  if (query.sort !== undefined && query.sort !== 'desc' && query.sort !== 'asc') return `sort: "${String(query.sort)}" is not an order; use desc (newest first) or asc`;
  if (query.filters !== undefined && !Array.isArray(query.filters)) return 'filters: a list of {field, op, value}';
  if (!settings.provider) return null; // the data source settings say what to do
  try {
    const body = bridgeBody(query, { settings, fromMs, toMs, intervalMs: intervalMs(query.interval) });
    parseQuery({ provider: body.provider, source: body.source, fromMs: body.fromMs, toMs: body.toMs, filters: body.filters, search: body.search, fields: body.fields, limit: body.limit });
    if (body.mode === 'stats') {
      checkStatsSpec({ groupBy: body.groupBy ?? null, metric: body.metric, fromMs: body.fromMs, toMs: body.toMs, intervalMs: body.intervalMs, topK: body.topK });
    }
    return null;
  } catch (err) {
    if (isCdnLogError(err)) return err.message;
    return err instanceof Error ? err.message : String(err);
  }
}
