import { badInput } from './errors';

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

const RELATIVE = /^(?:now)?\s*([+-])\s*(\d+)\s*(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS };
// A date-time with an explicit zone (Z or ±hh:mm), or a bare date (taken as UTC midnight).
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;

/**
 * Parses a user time: `now`, relative (`-15m`, `now-2h`, `-7d`) or ISO 8601 with a zone
 * (`2026-11-22T10:00:00Z`, `2026-11-22T18:00+08:00`, or a bare date, taken as UTC). Returns epoch ms.
 */
export function parseTime(input: string, nowMs: number, field = 'time'): number {
  const text = input.trim();
  if (text === 'now') return nowMs;
  const rel = RELATIVE.exec(text);
  if (rel) {
    const amount = Number(rel[2]) * UNIT_MS[rel[3]];
    return rel[1] === '-' ? nowMs - amount : nowMs + amount;
  }
  if (ISO_WITH_ZONE.test(text)) {
    const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text.replace(' ', 'T'));
    if (Number.isFinite(ms)) return ms;
  }
  throw badInput(
    field,
    `"${input}" is not a time: use ISO 8601 with a zone (2026-11-22T10:00:00Z), a relative time (-15m, -2h, -1d) or "now"`,
  );
}

/** `2026-11-22T10:00:00.000Z`, shortened to `2026-11-22T10:00Z` when seconds and ms are zero: for messages. */
export function formatTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(':00.000Z') ? `${iso.slice(0, 16)}Z` : iso;
}

export function formatDuration(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS} d`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS} h`;
  if (ms % MINUTE_MS === 0) return `${ms / MINUTE_MS} min`;
  if (ms % SECOND_MS === 0) return `${ms / SECOND_MS} s`;
  return `${ms} ms`;
}

export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}
