import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../core/time';
import type { ProviderLimits } from '../../core/windows';
import type { RateLimit } from '../../transport/rate-limit';
import type { PackageRules } from '../packages';

/** `GetDsaHostLogs` (provider-spec §4, seed 002). */
export const DSA_LIMITS: ProviderLimits = {
  // Whole days only: one call names a start and an end date. Dates are Beijing days (UTC+8), the
  // time zone of the listing's `datetime` and of the log lines.
  maxWindowMs: DAY_MS,
  alignMs: DAY_MS,
  alignUtcOffsetMs: 8 * HOUR_MS,
  // The last 40 days; a day of margin keeps the oldest Beijing date inside them.
  retention: { rollingMs: 40 * DAY_MS },
  retentionMarginMs: DAY_MS,
  // Hours appear about 2 h after the fact (T1); an hour not yet listed is simply absent, so the
  // planner does not hold the range back (the exporter re-lists recent hours).
  settleDelayMs: 0,
  // An hour's package is listed about 2 h after the hour ends.
  immutableAfterMs: 3 * HOUR_MS,
  // One hourly package of one host; even a busy host stays far below this.
  maxBodyBytes: 16 * 1024 ** 3,
};

export const DSA_API = 'https://dsa.api.qcloud.com';
export const DSA_PATH = '/v2/index.php';
export const DSA_ACTION = 'GetDsaHostLogs';

/** "Up to 10 domains per call". */
export const DSA_MAX_HOSTS_PER_CALL = 10;

/** "100 calls/min", counted per SecretId. */
export const DSA_RATE_LIMIT: RateLimit = { perMinute: 100 };

/** Beijing time, the clock of `startDate`/`endDate`, the listing's `datetime` and field 1 of a line. */
export const BEIJING_OFFSET_MS = 8 * HOUR_MS;

export const DSA_PACKAGES: PackageRules = {
  who: 'Tencent DSA',
  // The documented links are http://dsa-log-download.cdn.qcloud.com/…; they are fetched over https.
  policy: { hosts: ['.cdn.qcloud.com'], upgradeHttp: true },
  maxCompressedBytes: 4 * 1024 ** 3,
  deadlineMs: 30 * MINUTE_MS,
};
