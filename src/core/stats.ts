/**
 * The aggregation behind `mode: "stats"` queries: every record of a range goes in, per-interval
 * series come out (count, bytes sent, p50/p95 of durationMs) grouped by a record field, as the top K
 * groups plus one "other" series. Pure and browser-safe; the bridge feeds it and Grafana draws it.
 *
 * Memory does not grow with the number of distinct group values: at most `capacity` groups are
 * tracked at once (Space-Saving, Metwally, Agrawal & El Abbadi 2005), and a group pushed out is
 * merged into "other", so every bucket's count and bytes stay exact over all series together.
 */

import { z } from 'zod';
import { badInput } from './errors';
import { FIELD_NAMES } from './fields';
import type { CdnLogRecord } from './record';
import { formatDuration, formatTime } from './time';

export const STATS_METRICS = ['count', 'bytes', 'durationP50', 'durationP95'] as const;
export type StatsMetric = (typeof STATS_METRICS)[number];

/** The group-by that is not a record field: `2xx`..`5xx` from `status`. */
export const STATUS_CLASS = 'statusClass';
export const MAX_STATS_BUCKETS = 10_000;
export const MAX_TOP_K = 100;
/** The group of a null, missing or empty value (and of a status outside 100..599 under statusClass). */
export const NO_VALUE_GROUP = '(none)';
/** The one series when `groupBy` is null. */
export const ALL_GROUP = '(all)';
/** The name of the `other: true` series. */
export const OTHER_GROUP = '(other)';

/**
 * Cells (tracked groups × buckets) a query may hold: 2M float64s (16 MB) for count and bytes, fewer
 * for the quantile metrics, whose cells are sketches of up to SKETCH_MAX_BINS bins each.
 */
export const SUM_CELL_BUDGET = 2_000_000;
export const SKETCH_CELL_BUDGET = 200_000;

/** DDSketch's γ: a bin holds (γ^(k-1), γ^k], read back as its midpoint, within (γ-1)/(γ+1) ≈ 0.99 % of any value in it. */
export const SKETCH_GAMMA = 1.02;
/** γ^1024 ≈ 6·10^8: 1 µs to 10 min in one bucket before the lowest bins are folded together. */
export const SKETCH_MAX_BINS = 1024;

export interface StatsSpec {
  /** A record field name from the catalogue (status, cacheStatus, edgeLocation, method, host, country, path, provider, source, attributes.<name>...) or 'statusClass' (2xx..5xx); null: one series. */
  groupBy: string | null;
  /** count of records; bytes = sum of bytesSent; durationP50/P95 = quantiles of durationMs. */
  metric: StatsMetric;
  /** The range, [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  /** Buckets aligned to fromMs: bucket i = [fromMs + i·intervalMs, fromMs + (i+1)·intervalMs), the last one cut at toMs. */
  intervalMs: number;
  /** 1..100 group series at most, besides "other" (the default, 10, is the caller's). */
  topK: number;
}

export interface StatsSeries {
  /** The group's value as text: numbers in decimal, objects as JSON, NO_VALUE_GROUP for none; OTHER_GROUP when `other`. */
  group: string;
  other: boolean;
  /** One per bucket: count and bytes 0 when empty, quantiles null when the bucket has no duration. */
  values: Array<number | null>;
  /** Count and bytes: the sum of `values`; quantiles: the quantile over the whole range (null when there is no duration). */
  total: number | null;
}

export interface StatsResult {
  fromMs: number;
  intervalMs: number;
  /** Start of each bucket: fromMs + i·intervalMs. */
  times: number[];
  /** The top K groups by total (quantiles: by number of durations), largest first, then "other" when it holds anything. */
  series: StatsSeries[];
  /**
   * True once a tracked group was pushed out to make room for a new one. Every bucket's count and
   * bytes summed over all series stay exact, but a group's series lacks whatever it had before it was
   * last (re)admitted (that part is in "other"), so the top K and their values are estimates. False: exact.
   */
  approximate: boolean;
  /** Records inside [fromMs, toMs), unscaled, whether or not they had bytes or a duration to add. */
  recordsCounted: number;
  /** Records with a timestamp outside [fromMs, toMs) or not finite: not counted. */
  recordsOutsideRange: number;
}

const ATTRIBUTES_PREFIX = 'attributes.';

const statsSpecSchema = z.object({
  groupBy: z.string().nullable(),
  metric: z.enum(STATS_METRICS),
  fromMs: z.number().finite(),
  toMs: z.number().finite(),
  intervalMs: z.number().finite().positive(),
  topK: z.number().int().min(1).max(MAX_TOP_K),
});

function isGroupByField(name: string): boolean {
  if (name === STATUS_CLASS || FIELD_NAMES.includes(name)) return true;
  return name.startsWith(ATTRIBUTES_PREFIX) && name.length > ATTRIBUTES_PREFIX.length;
}

/** Validates a stats spec from any caller; a wrong value is a BadInput naming its field. */
export function checkStatsSpec(input: unknown): StatsSpec {
  const parsed = statsSpecSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.length > 0 ? issue.path.join('.') : 'stats';
    throw badInput(field, issue.path.length > 0 ? issue.message : `a stats spec is an object { groupBy, metric, fromMs, toMs, intervalMs, topK }: ${issue.message}`);
  }
  const spec = parsed.data;
  if (spec.groupBy !== null && !isGroupByField(spec.groupBy)) {
    throw badInput('groupBy', `unknown field "${spec.groupBy}"; group by ${STATUS_CLASS}, ${FIELD_NAMES.join(', ')}, attributes.<name>, or null for one series`);
  }
  if (!(spec.toMs > spec.fromMs)) {
    throw badInput('toMs', `the range ${formatTime(spec.fromMs)}..${formatTime(spec.toMs)} is empty: toMs must be after fromMs`);
  }
  if ((spec.toMs - spec.fromMs) / spec.intervalMs > MAX_STATS_BUCKETS) {
    const smallestMs = Math.ceil((spec.toMs - spec.fromMs) / MAX_STATS_BUCKETS);
    throw badInput(
      'intervalMs',
      `${formatDuration(spec.intervalMs)} over ${formatTime(spec.fromMs)}..${formatTime(spec.toMs)} makes ${Math.ceil((spec.toMs - spec.fromMs) / spec.intervalMs)} buckets; at most ${MAX_STATS_BUCKETS} are allowed: use an interval of at least ${smallestMs} ms`,
    );
  }
  return spec;
}

/** How many buckets the spec's range holds (the last one may be shorter than intervalMs). */
export function statsBucketCount(spec: StatsSpec): number {
  return Math.max(1, Math.ceil((spec.toMs - spec.fromMs) / spec.intervalMs));
}

function isQuantileMetric(metric: StatsMetric): boolean {
  return metric === 'durationP50' || metric === 'durationP95';
}

/**
 * How many groups a query tracks at once: max(10·topK, 200), lowered so that groups × buckets stays
 * within the metric's cell budget, but never below 2·topK. One when there is no groupBy.
 */
export function trackedGroupCapacity(spec: StatsSpec): number {
  if (spec.groupBy === null) return 1;
  const budget = isQuantileMetric(spec.metric) ? SKETCH_CELL_BUDGET : SUM_CELL_BUDGET;
  const wanted = Math.max(10 * spec.topK, 200);
  return Math.min(wanted, Math.max(2 * spec.topK, Math.floor(budget / statsBucketCount(spec))));
}

/**
 * Upper bound of `stateSize()`: groups tracked, plus their cells and the "other" row, plus for the
 * quantile metrics each cell's sketch (one entry for itself, one for its zero bin, up to SKETCH_MAX_BINS bins).
 */
export function statsStateBound(spec: StatsSpec): number {
  const capacity = trackedGroupCapacity(spec);
  const cells = (capacity + 1) * statsBucketCount(spec);
  return capacity + cells + (isQuantileMetric(spec.metric) ? cells * (2 + SKETCH_MAX_BINS) : 0);
}

const LN_GAMMA = Math.log(SKETCH_GAMMA);
/** A collapse folds down to this many bins, so that it happens once per 64 new bins, not per bin. */
const BINS_AFTER_COLLAPSE = SKETCH_MAX_BINS - 64;

/**
 * A mergeable quantile sketch of durations (DDSketch, Masson, Rim & Lee 2019): log-spaced bins
 * γ = 1.02 in a Map, ~1 % relative error. Values ≤ 0 count in a zero bin. Past SKETCH_MAX_BINS bins the
 * lowest ones are folded into one (DDSketch's collapsing-lowest store), which only coarsens quantiles
 * below the largest value ÷ γ^960.
 */
export class DurationSketch {
  private readonly bins = new Map<number, number>();
  private zeros = 0;
  private total = 0;
  /** Keys below this were folded into it; later values below it land in it too. */
  private floorKey = -Infinity;

  /** Values added (merged sketches included). */
  get count(): number {
    return this.total;
  }

  /** Bins held, the zero bin included: the sketch's share of the aggregator's state. */
  get binCount(): number {
    return this.bins.size + (this.zeros > 0 ? 1 : 0);
  }

  /** Adds one finite value (the caller skips null and non-finite durations). */
  add(valueMs: number): void {
    this.total++;
    if (!(valueMs > 0)) {
      this.zeros++;
      return;
    }
    let key = Math.ceil(Math.log(valueMs) / LN_GAMMA);
    if (key < this.floorKey) key = this.floorKey;
    const bins = this.bins;
    bins.set(key, (bins.get(key) ?? 0) + 1);
    if (bins.size > SKETCH_MAX_BINS) this.collapse();
  }

  /** Adds everything `other` holds; `other` is unchanged. */
  merge(other: DurationSketch): void {
    this.total += other.total;
    this.zeros += other.zeros;
    if (other.floorKey > this.floorKey) this.fold(other.floorKey);
    const bins = this.bins;
    const floorKey = this.floorKey;
    for (const [k, n] of other.bins) {
      const key = k < floorKey ? floorKey : k;
      bins.set(key, (bins.get(key) ?? 0) + n);
    }
    if (bins.size > SKETCH_MAX_BINS) this.collapse();
  }

  /** The value at quantile q (0..1) of the values added, within ~1 %; null when empty. DDSketch's lower rank: the ⌊q·(n-1)⌋-th smallest. */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = q * (this.total - 1);
    let running = this.zeros;
    if (rank < running) return 0;
    const keys = [...this.bins.keys()].sort((a, b) => a - b);
    for (const key of keys) {
      running += this.bins.get(key)!;
      if (running > rank) return binValue(key);
    }
    return binValue(keys[keys.length - 1]);
  }

  private collapse(): void {
    const keys = [...this.bins.keys()].sort((a, b) => a - b);
    this.fold(keys[keys.length - BINS_AFTER_COLLAPSE]);
  }

  /** Folds every bin below `floorKey` into it. */
  private fold(floorKey: number): void {
    let folded = 0;
    for (const [key, n] of this.bins) {
      if (key < floorKey) {
        folded += n;
        this.bins.delete(key);
      }
    }
    if (folded > 0) this.bins.set(floorKey, (this.bins.get(floorKey) ?? 0) + folded);
    this.floorKey = floorKey;
  }
}

/** The midpoint of bin k's (γ^(k-1), γ^k] in relative terms: at most (γ-1)/(γ+1) from any value in it. */
function binValue(key: number): number {
  return (2 * Math.exp(key * LN_GAMMA)) / (1 + SKETCH_GAMMA);
}

/** A group's identity in the tracking table: catalogue number fields stay numbers, so that add() makes no text. */
type GroupKey = string | number;

const STATUS_CLASS_NAMES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/** Any other value as group text: null, empty text, {} and [] are none; objects (attributes) JSON. */
function valueText(value: unknown): string {
  if (value === null || value === undefined || value === '') return NO_VALUE_GROUP;
  if (typeof value === 'string') return value;
  if (typeof value === 'object') {
    for (const key in value) if (Object.hasOwn(value, key)) return JSON.stringify(value);
    return NO_VALUE_GROUP;
  }
  return String(value);
}

function groupKeyReader(groupBy: string | null): (record: CdnLogRecord) => GroupKey {
  if (groupBy === null) return () => ALL_GROUP;
  if (groupBy === STATUS_CLASS) {
    return (record) => {
      const status = record.status;
      return typeof status === 'number' && status >= 100 && status < 600 ? STATUS_CLASS_NAMES[Math.floor(status / 100) - 1] : NO_VALUE_GROUP;
    };
  }
  if (groupBy.startsWith(ATTRIBUTES_PREFIX)) {
    const name = groupBy.slice(ATTRIBUTES_PREFIX.length);
    // Own properties only: attributes may lack a prototype and hold a provider key named __proto__.
    return (record) => {
      const attributes: unknown = record.attributes;
      if (typeof attributes !== 'object' || attributes === null || !Object.hasOwn(attributes, name)) return NO_VALUE_GROUP;
      return valueText((attributes as Record<string, unknown>)[name]);
    };
  }
  const field = groupBy as keyof CdnLogRecord;
  return (record) => {
    const value: unknown = record[field];
    if (typeof value === 'number') return value;
    if (typeof value === 'string') return value === '' ? NO_VALUE_GROUP : value;
    return valueText(value);
  };
}

/** bytesSent that is not a finite number ≥ 0 (null, a negative from a broken feed) adds nothing. */
function bytesOf(bytesSent: number | null): number {
  return typeof bytesSent === 'number' && bytesSent > 0 && bytesSent < Infinity ? bytesSent : 0;
}

interface Ranked {
  slot: number;
  group: string;
  /** What the group added since it was last admitted: its series' total (count, bytes; durations counted for quantiles). */
  total: number;
}

/**
 * Aggregates one stats query. add() every record of the range (in any order), result() as often as
 * wanted. Exact while no more than `capacity` distinct groups have been seen; beyond that the groups
 * with the smallest Space-Saving weight make room and their buckets move to "other" (see
 * StatsResult.approximate).
 */
export class StatsAggregator {
  readonly spec: StatsSpec;
  readonly bucketCount: number;
  /** Groups tracked at most at once: trackedGroupCapacity(spec). */
  readonly capacity: number;

  private readonly fromMs: number;
  private readonly toMs: number;
  private readonly intervalMs: number;
  private readonly quantile: number | null;
  private readonly byBytes: boolean;
  private readonly readKey: (record: CdnLogRecord) => GroupKey;

  private readonly slotOf = new Map<GroupKey, number>();
  private readonly keyOfSlot: GroupKey[] = [];
  /** Space-Saving weight: what the slot's group gained since admission plus the weight of the group it replaced. */
  private readonly weight: Float64Array;
  /**
   * Min-heap of slots by weight: the root is the one Space-Saving replaces; heapAt[slot] is its index.
   * Built only when the table first fills, so that a group-by with few values (status, POP) never pays for it.
   */
  private readonly heap: Int32Array;
  private readonly heapAt: Int32Array;
  private heapBuilt = false;
  private slotsUsed = 0;

  /** Per slot, per bucket: count or bytes (count and bytes metrics). */
  private readonly sums: Float64Array[] = [];
  /** Per slot, per bucket: durations (quantile metrics). */
  private readonly sketches: Array<Array<DurationSketch | undefined>> = [];
  /** Per slot: the buckets it holds something in, so that an eviction costs what the group held, not the range. */
  private readonly touched: number[][] = [];
  private otherSums: Float64Array | null = null;
  private otherSketches: Array<DurationSketch | undefined> | null = null;

  private evictions = 0;
  private counted = 0;
  private outside = 0;

  /** Checks the spec again (checkStatsSpec): the memory bound rests on its limits. */
  constructor(spec: StatsSpec) {
    this.spec = checkStatsSpec(spec);
    this.fromMs = spec.fromMs;
    this.toMs = spec.toMs;
    this.intervalMs = spec.intervalMs;
    this.bucketCount = statsBucketCount(spec);
    this.capacity = trackedGroupCapacity(spec);
    this.quantile = spec.metric === 'durationP50' ? 0.5 : spec.metric === 'durationP95' ? 0.95 : null;
    this.byBytes = spec.metric === 'bytes';
    this.readKey = groupKeyReader(spec.groupBy);
    this.weight = new Float64Array(this.capacity);
    this.heap = new Int32Array(this.capacity);
    this.heapAt = new Int32Array(this.capacity);
  }

  /** Counts one record: a range check, a bucket index, a Map lookup and an increment. */
  add(record: CdnLogRecord): void {
    const t = record.timestamp;
    if (!(t >= this.fromMs && t < this.toMs)) {
      this.outside++;
      return;
    }
    this.counted++;
    let bucket = Math.floor((t - this.fromMs) / this.intervalMs);
    if (bucket >= this.bucketCount) bucket = this.bucketCount - 1;
    if (this.quantile === null) {
      const amount = this.byBytes ? bytesOf(record.bytesSent) : 1;
      if (amount === 0) return;
      const slot = this.slotFor(this.readKey(record), amount);
      const row = this.sums[slot];
      if (row[bucket] === 0) this.touched[slot].push(bucket);
      row[bucket] += amount;
    } else {
      const durationMs = record.durationMs;
      if (typeof durationMs !== 'number' || !Number.isFinite(durationMs)) return;
      const slot = this.slotFor(this.readKey(record), 1);
      const row = this.sketches[slot];
      let sketch = row[bucket];
      if (sketch === undefined) {
        sketch = row[bucket] = new DurationSketch();
        this.touched[slot].push(bucket);
      }
      sketch.add(durationMs);
    }
  }

  /** The series so far; `scale` multiplies count and bytes (a sampled query: Cloudflare sample=0.1 → 10). */
  result(options: { scale?: number } = {}): StatsResult {
    const scale = options.scale ?? 1;
    if (!(scale > 0 && scale < Infinity)) throw badInput('scale', `${String(scale)} is not a positive finite factor`);
    const ranked = this.ranked();
    const top = ranked.slice(0, this.spec.topK);
    const rest = ranked.slice(this.spec.topK).map((r) => r.slot);
    const series = top.map(({ slot, group }) => ({ group, other: false, ...(this.quantile === null ? this.sumSeries(this.sums[slot], scale) : this.quantileSeries(this.sketches[slot], this.quantile)) }));
    const other = this.otherSeries(rest, scale);
    if (other !== null) series.push({ group: OTHER_GROUP, other: true, ...other });
    return {
      fromMs: this.fromMs,
      intervalMs: this.intervalMs,
      times: Array.from({ length: this.bucketCount }, (_, i) => this.fromMs + i * this.intervalMs),
      series,
      approximate: this.evictions > 0,
      recordsCounted: this.counted,
      recordsOutsideRange: this.outside,
    };
  }

  /** Entries held now: tracked groups, their bucket cells and "other"'s, and sketch bins (one more per sketch). At most statsStateBound(spec). */
  stateSize(): number {
    let size = this.slotOf.size + (this.sums.length + this.sketches.length) * this.bucketCount;
    if (this.otherSums !== null || this.otherSketches !== null) size += this.bucketCount;
    const countSketches = (row: Array<DurationSketch | undefined>) => {
      for (const sketch of row) if (sketch !== undefined) size += 1 + sketch.binCount;
    };
    this.sketches.forEach(countSketches);
    if (this.otherSketches !== null) countSketches(this.otherSketches);
    return size;
  }

  private slotFor(key: GroupKey, amount: number): number {
    const slot = this.slotOf.get(key);
    if (slot === undefined) return this.admit(key, amount);
    this.weight[slot] += amount;
    if (this.heapBuilt) this.siftDown(this.heapAt[slot]);
    return slot;
  }

  /** Space-Saving: a new group takes a free slot, or the lightest group's slot and its weight plus its own. */
  private admit(key: GroupKey, amount: number): number {
    let slot: number;
    if (this.slotsUsed < this.capacity) {
      slot = this.slotsUsed++;
      if (this.quantile === null) this.sums.push(new Float64Array(this.bucketCount));
      else this.sketches.push(new Array<DurationSketch | undefined>(this.bucketCount).fill(undefined));
      this.touched.push([]);
      this.keyOfSlot.push(key);
      this.weight[slot] = amount;
    } else {
      if (!this.heapBuilt) this.buildHeap();
      slot = this.heap[0];
      this.evict(slot);
      this.keyOfSlot[slot] = key;
      this.weight[slot] += amount;
      this.siftDown(0);
    }
    this.slotOf.set(key, slot);
    return slot;
  }

  /** Moves what the slot's group holds into "other" and empties the slot for reuse. */
  private evict(slot: number): void {
    this.evictions++;
    this.slotOf.delete(this.keyOfSlot[slot]);
    const buckets = this.touched[slot];
    if (this.quantile === null) {
      const row = this.sums[slot];
      const other = (this.otherSums ??= new Float64Array(this.bucketCount));
      for (const b of buckets) {
        other[b] += row[b];
        row[b] = 0;
      }
    } else {
      const row = this.sketches[slot];
      const other = (this.otherSketches ??= new Array<DurationSketch | undefined>(this.bucketCount).fill(undefined));
      for (const b of buckets) {
        const sketch = row[b]!;
        const into = other[b];
        if (into === undefined) other[b] = sketch;
        else into.merge(sketch);
        row[b] = undefined;
      }
    }
    buckets.length = 0;
  }

  /** A slot's weight grew: move it down the min-heap (a heavy group is soon a leaf, where this costs one comparison). */
  private siftDown(at: number): void {
    const heap = this.heap;
    const heapAt = this.heapAt;
    const weight = this.weight;
    const size = this.slotsUsed;
    const slot = heap[at];
    const w = weight[slot];
    for (;;) {
      let child = 2 * at + 1;
      if (child >= size) break;
      if (child + 1 < size && weight[heap[child + 1]] < weight[heap[child]]) child++;
      if (weight[heap[child]] >= w) break;
      heap[at] = heap[child];
      heapAt[heap[at]] = at;
      at = child;
    }
    heap[at] = slot;
    heapAt[slot] = at;
  }

  /** Floyd's heap construction over the full table, once. */
  private buildHeap(): void {
    for (let slot = 0; slot < this.slotsUsed; slot++) {
      this.heap[slot] = slot;
      this.heapAt[slot] = slot;
    }
    for (let at = (this.slotsUsed >> 1) - 1; at >= 0; at--) this.siftDown(at);
    this.heapBuilt = true;
  }

  /** Tracked groups, largest series total first; ties by Space-Saving weight, then by name, so that results are stable. */
  private ranked(): Ranked[] {
    const ranked: Ranked[] = [];
    for (let slot = 0; slot < this.slotsUsed; slot++) {
      const key = this.keyOfSlot[slot];
      let total = 0;
      if (this.quantile === null) for (const b of this.touched[slot]) total += this.sums[slot][b];
      else for (const b of this.touched[slot]) total += this.sketches[slot][b]!.count;
      ranked.push({ slot, group: typeof key === 'number' ? String(key) : key, total });
    }
    return ranked.sort(
      (a, b) =>
        b.total - a.total ||
        this.weight[b.slot] - this.weight[a.slot] ||
        (a.group < b.group ? -1 : a.group > b.group ? 1 : 0),
    );
  }

  private sumSeries(row: Float64Array, scale: number): { values: number[]; total: number } {
    const values = Array.from(row, (v) => v * scale);
    let total = 0;
    for (const v of row) total += v;
    return { values, total: total * scale };
  }

  private quantileSeries(row: ReadonlyArray<DurationSketch | undefined>, q: number): { values: Array<number | null>; total: number | null } {
    const whole = new DurationSketch();
    const values = row.map((sketch) => {
      if (sketch === undefined) return null;
      whole.merge(sketch);
      return sketch.quantile(q);
    });
    return { values, total: whole.quantile(q) };
  }

  /** Evicted groups plus tracked groups outside the top K; null when that is nothing. */
  private otherSeries(rest: number[], scale: number): { values: Array<number | null>; total: number | null } | null {
    if (this.quantile === null) {
      if (this.otherSums === null && rest.length === 0) return null;
      const row = this.otherSums === null ? new Float64Array(this.bucketCount) : Float64Array.from(this.otherSums);
      for (const slot of rest) {
        const sums = this.sums[slot];
        for (const b of this.touched[slot]) row[b] += sums[b];
      }
      return this.sumSeries(row, scale);
    }
    if (this.otherSketches === null && rest.length === 0) return null;
    const row: Array<DurationSketch | undefined> = new Array<DurationSketch | undefined>(this.bucketCount).fill(undefined);
    const mergeInto = (b: number, sketch: DurationSketch | undefined) => {
      if (sketch === undefined) return;
      const into = (row[b] ??= new DurationSketch());
      into.merge(sketch);
    };
    this.otherSketches?.forEach((sketch, b) => mergeInto(b, sketch));
    for (const slot of rest) for (const b of this.touched[slot]) mergeInto(b, this.sketches[slot][b]);
    return this.quantileSeries(row, this.quantile);
  }
}
