import { sleep } from './retry';

export interface RateLimit {
  /** Requests allowed in any 60 s. */
  perMinute: number;
}

const MINUTE_MS = 60_000;

/**
 * Client-side rate limits keyed by what the provider counts against (Cloudflare: the zone, and
 * the user), so that the provider's 429 stays the exception. A request takes a slot in every
 * limit it names, waiting until each has had fewer than `perMinute` requests in the last 60 s.
 *
 * A sliding-window log rather than a token bucket: a bucket of 15 that refills at 15/min lets 29
 * requests through in the first minute, and a provider that counts "15 per minute" over a sliding
 * window answers the 16th with 429. The log keeps at most perMinute timestamps per key.
 * Keys must not contain secrets: hash credentials first.
 */
export class RateLimiter {
  private readonly logs = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The request times of a key still inside the last 60 s, oldest first. */
  private recent(key: string): number[] {
    let log = this.logs.get(key);
    if (!log) this.logs.set(key, (log = []));
    const cutoff = this.now() - MINUTE_MS;
    let stale = 0;
    while (stale < log.length && log[stale] <= cutoff) stale++;
    if (stale > 0) log.splice(0, stale);
    return log;
  }

  /** How long until every named limit has room for one more request (0: now). */
  waitMs(keys: ReadonlyArray<[string, RateLimit]>): number {
    let wait = 0;
    for (const [key, limit] of keys) {
      const log = this.recent(key);
      // Room appears when the request perMinute places back leaves the window.
      if (log.length >= limit.perMinute) wait = Math.max(wait, log[log.length - limit.perMinute] + MINUTE_MS - this.now());
    }
    return wait;
  }

  /** Waits for room in each named limit, then counts the request against all of them. */
  async acquire(keys: ReadonlyArray<[string, RateLimit]>, signal?: AbortSignal): Promise<void> {
    for (let wait = this.waitMs(keys); wait > 0; wait = this.waitMs(keys)) await sleep(wait, signal);
    const at = this.now();
    for (const [key] of keys) this.recent(key).push(at);
  }
}
