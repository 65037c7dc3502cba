import { badInput } from '../core/errors';
import { type EmulatedProvider, EMULATED_PROVIDERS, startEmulators } from '../emulators';
import { parseOptions } from './args';
import type { CliIo } from './query';

export const EMULATE_HELP = `Usage: cdn-log-bridge emulate [--provider <id>]... [--port N] [--rpm N] [--seed N]

Starts provider emulators on 127.0.0.1 (all of them unless --provider is given; --port is the first
port, the next emulator takes the next one; default: free ports). Prints one JSON line per emulator
{"provider","baseUrl","credentials","sources"} and serves until stopped (Ctrl-C).`;

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw badInput(name, `"${value}" is not a whole number`);
  return n;
}

export async function startFromArgs(argv: string[]) {
  const values = parseOptions(argv, {
    provider: { type: 'string', multiple: true },
    port: { type: 'string' },
    rpm: { type: 'string' },
    seed: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return null;
  const unknown = values.provider?.find((p) => !(EMULATED_PROVIDERS as readonly string[]).includes(p));
  if (unknown !== undefined) throw badInput('provider', `there is no emulator for "${unknown}"; emulated: ${EMULATED_PROVIDERS.join(', ')}`);
  const providers = values.provider as EmulatedProvider[] | undefined;
  return startEmulators({ providers, port: intOption(values.port, 'port'), rpm: intOption(values.rpm, 'rpm'), seed: intOption(values.seed, 'seed') });
}

/** Resolves when the process is asked to stop. */
export function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function emulateCommand(argv: string[], io: CliIo): Promise<number> {
  const emulators = await startFromArgs(argv);
  if (!emulators) {
    io.stdout(EMULATE_HELP + '\n');
    return 0;
  }
  for (const line of emulators.describe()) io.stdout(JSON.stringify(line) + '\n');
  await untilStopped();
  await emulators.close();
  return 0;
}
