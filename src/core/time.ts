import { badInput } from './errors';

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** The largest |epoch ms| a `Date` holds (ECMAScript TimeClip): beyond it `toISOString()` throws. */
export const MAX_DATE_MS = 8.64e15;

/** The instants a user may ask for: 1970-01-01T00:00Z up to 9999-12-31T23:59:59.999Z, all printable as ISO 8601. */
export const EARLIEST_USER_MS = 0;
export const LATEST_USER_MS = 253_402_300_799_999;

// Real zones span -12:00..+14:00; ±18:00 is the bound java.time and most parsers keep (RFC 3339's grammar allows ±23:59).
const MAX_OFFSET_MS = 18 * HOUR_MS;

const RELATIVE = /^(?:now)?\s*([+-])\s*(\d+)\s*(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS };

// ISO 8601 extended format: a date, optionally a time to minutes, seconds or a 1-9 digit fraction after
// `T`, `t` or a space, and optionally a zone `Z`, `±hh:mm`, `±hhmm` or `±hh` (a bare date has none).
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** What an ISO 8601 text says: an instant, a well-formed text naming no real instant (and why), or neither. */
type IsoReading =
  | { kind: 'instant'; ms: number; fractionMs: number; zoned: boolean; dateOnly: boolean }
  | { kind: 'impossible'; reason: string }
  | { kind: 'malformed' };

const MALFORMED: IsoReading = { kind: 'malformed' };

function impossible(reason: string): IsoReading {
  return { kind: 'impossible', reason };
}

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

/**
 * Reads an ISO 8601 text exactly, with no help from `Date.parse` (whose reading of free text and of
 * zone-less times differs between engines and follows the machine's zone). Every field is checked
 * against the calendar, so nothing rolls over: 2026-02-30 is not 2026-03-02.
 */
function readIsoInstant(text: string, defaultOffsetMs: number): IsoReading {
  const match = ISO_INSTANT.exec(text);
  if (match === null) return MALFORMED;
  const [, y, mo, d, h, mi, s, fraction, z, sign, offsetHours, offsetMinutes] = match;
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  const [hour, minute, second] = [Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0)];
  if (month < 1 || month > 12) return impossible(`month ${mo} is not 01-12`);
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) return impossible(`day ${d} does not exist in ${y}-${mo}, which has ${days} days`);
  // 24:00 (ISO 8601's end of day) is refused: RFC 3339 has no such hour, and 00:00 of the next day says it once.
  if (hour > 23) return impossible(`hour ${h} is not 00-23 (write 24:00 as 00:00 of the next day)`);
  if (minute > 59) return impossible(`minute ${mi} is not 00-59`);
  if (second > 60) return impossible(`second ${s} is not 00-59`);
  let offsetMs = z === undefined ? defaultOffsetMs : 0;
  if (sign !== undefined) {
    const zone = `${sign}${offsetHours}:${offsetMinutes ?? '00'}`;
    if (Number(offsetMinutes ?? 0) > 59) return impossible(`offset ${zone} has minutes past 59`);
    offsetMs = (sign === '-' ? -1 : 1) * (Number(offsetHours) * HOUR_MS + Number(offsetMinutes ?? 0) * MINUTE_MS);
    if (Math.abs(offsetMs) > MAX_OFFSET_MS) return impossible(`offset ${zone} is beyond ±18:00`);
  }
  // setUTCFullYear takes years 0-99 as written, where Date.UTC would add 1900.
  const midnightMs = new Date(0).setUTCFullYear(year, month - 1, day);
  const ms = midnightMs + hour * HOUR_MS + minute * MINUTE_MS + Math.min(second, 59) * SECOND_MS - offsetMs;
  const zoned = z !== undefined || sign !== undefined;
  const dateOnly = h === undefined;
  if (second === 60) {
    // A leap second follows 23:59:59 UTC on the last day of a month only (RFC 3339 §5.7). Epoch ms has no
    // room for it, so it reads as the last millisecond of 23:59:59: order is kept, nothing moves to the next day.
    const next = new Date(ms + SECOND_MS);
    if (next.getTime() % DAY_MS !== 0 || next.getUTCDate() !== 1) {
      return impossible('second 60 is a leap second, which only 23:59 UTC on the last day of a month has');
    }
    return { kind: 'instant', ms: ms + 999, fractionMs: 0, zoned, dateOnly };
  }
  const fractionNs = Number((fraction ?? '').padEnd(9, '0'));
  // Sub-ms digits are kept to the µs, as for Cloudflare's integer stamps: finer ones are noise in a double.
  const microsMs = Math.round((fractionNs % 1e6) / 1e3) / 1e3;
  return { kind: 'instant', ms: ms + Math.floor(fractionNs / 1e6), fractionMs: microsMs, zoned, dateOnly };
}

/**
 * Reads a strict ISO 8601 instant (`2026-11-22`, `2026-11-22T10:00`, `…:00`, `…:00.123456789`, with
 * `T`, `t` or a space, and zone `Z`, `±hh:mm`, `±hhmm` or `±hh`) as epoch ms, µs kept as a fraction.
 * A text without a zone is read at `defaultOffsetMs` (the provider's documented zone, 0 for UTC),
 * never in the machine's zone. Null for any other text and for dates and times that do not exist.
 */
export function parseIsoInstant(text: string, defaultOffsetMs: number): number | null {
  const reading = readIsoInstant(text, defaultOffsetMs);
  return reading.kind === 'instant' ? reading.ms + reading.fractionMs : null;
}

/** Whether `new Date(ms)` is a real date that `toISOString()` can print. */
export function inDateRange(ms: number): boolean {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS;
}

function inUserRange(ms: number, input: string, field: string): number {
  if (ms >= EARLIEST_USER_MS && ms <= LATEST_USER_MS) return ms;
  throw badInput(field, `"${input}" is out of range: choose a time between 1970-01-01T00:00Z and 9999-12-31T23:59:59.999Z`);
}

/**
 * Parses a user time: `now`, relative (`-15m`, `now-2h`, `-7d`) or ISO 8601 with a zone
 * (`2026-11-22T10:00:00Z`, `2026-11-22T18:00+08:00`, or a bare date, taken as UTC). Returns whole
 * epoch ms between 1970 and 9999; anything else, a date that does not exist or a date-time
 * without a zone is BadInput naming `field`.
 */
export function parseTime(input: string, nowMs: number, field = 'time'): number {
  const text = input.trim();
  if (text === 'now') return inUserRange(nowMs, input, field);
  const rel = RELATIVE.exec(text);
  if (rel) {
    // A count whose digits a double cannot hold (past 2^53) gives an amount far outside the range: refused, never rounded.
    const amountMs = Number(rel[2]) * UNIT_MS[rel[3]];
    return inUserRange(rel[1] === '-' ? nowMs - amountMs : nowMs + amountMs, input, field);
  }
  const reading = readIsoInstant(text, 0);
  if (reading.kind === 'impossible') throw badInput(field, `"${input}" is not a time: ${reading.reason}`);
  if (reading.kind === 'instant') {
    if (!reading.zoned && !reading.dateOnly) {
      throw badInput(field, `"${input}" is not a time: it has no zone; add Z for UTC or an offset (${text}Z, ${text}+08:00)`);
    }
    // Query windows are whole ms (ELSA takes integer epoch ms): sub-ms digits are dropped.
    return inUserRange(reading.ms, input, field);
  }
  throw badInput(
    field,
    `"${input}" is not a time: use ISO 8601 with a zone (2026-11-22T10:00:00Z), a relative time (-15m, -2h, -1d) or "now"`,
  );
}

/**
 * `2026-11-22T10:00:00.000Z`, shortened to `2026-11-22T10:00Z` when seconds and ms are zero: for
 * messages. Never throws: a value no Date can hold (NaN, ±Infinity, beyond ±8.64e15) prints as its number.
 */
export function formatTime(ms: number): string {
  if (!inDateRange(ms)) return String(ms);
  return new Date(ms).toISOString().replace(/:00\.000Z$/, 'Z');
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
