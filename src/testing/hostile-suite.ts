/**
 * What the hostile-provider suites (the CLI's and the bridge's) share: the canary credentials whose
 * every fragment must stay out of every output, and HTTP limits short enough that each hostile answer
 * ends within a second or two (injected timeouts: no test asserts wall-clock time).
 */

import type { HttpClientOptions } from '../transport/http';

/** Canary credentials, by the environment variable a provider reads them from. */
export const CANARY = {
  CLOUDFLARE_API_TOKEN: 'CANARYcfTOKENq1w2e3r4t5y6u7i8o9p0',
  GCORE_API_KEY: 'CANARYgcoreKEYa1s2d3f4g5h6j7k8l9',
  TENCENTCLOUD_SECRET_ID: 'AKIDCANARYsecretIDz1x2c3v4b5n6m7',
  TENCENTCLOUD_SECRET_KEY: 'CANARYtencentKEYq9w8e7r6t5y4u3i2',
  NCLOUD_ACCESS_KEY: 'CANARYncpACCESSo1i2u3y4t5r6',
  NCLOUD_SECRET_KEY: 'CANARYncpSECRETp0o9i8u7y6t5r4e3',
};

/** Every 8-character fragment of every canary: none may appear in any output. */
export const CANARY_FRAGMENTS = Object.values(CANARY).flatMap((secret) => Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8)));

export const FAST_HTTP: HttpClientOptions = {
  connectTimeoutMs: 1_000,
  headersTimeoutMs: 1_000,
  bodyTimeoutMs: 1_000,
  deadlineMs: 3_000,
  textDeadlineMs: 800,
  lowSpeed: { bytes: 256, windowMs: 300 },
  retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1_000 },
};
