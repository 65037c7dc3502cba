/**
 * The providers' request quotas as a sliding window: at most `limit` requests per key in any
 * `windowMs`. The clock is injected so tests can pin time.
 */
export class SlidingWindowLimiter {
  private readonly admittedAtMs = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** Counts a request of `key` against the quota when there is room: 0 when admitted, else the ms to wait. */
  tryAdmit(key: string): number {
    return SlidingWindowLimiter.tryAdmitAll([[this, key]]);
  }

  /**
   * One request against several quotas (Cloudflare: per zone and per user): it counts against all of
   * them when every one has room, and against none when any is full. 0 when admitted, else the longest wait.
   */
  static tryAdmitAll(quotas: ReadonlyArray<readonly [SlidingWindowLimiter, string]>): number {
    const waitMs = Math.max(0, ...quotas.map(([limiter, key]) => limiter.waitMs(key)));
    if (waitMs > 0) return waitMs;
    for (const [limiter, key] of quotas) limiter.admit(key);
    return 0;
  }

  private waitMs(key: string): number {
    const times = this.recent(key);
    if (times.length < this.limit) return 0;
    return Math.max(1, times[times.length - this.limit] + this.windowMs - this.now());
  }

  private admit(key: string): void {
    const times = this.recent(key);
    times.push(this.now());
    this.admittedAtMs.set(key, times);
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    return (this.admittedAtMs.get(key) ?? []).filter((t) => t > cutoff);
  }
}
