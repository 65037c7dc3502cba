import { parseTime } from './time';

const NOW = Date.parse('2026-11-22T10:00:00Z');

describe('parseTime', () => {
  it.each([
    ['now', NOW],
    ['-15m', NOW - 15 * 60_000],
    ['now-2h', NOW - 2 * 3_600_000],
    ['-1d', NOW - 86_400_000],
    ['+30s', NOW + 30_000],
    ['2026-11-22T08:30:00Z', Date.parse('2026-11-22T08:30:00Z')],
    ['2026-11-22T18:30+08:00', Date.parse('2026-11-22T10:30:00Z')],
    ['2026-11-21', Date.parse('2026-11-21T00:00:00Z')],
    ['2026-11-22T08:30:00.123456789Z', Date.parse('2026-11-22T08:30:00.123Z')],
  ])('reads %s', (text, expected) => {
    expect(parseTime(text, NOW)).toBe(expected);
  });

  it.each(['yesterday', '-15x', '2026-11-22T08:30:00', '2026-13-45T00:00:00Z', ''])('refuses %p, naming the option', (text) => {
    expect(() => parseTime(text, NOW, 'from')).toThrow(/^from: ".*" is not a time/);
  });
});
