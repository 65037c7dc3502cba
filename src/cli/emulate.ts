import { badInput } from '../core/errors';
import { type EmulatedProvider, EMULATED_PROVIDERS, startEmulators } from '../emulators';
import { parseOptions } from './args';
import type { CliIo } from './query';

export const EMULATE_HELP = `Usage: cdn-log-bridge emulate [--provider <id>]... [--port N] [--rpm N] [--seed N]

Starts provider emulators on 127.0.0.1 (all of them unless --provider is given; --port is the first
port, 1-65535, and the next emulator takes the next one; default 0: free ports). Prints one JSON line
per emulator {"provider","baseUrl","credentials","sources"} and serves until stopped (Ctrl-C).`;

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw badInput(name, `"${value}" is not a whole number`);
  return n;
}

const MAX_PORT = 65_535;

/** The first port of `count` consecutive ones; 0 lets every emulator take a free port. */
function portOption(value: string | undefined, count: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw badInput('port', `"${value}" is not a whole number; give a port 1-${MAX_PORT}, or 0 for free ports`);
  const port = Number(value);
  if (port < 0 || port > MAX_PORT) throw badInput('port', `"${value}" is not a port: give 1-${MAX_PORT}, or 0 for free ports`);
  const last = port + count - 1;
  if (port !== 0 && last > MAX_PORT) {
    throw badInput('port', `${count} emulators need ports ${port}..${last}, past ${MAX_PORT}; give --port ${MAX_PORT - count + 1} or lower, or 0 for free ports`);
  }
  return port;
}

/** A port another process holds (EADDRINUSE) or that needs privileges (EACCES) is the user's to change, not a bug. */
function portRefused(error: unknown, basePort: number, count: number): Error {
  const { code, port } = error as NodeJS.ErrnoException & { port?: number };
  const where = typeof port === 'number' ? `port ${port}` : `one of ports ${basePort}..${basePort + count - 1}`;
  if (code === 'EADDRINUSE') return badInput('port', `${where} is in use (EADDRINUSE); give another --port, or 0 for free ports`);
  if (code === 'EACCES') return badInput('port', `${where} needs privileges (EACCES); give a port from 1024 up, or 0 for free ports`);
  return error as Error;
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
  const repeated = values.provider?.find((p, i) => values.provider!.indexOf(p) !== i);
  if (repeated !== undefined) throw badInput('provider', `--provider ${repeated} was given twice; give each provider once`);
  const providers = values.provider as EmulatedProvider[] | undefined;
  const count = (providers ?? EMULATED_PROVIDERS).length;
  const port = portOption(values.port, count);
  const rpm = intOption(values.rpm, 'rpm');
  const seed = intOption(values.seed, 'seed');
  try {
    return await startEmulators({ providers, port, rpm, seed });
  } catch (error) {
    throw port ? portRefused(error, port, count) : error;
  }
}

/**
 * Resolves when the process is asked to stop (SIGINT, SIGTERM), or when `finished` settles first;
 * either way its signal handlers are removed, so a later Ctrl-C is the default one again.
 */
export function untilStopped(finished?: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    finished?.then(stop, stop);
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
