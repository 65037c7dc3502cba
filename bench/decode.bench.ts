/**
 * `npm run bench`: decode + normalise throughput of the Cloudflare and Gcore download paths, each
 * beside a bare baseline timed in the same run (bench/paths.ts says what each one does). The goal
 * is a cost ratio (bare rate / full rate) of at most 1.5x: streaming, bounds, checks and
 * normalisation may cost half again what the bare work of inflating and splitting costs, no more.
 */

import { type Fixture, benchEvents, cloudflareFixture, gcoreFixture } from './fixtures';
import { type Comparison, compare, spread } from './measure';
import { BASELINE_NOTES, cloudflareBare, cloudflareFull, gcoreBare, gcoreFull } from './paths';

const WARMUP_ROUNDS = 2;
const ROUNDS = 7;
const GOAL_COST_RATIO = 1.5;

const MB = 1024 * 1024;

function describeFixture(name: string, fixture: Fixture): string {
  const compressedMb = (fixture.body.length / MB).toFixed(1);
  const rawMb = (fixture.rawBytes / MB).toFixed(1);
  return `  ${name.padEnd(24)} ${fixture.records.toLocaleString('en-US')} records, ${compressedMb} MB compressed, ${rawMb} MB raw`;
}

function rate(recordsPerSec: number): string {
  return `${Math.round(recordsPerSec / 1000).toLocaleString('en-US')}k`;
}

function row(name: string, result: Comparison): string {
  const full = spread(result.fullRecordsPerSec);
  const bare = spread(result.bareRecordsPerSec);
  const ratio = spread(result.costRatios);
  const verdict = ratio.median <= GOAL_COST_RATIO ? 'within goal' : `over the ${GOAL_COST_RATIO}x goal`;
  return [
    name.padEnd(26),
    rate(full.median).padStart(10),
    rate(bare.median).padStart(12),
    `   ${ratio.median.toFixed(2)}x (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})  ${verdict}`,
  ].join(' ');
}

/** In a function of its own so the 200k events are garbage before timing starts. */
function buildFixtures(): { cloudflare: Fixture; gcore: Fixture } {
  const events = benchEvents();
  return { cloudflare: cloudflareFixture(events), gcore: gcoreFixture(events) };
}

async function main(): Promise<void> {
  const startedMs = Date.now();
  console.log(`Node ${process.version} (${process.platform} ${process.arch}), ${WARMUP_ROUNDS} warm-up + ${ROUNDS} timed rounds, full and bare alternating`);
  const { cloudflare, gcore } = buildFixtures();
  console.log(`fixtures (built in ${((Date.now() - startedMs) / 1000).toFixed(1)} s):`);
  console.log(describeFixture('cloudflare gzip ndjson', cloudflare));
  console.log(describeFixture('gcore zip tsv', gcore));
  console.log(`baselines: cloudflare = ${BASELINE_NOTES.cloudflare}`);
  console.log(`           gcore = ${BASELINE_NOTES.gcore}`);
  console.log('');

  const results: Array<[string, Comparison]> = [
    [
      'cloudflare gzip ndjson',
      await compare({ name: 'cloudflare', full: cloudflareFull(cloudflare), bare: cloudflareBare(cloudflare), records: cloudflare.records, warmupRounds: WARMUP_ROUNDS, rounds: ROUNDS }),
    ],
    [
      'gcore zip tsv',
      await compare({ name: 'gcore', full: gcoreFull(gcore), bare: gcoreBare(gcore), records: gcore.records, warmupRounds: WARMUP_ROUNDS, rounds: ROUNDS }),
    ],
  ];

  console.log(`${'path'.padEnd(26)} ${'full rec/s'.padStart(10)} ${'bare rec/s'.padStart(12)}    cost ratio (median, min–max)`);
  for (const [name, result] of results) console.log(row(name, result));
  console.log(`\nrec/s are medians of ${ROUNDS} rounds; cost ratio = bare rec/s ÷ full rec/s per round (goal ≤ ${GOAL_COST_RATIO}x).`);
  console.log(`total ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
