/**
 * Gcore log columns (provider-spec §2.2–2.3): how a traffic event is rendered in the CSV/TSV member of
 * the download zip, and the table text itself.
 */

import type { TrafficCacheStatus, TrafficEvent } from '../traffic';

export interface GcoreResource {
  id: number;
  cname: string;
}

/** How the `timestamp` column is written; undocumented, so configurable (provider-spec §10 #3). */
export type GcoreTimestampFormat = 'seconds' | 'ms' | 'iso';

export const GCORE_DEFAULT_FIELDS = [
  'timestamp',
  'path',
  'method',
  'referer',
  'user_agent',
  'client_ip',
  'status',
  'size',
  'cname',
  'resource_id',
  'cache_status',
  'datacenter',
] as const;

/** The default columns plus the two the list endpoint exposes (G2, G4). */
export const GCORE_FIELDS = [...GCORE_DEFAULT_FIELDS, 'sent_http_content_type', 'tcpinfo_rtt'] as const;
export type GcoreField = (typeof GCORE_FIELDS)[number];

export type GcoreRow = Record<GcoreField, string | number>;

export function isGcoreField(name: string): name is GcoreField {
  return (GCORE_FIELDS as readonly string[]).includes(name);
}

/**
 * Gcore reports nginx's `$upstream_cache_status`. A request that never goes through the cache (our
 * DYNAMIC) has no cache status there, which Gcore writes as `-` (one of its documented values).
 */
export function gcoreCacheStatus(status: TrafficCacheStatus): string {
  return status === 'DYNAMIC' ? '-' : status;
}

/** Every column of one event. */
export function gcoreWireRow(
  event: TrafficEvent,
  resource: GcoreResource,
  timestampFormat: GcoreTimestampFormat = 'seconds',
): GcoreRow {
  return {
    timestamp: renderTimestamp(event.timestampMs, timestampFormat),
    path: event.query === null ? event.path : `${event.path}?${event.query}`,
    method: event.method,
    referer: event.referer ?? '-',
    user_agent: event.userAgent,
    client_ip: event.clientIp,
    status: event.status,
    size: event.bytesSent,
    cname: resource.cname,
    resource_id: resource.id,
    cache_status: gcoreCacheStatus(event.cacheStatus),
    datacenter: event.pop.gcoreDatacenter,
    sent_http_content_type: event.contentType,
    tcpinfo_rtt: event.tcpRttUs,
  };
}

function renderTimestamp(ms: number, format: GcoreTimestampFormat): string | number {
  if (format === 'iso') return new Date(ms).toISOString();
  if (format === 'ms') return ms;
  return Math.floor(ms / 1000);
}

/** A header row of `fields` in request order, then one line per row; every line ends with `\n`. */
export function renderTable(rows: readonly GcoreRow[], fields: readonly GcoreField[], format: 'csv' | 'tsv'): string {
  const cell = format === 'csv' ? csvCell : tsvCell;
  const separator = format === 'csv' ? ',' : '\t';
  const lines = [fields.map(cell).join(separator)];
  for (const row of rows) lines.push(fields.map((field) => cell(row[field])).join(separator));
  return `${lines.join('\n')}\n`;
}

/** RFC 4180: quote a field that holds a comma, a quote or a line break, doubling the quotes inside. */
function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** TSV has no quoting, so a tab or line break inside a value would break the row; none are generated. */
function tsvCell(value: string | number): string {
  return String(value).replace(/[\t\r\n]/g, ' ');
}
