import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from '../../core/time';
import type { ProviderLimits } from '../../core/windows';
import type { RateLimit } from '../../transport/rate-limit';

/** Logpull `logs/received` (provider-spec §3.2-3.3, seed 001). */
export const CLOUDFLARE_LIMITS: ProviderLimits = {
  maxWindowMs: HOUR_MS,
  retention: { rollingMs: 7 * DAY_MS },
  // "too early: logs older than 168h0m0s": stay a minute inside, as Elastic's now-167h59m does.
  retentionMarginMs: MINUTE_MS,
  // "minimum delay in serving logs is 1m0s", plus 5 s for clock skew and time in flight.
  settleDelayMs: MINUTE_MS + 5 * SECOND_MS,
  // Data for a window older than the settle delay never changes (seed 001); 5 min for clocks and stragglers.
  immutableAfterMs: 5 * MINUTE_MS,
  // Responses stop at 10 GiB (§3.3, about 15M records); the docs do not say whether that is before
  // or after gzip, so allow three times as much decoded.
  maxBodyBytes: 32 * 1024 ** 3,
};

/** 15 requests/min per zone and 180/min per user; more is a 429 (§3.3). */
export const CLOUDFLARE_RATE_LIMITS: { perZone: RateLimit; perUser: RateLimit } = {
  perZone: { perMinute: 15 },
  perUser: { perMinute: 180 },
};

export const CLOUDFLARE_API = 'https://api.cloudflare.com/client/v4';

/** Cloudflare's own default field set, returned when `fields` is omitted (§3.2). */
export const CLOUDFLARE_DEFAULT_FIELDS = [
  'ClientIP',
  'ClientRequestHost',
  'ClientRequestMethod',
  'ClientRequestURI',
  'EdgeEndTimestamp',
  'EdgeResponseBytes',
  'EdgeResponseStatus',
  'EdgeStartTimestamp',
  'RayID',
] as const;

/** Every field the normalised record has a home for: what we request unless told otherwise. */
export const CLOUDFLARE_RECORD_FIELDS = [
  'CacheCacheStatus',
  'ClientCountry',
  'ClientIP',
  'ClientRequestHost',
  'ClientRequestMethod',
  'ClientRequestPath',
  'ClientRequestProtocol',
  'ClientRequestReferer',
  'ClientRequestScheme',
  'ClientRequestURI',
  'ClientRequestUserAgent',
  'ClientSrcPort',
  'EdgeColoCode',
  'EdgeEndTimestamp',
  'EdgeResponseBodyBytes',
  'EdgeResponseBytes',
  'EdgeResponseContentType',
  'EdgeResponseStatus',
  'EdgeStartTimestamp',
  'RayID',
] as const;
