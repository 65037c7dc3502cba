import fc from 'fast-check';
import { isCdnLogError } from './errors';
import { type CdnLogRecord, emptyRecord } from './record';
import {
  ALL_GROUP,
  DurationSketch,
  NO_VALUE_GROUP,
  OTHER_GROUP,
  SKETCH_MAX_BINS,
  StatsAggregator,
  type StatsResult,
  type StatsSpec,
  checkStatsSpec,
  statsStateBound,
  trackedGroupCapacity,
} from './stats';
import { HOUR_MS, MINUTE_MS } from './time';
import { Dice } from '../emulators/random';

/** Off the round minute on purpose: buckets align to fromMs, not to the clock. */
const FROM = Date.parse('2026-11-22T10:00:17.250Z');

function record(timestamp: number, fields: Partial<CdnLogRecord> = {}): CdnLogRecord {
  return { ...emptyRecord('cloudflare', 'zone-1', timestamp), ...fields };
}

function aggregate(spec: StatsSpec, records: Iterable<CdnLogRecord>): StatsAggregator {
  const aggregator = new StatsAggregator(spec);
  for (const r of records) aggregator.add(r);
  return aggregator;
}

function seriesByGroup(result: StatsResult): Map<string, Array<number | null>> {
  return new Map(result.series.map((s) => [s.other ? `other:${s.group}` : s.group, s.values]));
}

/** Per bucket, the sum over every series (top groups and other). */
function bucketSums(result: StatsResult): number[] {
  return result.times.map((_, i) => result.series.reduce((sum, s) => sum + (s.values[i] as number), 0));
}

/** The same records every run: the emulators' seeded generator (mulberry32). */
function prng(seed: number): () => number {
  const dice = new Dice(seed);
  return () => dice.next();
}

/** The naive computation the aggregator is checked against: bucket by scanning bucket starts, group text by hand. */
function naiveBucket(spec: StatsSpec, t: number): number | null {
  if (!(t >= spec.fromMs && t < spec.toMs)) return null;
  let bucket = 0;
  while (spec.fromMs + (bucket + 1) * spec.intervalMs <= t) bucket++;
  return bucket;
}

function naiveGroup(r: CdnLogRecord, groupBy: string | null): string {
  if (groupBy === null) return ALL_GROUP;
  if (groupBy === 'statusClass') return r.status !== null && r.status >= 100 && r.status <= 599 ? `${Math.floor(r.status / 100)}xx` : NO_VALUE_GROUP;
  const value = groupBy.startsWith('attributes.') ? r.attributes[groupBy.slice('attributes.'.length)] : (r as unknown as Record<string, unknown>)[groupBy];
  return value === null || value === undefined || value === '' ? NO_VALUE_GROUP : String(value);
}

const exactQuantile = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))];

function expectWithinRelative(actual: number | null, exact: number, tolerance: number): void {
  expect(actual).not.toBeNull();
  if (exact <= 0) expect(actual).toBe(0);
  else expect(Math.abs((actual as number) - exact) / exact).toBeLessThanOrEqual(tolerance);
}

describe('StatsAggregator count and bytes', () => {
  const recordArb = (spec: { fromMs: number; toMs: number; intervalMs: number }) =>
    fc
      .record({
        timestamp: fc.oneof(
          { weight: 8, arbitrary: fc.integer({ min: spec.fromMs - spec.intervalMs, max: spec.toMs + spec.intervalMs }) },
          { weight: 1, arbitrary: fc.constantFrom(spec.fromMs, spec.toMs, spec.toMs - 1, Number.NaN, Infinity) },
        ),
        status: fc.constantFrom(200, 204, 301, 404, 500, 503, 99, 600, null),
        host: fc.constantFrom('a.example.com', 'b.example.com', 'c.example.com', '', null),
        cacheStatus: fc.constantFrom('HIT' as const, 'MISS' as const, 'DYNAMIC' as const),
        bytesSent: fc.constantFrom(null, 0, 1, 517, 4096, 1_048_576),
        pop: fc.constantFrom('FRA', 'SIN', 'IAD', undefined),
      })
      .map(({ timestamp, pop, ...fields }) => {
        const r = record(timestamp, fields);
        if (pop !== undefined) r.attributes.pop = pop;
        return r;
      });

  const caseArb = fc
    .record({
      offsetMs: fc.integer({ min: 0, max: 10 * HOUR_MS }),
      intervalMs: fc.constantFrom(7, 1000, 60_000, 333_333),
      buckets: fc.integer({ min: 1, max: 40 }),
      cutMs: fc.double({ min: 0, max: 0.99, noNaN: true }),
      groupBy: fc.constantFrom(null, 'status', 'statusClass', 'host', 'cacheStatus', 'attributes.pop'),
      metric: fc.constantFrom('count' as const, 'bytes' as const),
      topK: fc.integer({ min: 1, max: 6 }),
    })
    .chain((c) => {
      const fromMs = FROM + c.offsetMs;
      const toMs = fromMs + c.buckets * c.intervalMs - Math.floor(c.cutMs * c.intervalMs);
      const spec: StatsSpec = { groupBy: c.groupBy, metric: c.metric, fromMs, toMs, intervalMs: c.intervalMs, topK: c.topK };
      return fc.tuple(fc.constant(spec), fc.array(recordArb(spec), { maxLength: 300 }));
    });

  it('matches a naive per-bucket computation of counts and bytes for random records while the groups fit', () => {
    fc.assert(
      fc.property(caseArb, ([spec, records]) => {
        const result = aggregate(spec, records).result();
        const buckets = Math.ceil((spec.toMs - spec.fromMs) / spec.intervalMs);
        const exact = new Map<string, number[]>();
        let counted = 0;
        for (const r of records) {
          const bucket = naiveBucket(spec, r.timestamp);
          if (bucket === null) continue;
          counted++;
          const amount = spec.metric === 'count' ? 1 : (r.bytesSent ?? 0);
          if (amount === 0) continue;
          const group = naiveGroup(r, spec.groupBy);
          const row = exact.get(group) ?? new Array<number>(buckets).fill(0);
          row[bucket] += amount;
          exact.set(group, row);
        }
        const total = (row: number[]) => row.reduce((a, b) => a + b, 0);
        const ranked = [...exact.entries()].sort(([ga, a], [gb, b]) => total(b) - total(a) || (ga < gb ? -1 : 1));
        const top = ranked.slice(0, spec.topK);
        const rest = ranked.slice(spec.topK);
        const expected = top.map(([group, values]) => ({ group, other: false, values, total: total(values) }));
        if (rest.length > 0) {
          const values = new Array<number>(buckets).fill(0);
          for (const [, row] of rest) row.forEach((v, i) => (values[i] += v));
          expected.push({ group: OTHER_GROUP, other: true, values, total: total(values) });
        }
        expect(result.series).toEqual(expected);
        expect(result.times).toEqual(Array.from({ length: buckets }, (_, i) => spec.fromMs + i * spec.intervalMs));
        expect(result.recordsCounted).toBe(counted);
        expect(result.recordsOutsideRange).toBe(records.length - counted);
        expect(result.approximate).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('aligns buckets to a fromMs off the minute, counts a record at exactly fromMs and not one at exactly toMs', () => {
    const spec: StatsSpec = { groupBy: null, metric: 'count', fromMs: FROM, toMs: FROM + 3.5 * MINUTE_MS, intervalMs: MINUTE_MS, topK: 10 };
    const result = aggregate(spec, [
      record(FROM),
      record(FROM + MINUTE_MS - 1),
      record(FROM + MINUTE_MS),
      record(FROM + 3 * MINUTE_MS),
      record(spec.toMs - 0.5),
      record(spec.toMs),
      record(FROM - 1),
      record(Number.NaN),
      record(-Infinity),
      record(Infinity),
    ]).result();
    expect(result.times.map((t) => new Date(t).toISOString())).toEqual([
      '2026-11-22T10:00:17.250Z',
      '2026-11-22T10:01:17.250Z',
      '2026-11-22T10:02:17.250Z',
      '2026-11-22T10:03:17.250Z',
    ]);
    expect(result.series).toEqual([{ group: ALL_GROUP, other: false, values: [2, 1, 0, 2], total: 5 }]);
    expect(result.recordsCounted).toBe(5);
    expect(result.recordsOutsideRange).toBe(5);
  });

  it('groups statuses by class 1xx..5xx and puts missing or out-of-range statuses in (none)', () => {
    const spec: StatsSpec = { groupBy: 'statusClass', metric: 'count', fromMs: FROM, toMs: FROM + MINUTE_MS, intervalMs: MINUTE_MS, topK: 10 };
    const statuses = [200, 204, 299, 301, 404, 404, 404, 500, 599, 101, 99, 600, null];
    const result = aggregate(spec, statuses.map((status) => record(FROM, { status }))).result();
    expect(result.series.map((s) => [s.group, s.total])).toEqual([
      // Ties are ordered by name.
      ['(none)', 3],
      ['2xx', 3],
      ['4xx', 3],
      ['5xx', 2],
      ['1xx', 1],
      ['3xx', 1],
    ]);
  });

  it('sums bytesSent per bucket, a null bytesSent adding nothing', () => {
    const spec: StatsSpec = { groupBy: 'edgeLocation', metric: 'bytes', fromMs: FROM, toMs: FROM + 2 * MINUTE_MS, intervalMs: MINUTE_MS, topK: 10 };
    const result = aggregate(spec, [
      record(FROM, { edgeLocation: 'FRA', bytesSent: 1000 }),
      record(FROM + 1, { edgeLocation: 'FRA', bytesSent: null }),
      record(FROM + MINUTE_MS, { edgeLocation: 'FRA', bytesSent: 24 }),
      record(FROM + MINUTE_MS, { edgeLocation: 'SIN', bytesSent: 5000 }),
    ]).result();
    expect(result.series).toEqual([
      { group: 'SIN', other: false, values: [0, 5000], total: 5000 },
      { group: 'FRA', other: false, values: [1000, 24], total: 1024 },
    ]);
    expect(result.recordsCounted).toBe(4);
  });

  it('reads attributes as own properties only: a __proto__ key counts, Object.prototype does not, objects are JSON', () => {
    const withProto = record(FROM);
    withProto.attributes['__proto__'] = 'p'; // a null-prototype object: this is an own key
    const plain = record(FROM, { attributes: {} });
    const nested = record(FROM);
    nested.attributes.__proto__ = { a: [1, 2] };
    const byProto = aggregate({ groupBy: 'attributes.__proto__', metric: 'count', fromMs: FROM, toMs: FROM + 1, intervalMs: 1, topK: 10 }, [withProto, plain, nested]).result();
    expect(byProto.series.map((s) => [s.group, s.total])).toEqual([
      ['(none)', 1],
      ['p', 1],
      ['{"a":[1,2]}', 1],
    ]);
    const byConstructor = aggregate({ groupBy: 'attributes.constructor', metric: 'count', fromMs: FROM, toMs: FROM + 1, intervalMs: 1, topK: 10 }, [plain, withProto]).result();
    expect(byConstructor.series.map((s) => [s.group, s.total])).toEqual([['(none)', 2]]);
  });

  it('writes number groups as decimal text and merges an attribute sent as 200 and as "200"', () => {
    const asNumber = record(FROM, { status: 200 });
    asNumber.attributes.code = 200;
    const asText = record(FROM, { status: 404 });
    asText.attributes.code = '200';
    const spec = (groupBy: string): StatsSpec => ({ groupBy, metric: 'count', fromMs: FROM, toMs: FROM + 1, intervalMs: 1, topK: 10 });
    expect(aggregate(spec('attributes.code'), [asNumber, asText]).result().series.map((s) => [s.group, s.total])).toEqual([['200', 2]]);
    expect(aggregate(spec('status'), [asNumber, asText, asText]).result().series.map((s) => s.group)).toEqual(['404', '200']);
  });

  it('multiplies count and bytes by scale, but not recordsCounted', () => {
    const records = [record(FROM, { host: 'a', bytesSent: 100 }), record(FROM + MINUTE_MS, { host: 'a', bytesSent: 7 }), record(FROM, { host: 'b', bytesSent: 1 })];
    const spec: StatsSpec = { groupBy: 'host', metric: 'count', fromMs: FROM, toMs: FROM + 2 * MINUTE_MS, intervalMs: MINUTE_MS, topK: 1 };
    const counts = aggregate(spec, records).result({ scale: 10 });
    expect(counts.series).toEqual([
      { group: 'a', other: false, values: [10, 10], total: 20 },
      { group: OTHER_GROUP, other: true, values: [10, 0], total: 10 },
    ]);
    expect(counts.recordsCounted).toBe(3);
    const bytes = aggregate({ ...spec, metric: 'bytes' }, records).result({ scale: 10 });
    expect(bytes.series.map((s) => s.values)).toEqual([
      [1000, 70],
      [10, 0],
    ]);
    expect(() => aggregate(spec, records).result({ scale: 0 })).toThrow(expect.objectContaining({ kind: 'BadInput', field: 'scale' }));
  });

  it('answers partial results while records keep arriving, each result unchanged by later records', () => {
    const spec: StatsSpec = { groupBy: 'host', metric: 'count', fromMs: FROM, toMs: FROM + 2 * MINUTE_MS, intervalMs: MINUTE_MS, topK: 10 };
    const aggregator = new StatsAggregator(spec);
    aggregator.add(record(FROM, { host: 'a' }));
    const first = aggregator.result();
    aggregator.add(record(FROM, { host: 'a' }));
    aggregator.add(record(FROM + MINUTE_MS, { host: 'b' }));
    const second = aggregator.result();
    expect(first.series).toEqual([{ group: 'a', other: false, values: [1, 0], total: 1 }]);
    expect(second.series).toEqual([
      { group: 'a', other: false, values: [2, 0], total: 2 },
      { group: 'b', other: false, values: [0, 1], total: 1 },
    ]);
    expect(aggregator.result()).toEqual(second);
  });
});

describe('StatsAggregator with more distinct groups than it tracks', () => {
  const HEAVY = [
    { path: '/video/intro.mp4', count: 9000 },
    { path: '/img/logo.png', count: 7000 },
    { path: '/app.js', count: 5000 },
    { path: '/api/v1/feed', count: 3500 },
    { path: '/favicon.ico', count: 2500 },
  ];
  const spec = (metric: 'count' | 'bytes'): StatsSpec => ({ groupBy: 'path', metric, fromMs: FROM, toMs: FROM + HOUR_MS, intervalMs: MINUTE_MS, topK: 10 });

  /**
   * `distinct` long-tail paths seen once or twice each, with the heavy hitters shuffled in, at random
   * times; exact per-bucket totals and per-path totals kept aside for the assertions.
   */
  function skewedTraffic(distinct: number, metric: 'count' | 'bytes', seed: number) {
    const random = prng(seed);
    const s = spec(metric);
    const paths: string[] = [];
    for (let i = 0; i < distinct; i++) {
      paths.push(`/assets/${i}.css`);
      if (random() < 0.2) paths.push(`/assets/${i}.css`);
    }
    for (const { path, count } of HEAVY) for (let i = 0; i < count; i++) paths.push(path);
    for (let i = paths.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [paths[i], paths[j]] = [paths[j], paths[i]];
    }
    const bucketTotals = new Array<number>(60).fill(0);
    const pathTotals = new Map<string, number>();
    const records = paths.map((path) => {
      const timestamp = FROM + Math.floor(random() * HOUR_MS);
      const bytesSent = random() < 0.05 ? null : 1 + Math.floor(random() * 20_000);
      const amount = metric === 'count' ? 1 : (bytesSent ?? 0);
      bucketTotals[Math.floor((timestamp - FROM) / MINUTE_MS)] += amount;
      pathTotals.set(path, (pathTotals.get(path) ?? 0) + amount);
      return record(timestamp, { path, bytesSent });
    });
    const grandTotal = bucketTotals.reduce((a, b) => a + b, 0);
    return { s, records, bucketTotals, pathTotals, grandTotal };
  }

  it.each(['count', 'bytes'] as const)('keeps the heavy hitters among 100k distinct paths in the top K, ranked by %s, with exact per-bucket totals', (metric) => {
    const { s, records, bucketTotals, pathTotals, grandTotal } = skewedTraffic(100_000, metric, 7);
    const aggregator = aggregate(s, records);
    const result = aggregator.result();

    expect(result.approximate).toBe(true);
    expect(result.series).toHaveLength(s.topK + 1);
    expect(result.series[s.topK]).toMatchObject({ group: OTHER_GROUP, other: true });
    expect(bucketSums(result)).toEqual(bucketTotals);
    expect(result.series.reduce((sum, x) => sum + (x.total as number), 0)).toBe(grandTotal);

    const heavyByTotal = HEAVY.map((h) => h.path).sort((a, b) => pathTotals.get(b)! - pathTotals.get(a)!);
    expect(result.series.slice(0, HEAVY.length).map((x) => x.group)).toEqual(heavyByTotal);
    // Space-Saving: a tracked group misses at most what the lightest slot weighed, at most total ÷ capacity.
    const maxMissed = grandTotal / aggregator.capacity;
    for (const x of result.series.slice(0, HEAVY.length)) {
      const exact = pathTotals.get(x.group)!;
      expect(x.total).toBeLessThanOrEqual(exact);
      expect(x.total).toBeGreaterThanOrEqual(exact - maxMissed);
    }
  });

  it('makes room by pushing out the lightest group, not the first one that came in and has grown since', () => {
    const s = spec('count');
    const records = Array.from({ length: 200 }, (_, i) => record(FROM, { path: `/once/${i}` }));
    for (let i = 0; i < 1000; i++) records.push(record(FROM + 1, { path: '/once/0' }));
    records.push(record(FROM + 2, { path: '/newcomer' }));
    const result = aggregate(s, records).result();
    expect(result.approximate).toBe(true);
    expect(result.series[0]).toMatchObject({ group: '/once/0', total: 1001 });
    expect(result.series.at(-1)).toMatchObject({ other: true, total: 200 - 9 });
  });

  it('lets a heavy hitter that arrives after the table is full into the top K and keeps it there', () => {
    const s = spec('count');
    const records: CdnLogRecord[] = [];
    // First 200 warm paths fill every slot, then the late heavy hitter alternates with new one-off paths.
    for (let round = 0; round < 20; round++) for (let i = 0; i < 200; i++) records.push(record(FROM + records.length, { path: `/warm/${i}` }));
    const lateFrom = records.length;
    for (let i = 0; i < 20_000; i++) records.push(record(FROM + records.length, { path: i % 2 === 0 ? '/late/heavy' : `/tail/${i}` }));
    const result = aggregate(s, records).result();
    expect(result.approximate).toBe(true);
    expect(result.series[0]).toMatchObject({ group: '/late/heavy', total: 10_000 });
    expect(bucketSums(result).reduce((a, b) => a + b, 0)).toBe(records.length);
    expect(lateFrom).toBe(4000);
  });

  it('holds the same bounded state for 10k and for 100k distinct paths', () => {
    const sizes = [10_000, 100_000].map((distinct) => aggregate(spec('count'), skewedTraffic(distinct, 'count', distinct).records).stateSize());
    const capacity = trackedGroupCapacity(spec('count'));
    expect(capacity).toBe(200);
    // Tracked groups + (their rows + the "other" row) × 60 buckets.
    expect(sizes).toEqual([200 + 201 * 60, 200 + 201 * 60]);
    expect(sizes[1]).toBeLessThanOrEqual(statsStateBound(spec('count')));
  });

  it('is exact, and says so, while the distinct groups fit in its capacity', () => {
    const s = spec('count');
    const records = Array.from({ length: 200 * 3 }, (_, i) => record(FROM + i * 1000, { path: `/p/${i % 200}` }));
    const result = aggregate(s, records).result();
    expect(result.approximate).toBe(false);
    expect(result.series.slice(0, s.topK).every((x) => x.total === 3)).toBe(true);
    expect(result.series[s.topK]).toMatchObject({ other: true, total: 3 * 190 });
  });

  it('lowers the tracked groups for a fine interval so that groups × buckets stays within the cell budget', () => {
    const day = { groupBy: 'path', fromMs: FROM, toMs: FROM + 24 * HOUR_MS, topK: 100 };
    expect(trackedGroupCapacity({ ...day, metric: 'count', intervalMs: HOUR_MS })).toBe(1000);
    expect(trackedGroupCapacity({ ...day, metric: 'count', intervalMs: 8640 })).toBe(200);
    expect(trackedGroupCapacity({ ...day, metric: 'durationP95', intervalMs: MINUTE_MS })).toBe(200);
    expect(trackedGroupCapacity({ ...day, topK: 10, metric: 'durationP95', intervalMs: MINUTE_MS })).toBe(138);
    expect(trackedGroupCapacity({ ...day, groupBy: null, metric: 'count', intervalMs: MINUTE_MS })).toBe(1);
  });
});

describe('StatsAggregator duration quantiles', () => {
  const durationArb = fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: 0.05, max: 120_000, noNaN: true }) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 5000 }) },
    { weight: 1, arbitrary: fc.constantFrom(0, -3) },
  );

  it('reports p50 and p95 within 2 % of the exact quantiles per bucket and over the range', () => {
    const intervalMs = 10 * MINUTE_MS;
    fc.assert(
      fc.property(
        fc.constantFrom('durationP50' as const, 'durationP95' as const),
        fc.array(fc.record({ bucket: fc.integer({ min: 0, max: 2 }), host: fc.constantFrom('a', 'b', 'c'), durationMs: durationArb }), { minLength: 1, maxLength: 400 }),
        (metric, samples) => {
          const q = metric === 'durationP50' ? 0.5 : 0.95;
          const spec: StatsSpec = { groupBy: 'host', metric, fromMs: FROM, toMs: FROM + 3 * intervalMs, intervalMs, topK: 3 };
          const result = aggregate(spec, samples.map((x) => record(FROM + x.bucket * intervalMs + 1, { host: x.host, durationMs: x.durationMs }))).result();
          expect(result.approximate).toBe(false);
          expect(result.series.some((s) => s.other)).toBe(false);
          for (const series of result.series) {
            const mine = samples.filter((x) => x.host === series.group);
            const all = mine.map((x) => Math.max(x.durationMs, 0)).sort((a, b) => a - b);
            expectWithinRelative(series.total, exactQuantile(all, q), 0.02);
            series.values.forEach((value, bucket) => {
              const inBucket = mine.filter((x) => x.bucket === bucket).map((x) => Math.max(x.durationMs, 0)).sort((a, b) => a - b);
              if (inBucket.length === 0) expect(value).toBeNull();
              else expectWithinRelative(value, exactQuantile(inBucket, q), 0.02);
            });
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('skips null and non-finite durations, counts durations ≤ 0 as zero, and leaves an empty bucket null', () => {
    const spec: StatsSpec = { groupBy: null, metric: 'durationP50', fromMs: FROM, toMs: FROM + 3 * MINUTE_MS, intervalMs: MINUTE_MS, topK: 10 };
    const result = aggregate(spec, [
      record(FROM, { durationMs: 0 }),
      record(FROM, { durationMs: -1 }),
      record(FROM, { durationMs: 80 }),
      record(FROM, { durationMs: null }),
      record(FROM, { durationMs: Number.NaN }),
      record(FROM + 2 * MINUTE_MS, { durationMs: 250 }),
      record(FROM + MINUTE_MS, { durationMs: null }),
    ]).result();
    expect(result.series).toHaveLength(1);
    const [series] = result.series;
    expect(series.values[0]).toBe(0);
    expect(series.values[1]).toBeNull();
    expectWithinRelative(series.values[2], 250, 0.01);
    expect(result.recordsCounted).toBe(7);
  });

  it('merges the sketches of evicted groups into other, bucket by bucket, within bounded state', () => {
    const intervalMs = MINUTE_MS;
    const spec: StatsSpec = { groupBy: 'host', metric: 'durationP95', fromMs: FROM, toMs: FROM + HOUR_MS, intervalMs, topK: 5 };
    const random = prng(3);
    // Every duration in bucket b is 10·(b+1) ms: whatever lands in which series, each value must read so.
    const records = Array.from({ length: 60_000 }, () => {
      const bucket = Math.floor(random() * 60);
      const host = random() < 0.5 ? `hot-${Math.floor(random() * 3)}` : `cold-${Math.floor(random() * 5000)}`;
      return record(FROM + bucket * intervalMs + 5, { host, durationMs: 10 * (bucket + 1) });
    });
    const aggregator = aggregate(spec, records);
    const result = aggregator.result();
    expect(result.approximate).toBe(true);
    expect(result.series.slice(0, 3).map((s) => s.group).sort()).toEqual(['hot-0', 'hot-1', 'hot-2']);
    expect(result.series.at(-1)).toMatchObject({ group: OTHER_GROUP, other: true });
    for (const series of result.series) {
      series.values.forEach((value, bucket) => {
        if (value !== null) expectWithinRelative(value, 10 * (bucket + 1), 0.01);
      });
    }
    const other = result.series.at(-1)!;
    expect(other.values.every((v) => v !== null)).toBe(true);
    expect(aggregator.stateSize()).toBeLessThanOrEqual(statsStateBound(spec));
  });
});

describe('DurationSketch', () => {
  it('merging keeps the count and the quantiles of the union', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.01, max: 1e6, noNaN: true }), { maxLength: 300 }), fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 300 }), (left, right) => {
        const a = new DurationSketch();
        const b = new DurationSketch();
        left.forEach((v) => a.add(v));
        right.forEach((v) => b.add(v));
        a.merge(b);
        expect(a.count).toBe(left.length + right.length);
        expect(b.count).toBe(right.length);
        const union = [...left, ...right].sort((x, y) => x - y);
        for (const q of [0, 0.5, 0.95, 1]) expectWithinRelative(a.quantile(q), exactQuantile(union, q), 0.02);
      }),
      { numRuns: 200 },
    );
  });

  it(`holds at most ${SKETCH_MAX_BINS} bins, folding the lowest, and still reads the high quantiles exactly enough`, () => {
    const sketch = new DurationSketch();
    const values: number[] = [];
    // 1e-6..1e6 ms spans γ^1395: more than the bins a sketch keeps.
    for (let i = 0; i <= 20_000; i++) values.push(10 ** (-6 + (12 * i) / 20_000));
    values.forEach((v) => sketch.add(v));
    expect(sketch.binCount).toBeLessThanOrEqual(SKETCH_MAX_BINS);
    expect(sketch.count).toBe(values.length);
    expectWithinRelative(sketch.quantile(0.95), exactQuantile(values, 0.95), 0.02);
    expectWithinRelative(sketch.quantile(0.5), exactQuantile(values, 0.5), 0.02);
    // The lowest values were folded into the lowest kept bin: p1 reads high, never low.
    expect(sketch.quantile(0.01)!).toBeGreaterThan(exactQuantile(values, 0.01));
  });

  it('is null when empty', () => {
    expect(new DurationSketch().quantile(0.5)).toBeNull();
  });
});

describe('checkStatsSpec', () => {
  const good: StatsSpec = { groupBy: 'status', metric: 'count', fromMs: FROM, toMs: FROM + HOUR_MS, intervalMs: MINUTE_MS, topK: 10 };

  it('accepts a good spec, each group-by kind and null', () => {
    for (const groupBy of ['status', 'statusClass', 'cacheStatus', 'edgeLocation', 'attributes.RayID', null]) {
      expect(checkStatsSpec({ ...good, groupBy })).toEqual({ ...good, groupBy });
    }
  });

  it.each([
    ['an unknown groupBy field', { groupBy: 'colour' }, 'groupBy'],
    ['an empty attribute name', { groupBy: 'attributes.' }, 'groupBy'],
    ['a groupBy that is not text', { groupBy: 5 }, 'groupBy'],
    ['an unknown metric', { metric: 'p99' }, 'metric'],
    ['a zero interval', { intervalMs: 0 }, 'intervalMs'],
    ['a negative interval', { intervalMs: -60_000 }, 'intervalMs'],
    ['more than 10,000 buckets', { toMs: FROM + 10_001 * MINUTE_MS }, 'intervalMs'],
    ['topK 0', { topK: 0 }, 'topK'],
    ['topK 101', { topK: 101 }, 'topK'],
    ['a fractional topK', { topK: 2.5 }, 'topK'],
    ['from equal to to', { toMs: FROM }, 'toMs'],
    ['from after to', { toMs: FROM - 1 }, 'toMs'],
    ['a non-finite from', { fromMs: Infinity }, 'fromMs'],
    ['a missing to', { toMs: undefined }, 'toMs'],
  ])('refuses %s with a BadInput naming the field', (_, change, field) => {
    let thrown: unknown;
    try {
      checkStatsSpec({ ...good, ...change });
    } catch (err) {
      thrown = err;
    }
    expect(isCdnLogError(thrown, 'BadInput')).toBe(true);
    expect(thrown).toMatchObject({ field });
    expect((thrown as Error).message.startsWith(`${field}: `)).toBe(true);
  });

  it('accepts exactly 10,000 buckets and tells the smallest interval when there are more', () => {
    expect(checkStatsSpec({ ...good, toMs: FROM + 10_000 * MINUTE_MS }).toMs).toBe(FROM + 10_000 * MINUTE_MS);
    expect(() => checkStatsSpec({ ...good, fromMs: 0, toMs: 24 * HOUR_MS, intervalMs: 1000 })).toThrow('use an interval of at least 8640 ms');
  });

  it('is checked again by the aggregator, whose memory bound rests on it', () => {
    expect(() => new StatsAggregator({ ...good, intervalMs: 1 })).toThrow(expect.objectContaining({ kind: 'BadInput', field: 'intervalMs' }));
    expect(() => new StatsAggregator({ ...good, groupBy: 'constructor' })).toThrow(expect.objectContaining({ kind: 'BadInput', field: 'groupBy' }));
  });

  it('refuses something that is not a spec at all', () => {
    expect(() => checkStatsSpec(null)).toThrow(expect.objectContaining({ kind: 'BadInput', field: 'stats' }));
  });
});
