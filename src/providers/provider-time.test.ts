import fc from 'fast-check';
import { formatTime, inDateRange, MAX_DATE_MS } from '../core/time';
import { cloudflareTimeMs } from './cloudflare/normalize';
import { gcoreTimeMs } from './gcore/normalize';
import { timeMs as elsaTimeMs } from './naver-elsa/normalize';
import { timeMs as edgeOneTimeMs } from './tencent-edgeone/normalize';
import { useMachineZone } from '../testing/machine-zone';

const T = Date.UTC(2026, 10, 22, 10); // 2026-11-22T10:00Z

// Every provider here documents UTC for its times (provider-spec: Gcore from/to UTC, Cloudflare RFC 3339,
// EdgeOne "All times UTC+0", ELSA logTime epoch ms UTC), so a zone-less time is UTC on any machine.
const readers: Array<[string, (text: string) => number | null]> = [
  ['gcoreTimeMs', gcoreTimeMs],
  ['naver-elsa timeMs', elsaTimeMs],
  ['tencent-edgeone timeMs', edgeOneTimeMs],
  ['cloudflareTimeMs', cloudflareTimeMs],
];

describe.each(['UTC', 'Asia/Shanghai'])('with the machine in %s', (zone) => {
  useMachineZone(zone);

  it('really reads local times in that zone', () => {
    expect(new Date(2026, 10, 22, 10).getTime()).toBe(zone === 'UTC' ? T : T - 8 * 3_600_000);
  });

  describe.each(readers)('%s', (_name, read) => {
    it.each([
      '2026-11-22 10:00:00',
      '2026-11-22T10:00:00',
      '2026-11-22T10:00',
      '2026-11-22T10:00:00.000',
      '2026-11-22T10:00:00Z',
      '2026-11-22T10:00:00.000Z',
      '2026-11-22T18:00:00+08:00',
      '2026-11-22T02:00:00-0800',
    ])('reads %p as 2026-11-22T10:00Z, not in the machine zone', (text) => {
      expect(read(text)).toBe(T);
    });

    it('reads a bare date as UTC midnight', () => {
      expect(read('2026-11-22')).toBe(Date.UTC(2026, 10, 22));
    });

    it('keeps sub-ms digits to the µs', () => {
      expect(read('2026-11-22T10:00:00.123456789Z')).toBe(T + 123 + 0.457);
    });

    it.each([
      '2026-02-30 10:00:00',
      '2026-11-31T10:00:00Z',
      '2026-11-22T24:00:00Z',
      '2026-11-22T10:60:00Z',
      '2026-11-22T10:00:00+19:00',
      '22/11/2026 10:00:00',
      'Sun, 22 Nov 2026 10:00:00 GMT',
      '2026-11-22 10:00:00 GMT+0800',
      'yesterday',
      '-',
      '',
    ])('gives null for %p rather than a rolled-over or guessed time', (text) => {
      expect(read(text)).toBeNull();
    });

    it('never throws, and gives null or a time formatTime prints as ISO 8601', () => {
      const isoish = fc.string({ unit: fc.constantFrom(...'0123456789-:. TZ+'), maxLength: 32 });
      fc.assert(
        fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 32 }), isoish), (text) => {
          const ms = read(text);
          if (ms !== null) expect(formatTime(ms)).toMatch(/^[+-]?\d{4,6}-\d{2}-\d{2}T/);
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe('numeric provider timestamps', () => {
  it.each([
    ['1623628800', 1_623_628_800_000],
    ['1623628800000', 1_623_628_800_000],
    [' 1623628800 ', 1_623_628_800_000],
    ['1623628800.5', 1_623_628_800_500],
    [`1${'0'.repeat(20)}`, null],
    ['9'.repeat(400), null],
    ['Infinity', null],
    ['1e3', null],
    ['0x10', null],
    ['-5', null],
  ])('gcoreTimeMs reads %p by magnitude as %p', (text, expected) => {
    expect(gcoreTimeMs(text)).toBe(expected);
  });

  it.each([
    [1_700_000_000_000, 1_700_000_000_000],
    ['1700000000000', 1_700_000_000_000],
    [' 1700000000000 ', 1_700_000_000_000],
    [MAX_DATE_MS, MAX_DATE_MS],
    [MAX_DATE_MS + 1, null],
    [1e300, null],
    [NaN, null],
    [Infinity, null],
    ['9'.repeat(400), null],
    [null, null],
  ])('ELSA timeMs reads logTime %p as %p', (value, expected) => {
    expect(elsaTimeMs(value)).toBe(expected);
  });

  it.each([
    [1_506_702_504_433_000_200, 1_506_702_504_433],
    ['1506702504433000200', 1_506_702_504_433],
    [1_506_702_504_433_000, 1_506_702_504_433],
    [1_506_702_504_433, 1_506_702_504_433],
    [1_506_702_504, 1_506_702_504_000],
    [1e300, null],
    [Number.MAX_VALUE, null],
    [-1e300, null],
    [NaN, null],
    [Infinity, null],
    ['9'.repeat(400), null],
  ])('cloudflareTimeMs reads %p by magnitude as %p', (value, expected) => {
    expect(cloudflareTimeMs(value)).toBe(expected);
  });

  it('gives null or a printable time for any number, never one new Date() cannot print', () => {
    fc.assert(
      fc.property(fc.double(), (n) => {
        for (const ms of [cloudflareTimeMs(n), elsaTimeMs(n), gcoreTimeMs(String(n))]) {
          if (ms !== null) expect(inDateRange(ms) && !Number.isNaN(new Date(ms).getTime())).toBe(true);
        }
      }),
    );
  });
});
