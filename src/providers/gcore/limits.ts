import { HOUR_MS } from '../../core/time';
import type { ProviderLimits } from '../../core/windows';

/** `GET /cdn/advanced/v1/logs/download` (provider-spec §2, seed 000, OpenAPI 2026-05-15). */
export const GCORE_LIMITS: ProviderLimits = {
  maxWindowMs: 6 * HOUR_MS,
  // "available for up to 3 days starting today": from the start of the day before yesterday (UTC).
  retention: { utcDays: 3 },
  retentionMarginMs: 0,
  settleDelayMs: 0,
  // Undocumented when late rows stop arriving: an hour, to be safe.
  immutableAfterMs: HOUR_MS,
  maxPageSize: 10_000,
  // 100 million rows in 6 h (4,600 requests/s for one resource, all day): past that it is a loop.
  maxPagesPerWindow: 10_000,
  // A page holds 10000 rows; even at 16 KiB a row that is 160 MiB.
  maxBodyBytes: 256 * 1024 ** 2,
};

export const GCORE_API = 'https://api.gcore.com';
export const GCORE_DOWNLOAD_PATH = '/cdn/advanced/v1/logs/download';

/** Every column the record has a home for, plus the RTT (kept as an attribute). */
export const GCORE_FIELDS = [
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
  'sent_http_content_type',
  'tcpinfo_rtt',
] as const;

/** Gcore's cache_status values; `-` is our UNKNOWN. */
export const GCORE_CACHE_STATUSES = ['MISS', 'BYPASS', 'EXPIRED', 'STALE', 'PENDING', 'UPDATING', 'REVALIDATED', 'HIT', '-'] as const;
