/**
 * `npm run bench`: decode + normalise throughput of five download paths, each beside a bare baseline
 * timed in the same run (bench/paths.ts says what each one does):
 *   - Cloudflare Logpull body, gzip NDJSON;
 *   - Gcore logs download, a zip of one TSV member;
 *   - Tencent DSA hourly package, gzip of 15-field space-separated lines;
 *   - Tencent EdgeOne L7 `.log.gz` package, gzip of one JSON object per line;
 *   - NAVER ELSA download, a zip of one JSON-array member.
 * The goal is a cost ratio (bare rate / full rate) of at most 1.5x: streaming, bounds, checks and
 * normalisation may cost half again what the bare work of inflating and splitting costs, no more.
 */

import { type Fixture, benchEvents, cloudflareFixture, dsaFixture, edgeOneFixture, elsaFixture, gcoreFixture } from './fixtures';
import { type Comparison, type Pass, compare, spread } from './measure';
import {
  BASELINE_NOTES,
  cloudflareBare,
  cloudflareFull,
  dsaBare,
  dsaFull,
  edgeOneBare,
  edgeOneFull,
  elsaBare,
  elsaFull,
  gcoreBare,
  gcoreFull,
} from './paths';

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

interface Fixtures {
  cloudflare: Fixture;
  gcore: Fixture;
  dsa: Fixture;
  edgeone: Fixture;
  elsa: Fixture;
}

/** In a function of its own so the 200k events are garbage before timing starts. */
function buildFixtures(): Fixtures {
  const events = benchEvents();
  return {
    cloudflare: cloudflareFixture(events),
    gcore: gcoreFixture(events),
    dsa: dsaFixture(events),
    edgeone: edgeOneFixture(events),
    elsa: elsaFixture(events),
  };
}

async function main(): Promise<void> {
  const startedMs = Date.now();
  console.log(`Node ${process.version} (${process.platform} ${process.arch}), ${WARMUP_ROUNDS} warm-up + ${ROUNDS} timed rounds, full and bare alternating`);
  const fixtures = buildFixtures();
  const { cloudflare, gcore, dsa, edgeone, elsa } = fixtures;
  console.log(`fixtures (built in ${((Date.now() - startedMs) / 1000).toFixed(1)} s):`);
  const paths: Array<{ name: string; key: keyof Fixtures; full: Pass; bare: Pass }> = [
    { name: 'cloudflare gzip ndjson', key: 'cloudflare', full: cloudflareFull(cloudflare), bare: cloudflareBare(cloudflare) },
    { name: 'gcore zip tsv', key: 'gcore', full: gcoreFull(gcore), bare: gcoreBare(gcore) },
    { name: 'tencent-dsa gzip text', key: 'dsa', full: dsaFull(dsa), bare: dsaBare(dsa) },
    { name: 'tencent-edgeone gzip L7', key: 'edgeone', full: edgeOneFull(edgeone), bare: edgeOneBare(edgeone) },
    { name: 'naver-elsa zip json', key: 'elsa', full: elsaFull(elsa), bare: elsaBare(elsa) },
  ];
  for (const path of paths) console.log(describeFixture(path.name, fixtures[path.key]));
  const notePad = Math.max(...paths.map((path) => path.key.length));
  paths.forEach((path, i) => {
    console.log(`${i === 0 ? 'baselines: ' : '           '}${path.key.padEnd(notePad)} = ${BASELINE_NOTES[path.key]}`);
  });
  console.log('');

  const results: Array<[string, Comparison]> = [];
  for (const path of paths) {
    const { records } = fixtures[path.key];
    results.push([path.name, await compare({ name: path.key, full: path.full, bare: path.bare, records, warmupRounds: WARMUP_ROUNDS, rounds: ROUNDS })]);
  }

  console.log(`${'path'.padEnd(26)} ${'full rec/s'.padStart(10)} ${'bare rec/s'.padStart(12)}    cost ratio (median, min–max)`);
  for (const [name, result] of results) console.log(row(name, result));
  console.log(`\nrec/s are medians of ${ROUNDS} rounds; cost ratio = bare rec/s ÷ full rec/s per round (goal ≤ ${GOAL_COST_RATIO}x).`);
  console.log(`total ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
