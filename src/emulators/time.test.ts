import fc from 'fast-check';
import { parseLogpullTime } from './cloudflare/query';
import { ceilNsToMs, parseRfc3339Ns, rfc5545Stamp } from './time';

describe('parseRfc3339Ns', () => {
  it('reads back any instant written as ISO 8601 with ms', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2100, 0, 1) }), (ms) => {
        expect(parseRfc3339Ns(new Date(ms).toISOString())).toBe(BigInt(ms) * 1_000_000n);
      }),
    );
  });

  it('applies offsets and keeps nanoseconds exactly', () => {
    expect(parseRfc3339Ns('2026-11-22T18:00:00.123456789+08:00')).toBe(BigInt(Date.UTC(2026, 10, 22, 10)) * 1_000_000n + 123_456_789n);
    expect(parseRfc3339Ns('2026-11-22T09:30:00-00:30')).toBe(BigInt(Date.UTC(2026, 10, 22, 10)) * 1_000_000n);
  });

  it('rejects what is not an RFC 3339 date-time', () => {
    for (const text of ['2026-11-22', '2026-11-22T10:00:00', '2026-02-30T00:00:00Z', '2026-11-22T24:00:00Z', '2026-11-22 10:00:00Z', '2026-11-22T10:00:00 08:00', '']) {
      expect(parseRfc3339Ns(text)).toBeNull();
    }
  });
});

describe('parseLogpullTime', () => {
  it('tells unix seconds from unix nanoseconds by magnitude', () => {
    expect(parseLogpullTime('1795341600')).toBe(1_795_341_600_000_000_000n);
    expect(parseLogpullTime('1795341600123456789')).toBe(1_795_341_600_123_456_789n);
    expect(parseLogpullTime('-5')).toBeNull();
    expect(parseLogpullTime(null)).toBeNull();
  });
});

describe('ceilNsToMs and rfc5545Stamp', () => {
  it('rounds instants up to the next whole millisecond, and stamps times as Gcore names files', () => {
    expect(ceilNsToMs(1_000_000n)).toBe(1);
    expect(ceilNsToMs(1_000_001n)).toBe(2);
    expect(rfc5545Stamp(Date.UTC(2021, 5, 14, 0, 0, 0, 999))).toBe('20210614T000000');
  });
});
