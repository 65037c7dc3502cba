import { sleep } from './retry';

export interface RateLimit {
  /** Requests allowed per minute, sustained. */
  perMinute: number;
  /** Requests allowed at once after a quiet spell; defaults to perMinute. */
  burst?: number;
}

interface Bucket {
  tokens: number;
  capacity: number;
  refillPerMs: number;
  updatedMs: number;
}

/**
 * Token buckets keyed by what the provider counts against (Cloudflare: the zone, and the user).
 * A request takes one token from every bucket it names, waiting until all have one, so the
 * provider's 429 stays the exception. Keys must not contain secrets: hash credentials first.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  private bucket(key: string, limit: RateLimit): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      const capacity = limit.burst ?? limit.perMinute;
      b = { tokens: capacity, capacity, refillPerMs: limit.perMinute / 60_000, updatedMs: this.now() };
      this.buckets.set(key, b);
    }
    return b;
  }

  private refill(b: Bucket): void {
    const t = this.now();
    b.tokens = Math.min(b.capacity, b.tokens + (t - b.updatedMs) * b.refillPerMs);
    b.updatedMs = t;
  }

  /** How long until every named bucket has a token (0: now). */
  waitMs(keys: ReadonlyArray<[string, RateLimit]>): number {
    let wait = 0;
    for (const [key, limit] of keys) {
      const b = this.bucket(key, limit);
      this.refill(b);
      if (b.tokens < 1) wait = Math.max(wait, Math.ceil((1 - b.tokens) / b.refillPerMs));
    }
    return wait;
  }

  /** Waits for and takes one token from each named bucket. */
  async acquire(keys: ReadonlyArray<[string, RateLimit]>, signal?: AbortSignal): Promise<void> {
    for (let wait = this.waitMs(keys); wait > 0; wait = this.waitMs(keys)) await sleep(wait, signal);
    for (const [key, limit] of keys) this.bucket(key, limit).tokens -= 1;
  }
}
