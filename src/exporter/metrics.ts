/**
 * The exporter's Prometheus metrics, read from the loops' health at scrape time (nothing to keep in
 * step): per source, records, bytes, windows, batches, retries, rejected records, failed windows
 * and unreachable time as counters; lag, window size, state and last success as gauges. Labels are
 * the source's configured name, provider and lane: few, and never a credential.
 */

import { Counter, Gauge, Registry } from 'prom-client';
import type { SourceHealth, SourceState } from './exporter';

const LABELS = ['source', 'provider', 'lane'] as const;
const STATES: SourceState[] = ['starting', 'ok', 'lagging', 'stalled', 'stopped', 'done'];

type Totals = SourceHealth['totals'];

export function registerExporterMetrics(health: () => SourceHealth[], registry: Registry = new Registry()): Registry {
  const labels = (h: SourceHealth) => ({ source: h.name, provider: h.provider, lane: h.lane });
  const total = (name: string, help: string, value: (h: SourceHealth) => number) =>
    new Counter({
      name,
      help,
      labelNames: LABELS,
      registers: [registry],
      // Totals only grow within a process: exposing the current value keeps counter semantics.
      collect() {
        this.reset();
        for (const h of health()) this.inc(labels(h), value(h));
      },
    });
  const counters: Array<[keyof Totals, string]> = [
    ['records', 'Records acknowledged by the OTLP endpoint'],
    ['bytes', 'Bytes sent in acknowledged batches'],
    ['windows', 'Windows delivered and checkpointed'],
    ['batches', 'Batches acknowledged'],
    ['retries', 'Retried deliveries of a batch'],
    ['rejected', 'Records the endpoint acknowledged but refused (OTLP partial success)'],
    ['failedWindows', 'Windows that failed and were tried again'],
  ];
  for (const [key, help] of counters) {
    const name = key === 'failedWindows' ? 'failed_windows' : key === 'rejected' ? 'rejected_records' : key;
    total(`cdn_exporter_${name}_total`, help, (h) => h.totals[key]);
  }
  total('cdn_exporter_unreachable_seconds_total', 'Time skipped because the provider no longer served it (retention)', (h) => h.unreachableMsTotal / 1000);
  const gauge = (name: string, help: string, value: (h: SourceHealth) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: LABELS,
      registers: [registry],
      collect() {
        this.reset();
        for (const h of health()) {
          const v = value(h);
          if (v !== null) this.set(labels(h), v);
        }
      },
    });
  gauge('cdn_exporter_lag_seconds', 'From the checkpoint to the newest settled instant', (h) => h.lagMs / 1000);
  gauge('cdn_exporter_window_size_seconds', 'The adapted window size', (h) => h.windowSizeMs / 1000);
  gauge('cdn_exporter_checkpoint_timestamp_seconds', 'Exclusive end of everything acknowledged', (h) => (h.checkpointMs === null ? null : h.checkpointMs / 1000));
  gauge('cdn_exporter_last_success_timestamp_seconds', 'When the last window was delivered', (h) => (h.lastSuccessMs === null ? null : h.lastSuccessMs / 1000));
  new Gauge({
    name: 'cdn_exporter_source_state',
    help: '1 for the state each source is in (ok, lagging, stalled, stopped, done, starting)',
    labelNames: [...LABELS, 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const h of health()) for (const state of STATES) this.set({ ...labels(h), state }, h.state === state ? 1 : 0);
    },
  });
  return registry;
}
