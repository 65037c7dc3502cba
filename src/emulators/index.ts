/**
 * Starts the provider emulators together on loopback, for the demo, the CLI and end-to-end tests.
 * Adding a provider is one line in `EMULATORS`.
 */

import { cloudflareEmulator } from './cloudflare';
import type { EmulatorDefinition, EmulatorDescription, RunningEmulator } from './emulator';
import { gcoreEmulator } from './gcore';
import { naverElsaEmulator } from './naver-elsa';
import { tencentDsaEmulator } from './tencent-dsa';
import { tencentEdgeOneEmulator } from './tencent-edgeone';

export type { EmulatorDescription } from './emulator';
export {
  type CloudflareEmulator,
  type CloudflareEmulatorOptions,
  type CloudflareZone,
  cloudflareWireRecord,
  startCloudflareEmulator,
} from './cloudflare';
export { type GcoreEmulator, type GcoreEmulatorOptions, type GcoreResource, gcoreWireRow, startGcoreEmulator } from './gcore';
export {
  type TencentDsaEmulator,
  type TencentDsaEmulatorOptions,
  dsaLogLine,
  dsaRegionCodes,
  startTencentDsaEmulator,
} from './tencent-dsa';
export {
  type EdgeOneZone,
  type TencentEdgeOneEmulator,
  type TencentEdgeOneEmulatorOptions,
  edgeOneL4Record,
  edgeOneL7Record,
  startTencentEdgeOneEmulator,
} from './tencent-edgeone';
export { type ElsaProject, type NaverElsaEmulator, type NaverElsaEmulatorOptions, elsaLogDocument, startNaverElsaEmulator } from './naver-elsa';
export { type Fault, FaultController } from './faults';
export type { RequestLogEntry } from './http';
export { type TrafficEvent, TrafficGenerator, type TrafficOptions } from './traffic';

const EMULATORS = {
  cloudflare: cloudflareEmulator,
  gcore: gcoreEmulator,
  'tencent-dsa': tencentDsaEmulator,
  'tencent-edgeone': tencentEdgeOneEmulator,
  'naver-elsa': naverElsaEmulator,
} as const;

export type EmulatedProvider = keyof typeof EMULATORS;
export const EMULATED_PROVIDERS = Object.keys(EMULATORS) as EmulatedProvider[];

type EmulatorOf<P extends EmulatedProvider> = (typeof EMULATORS)[P] extends EmulatorDefinition<infer E> ? E : never;
export type RunningEmulators = { [P in EmulatedProvider]?: EmulatorOf<P> };

export interface StartEmulatorsOptions {
  /** Default: every provider with an emulator. */
  providers?: EmulatedProvider[];
  /** First port; the providers get port, port+1, ... in the order given. Default 0: free ports. */
  port?: number;
  seed?: number;
  /** Mean requests per minute per source. */
  rpm?: number;
}

export interface EmulatorFleet {
  emulators: RunningEmulators;
  describe(): EmulatorDescription[];
  close(): Promise<void>;
}

export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<EmulatorFleet> {
  const providers = options.providers ?? EMULATED_PROVIDERS;
  const unknown = providers.find((provider) => !Object.hasOwn(EMULATORS, provider));
  if (unknown !== undefined) {
    throw new RangeError(`There is no emulator for provider '${unknown}'; emulated: ${EMULATED_PROVIDERS.join(', ')}`);
  }
  const basePort = options.port ?? 0;
  const lastPort = basePort === 0 ? 0 : basePort + providers.length - 1;
  // Checked before anything listens: otherwise the first four start and the fifth finds no port 65536.
  if (!Number.isInteger(basePort) || basePort < 0 || basePort > 65_535) {
    throw new RangeError(`Port ${basePort} is not a port: ports are 1-65535 (0: free ports)`);
  }
  if (lastPort > 65_535) {
    throw new RangeError(`${providers.length} emulators need ports ${basePort}..${lastPort}, past 65535 (0: free ports)`);
  }
  const started: Array<{ definition: EmulatorDefinition<RunningEmulator>; emulator: RunningEmulator }> = [];
  try {
    for (const [index, provider] of providers.entries()) {
      const definition = EMULATORS[provider] as EmulatorDefinition<RunningEmulator>;
      const emulator = await definition.start({
        port: basePort === 0 ? 0 : basePort + index,
        seed: options.seed ?? 1,
        rpm: options.rpm ?? 60,
      });
      started.push({ definition, emulator });
    }
  } catch (error) {
    // One port in use must not leave the others listening.
    await Promise.all(started.map(({ emulator }) => emulator.close()));
    throw error;
  }
  const emulators = Object.fromEntries(
    started.map(({ definition, emulator }) => [definition.provider, emulator]),
  ) as RunningEmulators;
  return {
    emulators,
    describe: () => started.map(({ definition, emulator }) => definition.describe(emulator)),
    close: async () => {
      await Promise.all(started.map(({ emulator }) => emulator.close()));
    },
  };
}
