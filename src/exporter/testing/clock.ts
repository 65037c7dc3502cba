/**
 * Virtual time for exporter tests: a sleeper moves the clock towards its wake-up time one step per
 * turn of the event loop, so sleepers wake roughly in the order of their wake-up times and the work
 * between them (real I/O included) runs.
 */
export class VirtualClock {
  constructor(
    public nowMs: number,
    private readonly stepMs: number,
  ) {}

  readonly now = () => this.nowMs;

  readonly sleep = async (ms: number, signal: AbortSignal) => {
    const wake = this.nowMs + ms;
    while (this.nowMs < wake) {
      await new Promise((resolve) => setImmediate(resolve));
      signal.throwIfAborted();
      if (this.nowMs < wake) this.nowMs = Math.min(wake, this.nowMs + this.stepMs);
    }
  };
}
