import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import path from 'node:path';
import { badInput } from '../core/errors';
import { type EmulatorFleet, startEmulators } from '../emulators';
import { demoEnv } from '../emulators/demo-client';
import { type BridgeOptions, DEFAULT_BRIDGE_PORT, DEFAULT_CACHE_MAX_BYTES, type RunningBridge, startBridge } from '../bridge/server';
import type { ExporterConfig } from '../exporter/config';
import { exporterHealthBody } from '../exporter/health-server';
import { registerExporterMetrics } from '../exporter/metrics';
import { loadExporterConfig, startExporter } from '../exporter/run-exporter';
import { parseOptions } from './args';
import { untilStopped } from './emulate';
import type { CliIo } from './query';

export const SERVE_HELP = `Usage: cdn-log-bridge serve [--host 127.0.0.1] [--port ${DEFAULT_BRIDGE_PORT}] [--token T] [--cache-dir DIR]
                           [--cache-max-bytes N] [--demo] [--config FILE [--state-dir DIR]]

Runs the bridge: the HTTP API the Grafana data source calls (README, "The bridge").
  --token T            the bearer token every request but /metrics must send; or CDN_LOG_BRIDGE_TOKEN.
                       Required, except with --demo, which makes one up and prints it.
  --cache-dir DIR      where settled windows are kept (default: $XDG_CACHE_HOME/cdn-log-bridge or ~/.cache/cdn-log-bridge)
  --cache-max-bytes N  bound on the cache (default ${DEFAULT_CACHE_MAX_BYTES}); least recently used windows go first
  --demo               also start the five provider emulators; requests without credentials use their demo accounts
  --config FILE        also run the exporter of this configuration (README, "The exporter") in this process:
                       it shares the bridge's rate limits, fills its window cache, and reports on GET /api/v1/exporter;
                       with --demo, a source with neither credentials nor baseUrl reads its provider's emulator
  --state-dir DIR      the exporter's checkpoints (default: the configuration's stateDir)
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
  /** The exporter's configuration file, when one runs in this process. */
  config?: string;
  stateDir?: string;
}

export function serveSettings(argv: string[], env: Record<string, string | undefined>, demoDefault = false): ServeSettings | null {
  const opts = parseOptions(argv, {
    host: { type: 'string' },
    port: { type: 'string' },
    token: { type: 'string' },
    'cache-dir': { type: 'string' },
    'cache-max-bytes': { type: 'string' },
    demo: { type: 'boolean' },
    config: { type: 'string' },
    'state-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (opts['state-dir'] !== undefined && opts.config === undefined) throw badInput('state-dir', 'is the exporter\'s: give --config FILE with it');
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
    config: opts.config,
    stateDir: opts['state-dir'],
  };
}

/** The bridge's hook that runs an exporter in its process, on its client, window cache and metrics. */
export function exporterInBridge(config: ExporterConfig, stateDir?: string): NonNullable<BridgeOptions['exporter']> {
  return (parts) => {
    const running = startExporter(config, { http: parts.http, windowStore: parts.cache ?? undefined, stateDir, log: parts.log });
    registerExporterMetrics(running.health, parts.registry);
    parts.log('info', 'exporter started', { sources: config.sources.map((s) => s.name), target: running.sender.description });
    return { health: () => exporterHealthBody(running.health()), stop: () => running.stop() };
  };
}

/**
 * In demo mode, a configured source with no credentials (neither in the file nor in the environment;
 * empty values count as none) and no baseUrl reads the emulator of its provider with its demo
 * account, as the bridge answers a query without credentials. The emulators listen on free ports,
 * which no file can name: this is how `serve --demo --config` (docker-compose.yml,
 * deploy/exporter.yaml) exports them. Every other source is left as configured.
 */
export function withDemoSources(config: ExporterConfig, emulators: EmulatorFleet): ExporterConfig {
  const byProvider = new Map(emulators.describe().map((d) => [d.provider, d]));
  const sources = config.sources.map((source) => {
    const emulator = byProvider.get(source.provider);
    if (!emulator || source.baseUrl !== undefined || Object.values(source.credentials).some((v) => v !== '')) return source;
    return { ...source, baseUrl: emulator.baseUrl, credentials: demoEnv(source.provider, emulator.credentials) };
  });
  return { ...config, sources };
}

/** Starts the bridge (and, in demo mode, the emulators first); a port in use is bad input naming it. */
export async function startServing(settings: ServeSettings, env: Record<string, string | undefined> = {}): Promise<{ bridge: RunningBridge; emulators: EmulatorFleet | null }> {
  // A bad configuration stops the start, before anything listens.
  const loaded = settings.config === undefined ? undefined : await loadExporterConfig(settings.config, env);
  const emulators = settings.demo ? await startEmulators() : null;
  const config = loaded !== undefined && emulators !== null ? withDemoSources(loaded, emulators) : loaded;
  try {
    const bridge = await startBridge({
      host: settings.host,
      port: settings.port,
      token: settings.token,
      cacheDir: settings.cacheDir,
      cacheMaxBytes: settings.cacheMaxBytes,
      demo: emulators,
      exporter: config === undefined ? undefined : exporterInBridge(config, settings.stateDir),
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
  const { bridge, emulators } = await startServing(settings, io.env);
  if (settings.tokenGenerated) io.stderr(`bridge token (demo): ${settings.token}\n`);
  await untilStopped();
  await bridge.close();
  await emulators?.close();
  return 0;
}
