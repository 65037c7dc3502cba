import type { CdnLogRecord, ProviderId } from './record';
import { CACHE_STATUSES } from './record';

export type FieldType = 'string' | 'number' | 'time' | 'enum';

export interface FieldInfo {
  name: keyof CdnLogRecord;
  type: FieldType;
  description: string;
  /** Providers whose logs fill this field (the others leave it null). */
  providers: readonly ProviderId[];
  values?: readonly string[];
}

const ALL: readonly ProviderId[] = ['gcore', 'cloudflare', 'tencent-dsa', 'naver-elsa', 'tencent-edgeone'];
const HTTP: readonly ProviderId[] = ['gcore', 'cloudflare', 'tencent-dsa', 'tencent-edgeone'];

/** The normalised fields, in display order. Filters, `fields` lists and the plugin's field picker use these names. */
export const FIELD_CATALOGUE: readonly FieldInfo[] = [
  { name: 'timestamp', type: 'time', description: 'Request start, epoch ms (UTC)', providers: ALL },
  { name: 'provider', type: 'enum', description: 'Provider id', providers: ALL, values: ALL },
  { name: 'source', type: 'string', description: 'Zone, resource, host, project or proxy the record came from', providers: ALL },
  { name: 'clientIp', type: 'string', description: 'Client IP address (IPv4 or IPv6)', providers: ['gcore', 'cloudflare', 'tencent-dsa', 'tencent-edgeone'] },
  { name: 'clientPort', type: 'number', description: 'Client source port', providers: ['cloudflare', 'tencent-edgeone'] },
  { name: 'country', type: 'string', description: 'Client country, ISO 3166-1 alpha-2', providers: ['cloudflare', 'tencent-dsa', 'tencent-edgeone'] },
  { name: 'method', type: 'string', description: 'HTTP method, upper-case', providers: HTTP },
  { name: 'scheme', type: 'string', description: 'http or https', providers: ['cloudflare', 'tencent-edgeone'] },
  { name: 'host', type: 'string', description: 'Host requested (CDN hostname or CNAME)', providers: ALL },
  { name: 'path', type: 'string', description: 'URL path, without the query string', providers: HTTP },
  { name: 'query', type: 'string', description: 'Query string, without the leading ?', providers: HTTP },
  { name: 'protocol', type: 'string', description: 'HTTP protocol version: 1.0, 1.1, 2, 3', providers: ['cloudflare', 'tencent-dsa', 'tencent-edgeone'] },
  { name: 'status', type: 'number', description: 'HTTP response status', providers: HTTP },
  { name: 'bytesSent', type: 'number', description: 'Bytes sent to the client, headers included', providers: HTTP },
  { name: 'bodyBytes', type: 'number', description: 'Response body bytes', providers: ['cloudflare'] },
  { name: 'durationMs', type: 'number', description: 'Time to serve the request, ms', providers: ['cloudflare', 'tencent-dsa', 'tencent-edgeone'] },
  { name: 'cacheStatus', type: 'enum', description: 'Cache status, one upper-case set for all providers', providers: HTTP, values: CACHE_STATUSES },
  { name: 'edgeLocation', type: 'string', description: 'Edge location: POP code, data centre or edge server', providers: ['gcore', 'cloudflare', 'tencent-edgeone'] },
  { name: 'userAgent', type: 'string', description: 'User-Agent header', providers: HTTP },
  { name: 'referer', type: 'string', description: 'Referer header', providers: HTTP },
  { name: 'range', type: 'string', description: 'Range header', providers: ['tencent-dsa', 'tencent-edgeone'] },
  { name: 'contentType', type: 'string', description: 'Response Content-Type', providers: ['gcore', 'cloudflare'] },
  { name: 'requestId', type: 'string', description: 'Provider request id (Cloudflare Ray ID, EdgeOne RequestID)', providers: ['cloudflare', 'tencent-edgeone'] },
  { name: 'message', type: 'string', description: 'Application log line (NAVER ELSA body); empty for access logs', providers: ['naver-elsa'] },
  { name: 'severity', type: 'enum', description: 'From status: 5xx error, 4xx warning, else info (ELSA: from logLevel)', providers: ALL, values: ['error', 'warning', 'info'] },
  { name: 'id', type: 'string', description: 'Stable record id (provider request id, else a hash of the raw line and its window)', providers: ALL },
  { name: 'attributes', type: 'string', description: 'Provider fields with no normalised home; filter on one as attributes.<name>', providers: ALL },
];

const BY_NAME = new Map<string, FieldInfo>(FIELD_CATALOGUE.map((f) => [f.name, f]));

/** The catalogue entry of a record field; `attributes.X` has none (its values are provider-typed). */
export function fieldInfo(name: string): FieldInfo | undefined {
  return BY_NAME.get(name);
}

export const FIELD_NAMES: readonly string[] = FIELD_CATALOGUE.map((f) => f.name);
