/**
 * Which window a source exports next, and how large its windows are. Pure functions of the cursor,
 * the provider's limits and an injected `nowMs`: no timers, no I/O.
 *
 * The rule (architecture.md, "Exporter semantics"; lessons-from-peers #2, #5):
 *   next = [cursor, min(cursor + size, now − settle)), clamped to retention, cut at the provider's
 *   alignment (DSA's Beijing days, EdgeOne's UTC days) and ending on the source's grid.
 * A cursor older than retention jumps to the oldest data still served, and the span jumped over is
 * reported as unreachable: expired windows are never walked one by one (Alloy loki#6931).
 */

import type { ProviderId } from '../core/record';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../core/time';
import { oldestServedMs, type ProviderLimits, type TimeRange } from '../core/windows';

/** How one source's windows are paced. */
export interface Pacing {
  limits: ProviderLimits;
  /** A window ends no later than now minus this: the exporter's settle delay (≥ the provider's). */
  settleDelayMs: number;
  /** Window ends fall on multiples of this (in the provider's alignment offset); it is also the smallest window. */
  gridMs: number;
  /** Largest window: the provider's maximum, or less. A multiple of gridMs. */
  maxWindowMs: number;
  /**
   * Package providers (DSA, EdgeOne): the hours between the cursor and now whose packages may
   * still appear or grow are listed again every `relistEveryMs`, and each package is taken once.
   */
  openHorizon?: { relistEveryMs: number };
}

/** How often the open hours of a package provider are listed again: a new package is sent within this. */
export const RELIST_EVERY_MS = 10 * MINUTE_MS;

/**
 * Per-provider exporter defaults. The grid is the smallest window worth a request: a DSA or EdgeOne
 * package covers an hour, so a shorter window would download the same package again; Cloudflare is
 * polled minute by minute as its docs describe. The settle delay defaults to the provider's
 * immutability horizon, the age after which a window's records no longer change: a cursor that
 * runs ahead of visibility loses late records for good (alloy#5854).
 */
export function defaultPacing(provider: ProviderId, limits: ProviderLimits, settleOverrideMs?: number): Pacing {
  const gridMs = provider === 'tencent-dsa' || provider === 'tencent-edgeone' ? HOUR_MS : MINUTE_MS;
  const settle = Math.max(limits.settleDelayMs, settleOverrideMs ?? limits.immutableAfterMs ?? limits.settleDelayMs);
  const pacing: Pacing = { limits, settleDelayMs: settle, gridMs, maxWindowMs: Math.floor(limits.maxWindowMs / gridMs) * gridMs };
  return gridMs === HOUR_MS ? { ...pacing, openHorizon: { relistEveryMs: RELIST_EVERY_MS } } : pacing;
}

export type NextStep =
  | {
      kind: 'window';
      window: TimeRange;
      /** Time between the cursor and the window that the provider no longer serves: skipped, and said so. */
      unreachable: TimeRange | null;
    }
  | {
      kind: 'wait';
      /** When the next grid step becomes settled; the cursor is where it should be until then. */
      untilMs: number;
      unreachable: TimeRange | null;
    }
  | { kind: 'done'; unreachable: TimeRange | null };

/** Floors `ms` to the grid, counted in the provider's alignment offset (Beijing for DSA). */
function floorToGrid(ms: number, gridMs: number, offsetMs: number): number {
  return Math.floor((ms + offsetMs) / gridMs) * gridMs - offsetMs;
}

function ceilToGrid(ms: number, gridMs: number, offsetMs: number): number {
  return Math.ceil((ms + offsetMs) / gridMs) * gridMs - offsetMs;
}

/**
 * The next step of a source whose every record before `cursorMs` was acknowledged.
 * `sizeMs` is the adapted window size; `untilMs` bounds a backfill (exclusive), absent for live.
 */
export function nextWindow(pacing: Pacing, cursorMs: number, sizeMs: number, nowMs: number, untilMs?: number): NextStep {
  const { limits, gridMs } = pacing;
  const offset = limits.alignUtcOffsetMs ?? 0;
  let fromMs = cursorMs;
  let unreachable: TimeRange | null = null;
  // The margin inside retention keeps a window served between planning and the request.
  const oldestServed = oldestServedMs(limits, nowMs);
  if (fromMs < oldestServed) {
    // Onto the grid, so the windows after a jump are the same as any other run's.
    const oldest = ceilToGrid(oldestServed, gridMs, offset);
    const jumpTo = untilMs === undefined ? oldest : Math.min(oldest, untilMs);
    unreachable = { fromMs, toMs: jumpTo };
    fromMs = jumpTo;
  }
  if (untilMs !== undefined && fromMs >= untilMs) return { kind: 'done', unreachable };

  const newest = Math.min(nowMs - pacing.settleDelayMs, nowMs - limits.settleDelayMs);
  let endMs = fromMs + Math.max(gridMs, Math.min(sizeMs, pacing.maxWindowMs));
  const align = limits.alignMs ?? 0;
  // An aligned provider's request covers whole units (DSA: a Beijing day): never cross a boundary.
  if (align > 0) endMs = Math.min(endMs, floorToGrid(fromMs, align, offset) + align);
  const bounded = untilMs !== undefined && untilMs <= endMs && untilMs <= newest;
  endMs = Math.min(endMs, newest);
  // Ends on the grid, so re-reads and the bridge's cache see the same windows; a backfill ends at its end.
  endMs = bounded ? (untilMs as number) : floorToGrid(endMs, gridMs, offset);
  if (endMs > fromMs) return { kind: 'window', window: { fromMs, toMs: endMs }, unreachable };
  const nextGrid = floorToGrid(fromMs, gridMs, offset) + gridMs;
  const readyAt = Math.min(nextGrid, untilMs ?? Number.POSITIVE_INFINITY) + Math.max(pacing.settleDelayMs, limits.settleDelayMs);
  return { kind: 'wait', untilMs: Math.max(readyAt, nowMs + 1), unreachable };
}

/** The last listing of a source's open hours. */
export interface HorizonPass {
  atMs: number;
  toMs: number;
}

/**
 * For a package provider whose cursor waits at its settle horizon: the open hours to list again
 * now (`[cursor, the last finished hour)`), or when to look again. A pass is due when an hour has
 * finished since the last one, or `relistEveryMs` after it.
 */
export function nextHorizonPass(pacing: Pacing, cursorMs: number, nowMs: number, last: HorizonPass | null): { kind: 'pass'; window: TimeRange } | { kind: 'wait'; untilMs: number } | null {
  if (!pacing.openHorizon) return null;
  const { gridMs, limits } = pacing;
  const offset = limits.alignUtcOffsetMs ?? 0;
  const toMs = floorToGrid(nowMs - limits.settleDelayMs, gridMs, offset);
  if (toMs > cursorMs && (last === null || toMs > last.toMs || nowMs >= last.atMs + pacing.openHorizon.relistEveryMs)) {
    return { kind: 'pass', window: { fromMs: cursorMs, toMs } };
  }
  const nextHour = toMs + gridMs + limits.settleDelayMs;
  return { kind: 'wait', untilMs: Math.max(nowMs + 1, Math.min(nextHour, last === null ? nextHour : last.atMs + pacing.openHorizon.relistEveryMs)) };
}

/** Window sizes the adaptation moves between: round durations, so windows stay readable and cache-friendly. */
const LADDER_MS = [1, 2, 5, 10, 15, 30].map((m) => m * MINUTE_MS).concat([1, 2, 3, 6, 12].map((h) => h * HOUR_MS), [DAY_MS]);

/** The sizes legal for a pacing, smallest first: multiples of the grid, up to the maximum. */
export function windowSizes(pacing: Pacing): number[] {
  const sizes = LADDER_MS.filter((s) => s % pacing.gridMs === 0 && s >= pacing.gridMs && s <= pacing.maxWindowMs);
  for (const edge of [pacing.gridMs, pacing.maxWindowMs]) if (!sizes.includes(edge)) sizes.push(edge);
  return sizes.sort((a, b) => a - b);
}

/** What a finished window held. */
export interface WindowVolume {
  records: number;
  durationMs: number;
}

/** Records per window the adaptation aims at: what a retry repeats and the delay of a checkpoint stay bounded. */
export const DEFAULT_TARGET_RECORDS = 100_000;

/**
 * The next window size after a window with `volume`. A busy source shrinks at once (down to the
 * grid, the provider's minimum); a quiet one grows towards the largest legal window, one step
 * of the ladder (at most doubling where the ladder allows) each window, so a lull does not make one huge window out of the next burst. Windows shorter than a grid step (a live window cut at now) say too little to act on.
 */
export function adaptWindowSize(pacing: Pacing, currentMs: number, volume: WindowVolume, targetRecords = DEFAULT_TARGET_RECORDS): number {
  const sizes = windowSizes(pacing);
  const current = sizes.filter((s) => s <= currentMs).pop() ?? sizes[0];
  if (volume.durationMs < pacing.gridMs) return current;
  const ideal = volume.records === 0 ? Number.POSITIVE_INFINITY : (targetRecords * volume.durationMs) / volume.records;
  const fitting = sizes.filter((s) => s <= ideal).pop() ?? sizes[0];
  if (fitting <= current) return fitting;
  // Grow gradually: to the largest size within twice the current one, or else the next size up.
  const larger = sizes.filter((s) => s > current && s <= fitting);
  return larger.filter((s) => s <= current * 2).pop() ?? larger[0];
}

/** How far behind a source is: from its cursor to the newest end it could have reached. */
export function lagMs(pacing: Pacing, cursorMs: number, nowMs: number): number {
  return Math.max(0, nowMs - pacing.settleDelayMs - cursorMs);
}
