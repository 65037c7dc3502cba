/**
 * Records as columns a Grafana logs frame takes without reshaping (grafana-plugin-notes "Frames for
 * logs"): `timestamp`, `body`, `severity`, `id`, `labels`, then every record field (or those asked for).
 */

import { FIELD_NAMES } from '../core/fields';
import type { CdnLogRecord } from '../core/record';

export interface LogsColumns {
  /** Column names in order; each has a value array of the same length in `values`. */
  fields: string[];
  values: Record<string, unknown[]>;
  length: number;
}

/** Record fields that become Loki-style labels: few distinct values, useful to filter and colour by. */
const LABEL_FIELDS = ['provider', 'source', 'host', 'method', 'status', 'cacheStatus', 'edgeLocation', 'country'] as const;

/** The line Explore shows: the application message, else an access-log line. */
export function logLine(r: CdnLogRecord): string {
  if (r.message !== null) return r.message;
  const target = `${r.host ?? ''}${r.path ?? ''}${r.query !== null ? `?${r.query}` : ''}`;
  const parts = [r.method ?? '-', target || '-', r.status ?? '-', r.bytesSent !== null ? `${r.bytesSent}B` : '-', r.cacheStatus, r.clientIp ?? '-'];
  if (r.durationMs !== null) parts.push(`${r.durationMs}ms`);
  if (r.userAgent !== null) parts.push(JSON.stringify(r.userAgent));
  return parts.join(' ');
}

function labels(r: CdnLogRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of LABEL_FIELDS) {
    const value = r[name];
    if (value !== null && value !== '' && value !== 'UNKNOWN') out[name] = String(value);
  }
  return out;
}

export function logsColumns(records: readonly CdnLogRecord[], fields?: readonly string[]): LogsColumns {
  const recordFields = (fields ?? FIELD_NAMES).filter((f) => f !== 'timestamp' && f !== 'severity' && f !== 'id');
  const names = ['timestamp', 'body', 'severity', 'id', 'labels', ...recordFields];
  const values: Record<string, unknown[]> = Object.fromEntries(names.map((n) => [n, new Array(records.length)]));
  records.forEach((r, i) => {
    values.timestamp[i] = r.timestamp;
    values.body[i] = logLine(r);
    values.severity[i] = r.severity;
    values.id[i] = r.id;
    values.labels[i] = labels(r);
    for (const f of recordFields) values[f][i] = (r as unknown as Record<string, unknown>)[f];
  });
  return { fields: names, values, length: records.length };
}
