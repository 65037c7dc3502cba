/**
 * Wiring: a configuration file becomes a running exporter (sender, checkpoint store, one shared
 * HTTP client whose rate limits every source shares, and the loops). Used by `export` and, with
 * the bridge's client and window cache passed in, by `serve --config`.
 */

import { open } from 'node:fs/promises';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { CdnLogError } from '../core/errors';
import { SecretScrubber } from '../core/secrets';
import { type Http, HttpClient } from '../transport/http';
import { RateLimiter } from '../transport/rate-limit';
import { CheckpointStore } from './checkpoint';
import { type ExporterConfig, MAX_CONFIG_BYTES, parseExporterConfig } from './config';
import type { OtlpSender } from './delivery';
import { type ExporterEvents, Exporter, type SourceHealth, type WindowStore } from './exporter';
import { senderFor } from './senders';
import { writeHealthFile } from './health-file';
import { exportSources } from './sources';

/** Reads a configuration file (bounded) and validates it; BadInput naming the line and field. */
export async function loadExporterConfig(file: string, env: Record<string, string | undefined>): Promise<ExporterConfig> {
  let text: string;
  try {
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      text = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new CdnLogError('BadInput', `${file}: cannot read the configuration (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { field: 'config' });
  }
  return parseExporterConfig(text, file, env);
}

export interface ExporterRunOptions {
  nowMs?: () => number;
  /** Overrides the file's stateDir (`--state-dir`). */
  stateDir?: string;
  /** The bridge's client inside `serve` (its rate limits are then shared with dashboards). */
  http?: Http;
  windowStore?: WindowStore;
  log: NonNullable<ExporterEvents['log']>;
  /** A backfill: one source, its own lane and range. */
  backfill?: { source: string; fromMs: number; toMs: number };
}

export interface RunningExporter {
  exporter: Exporter;
  sender: OtlpSender;
  health(): SourceHealth[];
  /** SIGTERM: finish the batch in flight, stop, flush the sender. */
  stop(deadlineMs?: number): Promise<void>;
  /** Resolves when every loop has ended (a backfill when done; a live exporter only when stopped). */
  finished: Promise<void>;
}

function stateDirOf(config: ExporterConfig, options: ExporterRunOptions): string {
  return options.stateDir ?? config.stateDir;
}

export function createSender(config: ExporterConfig): OtlpSender & { shutdown(): Promise<void> } {
  return senderFor(config.target, { concurrencyLimit: Math.max(8, config.sources.length * 2) });
}

export function startExporter(config: ExporterConfig, options: ExporterRunOptions): RunningExporter {
  const nowMs = options.nowMs ?? Date.now;
  const scrubber = new SecretScrubber(config.secrets);
  const log: ExporterRunOptions['log'] = (level, message, fields) => options.log(level, scrubber.scrub(message), fields);
  // The OpenTelemetry exporters report partial success and their own troubles through `diag`.
  diag.setLogger(
    {
      error: (message, ...args) => log('error', `OTLP exporter: ${message} ${args.map(String).join(' ')}`.trim(), {}),
      warn: (message, ...args) => log('warn', `OTLP exporter: ${message} ${args.map(String).join(' ')}`.trim(), {}),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  let sources = exportSources(config, nowMs());
  if (options.backfill) {
    const { source: name, fromMs, toMs } = options.backfill;
    const index = config.sources.findIndex((s) => s.name === name);
    if (index < 0) throw new CdnLogError('BadInput', `--source: no source is named "${name}"; the configuration has: ${config.sources.map((s) => s.name).join(', ')}`, { field: 'source' });
    sources = exportSources({ ...config, sources: [config.sources[index]] }, nowMs(), { lane: `backfill:${fromMs}-${toMs}`, fromMs, toMs });
  }
  const sender = createSender(config);
  const exporter = new Exporter(sources, {
    http: options.http ?? new HttpClient({ rateLimiter: new RateLimiter() }),
    store: new CheckpointStore(stateDirOf(config, options)),
    sender,
    senderSecrets: config.secrets,
    windowStore: options.windowStore,
    nowMs,
    events: { log },
  });
  const finished = exporter.start();
  const stateDir = options.stateDir ?? config.stateDir;
  // A backfill's health is its progress bar; the live exporter's is read by `sources`.
  const writeHealth = () => (options.backfill ? Promise.resolve() : writeHealthFile(stateDir, exporter.health(), nowMs()).catch(() => undefined));
  const healthTimer = setInterval(() => void writeHealth(), 5_000);
  healthTimer.unref();
  void writeHealth();
  return {
    exporter,
    sender,
    health: () => exporter.health(),
    finished,
    stop: async (deadlineMs = 10_000) => {
      clearInterval(healthTimer);
      await exporter.stop(deadlineMs);
      await sender.shutdown();
      await writeHealth();
    },
  };
}
