/**
 * `node bin/run-ts.js bench/filter.bench.ts`: what linear-time regular expressions cost. Filters run
 * `=~` / `!~` on RE2 (re2js) so that a remote user's pattern cannot stall the evaluator; this times
 * re2js beside V8's backtracking RegExp on a simple pattern over 100k request paths, as cost ratios
 * (RegExp rate ÷ re2js rate, per round). Numbers are for people reading the output; nothing asserts on them.
 */

import { RE2JS } from 're2js';
import { compileFilters, parseFilter } from '../src/core/filter';
import { type CdnLogRecord, emptyRecord } from '../src/core/record';
import { type Comparison, type Pass, compare, spread } from './measure';

const PATTERN = '^/img/[0-9]+/[a-z-]+\\.png$';
const PATHS = 100_000;
const WARMUP_ROUNDS = 2;
const ROUNDS = 5;

/** A mix of matching and non-matching paths, as a CDN log has them. */
function buildPaths(): string[] {
  const shapes = [
    (i: number) => `/img/${i}/photo.png`,
    (i: number) => `/img/${i}/banner.jpg`,
    (i: number) => `/api/v1/users/${i}/orders?page=${i % 7}`,
    (i: number) => `/static/app.${i.toString(16)}.js`,
    (i: number) => `/img/${i}/hero-wide.png`,
  ];
  return Array.from({ length: PATHS }, (_, i) => shapes[i % shapes.length](i));
}

/** A pass counts the matches, so the work cannot be optimised away and each engine is checked against the other. */
function counting<T>(test: (item: T) => boolean, items: readonly T[]): Pass {
  return async () => {
    let matched = 0;
    for (const item of items) if (test(item)) matched++;
    return matched;
  };
}

/** `compare` rates count matches (what a pass returns); `pathsPerMatch` turns them into paths per second. */
function row(name: string, result: Comparison, pathsPerMatch: number): string {
  const ratio = spread(result.costRatios);
  const rate = (matchesPerSec: number) => `${Math.round((matchesPerSec * pathsPerMatch) / 1000).toLocaleString('en-US')}k/s`;
  return `${name.padEnd(34)} ${rate(spread(result.fullRecordsPerSec).median).padStart(10)} vs ${rate(spread(result.bareRecordsPerSec).median).padStart(10)}   ${ratio.median.toFixed(2)}x (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`;
}

async function main(): Promise<void> {
  const paths = buildPaths();
  const records: CdnLogRecord[] = paths.map((path) => ({ ...emptyRecord('gcore', '1', 0), path }));
  const native = new RegExp(PATTERN);
  const re2 = RE2JS.compile(PATTERN);
  const keep = compileFilters([parseFilter(`path=~${PATTERN}`)]);
  const matches = paths.filter((p) => native.test(p)).length;
  console.log(`Node ${process.version}, pattern ${PATTERN}, ${PATHS.toLocaleString('en-US')} paths (${matches.toLocaleString('en-US')} match), ${WARMUP_ROUNDS} warm-up + ${ROUNDS} timed rounds`);

  const bare = counting((p) => native.test(p), paths);
  const engine = await compare({ name: 're2js', full: counting((p) => re2.test(p), paths), bare, records: matches, warmupRounds: WARMUP_ROUNDS, rounds: ROUNDS });
  const filter = await compare({ name: 'filter', full: counting(keep, records), bare, records: matches, warmupRounds: WARMUP_ROUNDS, rounds: ROUNDS });
  console.log(`${'paths/s (median)'.padEnd(34)} ${'re2js'.padStart(10)}    ${'RegExp'.padStart(10)}   cost ratio (median, min–max)`);
  console.log(row('RE2JS.test vs RegExp.test', engine, PATHS / matches));
  console.log(row('compileFilters path=~ vs RegExp.test', filter, PATHS / matches));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
