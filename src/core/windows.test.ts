import fc from 'fast-check';
import { isCdnLogError } from './errors';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './time';
import { newestServedMs, oldestServedMs, planWindows, type ProviderLimits } from './windows';
import { CLOUDFLARE_LIMITS } from '../providers/cloudflare/limits';
import { GCORE_LIMITS } from '../providers/gcore/limits';

const NOW = Date.parse('2026-11-22T10:17:23.456Z');

const limitsArb: fc.Arbitrary<ProviderLimits> = fc.record({
  maxWindowMs: fc.integer({ min: MINUTE_MS, max: DAY_MS }),
  retention: fc.oneof(
    fc.record({ rollingMs: fc.integer({ min: HOUR_MS, max: 40 * DAY_MS }) }),
    fc.record({ utcDays: fc.integer({ min: 1, max: 40 }) }),
  ),
  retentionMarginMs: fc.integer({ min: 0, max: 5 * MINUTE_MS }),
  settleDelayMs: fc.integer({ min: 0, max: 3 * HOUR_MS }),
  alignMs: fc.constantFrom(0, HOUR_MS, DAY_MS),
  alignUtcOffsetMs: fc.constantFrom(0, 8 * HOUR_MS, -5 * HOUR_MS),
});

/** Which aligned unit (e.g. Beijing day) an instant falls in. */
function unit(ms: number, limits: ProviderLimits): number {
  return Math.floor((ms + (limits.alignUtcOffsetMs ?? 0)) / (limits.alignMs ?? 1));
}

describe('planWindows', () => {
  it('cuts DSA-style windows at Beijing midnight (16:00 UTC)', () => {
    const limits: ProviderLimits = { maxWindowMs: DAY_MS, retention: { rollingMs: 40 * DAY_MS }, retentionMarginMs: 0, settleDelayMs: 0, alignMs: DAY_MS, alignUtcOffsetMs: 8 * HOUR_MS };
    const plan = planWindows({ fromMs: Date.parse('2026-11-20T10:00:00Z'), toMs: Date.parse('2026-11-21T20:00:00Z') }, limits, NOW);
    expect(plan.windows.map((w) => [new Date(w.fromMs).toISOString(), new Date(w.toMs).toISOString()])).toEqual([
      ['2026-11-20T10:00:00.000Z', '2026-11-20T16:00:00.000Z'],
      ['2026-11-20T16:00:00.000Z', '2026-11-21T16:00:00.000Z'],
      ['2026-11-21T16:00:00.000Z', '2026-11-21T20:00:00.000Z'],
    ]);
  });

  it('splits a 25 h Cloudflare range into 25 one-hour windows ending at the settle delay', () => {
    const to = newestServedMs(CLOUDFLARE_LIMITS, NOW);
    const plan = planWindows({ fromMs: to - 25 * HOUR_MS, toMs: to }, CLOUDFLARE_LIMITS, NOW);
    expect(plan.windows).toHaveLength(25);
    expect(plan.windows.every((w) => w.toMs - w.fromMs === HOUR_MS)).toBe(true);
    expect(plan.clamps).toEqual([]);
  });

  it('clamps a 25 h Cloudflare range that reaches now, and reports the clamp', () => {
    const plan = planWindows({ fromMs: NOW - 25 * HOUR_MS, toMs: NOW }, CLOUDFLARE_LIMITS, NOW, 'Cloudflare');
    expect(plan.windows).toHaveLength(25);
    expect(plan.range.toMs).toBe(NOW - CLOUDFLARE_LIMITS.settleDelayMs);
    expect(plan.clamps).toEqual([
      { side: 'to', requestedMs: NOW, effectiveMs: NOW - CLOUDFLARE_LIMITS.settleDelayMs, reason: expect.stringContaining('Cloudflare serves data older than') },
    ]);
  });

  it('clamps the start of a Cloudflare range older than 7 days to a minute inside retention', () => {
    const plan = planWindows({ fromMs: NOW - 8 * DAY_MS, toMs: NOW - 6 * DAY_MS }, CLOUDFLARE_LIMITS, NOW);
    expect(plan.range.fromMs).toBe(NOW - 7 * DAY_MS + MINUTE_MS);
    expect(plan.clamps[0].side).toBe('from');
    expect(plan.windows).toHaveLength(24);
  });

  it('splits a 20 h Gcore range into 4 windows of at most 6 h', () => {
    const plan = planWindows({ fromMs: NOW - 20 * HOUR_MS, toMs: NOW }, GCORE_LIMITS, NOW);
    expect(plan.windows.map((w) => (w.toMs - w.fromMs) / HOUR_MS)).toEqual([6, 6, 6, 2]);
  });

  it('serves Gcore from the start of the day before yesterday (3 days starting today)', () => {
    expect(new Date(oldestServedMs(GCORE_LIMITS, NOW)).toISOString()).toBe('2026-11-20T00:00:00.000Z');
  });

  it('refuses a range wholly older than retention, saying what is served', () => {
    expect(() => planWindows({ fromMs: NOW - 10 * DAY_MS, toMs: NOW - 8 * DAY_MS }, CLOUDFLARE_LIMITS, NOW, 'Cloudflare')).toThrow(
      /Cloudflare serves logs for the last 7 d only.*wholly older/,
    );
  });

  it('refuses a range wholly in the future with a WindowTooRecent error', () => {
    let caught: unknown;
    try {
      planWindows({ fromMs: NOW + HOUR_MS, toMs: NOW + 2 * HOUR_MS }, GCORE_LIMITS, NOW, 'Gcore');
    } catch (err) {
      caught = err;
    }
    expect(isCdnLogError(caught, 'WindowTooRecent')).toBe(true);
    expect((caught as Error).message).toMatch(/in the future for Gcore/);
  });

  it('refuses an empty range', () => {
    expect(() => planWindows({ fromMs: NOW - HOUR_MS, toMs: NOW - HOUR_MS }, GCORE_LIMITS, NOW)).toThrow(/"from" must be before "to"/);
  });

  it('plans legal, contiguous windows covering the clamped range exactly (property)', () => {
    fc.assert(
      fc.property(limitsArb, fc.integer({ min: -60 * DAY_MS, max: DAY_MS }), fc.integer({ min: 1, max: 50 * DAY_MS }), (limits, fromOffset, length) => {
        const range = { fromMs: NOW + fromOffset, toMs: NOW + fromOffset + length };
        let plan;
        try {
          plan = planWindows(range, limits, NOW);
        } catch (err) {
          // Only a range wholly outside what is served may be refused.
          const oldest = oldestServedMs(limits, NOW);
          const newest = newestServedMs(limits, NOW);
          expect(range.toMs <= oldest || range.fromMs >= newest || oldest >= newest).toBe(true);
          return;
        }
        const { windows } = plan;
        expect(windows.length).toBeGreaterThan(0);
        expect(windows[0].fromMs).toBe(Math.max(range.fromMs, oldestServedMs(limits, NOW)));
        expect(windows[windows.length - 1].toMs).toBe(Math.min(range.toMs, newestServedMs(limits, NOW)));
        expect(plan.range).toEqual({ fromMs: windows[0].fromMs, toMs: windows[windows.length - 1].toMs });
        // Plain checks in the loop (a range can hold tens of thousands of windows); one expect at the end.
        const broken = windows.findIndex(
          (w, i) =>
            !(w.toMs > w.fromMs) ||
            w.toMs - w.fromMs > limits.maxWindowMs ||
            w.fromMs < oldestServedMs(limits, NOW) ||
            w.toMs > newestServedMs(limits, NOW) ||
            (i > 0 && w.fromMs !== windows[i - 1].toMs) ||
            (limits.alignMs ? unit(w.fromMs, limits) !== unit(w.toMs - 1, limits) : false),
        );
        expect(broken === -1 ? null : windows[broken]).toBeNull();
        expect(plan.clamps.length > 0).toBe(range.fromMs < oldestServedMs(limits, NOW) || range.toMs > newestServedMs(limits, NOW));
      }),
      { numRuns: 500 },
    );
  });
});
