/**
 * Validation of a Logpull `logs/received` query, in the order and with the plain-text 400 bodies of the
 * real service (provider-spec §3.5 and §9 Cloudflare step 3). Texts marked [I] in the spec are our own.
 */

import {
  CLOUDFLARE_DEFAULT_FIELDS,
  CLOUDFLARE_TIMESTAMP_FORMATS,
  type CloudflareTimestampFormat,
  isCloudflareField,
} from './fields';
import { HOUR_MS, MINUTE_MS, NS_PER_MS, NS_PER_SECOND, parseRfc3339Ns } from '../time';

export interface CloudflareLimits {
  /** Oldest data served: 168 h (CF8's "logs older than 168h0m0s are not available"). */
  retentionMs: number;
  /** `end` must be at least this far in the past (CF7: 1 minute). */
  minDelayMs: number;
  /** Longest window (CF2/CF3: 1 hour). */
  maxRangeMs: number;
}

export const CLOUDFLARE_LIMITS: CloudflareLimits = {
  retentionMs: 168 * HOUR_MS,
  minDelayMs: MINUTE_MS,
  maxRangeMs: HOUR_MS,
};

export const RANGE_ERRORS = {
  startNotBeforeEnd: 'bad query: error parsing time: invalid time range: start not before end',
  tooEarly: 'bad query: error parsing time: invalid time range: too early: logs older than 168h0m0s are not available',
  tooRecent: 'bad query: error parsing time: invalid time range: too recent: minimum delay in serving logs is 1m0s',
  tooLong: 'bad query: error parsing time: invalid time range: too long: maximum range is 1h0m0s',
} as const;

export interface RecordOptions {
  fields: string[];
  timestamps: CloudflareTimestampFormat;
}

export interface ReceivedQuery extends RecordOptions {
  /** Inclusive, epoch ns. */
  startNs: bigint;
  /** Exclusive, epoch ns. */
  endNs: bigint;
  count: number | undefined;
  sample: number | undefined;
  redactLog4Shell: boolean;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; message: string };

// Seconds would not reach 10^12 before the year 33658; anything that large is nanoseconds.
const NANOSECOND_MAGNITUDE = 1_000_000_000_000n;

/** `start`/`end` as epoch ns: unix seconds, unix nanoseconds (told apart by magnitude), or RFC 3339. */
export function parseLogpullTime(text: string | null): bigint | null {
  if (text === null) return null;
  if (/^\d{1,20}$/.test(text)) {
    const value = BigInt(text);
    return value >= NANOSECOND_MAGNITUDE ? value : value * NS_PER_SECOND;
  }
  return parseRfc3339Ns(text);
}

export function validateReceivedQuery(params: URLSearchParams, nowMs: number): Validated<ReceivedQuery> {
  const startNs = parseLogpullTime(params.get('start'));
  if (startNs === null) return fail('bad query: error parsing start time: must be unix timestamp or rfc3339 string');
  const endNs = parseLogpullTime(params.get('end'));
  if (endNs === null) return fail('bad query: error parsing end time: must be unix timestamp or rfc3339 string');

  const nowNs = BigInt(nowMs) * NS_PER_MS;
  const ns = (ms: number) => BigInt(ms) * NS_PER_MS;
  if (startNs >= endNs) return fail(RANGE_ERRORS.startNotBeforeEnd);
  if (startNs < nowNs - ns(CLOUDFLARE_LIMITS.retentionMs)) return fail(RANGE_ERRORS.tooEarly);
  if (endNs > nowNs - ns(CLOUDFLARE_LIMITS.minDelayMs)) return fail(RANGE_ERRORS.tooRecent);
  if (endNs - startNs > ns(CLOUDFLARE_LIMITS.maxRangeMs)) return fail(RANGE_ERRORS.tooLong);

  const options = validateRecordOptions(params);
  if (!options.ok) return options;

  const countText = params.get('count');
  let count: number | undefined;
  if (countText !== null) {
    count = /^\d{1,15}$/.test(countText) ? Number(countText) : 0;
    if (count < 1) return fail(`bad query: invalid count "${countText}": must be an integer greater than 0`);
  }

  const sampleText = params.get('sample');
  let sample: number | undefined;
  if (sampleText !== null) {
    sample = /^(\d+(\.\d*)?|\.\d+)$/.test(sampleText) ? Number(sampleText) : NaN;
    if (!(sample > 0 && sample <= 1)) return fail(`bad query: invalid sample "${sampleText}": must be a number in (0.0, 1.0]`);
  }

  return {
    ok: true,
    value: {
      ...options.value,
      startNs,
      endNs,
      count,
      sample,
      redactLog4Shell: params.get('CVE-2021-44228') === 'true',
    },
  };
}

/** `fields` and `timestamps`, shared by logs/received and logs/rayids. */
export function validateRecordOptions(params: URLSearchParams): Validated<RecordOptions> {
  const fieldsText = params.get('fields');
  const fields = fieldsText === null || fieldsText === '' ? [...CLOUDFLARE_DEFAULT_FIELDS] : fieldsText.split(',');
  // Fields are comma-separated with no whitespace (CF2): ' RayID' is as unknown as 'Bogus'.
  const unknown = fields.find((name) => !isCloudflareField(name));
  if (unknown !== undefined) return fail(`bad query: error parsing fields: unknown field "${unknown}"`);

  const timestamps = params.get('timestamps') ?? 'unixnano';
  if (!(CLOUDFLARE_TIMESTAMP_FORMATS as readonly string[]).includes(timestamps)) {
    return fail(`bad query: invalid timestamps "${timestamps}": must be one of unixnano, unix, rfc3339`);
  }
  return { ok: true, value: { fields, timestamps: timestamps as CloudflareTimestampFormat } };
}

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}
