import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../core/time';
import type { ProviderLimits } from '../../core/windows';

/** `POST /api/v1/logs/download` (provider-spec §5, seed 003). */
export const ELSA_LIMITS: ProviderLimits = {
  // No documented longest window; an hour keeps each download well under the row cap for most
  // projects, and a window that reaches the cap is split (see client.ts).
  maxWindowMs: HOUR_MS,
  // Retention depends on the ELSA plan and is undocumented [I]; 30 days is the shortest plan's.
  retention: { rollingMs: 30 * DAY_MS },
  retentionMarginMs: MINUTE_MS,
  // logTime is set when ELSA receives the log; nothing newer than now exists.
  settleDelayMs: 0,
  // logTime is the application's; a document may be sent (sendTime) well after: an hour.
  immutableAfterMs: HOUR_MS,
  // One zip member of at most 200000 documents.
  maxBodyBytes: 4 * 1024 ** 3,
};

export const ELSA_API = 'https://elsa.apigw.ntruss.com';
export const ELSA_DOWNLOAD_PATH = '/api/v1/logs/download';

/** `count`: the most documents one download returns (1–200000); a window that returns this many is split. */
export const ELSA_MAX_COUNT = 200_000;
/** `limit`: the service's internal page size (1–1000). */
export const ELSA_PAGE_SIZE = 1000;
