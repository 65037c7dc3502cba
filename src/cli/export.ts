/**
 * `cdn-log-bridge export --config FILE`: the exporter alone (src/exporter). Logs are JSON lines on
 * stdout; SIGTERM or Ctrl-C finishes the batch in flight, keeps the checkpoints and exits.
 */

import pino from 'pino';
import { badInput } from '../core/errors';
import { parseListen, startHealthServer } from '../exporter/health-server';
import { registerExporterMetrics } from '../exporter/metrics';
import { startExporter, loadExporterConfig } from '../exporter/run-exporter';
import { parseOptions } from './args';
import { untilStopped } from './emulate';
import { EXIT } from './exit-codes';
import type { CliIo } from './query';

export const EXPORT_HELP = `Usage: cdn-log-bridge export --config FILE [--state-dir DIR] [--listen 127.0.0.1:9464]

Pulls every source of the configuration window after window and delivers each record as an OTLP
log record (README, "The exporter"). Checkpoints live in --state-dir (default: the file's stateDir,
./data/state). Without an OTLP endpoint (file or OTEL_EXPORTER_OTLP_[LOGS_]ENDPOINT), OTLP/JSON
lines go to ./data/otlp. Logs are JSON lines on stdout. SIGTERM or Ctrl-C finishes the batch in
flight (10 s at most), keeps the checkpoints and exits. --listen serves GET /api/v1/exporter (health
of each source as JSON; 503 while one is stalled or stopped) and GET /metrics (Prometheus).`;

export async function exportCommand(argv: string[], io: CliIo): Promise<number> {
  const opts = parseOptions(argv, { config: { type: 'string' }, 'state-dir': { type: 'string' }, listen: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (opts.help || opts.config === undefined) {
    io.stdout(EXPORT_HELP + '\n');
    return opts.help ? EXIT.ok : EXIT.badInput;
  }
  const listen = opts.listen === undefined ? null : parseListen(opts.listen);
  if (opts.listen !== undefined && listen === null) throw badInput('listen', `"${opts.listen}" is not HOST:PORT (e.g. 127.0.0.1:9464)`);
  const config = await loadExporterConfig(opts.config, io.env);
  const logger = pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 1, sync: true }));
  const running = startExporter(config, {
    stateDir: opts['state-dir'],
    nowMs: io.nowMs,
    log: (level, message, fields) => logger[level](fields, message),
  });
  const server = listen ? await startHealthServer(listen, running.health, registerExporterMetrics(running.health)) : null;
  logger.info({ sources: config.sources.map((s) => s.name), target: running.sender.description, health: server?.url }, 'exporter started');
  await untilStopped(running.finished);
  await running.stop();
  await server?.close();
  const stopped = running.health().filter((h) => h.state === 'stopped');
  logger.info({ sources: running.health().map((h) => ({ name: h.name, state: h.state, checkpointMs: h.checkpointMs })) }, 'exporter stopped');
  return stopped.length > 0 ? EXIT.provider : EXIT.ok;
}
