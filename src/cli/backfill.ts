/**
 * `cdn-log-bridge backfill --config FILE --source NAME --from T --to T`: one bounded range of one
 * source, under a checkpoint of its own (the lane `backfill:<from>-<to>`), so the live cursor never
 * moves and an interrupted backfill resumes when run again with the same --from and --to.
 */

import pino from 'pino';
import { badInput } from '../core/errors';
import { formatTime, parseTime } from '../core/time';
import { loadExporterConfig, startExporter } from '../exporter/run-exporter';
import { parseOptions } from './args';
import { untilStopped } from './emulate';
import { EXIT } from './exit-codes';
import type { CliIo } from './query';

export const BACKFILL_HELP = `Usage: cdn-log-bridge backfill --config FILE --source NAME --from TIME --to TIME [--state-dir DIR]

Delivers one range of one configured source (times as for query: ISO 8601 with a zone, or relative
like -2d). Its checkpoint is its own, so the live cursor of \`export\` is never moved; run it again
with the same absolute --from and --to to resume after an interruption. Progress goes to stderr,
log lines to stdout. Exit 0 when the range is delivered, 4 when the source stopped.`;

export async function backfillCommand(argv: string[], io: CliIo): Promise<number> {
  const opts = parseOptions(argv, {
    config: { type: 'string' },
    source: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'state-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (opts.help) return (io.stdout(BACKFILL_HELP + '\n'), EXIT.ok);
  for (const name of ['config', 'source', 'from', 'to'] as const) if (opts[name] === undefined) throw badInput(name, `--${name} is required (cdn-log-bridge backfill --help)`);
  const nowMs = io.nowMs();
  const fromMs = parseTime(opts.from as string, nowMs, 'from');
  const toMs = parseTime(opts.to as string, nowMs, 'to');
  if (!(toMs > fromMs)) throw badInput('to', '--to must be after --from');
  const config = await loadExporterConfig(opts.config as string, io.env);
  const logger = pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 1, sync: true }));
  const running = startExporter(config, {
    stateDir: opts['state-dir'],
    nowMs: io.nowMs,
    backfill: { source: opts.source as string, fromMs, toMs },
    log: (level, message, fields) => logger[level](fields, message),
  });
  const printProgress = (final: boolean) => {
    const h = running.health()[0];
    const at = h.checkpointMs ?? fromMs;
    const share = Math.min(1, Math.max(0, (at - fromMs) / (toMs - fromMs)));
    const bar = '#'.repeat(Math.round(share * 30)).padEnd(30, '.');
    const end = io.interactive && !final ? '' : '\n';
    io.stderr(`${io.interactive ? '\r' : ''}[${bar}] ${(share * 100).toFixed(1)}% to ${formatTime(at)}, ${h.totals.records} records, ${h.state}${end}`);
  };
  const progress = setInterval(() => printProgress(false), io.interactive ? 500 : 10_000);
  await untilStopped(running.finished);
  clearInterval(progress);
  await running.stop();
  printProgress(true);
  const h = running.health()[0];
  io.stderr(`backfill of ${opts.source} ${formatTime(fromMs)}..${formatTime(toMs)}: ${h.state}, ${h.totals.records} records, delivered up to ${formatTime(h.checkpointMs ?? fromMs)}\n`);
  if (h.state === 'done') return EXIT.ok;
  return h.state === 'stopped' ? EXIT.provider : EXIT.ok;
}
