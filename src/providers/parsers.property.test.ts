/**
 * Every provider's parser (wire bytes to records) and normaliser (raw row to record) under hostile
 * input: random bodies, valid gzip/zip containers of random JSON lines, TSV/CSV rows with random
 * header names and space-separated DSA lines, and provider fields mapped to hostile values (1e300,
 * -1, '1e20', '-', '', 'NaN', huge strings, `__proto__` keys, arrays nested 100000 deep).
 *
 * The contract: records (or null from a normaliser) or a CdnLogError, never a TypeError, RangeError
 * or stack overflow; every record has a non-empty id, a timestamp a Date can print, and JSON-safe
 * attributes that are all its own. Bodies stay under about 64 KiB, so jest's timeout bounds a hang.
 */
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { gzipSync } from 'node:zlib';
import { MAX_ATTRIBUTE_DEPTH } from '../core/attributes';
import { type ErrorKind, isCdnLogError } from '../core/errors';
import { CACHE_STATUSES, type CdnLogRecord, type ProviderId } from '../core/record';
import { oneMemberZip } from '../emulators/zip';
import { cutAt, cutsFor, flatten, sourceOf } from '../transport/decode/testkit';
import { CLOUDFLARE_RECORD_FIELDS } from './cloudflare/limits';
import { normalizeCloudflare } from './cloudflare/normalize';
import { decodeCloudflareBody } from './cloudflare/parse';
import { gcoreColumns, normalizeGcore } from './gcore/normalize';
import { decodeGcoreZip } from './gcore/parse';
import { normalizeElsa } from './naver-elsa/normalize';
import { decodeElsaZip } from './naver-elsa/parse';
import type { LogPackage } from './packages';
import { normalizeDsaLine } from './tencent-dsa/normalize';
import { decodeDsaPackage } from './tencent-dsa/parse';
import { normalizeEdgeOneL4, normalizeEdgeOneL7 } from './tencent-edgeone/normalize';
import { decodeEdgeOnePackage } from './tencent-edgeone/parse';
import { emptyStats } from './types';

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const KiB = 1024;
const pkg: LogPackage = { key: 'property-package', url: 'https://example.invalid/p.gz', label: 'property package', hourStartMs: 0 };
const BODY_KINDS: ErrorKind[] = ['Transient', 'TooLarge', 'ProviderError'];

// ---------------------------------------------------------------------------------------------
// The contract

/** A thrown value as one line with the top of its stack, so a failing property names where it came from. */
function described(err: unknown): string {
  if (!(err instanceof Error)) return `a thrown ${typeof err}: ${String(err)}`;
  const top = (err.stack ?? '').split('\n').slice(1, 4).map((line) => line.trim()).join(' | ');
  return `${err.name}: ${err.message.slice(0, 200)} [${top}]`;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; kind: ErrorKind };

/** Runs `work`; a CdnLogError must be of one of `kinds`. Anything else thrown fails, naming the error and where it came from. */
async function outcome<T>(work: () => Promise<T> | T, kinds: readonly ErrorKind[]): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (err) {
    if (!isCdnLogError(err)) throw new Error(`expected records or a CdnLogError, got ${described(err)}`, { cause: err });
    expect(kinds).toContain(err.kind);
    expect(err.message).toMatch(/\S/);
    return { ok: false, kind: err.kind };
  }
}

/** A normaliser's answer: a record or null; a CdnLogError is allowed, anything else thrown fails. */
function normalised(work: () => CdnLogRecord | null): CdnLogRecord | null {
  try {
    return work();
  } catch (err) {
    if (!isCdnLogError(err)) throw new Error(`expected a record, null or a CdnLogError, got ${described(err)}`, { cause: err });
    return null;
  }
}

const ISO = /^[+-]?\d{4,6}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const NULLABLE_STRINGS = ['clientIp', 'country', 'method', 'scheme', 'host', 'path', 'query', 'protocol', 'edgeLocation', 'userAgent', 'referer', 'range', 'contentType', 'requestId', 'message'] as const;
const NULLABLE_NUMBERS = ['clientPort', 'status', 'bytesSent', 'bodyBytes', 'durationMs'] as const;

/** What every record must be, whatever the provider sent. */
function expectRecord(record: CdnLogRecord, provider: ProviderId): void {
  expect(typeof record.id).toBe('string');
  expect(record.id.length).toBeGreaterThan(0);
  expect(Number.isFinite(record.timestamp)).toBe(true);
  expect(new Date(record.timestamp).toISOString()).toMatch(ISO);
  expect(record.provider).toBe(provider);
  expect(typeof record.source).toBe('string');
  for (const field of NULLABLE_STRINGS) if (record[field] !== null) expect(typeof record[field]).toBe('string');
  for (const field of NULLABLE_NUMBERS) if (record[field] !== null) expect(Number.isFinite(record[field])).toBe(true);
  expect(CACHE_STATUSES).toContain(record.cacheStatus);
  expect(['error', 'warning', 'info']).toContain(record.severity);

  // JSON keeps every field (none undefined) and writes the same text again after a round trip.
  const text = JSON.stringify(record);
  expect(Object.keys(JSON.parse(text) as object)).toEqual(Object.keys(record));
  const attributes = record.attributes;
  for (const key in attributes) expect(Object.prototype.hasOwnProperty.call(attributes, key)).toBe(true);
  const attributesText = JSON.stringify(attributes);
  expect(JSON.stringify(JSON.parse(attributesText))).toBe(attributesText);
  expect(Object.keys(JSON.parse(attributesText) as object)).toEqual(Object.keys(attributes));
  expectAttributeValues(attributes);
}

/** Attribute values are JSON values (finite numbers, no undefined), at most MAX_ATTRIBUTE_DEPTH deep; walked without recursion. */
function expectAttributeValues(attributes: Record<string, unknown>): void {
  const stack: Array<[unknown, number]> = Object.values(attributes).map((value) => [value, 1]);
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value === 'string' || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      expect(Number.isFinite(value) ? 'finite' : `${value}, which JSON writes as null`).toBe('finite');
      continue;
    }
    expect(typeof value).toBe('object');
    expect(depth).toBeLessThanOrEqual(MAX_ATTRIBUTE_DEPTH);
    const proto = Object.getPrototypeOf(value) as unknown;
    expect(proto === Object.prototype || proto === Array.prototype || proto === null).toBe(true);
    for (const child of Object.values(value as object)) stack.push([child, depth + 1]);
  }
}

/** No input may write to Object.prototype (a `__proto__` or `constructor.prototype` key taken as a path). */
function expectNoPollution(): void {
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

// ---------------------------------------------------------------------------------------------
// Hostile values, as JSON texts; tokens stand for the big ones so that counterexamples stay short

const DEEP_DIRECT = 100_000;
/** Within a body, deep values share a budget so that a body stays near 64 KiB. */
const BODY_DEEP_CHARS = 48 * KiB;

function deepArrayText(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}
function deepObjectText(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Expands the tokens of a value text; `budget` (characters) limits the big ones, past it they stay just past the attribute bound. */
function expand(token: string, budget: { chars: number }): string {
  const room = Math.max(0, budget.chars);
  const past = MAX_ATTRIBUTE_DEPTH + 8;
  let text: string;
  switch (token) {
    case 'DEEP_ARRAY':
      text = deepArrayText(Math.max(past, Math.min(DEEP_DIRECT, Math.floor(room / 2))));
      break;
    case 'DEEP_OBJECT':
      text = deepObjectText(Math.max(past, Math.min(DEEP_DIRECT, Math.floor(room / 6))));
      break;
    case 'HUGE_STRING':
      text = JSON.stringify('x'.repeat(Math.max(100, Math.min(200_000, room - 2))));
      break;
    case 'WIDE_OBJECT':
      text = `{${Array.from({ length: room >= 30_000 ? 2_000 : 10 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
      break;
    default:
      return token;
  }
  budget.chars -= text.length;
  return text;
}

const HOSTILE_VALUE_TEXTS = [
  '1e300', '-1e300', '-1', '0', '-0', '1e20', '1.5', '1e400', '-1e400', '5e-324', '9007199254740993',
  '"1e20"', '"-"', '""', '" "', '"NaN"', '"Infinity"', '"-Infinity"', '"1e400"', '" 12 "', '"0x10"', '"1_000"', '"-1"',
  '"00000000000000000000000001600000000"', '"\\u0000"', '"\\ud800"', '"\\udfff\\ud800"', '"\\u001b]0;title\\u0007"', '"\\u202e"', '"\\ufeff"',
  'true', 'false', 'null', '[]', '[[]]', '[null]', '[""]', '["-"]', '[1]', '{}', '{"":""}',
  '{"toString":1}', '{"valueOf":{},"toString":null}', '{"toJSON":1}', '{"__proto__":{"polluted":1}}', '{"__proto__":[]}',
  '{"__proto__":null}', '{"constructor":{"prototype":{"polluted":1}}}',
  'DEEP_ARRAY', 'DEEP_OBJECT', 'HUGE_STRING', 'WIDE_OBJECT',
];

/** Characters that trip text handling: controls, BOMs, lone surrogates, CR/LF, quotes, separators, non-BMP. */
const hostileChar = fc.oneof(
  fc.constantFrom('\u0000', '\u001b', '\u007f', '\r', '\n', '\t', ' ', '\ufeff', '\u00a0', '\u2028', '\ud800', '\udfff', '😀', 'é', '"', '\\', ',', '?', '-', '/'),
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
);
const hostileText = (maxLength: number) => fc.string({ unit: hostileChar, maxLength });

/** A JSON text for any field: random JSON, random values of every JS kind, hostile constants and tokens. */
const valueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }).map((v) => JSON.stringify(v)).filter((t): t is string => t !== undefined) },
  { weight: 1, arbitrary: hostileText(20).map((t) => JSON.stringify(t)) },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_VALUE_TEXTS) },
);

const VALID_DATE = fc.date({ min: new Date('0000-01-01T00:00:00.000Z'), max: new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)), noInvalidDate: true });

/** Times in every rendering a provider might use, most of them usable, plus every hostile value. */
const timeText: fc.Arbitrary<string> = fc.oneof(
  VALID_DATE.map((d) => JSON.stringify(d.toISOString())),
  VALID_DATE.map((d) => JSON.stringify(d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ''))),
  VALID_DATE.map((d) => String(d.getTime())),
  VALID_DATE.map((d) => JSON.stringify(String(Math.floor(d.getTime() / 1000)))),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.constantFrom(
    '"2026-11-22T10:00:00Z"', '"2026-11-22T10:00:00.123456789+08:00"', '"2026-11-22"', '"2026-02-30T00:00:00Z"', '"2016-12-31T23:59:60Z"',
    '"+275760-09-13T00:00:00.000Z"', '"9999-12-31T23:59:59.999-18:00"', '"0000-01-01T00:00:00+18:00"', '"2026-11-22T10:00:00+99:99"',
    '1600000000', '1600000000000', '1600000000000000', '1600000000000000000', '8640000000000000', '8640000000000001', '-8640000000000000',
    '"8640000000000000"', '"99999999999999999999999"', '"1623628800.5"', '"20261122100000"', '1e400',
  ),
  valueText,
);

type Entry = [key: string, value: string];

/** A JSON object text from key/value-text entries (duplicate keys allowed: JSON.parse keeps the last), tokens expanded. */
function objectText(entries: Entry[], budget: { chars: number }): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${expand(value, budget)}`).join(',')}}`;
}

/** Entries over a provider's field names (time fields get time texts), plus `__proto__`-like and random keys. */
function wireEntries(fields: readonly string[], timeFields: readonly string[]): fc.Arbitrary<Entry[]> {
  const key = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...fields) },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '') },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
  const times = fc.array(fc.tuple(fc.constantFrom(...timeFields), timeText), { minLength: 1, maxLength: timeFields.length });
  return fc.tuple(times, fc.array(fc.tuple(key, valueText), { maxLength: 10 })).chain(([timeEntries, other]) =>
    fc.shuffledSubarray([...timeEntries, ...other], { minLength: timeEntries.length + other.length }),
  );
}

const CLOUDFLARE_TIME_FIELDS = ['EdgeStartTimestamp', 'EdgeEndTimestamp'];
const EDGEONE_L7_FIELDS = [
  'RequestID', 'ClientIP', 'ClientRegion', 'RequestTime', 'RequestHost', 'RequestMethod', 'RequestUrl', 'RequestUrlQueryString', 'RequestUA',
  'RequestRange', 'RequestReferer', 'RemotePort', 'EdgeCacheStatus', 'EdgeResponseStatusCode', 'EdgeResponseBytes', 'EdgeResponseTime',
  'EdgeServerID', 'EdgeServerIP', 'RequestProtocol',
];
const EDGEONE_L4_FIELDS = ['ClientRealIP', 'ClientRegion', 'EdgeIP', 'ReceivedBytes', 'SessionID', 'LogTimeStamp', 'ConnectTimeStamp', 'DisconnetTimeStamp', 'DisconnetReason', 'ServiceID'];
const EDGEONE_L4_TIME_FIELDS = ['LogTimeStamp', 'ConnectTimeStamp', 'DisconnetTimeStamp'];
const ELSA_FIELDS = ['logTime', 'body', 'logLevel', 'host', 'logType', 'logSource', 'projectName', 'projectVersion'];
const GCORE_COLUMNS = [
  'timestamp', 'path', 'method', 'referer', 'user_agent', 'client_ip', 'status', 'size', 'cname', 'resource_id', 'cache_status', 'datacenter',
  'sent_http_content_type', 'tcpinfo_rtt',
];

const cloudflareWire = wireEntries(CLOUDFLARE_RECORD_FIELDS, CLOUDFLARE_TIME_FIELDS);
const edgeOneL7Wire = wireEntries(EDGEONE_L7_FIELDS, ['RequestTime']);
const edgeOneL4Wire = wireEntries(EDGEONE_L4_FIELDS, EDGEONE_L4_TIME_FIELDS);
const elsaWire = wireEntries(ELSA_FIELDS, ['logTime']);

/** One JSON line in a body: usually a wire object, sometimes another JSON value or hostile text. */
function bodyLine(wire: fc.Arbitrary<Entry[]>): fc.Arbitrary<{ entries?: Entry[]; text?: string }> {
  return fc.oneof(
    { weight: 6, arbitrary: wire.map((entries) => ({ entries })) },
    { weight: 1, arbitrary: valueText.filter((t) => !t.includes('_')).map((text) => ({ text })) },
    { weight: 1, arbitrary: hostileText(30).map((text) => ({ text: text.replace(/[\r\n]/g, ' ') })) },
  );
}

function bodyText(lines: Array<{ entries?: Entry[]; text?: string }>, newline: string): string {
  const budget = { chars: BODY_DEEP_CHARS };
  return lines.map((line) => (line.entries !== undefined ? objectText(line.entries, budget) : line.text!)).join(newline);
}

/** Non-empty lines as splitLines gives them (a leading BOM dropped, \n or \r\n, empty lines dropped), for counting. */
function lineCount(text: string): number {
  return text.replace(/^\ufeff/, '').split('\n').filter((line) => line !== '' && line !== '\r').length;
}

/** Random bytes with a bias towards what the decoders look for. */
const hostileBytes = (maxLength: number) =>
  fc
    .array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x0a, 0x0d, 0x22, 0x2c, 0x7b, 0x7d, 0x5b, 0x5d, 0x20, 0x50, 0x4b, 0x1f, 0x8b, 0xef, 0xbb, 0xbf, 0xff)), { maxLength })
    .map((bytes) => Uint8Array.from(bytes));

// ---------------------------------------------------------------------------------------------

describe('Cloudflare: normalizeCloudflare and decodeCloudflareBody', () => {
  it('normalizeCloudflare gives a well-formed record or null for any Logpull fields mapped to hostile values', () => {
    let records = 0;
    fc.assert(
      fc.property(cloudflareWire, fc.string({ maxLength: 12 }), (entries, zone) => {
        const raw = JSON.parse(objectText(entries, { chars: 4 * DEEP_DIRECT })) as Record<string, unknown>;
        const record = normalised(() => normalizeCloudflare(raw, zone));
        if (record !== null) {
          records++;
          expectRecord(record, 'cloudflare');
          expect(record.source).toBe(zone);
        }
        expectNoPollution();
      }),
      { numRuns: 300 },
    );
    expect(records).toBeGreaterThan(30);
  });

  it('decodeCloudflareBody gives well-formed records or a CdnLogError for random NDJSON bodies, gzip or not, for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          lines: fc.array(bodyLine(cloudflareWire), { maxLength: 8 }),
          newline: fc.constantFrom('\n', '\r\n', '\n\n'),
          encoding: fc.constantFrom<string | undefined>('gzip', undefined, 'identity', 'x-gzip'),
          streamFailed: fc.boolean(),
          cuts: fc.array(fc.nat({ max: 64 * KiB }), { maxLength: 12 }),
        }),
        async ({ lines, newline, encoding, streamFailed, cuts }) => {
          const text = bodyText(lines, newline) + (streamFailed ? '\nError streaming data.\n' : '');
          const plain = utf8(text);
          const body = encoding === undefined || encoding === 'identity' ? plain : gzipSync(plain);
          const stats = emptyStats();
          const result = await outcome(
            () => flatten(decodeCloudflareBody(sourceOf(cutAt(body, cuts)), { contentEncoding: encoding, zone: 'zone-1', maxBytes: 1024 * KiB, label: 'property cloudflare', stats })),
            BODY_KINDS,
          );
          if (result.ok) {
            for (const record of result.value) expectRecord(record, 'cloudflare');
            expect(result.value.length + stats.skipped).toBe(lineCount(text));
          }
          if (streamFailed) expect(result.ok ? 'records' : result.kind).not.toBe('records');
          expectNoPollution();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('decodeCloudflareBody gives a CdnLogError or records for random bytes under any Content-Encoding', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileBytes(4 * KiB),
        fc.constantFrom<string | undefined>('gzip', undefined, 'br', 'identity'),
        cutsFor(4 * KiB),
        fc.integer({ min: 1, max: 8 * KiB }),
        async (bytes, encoding, cuts, maxBytes) => {
          const result = await outcome(
            () => flatten(decodeCloudflareBody(sourceOf(cutAt(bytes, cuts)), { contentEncoding: encoding, zone: 'z', maxBytes, label: 'property cloudflare' })),
            BODY_KINDS,
          );
          if (result.ok) for (const record of result.value) expectRecord(record, 'cloudflare');
          if (encoding === 'br') expect(result).toEqual({ ok: false, kind: 'ProviderError' });
        },
      ),
      { numRuns: 200 },
    );
  });

  // Shrunk counterexamples of the properties above, kept as plain cases.
  it('normalizeCloudflare: a RayID of an object whose toString is not a function is a record, not a TypeError', () => {
    const record = normalised(() => normalizeCloudflare(JSON.parse('{"EdgeStartTimestamp":1600000000,"RayID":{"toString":1}}') as Record<string, unknown>, 'z'));
    expect(record).not.toBeNull();
    expectRecord(record!, 'cloudflare');
  });

  it('normalizeCloudflare: an EdgeResponseStatus of {"toString":1} is a record without a status, not a TypeError', () => {
    const record = normalised(() => normalizeCloudflare(JSON.parse('{"EdgeStartTimestamp":1600000000,"EdgeResponseStatus":{"toString":1}}') as Record<string, unknown>, 'z'));
    expect(record).toMatchObject({ status: null });
  });

  it('normalizeCloudflare: a field of 1e400 (Infinity once parsed) is an attribute that survives JSON', () => {
    const record = normalised(() => normalizeCloudflare(JSON.parse('{"EdgeStartTimestamp":1600000000,"RayID":"r1","OriginResponseTime":1e400}') as Record<string, unknown>, 'z'));
    expect(record).not.toBeNull();
    expectRecord(record!, 'cloudflare');
  });

  it('normalizeCloudflare: a RayID of [] still gives a non-empty id', () => {
    const record = normalised(() => normalizeCloudflare(JSON.parse('{"EdgeStartTimestamp":1600000000,"RayID":[]}') as Record<string, unknown>, 'z'));
    expect(record).not.toBeNull();
    expect(record!.id).not.toBe('');
  });

  it('normalizeCloudflare: a field nested 100000 deep (no RayID) is a record with a cut attribute, not a RangeError', () => {
    const raw = { EdgeStartTimestamp: 1600000000, x: JSON.parse(deepArrayText(DEEP_DIRECT)) as unknown };
    const record = normalised(() => normalizeCloudflare(raw, 'z'));
    expect(record).not.toBeNull();
    expectRecord(record!, 'cloudflare');
  });

  it('normalizeCloudflare: a RayID nested 100000 deep is a record, not a RangeError', () => {
    const raw = { EdgeStartTimestamp: 1600000000, RayID: JSON.parse(deepArrayText(DEEP_DIRECT)) as unknown };
    expect(normalised(() => normalizeCloudflare(raw, 'z'))).not.toBeNull();
  });

  it('decodeCloudflareBody: a 40 KB line nested 20000 deep is a record or a CdnLogError, not a RangeError', async () => {
    const body = utf8(`{"EdgeStartTimestamp":1600000000,"x":${deepArrayText(20_000)}}\n`);
    const result = await outcome(() => flatten(decodeCloudflareBody(sourceOf([body]), { contentEncoding: undefined, zone: 'z', maxBytes: 1024 * KiB, label: 'deep' })), BODY_KINDS);
    if (result.ok) for (const record of result.value) expectRecord(record, 'cloudflare');
  });
});

// ---------------------------------------------------------------------------------------------

/** A Gcore cell: times in Gcore's renderings, numbers, absent markers and hostile text (no tab or line break: TSV has none). */
const gcoreCell = fc.oneof(
  { weight: 2, arbitrary: VALID_DATE.map((d) => String(Math.floor(d.getTime() / 1000))) },
  { weight: 1, arbitrary: VALID_DATE.map((d) => d.toISOString()) },
  { weight: 1, arbitrary: fc.constantFrom('-', '', '1e400', '1e300', 'NaN', ' 1623628800 ', '1623628800.5', '1623628800000', '99999999999999999999', '8640000000000001', '2026-02-30T00:00:00', 'HIT', 'stream-hit', '/a?b=c', 'GET') },
  { weight: 2, arbitrary: hostileText(16).map((t) => t.replace(/[\t\r\n]/g, ' ')) },
);
const gcoreHeaderName = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...GCORE_COLUMNS) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', '', 'timestamp ') },
  { weight: 1, arbitrary: hostileText(8).map((t) => t.replace(/[\t\r\n]/g, ' ')) },
);
/** A header (usually naming `timestamp`) and rows of any width. */
const gcoreTable = fc.record({
  header: fc.tuple(fc.boolean(), fc.array(gcoreHeaderName, { maxLength: 14 })).map(([withTime, names]) => (withTime ? ['timestamp', ...names] : names)),
  rows: fc.array(fc.array(gcoreCell, { maxLength: 16 }), { maxLength: 10 }),
});

function csvCell(cell: string): string {
  return /[",\r\n]/.test(cell) || cell.startsWith('\ufeff') ? `"${cell.replace(/"/g, '""')}"` : cell;
}

describe('Gcore: normalizeGcore and decodeGcoreZip', () => {
  it('normalizeGcore gives a well-formed record or null for any header and row, rows shorter and longer than the header included', () => {
    let records = 0;
    fc.assert(
      fc.property(gcoreTable, fc.string({ maxLength: 8 }), ({ header, rows }, source) => {
        const cols = gcoreColumns(header);
        for (const row of rows) {
          const record = normalised(() => normalizeGcore(row, cols, source, row.join('\t')));
          if (record === null) continue;
          records++;
          expectRecord(record, 'gcore');
        }
        expectNoPollution();
      }),
      { numRuns: 300 },
    );
    expect(records).toBeGreaterThan(30);
  });

  it('decodeGcoreZip gives well-formed records or a CdnLogError for zips of random TSV/CSV tables, for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        gcoreTable,
        fc.constantFrom('logs.csv', 'logs.tsv', 'logs', 'LOGS.CSV', 'dir/', 'a\u0000.csv'),
        fc.constantFrom('csv', 'tsv', ''),
        fc.constantFrom('\n', '\r\n'),
        cutsFor(8 * KiB),
        async ({ header, rows }, name, format, newline, cuts) => {
          const csv = name.endsWith('.csv') || (format === 'csv' && !name.endsWith('.tsv'));
          const text = [header, ...rows].map((row) => (csv ? row.map(csvCell).join(',') : row.join('\t'))).join(newline);
          const zip = oneMemberZip(name, utf8(text), Date.UTC(2026, 10, 22));
          const result = await outcome(
            () => flatten(decodeGcoreZip(sourceOf(cutAt(zip, cuts)), { format, source: 'resource-1', maxMemberBytes: 256 * KiB, label: 'property gcore', stats: emptyStats() })),
            BODY_KINDS,
          );
          expect(result.ok).toBe(true);
          if (result.ok) for (const record of result.value) expectRecord(record, 'gcore');
          expectNoPollution();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('decodeGcoreZip gives a CdnLogError or records for random bodies and for zips of random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileBytes(4 * KiB),
        fc.boolean(),
        fc.constantFrom('logs.csv', 'logs.tsv', 'x'),
        cutsFor(4 * KiB),
        async (bytes, zipped, name, cuts) => {
          const body = zipped ? oneMemberZip(name, bytes, 0) : bytes;
          const result = await outcome(
            () => flatten(decodeGcoreZip(sourceOf(cutAt(body, cuts)), { format: 'tsv', source: 'r', maxMemberBytes: 64 * KiB, label: 'property gcore' })),
            BODY_KINDS,
          );
          if (zipped) expect(result.ok ? 'records' : result.kind).toMatch(/^(records|ProviderError)$/);
          if (result.ok) for (const record of result.value) expectRecord(record, 'gcore');
        },
      ),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------

/** `YYYYMMDDHHMMSS` in Beijing time, as DSA writes field 1. */
function beijingDigits(date: Date): string {
  return new Date(date.getTime() + 8 * 3_600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

const dsaField = fc.oneof(
  { weight: 2, arbitrary: fc.date({ min: new Date(Date.UTC(1000, 0, 1)), max: new Date(Date.UTC(9999, 0, 1)), noInvalidDate: true }).map(beijingDigits) },
  { weight: 1, arbitrary: fc.stringMatching(/^\d{14}$/) },
  { weight: 3, arbitrary: fc.constantFrom('-', '', '-1', '0', '200', '1e400', '1e300', 'NaN', 'hit', 'miss', 'HIT', 'HTTP/1.1', 'HTTP/2.0', 'GET', '/a?b', 'bytes=0-1', '65535', '99999999999999999999') },
  { weight: 2, arbitrary: hostileText(10).map((t) => t.replace(/[ \n]/g, '_')) },
);
/** A DSA line: fields 1-10 from the left, a User-Agent with spaces, 12-15 (or 16) from the right; any field may be anything. */
const dsaLine = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(dsaField, fc.array(dsaField, { minLength: 10, maxLength: 22 })).map(([time, rest]) => [time, ...rest].join(' ')) },
  { weight: 1, arbitrary: fc.array(dsaField, { maxLength: 30 }).map((fields) => fields.join(' ')) },
  { weight: 1, arbitrary: hostileText(60).map((t) => t.replace(/\n/g, ' ')) },
);

describe('Tencent DSA: normalizeDsaLine and decodeDsaPackage', () => {
  it('normalizeDsaLine gives a well-formed record or null for any space-separated line', () => {
    let records = 0;
    fc.assert(
      fc.property(dsaLine, fc.string({ maxLength: 8 }), (line, source) => {
        const record = normalised(() => normalizeDsaLine(line, source));
        if (record !== null) {
          records++;
          expectRecord(record, 'tencent-dsa');
          expect(record.source).toBe(source);
        }
      }),
      { numRuns: 300 },
    );
    expect(records).toBeGreaterThan(30);
  });

  it('decodeDsaPackage gives well-formed records for any lines and random bytes, one per log line, for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(fc.array(dsaLine, { maxLength: 12 }), fc.constantFrom('\n', '\r\n')).map(([lines, newline]) => utf8(lines.join(newline))),
          hostileBytes(4 * KiB),
        ),
        cutsFor(4 * KiB),
        async (bytes, cuts) => {
          const stats = emptyStats();
          const result = await outcome(() => flatten(decodeDsaPackage(sourceOf(cutAt(bytes, cuts)), pkg, 'dsa-host', stats)), BODY_KINDS);
          expect(result.ok).toBe(true);
          if (result.ok) {
            for (const record of result.value) expectRecord(record, 'tencent-dsa');
            expect(result.value.length + stats.skipped).toBe(lineCount(Buffer.from(bytes).toString('utf8')));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('Tencent EdgeOne: normalizeEdgeOneL7/L4 and decodeEdgeOnePackage', () => {
  it.each([
    ['L7', edgeOneL7Wire, normalizeEdgeOneL7],
    ['L4', edgeOneL4Wire, normalizeEdgeOneL4],
  ] as const)('normalizeEdgeOne%s gives a well-formed record or null for any fields mapped to hostile values', (_layer, wire, normalize) => {
    let records = 0;
    fc.assert(
      fc.property(wire, fc.string({ maxLength: 8 }), (entries, zone) => {
        const line = objectText(entries, { chars: 4 * DEEP_DIRECT });
        const record = normalised(() => normalize(JSON.parse(line) as Record<string, unknown>, zone, line));
        if (record !== null) {
          records++;
          expectRecord(record, 'tencent-edgeone');
        }
        expectNoPollution();
      }),
      { numRuns: 300 },
    );
    expect(records).toBeGreaterThan(30);
  });

  it.each(['l7', 'l4'] as const)('decodeEdgeOnePackage (%s) gives well-formed records, one per record line, for any lines, for any chunking', async (layer) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(bodyLine(layer === 'l7' ? edgeOneL7Wire : edgeOneL4Wire), { maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        cutsFor(64 * KiB),
        async (lines, newline, cuts) => {
          const text = bodyText(lines, newline);
          const stats = emptyStats();
          const result = await outcome(() => flatten(decodeEdgeOnePackage(sourceOf(cutAt(utf8(text), cuts)), pkg, layer, 'zone-1', stats)), BODY_KINDS);
          expect(result.ok).toBe(true);
          if (result.ok) {
            for (const record of result.value) expectRecord(record, 'tencent-edgeone');
            expect(result.value.length + stats.skipped).toBe(lineCount(text));
          }
          expectNoPollution();
        },
      ),
      { numRuns: 150 },
    );
  });

  // Shrunk counterexamples of the properties above, kept as plain cases.
  it.each([
    ['L7', normalizeEdgeOneL7, '{"RequestTime":"2026-11-22T10:00:00Z","__proto__":-1e400}'],
    ['L4', normalizeEdgeOneL4, '{"LogTimeStamp":"2026-11-22T10:00:00Z","DisconnetTimeStamp":1e400}'],
  ] as const)('normalizeEdgeOne%s: a field of ±1e400 (±Infinity once parsed) is an attribute that survives JSON', (_layer, normalize, line) => {
    const record = normalised(() => normalize(JSON.parse(line) as Record<string, unknown>, 'z', line));
    expect(record).not.toBeNull();
    expectRecord(record!, 'tencent-edgeone');
  });

  it('decodeEdgeOnePackage gives well-formed records or nothing for random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(hostileBytes(4 * KiB), fc.constantFrom('l7', 'l4') as fc.Arbitrary<'l7' | 'l4'>, cutsFor(4 * KiB), async (bytes, layer, cuts) => {
        const result = await outcome(() => flatten(decodeEdgeOnePackage(sourceOf(cutAt(bytes, cuts)), pkg, layer, 'z')), BODY_KINDS);
        expect(result.ok).toBe(true);
        if (result.ok) for (const record of result.value) expectRecord(record, 'tencent-edgeone');
      }),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------------------------

const elsaHeaderName = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...ELSA_FIELDS) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', '') },
  { weight: 1, arbitrary: hostileText(8) },
);
const elsaCell = fc.oneof(
  { weight: 2, arbitrary: VALID_DATE.map((d) => String(d.getTime())) },
  { weight: 1, arbitrary: VALID_DATE.map((d) => d.toISOString()) },
  { weight: 1, arbitrary: fc.constantFrom('-', '', '1e400', '1e300', 'NaN', ' 1623628800000 ', '8640000000000001', 'ERROR', 'warn', '{"a":1}') },
  { weight: 2, arbitrary: hostileText(16) },
);

/** An ELSA member: a JSON array or NDJSON of wire documents (with hostile elements), a CSV table with random header names, or random bytes. */
const elsaMember = fc.oneof(
  fc.tuple(fc.array(bodyLine(elsaWire), { maxLength: 8 }), fc.boolean()).map(([lines, array]) => {
    const budget = { chars: BODY_DEEP_CHARS };
    const texts = lines.map((line) => (line.entries !== undefined ? objectText(line.entries, budget) : line.text!));
    return { name: 'logs.json', bytes: utf8(array ? `[${texts.join(',\n')}]` : texts.join('\n')) };
  }),
  fc
    .record({
      header: fc.tuple(fc.boolean(), fc.array(elsaHeaderName, { maxLength: 8 })).map(([withTime, names]) => (withTime ? ['logTime', ...names] : names)),
      rows: fc.array(fc.array(elsaCell, { maxLength: 10 }), { maxLength: 8 }),
      newline: fc.constantFrom('\n', '\r\n'),
    })
    .map(({ header, rows, newline }) => ({ name: 'logs.CSV', bytes: utf8([header, ...rows].map((row) => row.map(csvCell).join(',')).join(newline)) })),
  fc.tuple(hostileBytes(2 * KiB), fc.constantFrom('logs.json', 'logs.csv', 'x')).map(([bytes, name]) => ({ name, bytes })),
);

describe('NAVER ELSA: normalizeElsa and decodeElsaZip', () => {
  it('normalizeElsa gives a well-formed record or null for any document fields mapped to hostile values', () => {
    let records = 0;
    fc.assert(
      fc.property(elsaWire, fc.string({ maxLength: 8 }), (entries, project) => {
        const text = objectText(entries, { chars: 4 * DEEP_DIRECT });
        const record = normalised(() => normalizeElsa(JSON.parse(text) as Record<string, unknown>, project, text));
        if (record !== null) {
          records++;
          expectRecord(record, 'naver-elsa');
          expect(record.source).toBe(project);
        }
        expectNoPollution();
      }),
      { numRuns: 300 },
    );
    expect(records).toBeGreaterThan(30);
  });

  it('decodeElsaZip gives well-formed records or a CdnLogError for zips of random JSON, NDJSON, CSV and bytes, for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(elsaMember, cutsFor(64 * KiB), async ({ name, bytes }, cuts) => {
        const zip = oneMemberZip(name, bytes, Date.UTC(2026, 10, 22));
        const result = await outcome(
          () => flatten(decodeElsaZip(sourceOf(cutAt(zip, cuts)), { project: 'p', maxMemberBytes: 256 * KiB, label: 'property elsa', stats: emptyStats() })),
          BODY_KINDS,
        );
        if (result.ok) for (const record of result.value) expectRecord(record, 'naver-elsa');
        expectNoPollution();
      }),
      { numRuns: 200 },
    );
  });

  it('decodeElsaZip gives a CdnLogError for random bodies that are not zips', async () => {
    await fc.assert(
      fc.asyncProperty(hostileBytes(4 * KiB), cutsFor(4 * KiB), async (bytes, cuts) => {
        const result = await outcome(() => flatten(decodeElsaZip(sourceOf(cutAt(bytes, cuts)), { project: 'p', maxMemberBytes: 64 * KiB, label: 'property elsa' })), BODY_KINDS);
        if (result.ok) for (const record of result.value) expectRecord(record, 'naver-elsa');
      }),
      { numRuns: 150 },
    );
  });

  it('decodeElsaZip gives the same records, ids included, for any chunking of a stored or deflated download', async () => {
    const decode = (chunks: Uint8Array[]) => flatten(decodeElsaZip(sourceOf(chunks), { project: 'p', maxMemberBytes: 256 * KiB, label: 'property elsa' }));
    const summary = (result: Outcome<CdnLogRecord[]>) => (result.ok ? result.value.map((record) => record.id) : result.kind);
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.constantFrom(' ', '\n', '\r\n', '\t', '\u00a0', '\u2028', '\ufeff'), maxLength: 3 }),
        fc.array(fc.record({ logTime: fc.nat(), body: hostileText(12), logLevel: fc.constantFrom('INFO', 'ERROR') }), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.constantFrom<0 | 6>(0, 6),
        // Cuts near where the member's data starts (30 + 9 bytes of header) as well as anywhere.
        fc.array(fc.oneof(fc.integer({ min: 36, max: 46 }), fc.nat({ max: 2 * KiB })), { maxLength: 12 }),
        async (leading, docs, array, level, cuts) => {
          const texts = docs.map((doc) => JSON.stringify(doc));
          const member = utf8(leading + (array ? `[${texts.join(',')}]` : texts.join('\n')));
          const zip = zipSync({ 'logs.json': [member, { level, mtime: new Date(2026, 10, 22) }] });
          const whole = await outcome(() => decode([zip]), BODY_KINDS);
          expect(summary(await outcome(() => decode(cutAt(zip, cuts)), BODY_KINDS))).toEqual(summary(whole));
        },
      ),
      { numRuns: 200 },
    );
  });

  // Shrunk counterexamples of the properties above, kept as plain cases.
  it.each([
    ['a space (the record id changes)', ' '],
    ['U+2028 (the record is there or not)', '\u2028'],
  ])('decodeElsaZip: a member starting with %s gives the same records whether or not that character arrives in its own chunk', async (_what, leading) => {
    const zip = zipSync({ 'logs.json': [utf8(`${leading}{"logTime":1,"body":"a"}`), { level: 0, mtime: new Date(2026, 10, 22) }] });
    const dataStart = 30 + 'logs.json'.length;
    const ids = async (chunks: Uint8Array[]) =>
      (await flatten(decodeElsaZip(sourceOf(chunks), { project: 'p', maxMemberBytes: KiB, label: 'elsa' }))).map((record) => record.id);
    expect(await ids(cutAt(zip, [dataStart + utf8(leading).length]))).toEqual(await ids([zip]));
  });

  it('normalizeElsa: a field of 1e400 (Infinity once parsed) is an attribute that survives JSON', () => {
    const text = '{"logTime":1,"logSource":1e400}';
    const record = normalised(() => normalizeElsa(JSON.parse(text) as Record<string, unknown>, 'p', text));
    expect(record).not.toBeNull();
    expectRecord(record!, 'naver-elsa');
  });

  it('normalizeElsa: a body nested 100000 deep is a record with a message, not a RangeError', () => {
    const text = `{"logTime":1,"body":${deepArrayText(DEEP_DIRECT)}}`;
    const record = normalised(() => normalizeElsa(JSON.parse(text) as Record<string, unknown>, 'p', text));
    expect(record).not.toBeNull();
    expectRecord(record!, 'naver-elsa');
  });
});
