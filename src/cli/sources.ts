/**
 * `cdn-log-bridge sources --config FILE`: each configured source with its checkpoint and lag, and,
 * while an exporter runs on the same state directory, its health (state, last success, last error).
 */

import { badInput } from '../core/errors';
import { visibleText } from '../core/printable';
import { formatDuration, formatTime } from '../core/time';
import { CheckpointStore, sameIdentity } from '../exporter/checkpoint';
import { readHealthFile } from '../exporter/health-file';
import { loadExporterConfig } from '../exporter/run-exporter';
import { defaultPacing, lagMs } from '../exporter/scheduler';
import { sourceIdentity } from '../exporter/sources';
import { providerAdapter } from '../providers/registry';
import { parseOptions } from './args';
import { EXIT } from './exit-codes';
import type { CliIo } from './query';

export const SOURCES_HELP = `Usage: cdn-log-bridge sources --config FILE [--state-dir DIR] [--output table|json]

Shows every source of the configuration: its checkpoint (everything before it was delivered), how
far it lags behind what the provider has settled, and, while an exporter runs on the same state
directory, its state (ok, lagging, stalled, stopped), last success and last error.`;

export interface SourceRow {
  name: string;
  provider: string;
  source: string;
  checkpoint: string | null;
  lagSeconds: number | null;
  state: string;
  lastSuccess: string | null;
  lastError: string | null;
}

function round(ms: number): string {
  return formatDuration(Math.round(ms / 1000) * 1000);
}

export async function sourcesCommand(argv: string[], io: CliIo): Promise<number> {
  const opts = parseOptions(argv, { config: { type: 'string' }, 'state-dir': { type: 'string' }, output: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (opts.help || opts.config === undefined) {
    io.stdout(SOURCES_HELP + '\n');
    return opts.help ? EXIT.ok : EXIT.badInput;
  }
  if (opts.output !== undefined && opts.output !== 'table' && opts.output !== 'json') throw badInput('output', `"${opts.output}" is not an output format: use table or json`);
  const config = await loadExporterConfig(opts.config, io.env);
  const stateDir = opts['state-dir'] ?? config.stateDir;
  const store = new CheckpointStore(stateDir);
  const health = await readHealthFile(stateDir);
  const nowMs = io.nowMs();
  const rows: SourceRow[] = [];
  for (const source of config.sources) {
    const row: SourceRow = { name: source.name, provider: source.provider, source: '', checkpoint: null, lagSeconds: null, state: health ? 'starting' : 'not running', lastSuccess: null, lastError: null };
    try {
      const identity = sourceIdentity(source);
      row.source = identity.source;
      const checkpoint = await store.load(identity);
      if (checkpoint) {
        row.checkpoint = formatTime(checkpoint.endMs);
        row.lagSeconds = Math.round(lagMs(defaultPacing(source.provider, providerAdapter(source.provider).limits, source.settleMs), checkpoint.endMs, nowMs) / 1000);
      }
      const h = health?.sources.find((x) => x.lane === 'live' && sameIdentity({ provider: x.provider as never, account: identity.account, source: x.source, dataset: x.dataset }, identity) && x.name === source.name);
      if (h) {
        row.state = h.state;
        row.lastSuccess = h.lastSuccessMs === null ? null : formatTime(h.lastSuccessMs);
        row.lastError = h.lastError === null ? null : h.lastError.message;
      }
    } catch (err) {
      row.state = 'error';
      row.lastError = (err as Error).message;
    }
    rows.push(row);
  }
  if (opts.output === 'json') {
    io.stdout(`${JSON.stringify(rows)}\n`);
    return EXIT.ok;
  }
  const header = ['NAME', 'PROVIDER', 'SOURCE', 'CHECKPOINT', 'LAG', 'STATE', 'LAST SUCCESS', 'LAST ERROR'];
  const cells = rows.map((r) => [r.name, r.provider, r.source, r.checkpoint ?? '-', r.lagSeconds === null ? '-' : round(r.lagSeconds * 1000), r.state, r.lastSuccess ?? '-', r.lastError ?? '-'].map((c) => visibleText(c)));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (i === 7 ? 0 : c[i].length))));
  const line = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]))).join('  ');
  io.stdout([line(header), ...cells.map(line)].join('\n') + '\n');
  return EXIT.ok;
}
