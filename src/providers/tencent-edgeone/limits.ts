import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../core/time';
import type { ProviderLimits } from '../../core/windows';
import type { RateLimit } from '../../transport/rate-limit';
import type { PackageRules } from '../packages';

/** `DownloadL4Logs` / `DownloadL7Logs`, Version 2022-09-01 (provider-spec §6, seed 004). */
export const EDGEONE_LIMITS: ProviderLimits = {
  // The API's longest window is undocumented; a UTC day keeps each hourly (UTC) package in one
  // window, so no package is downloaded twice for one query.
  maxWindowMs: DAY_MS,
  alignMs: DAY_MS,
  // Offline logs are kept 30 days (T12).
  retention: { rollingMs: 30 * DAY_MS },
  retentionMarginMs: HOUR_MS,
  // Packages appear about 30 min after their hour; an hour not yet listed is absent, not an error.
  settleDelayMs: 0,
  // Packages "complete within 24 h" (T12).
  immutableAfterMs: DAY_MS,
  maxPageSize: 300,
  // 300,000 packages in a day: 6,000 domains or proxies with a package in both areas every hour.
  maxPagesPerWindow: 1_000,
  // One hourly package of one domain or proxy.
  maxBodyBytes: 16 * 1024 ** 3,
};

export const EDGEONE_API = 'https://teo.tencentcloudapi.com';
export const EDGEONE_VERSION = '2022-09-01';
/** The TC3 credential scope's service. */
export const EDGEONE_SERVICE = 'teo';

/** "DownloadL4Logs 100 req/s" (T11); DownloadL7Logs is taken to be the same (§10 #10). */
export const EDGEONE_RATE_LIMIT: RateLimit = { perSecond: 100 };

export const EDGEONE_PACKAGES: PackageRules = {
  who: 'Tencent EdgeOne',
  // As in the documented listing: https://log-down04-cn.edgeone.qcloud.com/….
  policy: { hosts: ['.edgeone.qcloud.com'] },
  maxCompressedBytes: 4 * 1024 ** 3,
  deadlineMs: 30 * MINUTE_MS,
};

export type EdgeOneLayer = 'l4' | 'l7';

export const EDGEONE_ACTION: Record<EdgeOneLayer, string> = { l4: 'DownloadL4Logs', l7: 'DownloadL7Logs' };
