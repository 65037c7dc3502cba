/**
 * The normalised record: one CDN request (or, for L4 providers, one connection record)
 * in the same shape whatever provider it came from. Pure data; safe in the browser.
 */

export const PROVIDER_IDS = ['gcore', 'cloudflare', 'tencent-dsa', 'naver-elsa', 'tencent-edgeone'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export function isProviderId(value: string): value is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(value);
}

/** One upper-case cache status for all providers (provider-spec §8); anything unrecognised is UNKNOWN. */
export const CACHE_STATUSES = [
  'HIT',
  'MISS',
  'EXPIRED',
  'STALE',
  'UPDATING',
  'REVALIDATED',
  'BYPASS',
  'DYNAMIC',
  'IGNORED',
  'DEFERRED',
  'STREAM_HIT',
  'PENDING',
  'UNKNOWN',
] as const;
export type CacheStatus = (typeof CACHE_STATUSES)[number];

const CACHE_STATUS_SET: ReadonlySet<string> = new Set(CACHE_STATUSES);

/** Providers use a handful of spellings; each is mapped once (bounded: a hostile feed cannot grow it). */
const CACHE_STATUS_MEMO = new Map<string, CacheStatus>();

/** Maps a provider's cache status (`hit`, `HIT`, `Dynamic`, `stream_hit`, `-`, empty) to the enum. */
export function normaliseCacheStatus(raw: string | null | undefined): CacheStatus {
  if (raw === null || raw === undefined) return 'UNKNOWN';
  const known = CACHE_STATUS_MEMO.get(raw);
  if (known !== undefined) return known;
  const upper = raw.trim().toUpperCase().replace(/[\s-]+/g, '_');
  const status = CACHE_STATUS_SET.has(upper) ? (upper as CacheStatus) : 'UNKNOWN';
  if (CACHE_STATUS_MEMO.size < 256) CACHE_STATUS_MEMO.set(raw, status);
  return status;
}

export type Severity = 'error' | 'warning' | 'info';

/** 5xx is an error, 4xx a warning, everything else (and no status) info. */
export function severityFromStatus(status: number | null): Severity {
  if (status !== null && status >= 500) return 'error';
  if (status !== null && status >= 400) return 'warning';
  return 'info';
}

/**
 * A provider field's value, passed through as the provider sent it. Any key is an ordinary key,
 * `__proto__` and `constructor` included: readers take own properties only.
 */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

export interface CdnLogRecord {
  /** Stable across re-pulls: the provider's request id, else a hash of the raw line and its window. */
  id: string;
  /** Epoch milliseconds; may carry a fraction where the provider gives sub-ms precision. */
  timestamp: number;
  provider: ProviderId;
  /** The zone, resource, host, project or proxy the record came from. */
  source: string;
  clientIp: string | null;
  clientPort: number | null;
  /** ISO 3166-1 alpha-2, upper-case. */
  country: string | null;
  method: string | null;
  scheme: string | null;
  host: string | null;
  path: string | null;
  /** Query string without the leading `?`. */
  query: string | null;
  /** Protocol version as in OTLP `network.protocol.version`: `1.0`, `1.1`, `2`, `3`. */
  protocol: string | null;
  status: number | null;
  /** Total bytes sent to the client (headers and body). */
  bytesSent: number | null;
  /** Body bytes only, where the provider reports them apart. */
  bodyBytes: number | null;
  durationMs: number | null;
  cacheStatus: CacheStatus;
  edgeLocation: string | null;
  userAgent: string | null;
  referer: string | null;
  range: string | null;
  contentType: string | null;
  requestId: string | null;
  /** The log line itself, for application logs (NAVER ELSA `body`); null for CDN access logs. */
  message: string | null;
  severity: Severity;
  /** Provider fields with no normalised home, passed through under their provider names. */
  attributes: Record<string, AttributeValue>;
}

/**
 * A record with every optional field empty; normalisers fill in what the provider gives.
 * `attributes` has no prototype, so a provider key `__proto__` assigned by a normaliser becomes an
 * own attribute instead of replacing the prototype (JSON and jest's toEqual still see a plain `{}`).
 */
export function emptyRecord(provider: ProviderId, source: string, timestamp: number): CdnLogRecord {
  const attributes: Record<string, AttributeValue> = Object.create(null);
  return {
    id: '',
    timestamp,
    provider,
    source,
    clientIp: null,
    clientPort: null,
    country: null,
    method: null,
    scheme: null,
    host: null,
    path: null,
    query: null,
    protocol: null,
    status: null,
    bytesSent: null,
    bodyBytes: null,
    durationMs: null,
    cacheStatus: 'UNKNOWN',
    edgeLocation: null,
    userAgent: null,
    referer: null,
    range: null,
    contentType: null,
    requestId: null,
    message: null,
    severity: 'info',
    attributes,
  };
}

/** `-`, empty and missing values are absent (provider-spec §8). */
export function presentOrNull(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined || raw === '' || raw === '-') return null;
  return raw;
}

/** A number or null: finite numbers and numeric strings; `-`, empty, other strings and other types (provider JSON may hold anything) are null. */
export function intOrNull(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw !== 'string' || raw === '' || raw === '-') return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

const PROTOCOL_MEMO = new Map<string, string>();

/** `HTTP/1.1` → `1.1`, `HTTP/2.0` → `2`, `HTTP/3` → `3` (provider-spec §8). */
export function protocolVersion(raw: string | null | undefined): string | null {
  const value = presentOrNull(raw);
  if (value === null) return null;
  let version = PROTOCOL_MEMO.get(value);
  if (version === undefined) {
    version = value.replace(/^HTTP\//i, '');
    if (version === '2.0' || version === '3.0') version = version[0];
    if (PROTOCOL_MEMO.size < 64) PROTOCOL_MEMO.set(value, version);
  }
  return version;
}

/** Splits a request URI at the first `?` into path and query (query without the `?`, null when absent or empty). */
export function splitUri(uri: string | null): { path: string | null; query: string | null } {
  if (uri === null) return { path: null, query: null };
  const q = uri.indexOf('?');
  if (q < 0) return { path: uri, query: null };
  const query = uri.slice(q + 1);
  return { path: uri.slice(0, q), query: query === '' ? null : query };
}
