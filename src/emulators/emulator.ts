/** What every provider emulator offers the registry in `index.ts`, so adding a provider is one line there. */

/** The options `startEmulators` passes to every provider. */
export interface CommonEmulatorOptions {
  /** 0 picks a free port. */
  port: number;
  seed: number;
  /** Mean requests per minute per source. */
  rpm: number;
}

/** How a client (the bridge, the demo, a test) reaches one emulator. */
export interface EmulatorDescription {
  provider: string;
  baseUrl: string;
  credentials: Record<string, string>;
  /** Cloudflare `{ zone, name, hosts }`, Gcore `{ resource, cname }`, ... */
  sources: Array<Record<string, unknown>>;
}

export interface RunningEmulator {
  close(): Promise<void>;
}

export interface EmulatorDefinition<E extends RunningEmulator> {
  provider: string;
  start(options: CommonEmulatorOptions): Promise<E>;
  describe(emulator: E): EmulatorDescription;
}
