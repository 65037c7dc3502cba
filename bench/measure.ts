/**
 * Timing for the decode benchmark: a full path and its bare baseline are timed in alternating
 * rounds of the same process, so machine noise (2 shared cores) hits both alike, and each round
 * gives one cost ratio. Numbers are for people reading the output; nothing asserts on them.
 */

import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** One pass over a fixture; resolves to the number of records it produced. */
export type Pass = () => Promise<number>;

export interface Comparison {
  fullRecordsPerSec: number[];
  bareRecordsPerSec: number[];
  /** Per round: bare rate / full rate, i.e. how many times the bare baseline's time the full path takes. */
  costRatios: number[];
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The body as a stream of `chunkBytes` chunks, as undici hands over a response body. */
export async function* inChunks(body: Uint8Array, chunkBytes = 64 * 1024): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  for (let at = 0; at < bytes.length; at += chunkBytes) yield bytes.subarray(at, at + chunkBytes);
}

// Garbage left by one pass would otherwise be collected during the next one and billed to it.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function timedRate(pass: Pass, expectedRecords: number, what: string): Promise<number> {
  gc();
  const started = performance.now();
  const records = await pass();
  const elapsedMs = performance.now() - started;
  if (records !== expectedRecords) {
    throw new Error(`${what} produced ${records} records, the fixture holds ${expectedRecords}: the pass is not doing the whole job`);
  }
  return records / (elapsedMs / 1000);
}

/**
 * Runs `warmupRounds` untimed rounds (so both paths are optimised before timing), then `rounds`
 * timed ones; the order of full and bare alternates from round to round.
 */
export async function compare(options: {
  name: string;
  full: Pass;
  bare: Pass;
  records: number;
  warmupRounds: number;
  rounds: number;
}): Promise<Comparison> {
  const { name, full, bare, records } = options;
  for (let i = 0; i < options.warmupRounds; i++) {
    await timedRate(full, records, `${name} full`);
    await timedRate(bare, records, `${name} bare`);
  }
  const result: Comparison = { fullRecordsPerSec: [], bareRecordsPerSec: [], costRatios: [] };
  for (let round = 0; round < options.rounds; round++) {
    let fullRate: number;
    let bareRate: number;
    if (round % 2 === 0) {
      fullRate = await timedRate(full, records, `${name} full`);
      bareRate = await timedRate(bare, records, `${name} bare`);
    } else {
      bareRate = await timedRate(bare, records, `${name} bare`);
      fullRate = await timedRate(full, records, `${name} full`);
    }
    result.fullRecordsPerSec.push(fullRate);
    result.bareRecordsPerSec.push(bareRate);
    result.costRatios.push(bareRate / fullRate);
  }
  return result;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}
