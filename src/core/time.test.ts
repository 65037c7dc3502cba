import fc from 'fast-check';
import { isCdnLogError } from './errors';
import { formatTime, HOUR_MS, inDateRange, LATEST_USER_MS, MAX_DATE_MS, MINUTE_MS, parseIsoInstant, parseTime } from './time';
import { useMachineZone } from '../testing/machine-zone';

const NOW = Date.UTC(2026, 10, 22, 10);
const T = Date.UTC(2026, 10, 22, 10); // 2026-11-22T10:00Z
const BEIJING_MS = 8 * HOUR_MS;

/** Epoch ms of a UTC calendar date, years 0-99 included (Date.UTC would add 1900 to them). */
function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  return new Date(0).setUTCFullYear(year, month - 1, day) + ((hour * 60 + minute) * 60 + second) * 1000 + ms;
}

describe.each(['UTC', 'Asia/Shanghai'])('with the machine in %s', (zone) => {
  useMachineZone(zone);

  it('really reads local times in that zone', () => {
    expect(new Date(2026, 10, 22, 10).getTime()).toBe(zone === 'UTC' ? T : T - BEIJING_MS);
  });

  describe('parseTime', () => {
    it.each([
      ['now', NOW],
      ['-15m', NOW - 15 * 60_000],
      ['now-2h', NOW - 2 * 3_600_000],
      ['-1d', NOW - 86_400_000],
      ['+30s', NOW + 30_000],
      ['-250ms', NOW - 250],
      ['2026-11-22T08:30:00Z', Date.UTC(2026, 10, 22, 8, 30)],
      ['2026-11-22T18:30+08:00', Date.UTC(2026, 10, 22, 10, 30)],
      ['2026-11-22 18:30:00+0800', Date.UTC(2026, 10, 22, 10, 30)],
      ['2026-11-21', Date.UTC(2026, 10, 21)],
      ['  2026-11-21  ', Date.UTC(2026, 10, 21)],
      ['2026-11-22T08:30:00.123456789Z', Date.UTC(2026, 10, 22, 8, 30, 0, 123)],
      ['2028-02-29', Date.UTC(2028, 1, 29)],
      ['2000-02-29', Date.UTC(2000, 1, 29)],
      ['1970-01-01', 0],
      ['1970-01-01T08:00+08:00', 0],
      ['9999-12-31T23:59:59.999Z', LATEST_USER_MS],
      ['2016-12-31T23:59:60Z', Date.UTC(2016, 11, 31, 23, 59, 59, 999)],
    ])('reads %p', (text, expected) => {
      expect(parseTime(text, NOW)).toBe(expected);
    });

    it.each(['yesterday', '-15x', '', '2026-11-22T08:30:00Z junk', 'Sun, 22 Nov 2026 10:00:00 GMT', '1700000000000'])(
      'refuses %p, naming the option and the forms it takes',
      (text) => {
        expect(() => parseTime(text, NOW, 'from')).toThrow(
          `from: "${text}" is not a time: use ISO 8601 with a zone (2026-11-22T10:00:00Z), a relative time (-15m, -2h, -1d) or "now"`,
        );
      },
    );

    it('refuses a date-time without a zone rather than read it in the machine zone', () => {
      expect(() => parseTime('2026-11-22T08:30:00', NOW, 'from')).toThrow(
        'from: "2026-11-22T08:30:00" is not a time: it has no zone; add Z for UTC or an offset (2026-11-22T08:30:00Z, 2026-11-22T08:30:00+08:00)',
      );
    });

    it.each([
      ['2026-11-31', 'day 31 does not exist in 2026-11, which has 30 days'],
      ['2026-02-30', 'day 30 does not exist in 2026-02, which has 28 days'],
      ['2026-02-29T10:00Z', 'day 29 does not exist in 2026-02, which has 28 days'],
      ['2100-02-29', 'day 29 does not exist in 2100-02, which has 28 days'],
      ['2026-11-00', 'day 00 does not exist in 2026-11, which has 30 days'],
      ['2026-13-45T00:00:00Z', 'month 13 is not 01-12'],
      ['2026-00-10', 'month 00 is not 01-12'],
      ['2026-11-22T24:00:00Z', 'hour 24 is not 00-23 (write 24:00 as 00:00 of the next day)'],
      ['2026-11-22T10:60Z', 'minute 60 is not 00-59'],
      ['2026-11-22T10:00:61Z', 'second 61 is not 00-59'],
      ['2026-11-22T10:00:60Z', 'second 60 is a leap second, which only 23:59 UTC on the last day of a month has'],
      ['2026-11-22T10:00+18:01', 'offset +18:01 is beyond ±18:00'],
      ['2026-11-22T10:00-1900', 'offset -19:00 is beyond ±18:00'],
      ['2026-11-22T10:00+08:60', 'offset +08:60 has minutes past 59'],
    ])('refuses the impossible %p rather than roll it over', (text, reason) => {
      expect(() => parseTime(text, NOW, 'from')).toThrow(`from: "${text}" is not a time: ${reason}`);
    });

    it.each([
      ['-999999999d', 'from'],
      ['+999999999d', 'from'],
      ['+1000000000d', 'to'],
      ['-9007199254740993ms', 'from'],
      [`-${'9'.repeat(400)}w`, 'from'],
      ['1969-12-31', 'from'],
      ['0000-01-01', 'from'],
      ['1970-01-01T07:59:59.999+08:00', 'to'],
    ])('refuses %p, which is out of range, as BadInput naming %s', (text, field) => {
      let caught: unknown;
      try {
        parseTime(text, NOW, field);
      } catch (err) {
        caught = err;
      }
      expect(isCdnLogError(caught, 'BadInput') && caught.field).toBe(field);
      expect((caught as Error).message).toBe(
        `${field}: "${text}" is out of range: choose a time between 1970-01-01T00:00Z and 9999-12-31T23:59:59.999Z`,
      );
    });

    it('gives only printable instants between 1970 and 9999 for any relative time, or BadInput', () => {
      fc.assert(
        fc.property(
          fc.constantFrom('-', '+', 'now-', 'now+'),
          fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 25n }), fc.bigInt({ min: 0n, max: 10n ** 6n })),
          fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w'),
          (sign, count, unit) => {
            const text = `${sign}${count}${unit}`;
            try {
              const ms = parseTime(text, NOW, 'from');
              expect(ms >= 0 && ms <= LATEST_USER_MS).toBe(true);
              expect(formatTime(ms)).toMatch(/^\d{4}-\d{2}-\d{2}T/);
              const exact = BigInt(NOW) + (sign.endsWith('-') ? -1n : 1n) * count * BigInt({ ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 }[unit]);
              expect(BigInt(ms)).toBe(exact);
            } catch (err) {
              expect(isCdnLogError(err, 'BadInput')).toBe(true);
            }
          },
        ),
      );
    });
  });

  describe('parseIsoInstant', () => {
    it.each([
      ['2026-11-22', 0, T - 10 * HOUR_MS],
      ['2026-11-22', BEIJING_MS, T - 18 * HOUR_MS],
      ['2026-11-22T10:00', 0, T],
      ['2026-11-22t10:00', 0, T],
      ['2026-11-22 10:00', 0, T],
      ['2026-11-22 10:00:00', 0, T],
      ['2026-11-22 18:00:00', BEIJING_MS, T],
      ['2026-11-22T10:00:00Z', BEIJING_MS, T],
      ['2026-11-22T10:00:00z', 0, T],
      ['2026-11-22T18:00:00+08:00', 0, T],
      ['2026-11-22T18:00:00+0800', 0, T],
      ['2026-11-22T18:00:00+08', 0, T],
      ['2026-11-22T04:30-05:30', 0, T],
      ['2026-11-22T10:00-00:00', BEIJING_MS, T],
      ['2026-11-23T04:00+18:00', 0, T],
      ['2026-11-21T16:00-18:00', 0, T],
      ['2026-11-22T10:00+00', BEIJING_MS, T],
      ['2026-11-22T10:00:00.1Z', 0, T + 100],
      ['2026-11-22T10:00:00.12Z', 0, T + 120],
      ['2026-11-22T10:00:00.123Z', 0, T + 123],
      ['2026-11-22T10:00:00.1234Z', 0, T + 123 + 0.4],
      ['2026-11-22T10:00:00.123456789Z', 0, T + 123 + 0.457],
      ['2026-11-22T10:00:00.000000001Z', 0, T],
      ['2026-11-22T09:59:59.9999999Z', 0, T],
      ['2016-12-31T23:59:60Z', 0, Date.UTC(2016, 11, 31, 23, 59, 59, 999)],
      ['2015-06-30T23:59:60Z', 0, Date.UTC(2015, 5, 30, 23, 59, 59, 999)],
      ['2016-12-31T23:59:60.5Z', 0, Date.UTC(2016, 11, 31, 23, 59, 59, 999)],
      ['2017-01-01T08:59:60+09:00', 0, Date.UTC(2016, 11, 31, 23, 59, 59, 999)],
      ['2017-01-01 07:59:60', BEIJING_MS, Date.UTC(2016, 11, 31, 23, 59, 59, 999)],
      ['2024-02-29', 0, Date.UTC(2024, 1, 29)],
      ['0000-01-01T00:00:00Z', 0, -62_167_219_200_000],
      ['0099-03-01', 0, utc(99, 3, 1)],
      ['9999-12-31T23:59:59.999Z', 0, LATEST_USER_MS],
    ])('reads %p at default offset %p ms as %p', (text, offsetMs, expected) => {
      expect(parseIsoInstant(text, offsetMs)).toBe(expected);
    });

    it.each([
      '',
      ' 2026-11-22',
      '2026-11-22 ',
      '2026-11-22T',
      '2026-11-22T10',
      '2026-11-22T10:0',
      '2026-11-22T10:00:0',
      '2026-11-22T10:00:00.',
      '2026-11-22T10:00:00.1234567890Z',
      '2026-11-22T10:00:00,5Z',
      '2026-11-22T10:00.5Z',
      '2026-11-22Z',
      '2026-11-22+08:00',
      '2026-11-22T10:00Z+08:00',
      '2026-11-22T10:00:00 Z',
      '2026-11-22T10:00:00+8',
      '2026-11-22T10:00:00+08:0',
      '2026-11-22T10:00:00+08:000',
      '2026-11-22T10:00:00UTC',
      '2026-11-22T10:00:00 GMT+0800',
      '2026-11-22_10:00',
      '2026-11-22TT10:00',
      '26-11-22',
      '2026-1-22',
      '2026/11/22',
      '20261122',
      '20261122T100000Z',
      '+002026-11-22T10:00Z',
      '-2026-11-22',
      '２０２６-11-22',
      'Sun, 22 Nov 2026 10:00:00 GMT',
      'November 22, 2026',
      '1700000000000',
      '2026-11-22\n',
      // well formed, but no such instant
      '2026-00-10',
      '2026-13-01',
      '2026-11-00',
      '2026-11-31',
      '2026-02-29',
      '1900-02-29',
      '2026-04-31T10:00Z',
      '2026-11-22T24:00',
      '2026-11-22T24:00:00Z',
      '2026-11-22T23:60',
      '2026-11-22T10:00:61',
      '2026-11-22T23:59:60Z',
      '2016-12-31T23:59:60+01:00',
      '2026-11-22T10:00+18:01',
      '2026-11-22T10:00+19',
      '2026-11-22T10:00-2400',
      '2026-11-22T10:00+08:60',
    ])('refuses %p', (text) => {
      expect(parseIsoInstant(text, 0)).toBeNull();
    });

    const instants = fc.integer({ min: utc(0, 1, 2), max: utc(9999, 12, 30) });
    const offsetsMinutes = fc.integer({ min: -18 * 60, max: 18 * 60 });

    /** `ms` written as the wall time at `offsetMinutes`, with that offset in one of ISO's spellings. */
    function atOffset(ms: number, offsetMinutes: number, separator: string, digits: number, style: number): { local: string; zone: string } {
      const wall = new Date(ms + offsetMinutes * MINUTE_MS).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
      const fraction = digits === 0 ? '' : `.${wall.slice(20, 23).padEnd(digits, '0').slice(0, digits)}`;
      const abs = Math.abs(offsetMinutes);
      const [hh, mm] = [String(Math.floor(abs / 60)).padStart(2, '0'), String(abs % 60).padStart(2, '0')];
      const sign = offsetMinutes < 0 ? '-' : '+';
      const zone =
        offsetMinutes === 0 && style === 0 ? 'Z' : style === 1 ? `${sign}${hh}${mm}` : style === 2 && mm === '00' ? `${sign}${hh}` : `${sign}${hh}:${mm}`;
      return { local: `${wall.slice(0, 10)}${separator}${wall.slice(11, 19)}${fraction}`, zone };
    }

    it('reads back any instant written at any offset, with the zone written or as the default', () => {
      fc.assert(
        fc.property(
          instants,
          offsetsMinutes,
          fc.constantFrom('T', 't', ' '),
          fc.integer({ min: 3, max: 9 }),
          fc.integer({ min: 0, max: 2 }),
          (ms, offsetMinutes, separator, digits, style) => {
            const { local, zone } = atOffset(ms, offsetMinutes, separator, digits, style);
            expect(parseIsoInstant(`${local}${zone}`, 0)).toBe(ms);
            expect(parseIsoInstant(`${local}${zone}`, 5 * HOUR_MS)).toBe(ms);
            expect(parseIsoInstant(local, offsetMinutes * MINUTE_MS)).toBe(ms);
          },
        ),
      );
    });

    it('agrees with Date.parse on RFC 3339 texts that name their zone', () => {
      fc.assert(
        fc.property(instants, offsetsMinutes, fc.integer({ min: 0, max: 3 }), (ms, offsetMinutes, digits) => {
          const { local, zone } = atOffset(ms, offsetMinutes, 'T', digits, 3);
          const text = `${local}${zone}`;
          expect(parseIsoInstant(text, 0)).toBe(Date.parse(text));
        }),
      );
    });

    it('accepts a calendar date exactly when it exists', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), (year, month, day) => {
          const text = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
          const exists = month >= 1 && month <= 12 && day >= 1 && new Date(utc(year, month, day)).getUTCMonth() === month - 1;
          expect(parseIsoInstant(text, 0)).toBe(exists ? utc(year, month, day) : null);
        }),
      );
    });

    it('never throws on any text and gives null or an instant a Date can print', () => {
      const isoish = fc.string({ unit: fc.constantFrom(...'0123456789-:.TtZz+ '), maxLength: 40 });
      fc.assert(
        fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), isoish), fc.integer({ min: -18, max: 18 }), (text, offsetHours) => {
          const ms = parseIsoInstant(text, offsetHours * HOUR_MS);
          if (ms !== null) {
            expect(inDateRange(ms)).toBe(true);
            expect(() => new Date(ms).toISOString()).not.toThrow();
          }
          expect(ms === null || Number.isFinite(ms)).toBe(true);
        }),
        { numRuns: 2000 },
      );
    });
  });
});

describe('formatTime', () => {
  it.each([
    [T, '2026-11-22T10:00Z'],
    [T + 1500, '2026-11-22T10:00:01.500Z'],
    [-MAX_DATE_MS, '-271821-04-20T00:00Z'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
    [MAX_DATE_MS + 1, '8640000000000001'],
    [1e300, '1e+300'],
  ])('prints %p as %p', (ms, text) => {
    expect(formatTime(ms)).toBe(text);
  });

  it('never throws, whatever number it is given', () => {
    fc.assert(fc.property(fc.double(), (ms) => expect(typeof formatTime(ms)).toBe('string')));
  });
});
