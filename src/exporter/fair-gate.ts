/**
 * Fair sharing of one provider account among the sources that use it. Each source reads one window
 * at a time and queues for a slot before it; slots are handed out first come, first served, so a
 * source catching up on a week of windows takes its turn between the live windows of the others
 * instead of filling the account's rate limit (the HTTP client's RateLimiter, shared by every source
 * and, inside `serve`, by the bridge's queries) with its own requests.
 */

export class FairGate {
  private active = 0;
  private readonly waiting: Array<{ grant: () => void; signal?: AbortSignal; onAbort?: () => void }> = [];

  constructor(readonly slots: number) {
    if (!(Number.isInteger(slots) && slots >= 1)) throw new RangeError(`a gate needs at least one slot, got ${slots}`);
  }

  /** Waits for a slot; the returned function gives it back (once). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.active < this.slots && this.waiting.length === 0) {
      this.active++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const entry: (typeof this.waiting)[number] = { grant: resolve, signal };
      if (signal) {
        entry.onAbort = () => {
          const at = this.waiting.indexOf(entry);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.waiting.push(entry);
    });
    return this.releaser();
  }

  get queued(): number {
    return this.waiting.length;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (!next) {
        this.active--;
        return;
      }
      // The slot passes straight to the next in line: nobody arriving meanwhile can jump the queue.
      if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
      next.grant();
    };
  }
}

/** One gate per provider account (provider + account hash), created on first use. */
export class FairGates {
  private readonly gates = new Map<string, FairGate>();

  constructor(private readonly slotsPerAccount = 2) {}

  forAccount(provider: string, account: string): FairGate {
    const key = `${provider}\n${account}`;
    let gate = this.gates.get(key);
    if (!gate) this.gates.set(key, (gate = new FairGate(this.slotsPerAccount)));
    return gate;
  }
}
