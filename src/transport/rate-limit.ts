import { sleep } from './retry';

/** Requests allowed in any 60 s (Cloudflare, DSA), or in any 1 s (EdgeOne). */
export type RateLimit = { perMinute: number } | { perSecond: number };

function window(limit: RateLimit): { requests: number; windowMs: number } {
  return 'perMinute' in limit ? { requests: limit.perMinute, windowMs: 60_000 } : { requests: limit.perSecond, windowMs: 1_000 };
}

/**
 * Client-side rate limits keyed by what the provider counts against (Cloudflare: the zone, and
 * the user; DSA and EdgeOne: the SecretId), so that the provider's own refusal stays the exception.
 * A request takes a slot in every limit it names, waiting until each has had fewer than its number
 * of requests in the last window (60 s or 1 s).
 *
 * A sliding-window log rather than a token bucket: a bucket of 15 that refills at 15/min lets 29
 * requests through in the first minute, and a provider that counts "15 per minute" over a sliding
 * window answers the 16th with 429. The log keeps at most that many timestamps per key.
 * Keys must not contain secrets: hash credentials first. A key always names the same limit.
 */
export class RateLimiter {
  private readonly logs = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The request times of a key still inside its window, oldest first. */
  private recent(key: string, windowMs: number): number[] {
    let log = this.logs.get(key);
    if (!log) this.logs.set(key, (log = []));
    const cutoff = this.now() - windowMs;
    let stale = 0;
    while (stale < log.length && log[stale] <= cutoff) stale++;
    if (stale > 0) log.splice(0, stale);
    return log;
  }

  /** How long until every named limit has room for one more request (0: now). */
  waitMs(keys: ReadonlyArray<[string, RateLimit]>): number {
    let wait = 0;
    for (const [key, limit] of keys) {
      const { requests, windowMs } = window(limit);
      const log = this.recent(key, windowMs);
      // Room appears when the request `requests` places back leaves the window.
      if (log.length >= requests) wait = Math.max(wait, log[log.length - requests] + windowMs - this.now());
    }
    return wait;
  }

  /** Waits for room in each named limit, then counts the request against all of them. */
  async acquire(keys: ReadonlyArray<[string, RateLimit]>, signal?: AbortSignal): Promise<void> {
    for (let wait = this.waitMs(keys); wait > 0; wait = this.waitMs(keys)) await sleep(wait, signal);
    const at = this.now();
    for (const [key, limit] of keys) this.recent(key, window(limit).windowMs).push(at);
  }
}
