/**
 * `node bin/run-ts.js bench/stats.bench.ts`: what StatsAggregator.add() costs on 1M records, for each
 * kind of query a dashboard sends (status classes, 100k distinct paths past the tracked capacity,
 * bytes per edge location, p95 duration per host), beside a bare baseline measured in the same rounds:
 * an unbounded Map from group to a Float64Array of buckets, the least a correct aggregation can do.
 * Numbers are for people reading the output; nothing asserts on them.
 */

import { type CdnLogRecord, emptyRecord } from '../src/core/record';
import { StatsAggregator, type StatsSpec } from '../src/core/stats';
import { HOUR_MS } from '../src/core/time';
import { type Comparison, type Pass, compare, spread } from './measure';
import { Dice } from '../src/emulators/random';

const RECORDS = 1_000_000;
const WARMUP_ROUNDS = 2;
const ROUNDS = 5;
const FROM = Date.parse('2026-11-22T00:00:00Z');
const TO = FROM + 24 * HOUR_MS;
const INTERVAL_MS = 60_000;

/** The same records every run: the emulators' seeded generator (mulberry32). */
function prng(seed: number): () => number {
  const dice = new Dice(seed);
  return () => dice.next();
}

/** A day of traffic: skewed paths (a few heavy, 100k in the tail), a handful of hosts and POPs, log-normal-ish durations. */
function buildRecords(): CdnLogRecord[] {
  const random = prng(42);
  const statuses = [200, 200, 200, 200, 200, 206, 304, 304, 404, 500, 502];
  const pops = ['FRA', 'AMS', 'SIN', 'IAD', 'NRT', 'GRU', 'SYD', 'LHR'];
  const hosts = ['www.example.com', 'static.example.com', 'api.example.com', 'img.example.com'];
  const tail = Array.from({ length: 100_000 }, (_, i) => `/assets/${i}.css`);
  const heavy = Array.from({ length: 20 }, (_, i) => `/hot/${i}.js`);
  return Array.from({ length: RECORDS }, (_, i) => ({
    ...emptyRecord('cloudflare', 'zone', FROM + Math.floor((i / RECORDS) * (TO - FROM))),
    status: statuses[Math.floor(random() * statuses.length)],
    edgeLocation: pops[Math.floor(random() * pops.length)],
    host: hosts[Math.floor(random() * hosts.length)],
    path: random() < 0.6 ? heavy[Math.floor(random() * random() * heavy.length)] : tail[Math.floor(random() * tail.length)],
    bytesSent: Math.floor(200 + random() * 50_000),
    durationMs: Math.exp(random() * 4 + random() * 4),
  }));
}

function aggregatorPass(spec: StatsSpec, records: readonly CdnLogRecord[]): Pass {
  return async () => {
    const aggregator = new StatsAggregator(spec);
    for (const r of records) aggregator.add(r);
    return aggregator.result().recordsCounted;
  };
}

/** The baseline: one Map lookup and one increment per record, memory unbounded, no top K, no other. */
function barePass(field: (r: CdnLogRecord) => string | number | null, records: readonly CdnLogRecord[]): Pass {
  const buckets = Math.ceil((TO - FROM) / INTERVAL_MS);
  return async () => {
    const rows = new Map<string | number | null, Float64Array>();
    let counted = 0;
    for (const r of records) {
      const t = r.timestamp;
      if (!(t >= FROM && t < TO)) continue;
      counted++;
      const key = field(r);
      let row = rows.get(key);
      if (row === undefined) rows.set(key, (row = new Float64Array(buckets)));
      row[Math.floor((t - FROM) / INTERVAL_MS)]++;
    }
    return counted;
  };
}

function row(name: string, result: Comparison): string {
  const rate = (perSec: number) => `${(perSec / 1e6).toFixed(2)}M/s`;
  const ratio = spread(result.costRatios);
  const full = spread(result.fullRecordsPerSec);
  return `${name.padEnd(40)} ${rate(full.median).padStart(9)} (${rate(full.min)}–${rate(full.max)})  ${rate(spread(result.bareRecordsPerSec).median).padStart(9)}   ${ratio.median.toFixed(2)}x`;
}

async function main(): Promise<void> {
  const records = buildRecords();
  const spec = (groupBy: string | null, metric: StatsSpec['metric']): StatsSpec => ({ groupBy, metric, fromMs: FROM, toMs: TO, intervalMs: INTERVAL_MS, topK: 10 });
  const cases: Array<[string, StatsSpec, (r: CdnLogRecord) => string | number | null]> = [
    ['count by statusClass', spec('statusClass', 'count'), (r) => Math.floor((r.status ?? 0) / 100)],
    ['count by path (100k distinct, evicting)', spec('path', 'count'), (r) => r.path],
    ['bytes by edgeLocation', spec('edgeLocation', 'bytes'), (r) => r.edgeLocation],
    ['durationP95 by host', spec('host', 'durationP95'), (r) => r.host],
  ];
  console.log(`Node ${process.version}, ${RECORDS.toLocaleString('en-US')} records over 24 h in 1 min buckets, topK 10, ${WARMUP_ROUNDS} warm-up + ${ROUNDS} timed rounds`);
  console.log(`${'add() records/s'.padEnd(40)} ${'median'.padStart(9)} (min–max)            ${'bare Map'.padStart(9)}   cost ratio (median)`);
  for (const [name, s, field] of cases) {
    const result = await compare({ name, full: aggregatorPass(s, records), bare: barePass(field, records), records: RECORDS, warmupRounds: WARMUP_ROUNDS, rounds: ROUNDS });
    console.log(row(name, result));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
