/** Time formats the provider APIs speak, parsed exactly (nanoseconds as BigInt: they do not fit a double). */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

export const NS_PER_MS = 1_000_000n;
export const NS_PER_SECOND = 1_000_000_000n;

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Tencent speaks Beijing time (UTC+8, no daylight saving) in DSA log lines and listings and EdgeOne's LogStartTime. */
export const BEIJING_OFFSET_MS = 8 * HOUR_MS;

/** An RFC 3339 date-time (`2026-11-22T10:00:00Z`, `…00.123456789+08:00`) as epoch ns, or null when malformed. */
export function parseRfc3339Ns(text: string): bigint | null {
  const match = RFC3339.exec(text);
  if (match === null) return null;
  const [, year, month, day, hour, minute, second, fraction, sign, offsetHours, offsetMinutes] = match;
  const ms = Date.UTC(+year, +month - 1, +day, +hour, +minute, +second);
  const date = new Date(ms);
  // Date.UTC rolls 2026-02-30 over into March; a real calendar date survives the round trip.
  if (date.getUTCMonth() !== +month - 1 || date.getUTCDate() !== +day || +hour > 23 || +minute > 59 || +second > 59) {
    return null;
  }
  let ns = BigInt(ms) * NS_PER_MS + BigInt((fraction ?? '').padEnd(9, '0'));
  if (sign !== undefined) {
    if (+offsetHours > 23 || +offsetMinutes > 59) return null;
    const offsetNs = BigInt(+offsetHours * 3600 + +offsetMinutes * 60) * NS_PER_SECOND;
    ns += sign === '+' ? -offsetNs : offsetNs;
  }
  return ns;
}

/**
 * The first whole millisecond at or after `ns`. Events have integer-ms timestamps, so an event at
 * `ms` lies at or after an instant `ns` exactly when `ms >= ceilNsToMs(ns)`.
 */
export function ceilNsToMs(ns: bigint): number {
  const ms = ns / NS_PER_MS;
  return Number(ns % NS_PER_MS > 0n ? ms + 1n : ms);
}

/** RFC 5545 "form #2" UTC stamp without the Z, as Gcore names its files: `20210614T000000`. */
export function rfc5545Stamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '');
}
