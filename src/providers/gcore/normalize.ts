import { stableId } from '../record-id';
import { inDateRange, parseIsoInstant } from '../../core/time';
import { type CdnLogRecord, emptyRecord, intOrNull, normaliseCacheStatus, presentOrNull, severityFromStatus, splitUri } from '../../core/record';

/**
 * Gcore's `timestamp` column: the rendering is undocumented (provider-spec §2.3, §10 #3), so accept
 * epoch seconds, epoch milliseconds (told apart by magnitude) and ISO 8601. Gcore's API speaks UTC
 * (its `from`/`to` are UTC, provider-spec §2.2), so a zone-less ISO time is UTC, never the machine's zone.
 * Null when unusable or outside what a Date can hold.
 */
export function gcoreTimeMs(raw: string): number | null {
  const text = raw.trim();
  if (!/^\d+(?:\.\d+)?$/.test(text)) return parseIsoInstant(text, 0);
  const n = Number(text);
  const ms = n >= 1e11 ? n : n * 1000;
  return inDateRange(ms) ? ms : null;
}

/** Column indices of a member's header row; -1 for a column the member lacks. */
export interface GcoreColumns {
  timestamp: number;
  path: number;
  method: number;
  referer: number;
  user_agent: number;
  client_ip: number;
  status: number;
  size: number;
  cname: number;
  resource_id: number;
  cache_status: number;
  datacenter: number;
  sent_http_content_type: number;
  tcpinfo_rtt: number;
  /** Columns with no home in the record, passed through as attributes. */
  extra: Array<[string, number]>;
}

export function gcoreColumns(header: readonly string[]): GcoreColumns {
  const at = (name: string) => header.indexOf(name);
  const known = new Set(['timestamp', 'path', 'method', 'referer', 'user_agent', 'client_ip', 'status', 'size', 'cname', 'resource_id', 'cache_status', 'datacenter', 'sent_http_content_type', 'tcpinfo_rtt']);
  return {
    timestamp: at('timestamp'),
    path: at('path'),
    method: at('method'),
    referer: at('referer'),
    user_agent: at('user_agent'),
    client_ip: at('client_ip'),
    status: at('status'),
    size: at('size'),
    cname: at('cname'),
    resource_id: at('resource_id'),
    cache_status: at('cache_status'),
    datacenter: at('datacenter'),
    sent_http_content_type: at('sent_http_content_type'),
    tcpinfo_rtt: at('tcpinfo_rtt'),
    extra: header.map((name, i) => [name, i] as [string, number]).filter(([name]) => !known.has(name)),
  };
}

function cell(row: readonly string[], index: number): string | null {
  return index < 0 ? null : presentOrNull(row[index]);
}

/**
 * One CSV/TSV row to a record (provider-spec §8, Gcore column). `source` is the queried resource;
 * `line` is the row as tab-joined text (the TSV line itself), the record's identity.
 */
export function normalizeGcore(row: readonly string[], cols: GcoreColumns, source: string, line: string): CdnLogRecord | null {
  const rawTime = cell(row, cols.timestamp);
  const timestamp = rawTime === null ? null : gcoreTimeMs(rawTime);
  if (timestamp === null) return null;
  const record = emptyRecord('gcore', cell(row, cols.resource_id) ?? source, timestamp);
  const uri = splitUri(cell(row, cols.path));
  const method = cell(row, cols.method);
  const status = intOrNull(cell(row, cols.status));
  record.clientIp = cell(row, cols.client_ip);
  record.method = method === null ? null : method.toUpperCase();
  record.host = cell(row, cols.cname);
  record.path = uri.path;
  record.query = uri.query;
  record.status = status;
  record.bytesSent = intOrNull(cell(row, cols.size));
  record.cacheStatus = normaliseCacheStatus(cell(row, cols.cache_status));
  record.edgeLocation = cell(row, cols.datacenter);
  record.userAgent = cell(row, cols.user_agent);
  record.referer = cell(row, cols.referer);
  record.contentType = cell(row, cols.sent_http_content_type);
  record.severity = severityFromStatus(status);
  const rtt = intOrNull(cell(row, cols.tcpinfo_rtt));
  if (rtt !== null) record.attributes.tcpinfo_rtt = rtt;
  for (const [name, i] of cols.extra) {
    const v = cell(row, i);
    if (v !== null) record.attributes[name] = v;
  }
  // No request id in Gcore logs: the row itself, with its resource, is the identity.
  record.id = stableId(cols.resource_id >= 0 ? line : `${record.source}\n${line}`);
  return record;
}
