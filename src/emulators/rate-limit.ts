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

  /** How long `key` must wait before its next request is admitted; 0 when it may go now. */
  waitMs(key: string): number {
    const times = this.recent(key);
    if (times.length < this.limit) return 0;
    return Math.max(1, times[times.length - this.limit] + this.windowMs - this.now());
  }

  /** Counts a request of `key` against the quota. */
  admit(key: string): void {
    const times = this.recent(key);
    times.push(this.now());
    this.admittedAtMs.set(key, times);
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    return (this.admittedAtMs.get(key) ?? []).filter((t) => t > cutoff);
  }
}
