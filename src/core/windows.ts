import { CdnLogError } from './errors';
import { DAY_MS, formatDuration, formatTime, startOfUtcDay } from './time';

/** What a provider's download API allows, as data. */
export interface ProviderLimits {
  /** Longest window one request may cover. */
  maxWindowMs: number;
  /**
   * How far back data is served: a rolling duration (Cloudflare: 7 d), or whole UTC days counted from
   * the start of today (Gcore: "3 days starting today" = from the start of the day before yesterday).
   */
  retention: { rollingMs: number } | { utcDays: number };
  /** Safety margin inside the retention edge, so a window planned now is still served when requested. */
  retentionMarginMs: number;
  /** The newest end a request may have is now minus this (Cloudflare: 1 min). */
  settleDelayMs: number;
  /**
   * How long after a window's end its records stop changing (late logs, packages still being
   * written): windows older than this may be cached for good. Absent: never cached.
   */
  immutableAfterMs?: number;
  /** Windows end on multiples of this (e.g. whole days), so none spans two units; 0 or absent for none. */
  alignMs?: number;
  /** The UTC offset of the clock `alignMs` counts in: DSA's days are Beijing days (UTC+8). Default 0. */
  alignUtcOffsetMs?: number;
  /** Largest page a paged API returns, if it pages within a window. */
  maxPageSize?: number;
  /** More pages than one window can hold: a provider still paging past it is looping (providers/paging.ts). */
  maxPagesPerWindow?: number;
  /**
   * Largest decoded body (or zip member) a response can legitimately have: beyond it the body is a
   * bomb or a bug, and decoding stops with TooLarge. Streaming keeps memory flat below it.
   */
  maxBodyBytes?: number;
}

export interface TimeRange {
  fromMs: number;
  /** Exclusive. */
  toMs: number;
}

export interface Clamp {
  side: 'from' | 'to';
  requestedMs: number;
  effectiveMs: number;
  reason: string;
}

export interface WindowPlan {
  /** Contiguous, each at most maxWindowMs, covering exactly the clamped range. */
  windows: TimeRange[];
  /** The range after clamping. */
  range: TimeRange;
  /** Every adjustment made to the requested range, for the result's meta: clamping is never silent. */
  clamps: Clamp[];
}

/** The oldest instant the provider still serves at `nowMs`, margin included. */
export function oldestServedMs(limits: ProviderLimits, nowMs: number): number {
  const edge =
    'rollingMs' in limits.retention
      ? nowMs - limits.retention.rollingMs
      : startOfUtcDay(nowMs) - (limits.retention.utcDays - 1) * DAY_MS;
  return edge + limits.retentionMarginMs;
}

/** The newest (exclusive) end the provider serves at `nowMs`. */
export function newestServedMs(limits: ProviderLimits, nowMs: number): number {
  return nowMs - limits.settleDelayMs;
}

function retentionText(limits: ProviderLimits): string {
  return 'rollingMs' in limits.retention
    ? `the last ${formatDuration(limits.retention.rollingMs)}`
    : `${limits.retention.utcDays} days starting today (UTC)`;
}

/**
 * Splits a range into the windows to request. A range partly outside what the provider serves is
 * clamped and the clamp reported; a range wholly outside is an error that says what is served.
 */
export function planWindows(requested: TimeRange, limits: ProviderLimits, nowMs: number, provider = 'the provider'): WindowPlan {
  if (!(requested.toMs > requested.fromMs)) {
    throw new CdnLogError('BadInput', `range ${formatTime(requested.fromMs)}..${formatTime(requested.toMs)} is empty: "from" must be before "to"`, {
      field: 'range',
    });
  }
  const oldest = oldestServedMs(limits, nowMs);
  const newest = newestServedMs(limits, nowMs);
  if (requested.toMs <= oldest) {
    throw new CdnLogError(
      'WindowTooOld',
      `${provider} serves logs for ${retentionText(limits)} only (from ${formatTime(oldest)}); ` +
        `the range ${formatTime(requested.fromMs)}..${formatTime(requested.toMs)} is wholly older: choose a later range`,
      { field: 'from' },
    );
  }
  if (requested.fromMs >= newest) {
    const delay = limits.settleDelayMs > 0 ? ` (logs appear ${formatDuration(limits.settleDelayMs)} after the fact)` : '';
    throw new CdnLogError(
      'WindowTooRecent',
      `the range ${formatTime(requested.fromMs)}..${formatTime(requested.toMs)} is in the future for ${provider}: ` +
        `the newest data served ends at ${formatTime(newest)}${delay}; choose an earlier "from"`,
      { field: 'from' },
    );
  }

  const clamps: Clamp[] = [];
  let fromMs = requested.fromMs;
  let toMs = requested.toMs;
  if (fromMs < oldest) {
    clamps.push({ side: 'from', requestedMs: fromMs, effectiveMs: oldest, reason: `${provider} serves ${retentionText(limits)} only` });
    fromMs = oldest;
  }
  if (toMs > newest) {
    const reason =
      limits.settleDelayMs > 0 ? `${provider} serves data older than ${formatDuration(limits.settleDelayMs)} only` : `${provider} has no data after now`;
    clamps.push({ side: 'to', requestedMs: toMs, effectiveMs: newest, reason });
    toMs = newest;
  }

  if (fromMs >= toMs) {
    throw new CdnLogError('WindowTooOld', `${provider} serves nothing between ${formatTime(oldest)} and ${formatTime(newest)} with these limits: check the provider's retention and settle delay`, {
      field: 'from',
    });
  }

  const windows: TimeRange[] = [];
  const align = limits.alignMs ?? 0;
  const offset = limits.alignUtcOffsetMs ?? 0;
  for (let start = fromMs; start < toMs; ) {
    let end = Math.min(start + limits.maxWindowMs, toMs);
    // Aligned windows end on the next boundary, so each request covers whole units (e.g. days).
    if (align > 0) end = Math.min(end, Math.floor((start + offset) / align) * align + align - offset);
    windows.push({ fromMs: start, toMs: end });
    start = end;
  }
  return { windows, range: { fromMs, toMs }, clamps };
}
