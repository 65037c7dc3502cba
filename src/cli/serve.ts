import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import path from 'node:path';
import { badInput } from '../core/errors';
import { type EmulatorFleet, startEmulators } from '../emulators';
import { DEFAULT_BRIDGE_PORT, DEFAULT_CACHE_MAX_BYTES, type RunningBridge, startBridge } from '../bridge/server';
import { parseOptions } from './args';
import { untilStopped } from './emulate';
import type { CliIo } from './query';

export const SERVE_HELP = `Usage: cdn-log-bridge serve [--host 127.0.0.1] [--port ${DEFAULT_BRIDGE_PORT}] [--token T] [--cache-dir DIR]
                           [--cache-max-bytes N] [--demo]

Runs the bridge: the HTTP API the Grafana data source calls (README, "The bridge").
  --token T            the bearer token every request but /metrics must send; or CDN_LOG_BRIDGE_TOKEN.
                       Required, except with --demo, which makes one up and prints it.
  --cache-dir DIR      where settled windows are kept (default: $XDG_CACHE_HOME/cdn-log-bridge or ~/.cache/cdn-log-bridge)
  --cache-max-bytes N  bound on the cache (default ${DEFAULT_CACHE_MAX_BYTES}); least recently used windows go first
  --demo               also start the five provider emulators; requests without credentials use their demo accounts
Logs are JSON lines on stdout. SIGTERM or Ctrl-C lets running queries finish (30 s at most), then exits.`;

function wholeNumber(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) throw badInput(name, `"${value}" is not a whole number from ${min} to ${max}`);
  return n;
}

export function defaultCacheDir(env: Record<string, string | undefined>): string {
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'cdn-log-bridge');
}

export interface ServeSettings {
  host: string;
  port: number;
  token: string;
  /** True when the token was made up here (demo mode without one given): print it. */
  tokenGenerated: boolean;
  cacheDir: string;
  cacheMaxBytes: number;
  demo: boolean;
}

export function serveSettings(argv: string[], env: Record<string, string | undefined>, demoDefault = false): ServeSettings | null {
  const opts = parseOptions(argv, {
    host: { type: 'string' },
    port: { type: 'string' },
    token: { type: 'string' },
    'cache-dir': { type: 'string' },
    'cache-max-bytes': { type: 'string' },
    demo: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (opts.help) return null;
  const demo = opts.demo ?? demoDefault;
  const given = opts.token ?? (env.CDN_LOG_BRIDGE_TOKEN || undefined);
  if (given !== undefined && given.length < 16) throw badInput('token', 'the bridge token must be at least 16 characters (e.g. openssl rand -hex 24)');
  if (given === undefined && !demo) throw badInput('token', 'the bridge needs a token: pass --token or set CDN_LOG_BRIDGE_TOKEN (or run with --demo)');
  return {
    host: opts.host ?? '127.0.0.1',
    port: wholeNumber(opts.port, 'port', 0, 65535) ?? DEFAULT_BRIDGE_PORT,
    token: given ?? randomBytes(24).toString('hex'),
    tokenGenerated: given === undefined,
    cacheDir: opts['cache-dir'] ?? defaultCacheDir(env),
    cacheMaxBytes: wholeNumber(opts['cache-max-bytes'], 'cache-max-bytes', 0, Number.MAX_SAFE_INTEGER) ?? DEFAULT_CACHE_MAX_BYTES,
    demo,
  };
}

/** Starts the bridge (and, in demo mode, the emulators first); a port in use is bad input naming it. */
export async function startServing(settings: ServeSettings): Promise<{ bridge: RunningBridge; emulators: EmulatorFleet | null }> {
  const emulators = settings.demo ? await startEmulators() : null;
  try {
    const bridge = await startBridge({
      host: settings.host,
      port: settings.port,
      token: settings.token,
      cacheDir: settings.cacheDir,
      cacheMaxBytes: settings.cacheMaxBytes,
      demo: emulators,
    });
    return { bridge, emulators };
  } catch (err) {
    await emulators?.close();
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw badInput('port', `port ${settings.port} on ${settings.host} ${code === 'EADDRINUSE' ? 'is in use' : 'needs privileges'} (${code}); pick another with --port`);
    }
    throw err;
  }
}

/** A curl line that works as pasted against a running bridge. */
export function curlExample(url: string, token: string, body: Record<string, unknown>): string {
  return `curl -s -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' ${url}/api/v1/query -d '${JSON.stringify(body)}'`;
}

export async function serveCommand(argv: string[], io: CliIo): Promise<number> {
  const settings = serveSettings(argv, io.env);
  if (!settings) {
    io.stdout(SERVE_HELP + '\n');
    return 0;
  }
  const { bridge, emulators } = await startServing(settings);
  if (settings.tokenGenerated) io.stderr(`bridge token (demo): ${settings.token}\n`);
  await untilStopped();
  await bridge.close();
  await emulators?.close();
  return 0;
}
