import fc from 'fast-check';
import type { ProviderId } from '../core/record';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../core/time';
import { oldestServedMs, type ProviderLimits, type TimeRange } from '../core/windows';
import { CLOUDFLARE_LIMITS } from '../providers/cloudflare/limits';
import { GCORE_LIMITS } from '../providers/gcore/limits';
import { ELSA_LIMITS } from '../providers/naver-elsa/limits';
import { DSA_LIMITS } from '../providers/tencent-dsa/limits';
import { EDGEONE_LIMITS } from '../providers/tencent-edgeone/limits';
import { adaptWindowSize, defaultPacing, lagMs, nextHorizonPass, nextWindow, type Pacing, RELIST_EVERY_MS, windowSizes } from './scheduler';

const LIMITS: Record<ProviderId, ProviderLimits> = {
  cloudflare: CLOUDFLARE_LIMITS,
  gcore: GCORE_LIMITS,
  'naver-elsa': ELSA_LIMITS,
  'tencent-dsa': DSA_LIMITS,
  'tencent-edgeone': EDGEONE_LIMITS,
};
const PROVIDERS = Object.keys(LIMITS) as ProviderId[];
const NOW = Date.parse('2026-11-22T10:17:23.456Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('defaultPacing', () => {
  it('settles each provider at its immutability horizon and paces package providers by the hour', () => {
    const pacing = Object.fromEntries(PROVIDERS.map((p) => [p, defaultPacing(p, LIMITS[p])]));
    expect(pacing.cloudflare).toMatchObject({ settleDelayMs: 5 * MINUTE_MS, gridMs: MINUTE_MS, maxWindowMs: HOUR_MS });
    expect(pacing.gcore).toMatchObject({ settleDelayMs: HOUR_MS, gridMs: MINUTE_MS, maxWindowMs: 6 * HOUR_MS });
    expect(pacing['tencent-dsa']).toMatchObject({ settleDelayMs: 3 * HOUR_MS, gridMs: HOUR_MS, maxWindowMs: DAY_MS });
    expect(pacing['tencent-edgeone']).toMatchObject({ settleDelayMs: DAY_MS, gridMs: HOUR_MS });
    // Only package providers list their open hours again.
    expect(PROVIDERS.filter((p) => pacing[p].openHorizon)).toEqual(['tencent-dsa', 'tencent-edgeone']);
  });

  it('takes a settle override, but never below what the provider serves (Cloudflare: 65 s)', () => {
    expect(defaultPacing('gcore', GCORE_LIMITS, 2 * MINUTE_MS).settleDelayMs).toBe(2 * MINUTE_MS);
    expect(defaultPacing('cloudflare', CLOUDFLARE_LIMITS, 0).settleDelayMs).toBe(CLOUDFLARE_LIMITS.settleDelayMs);
  });
});

describe('nextWindow', () => {
  const cloudflare = defaultPacing('cloudflare', CLOUDFLARE_LIMITS);

  it('reads Cloudflare minute by minute near now, ending the settle delay ago on a whole minute', () => {
    const cursor = Date.parse('2026-11-22T10:10:00Z');
    const step = nextWindow(cloudflare, cursor, HOUR_MS, NOW);
    expect(step).toEqual({ kind: 'window', window: { fromMs: cursor, toMs: Date.parse('2026-11-22T10:12:00Z') }, unreachable: null });
  });

  it('catches up in windows of the adapted size', () => {
    const cursor = Date.parse('2026-11-22T05:00:00Z');
    const step = nextWindow(cloudflare, cursor, 15 * MINUTE_MS, NOW);
    expect(step.kind === 'window' && [iso(step.window.fromMs), iso(step.window.toMs)]).toEqual(['2026-11-22T05:00:00.000Z', '2026-11-22T05:15:00.000Z']);
  });

  it('waits until the next minute has settled when the cursor is at the edge', () => {
    const cursor = Date.parse('2026-11-22T10:12:00Z');
    expect(nextWindow(cloudflare, cursor, HOUR_MS, NOW)).toEqual({ kind: 'wait', untilMs: Date.parse('2026-11-22T10:18:00Z'), unreachable: null });
  });

  it('after 10 days down, jumps to the oldest data Cloudflare still serves and reports the span it cannot reach', () => {
    const cursor = NOW - 10 * DAY_MS;
    const step = nextWindow(cloudflare, cursor, HOUR_MS, NOW);
    const oldest = Date.parse('2026-11-15T10:19:00Z'); // 7 d + 1 min margin, onto the next whole minute
    expect(step).toEqual({ kind: 'window', window: { fromMs: oldest, toMs: oldest + HOUR_MS }, unreachable: { fromMs: cursor, toMs: oldest } });
  });

  it('cuts DSA windows at Beijing midnight (16:00 UTC) and keeps them 3 h behind now', () => {
    const dsa = defaultPacing('tencent-dsa', DSA_LIMITS);
    const step = nextWindow(dsa, Date.parse('2026-11-21T10:00:00Z'), DAY_MS, NOW);
    expect(step.kind === 'window' && [iso(step.window.fromMs), iso(step.window.toMs)]).toEqual(['2026-11-21T10:00:00.000Z', '2026-11-21T16:00:00.000Z']);
    const live = nextWindow(dsa, Date.parse('2026-11-22T04:00:00Z'), DAY_MS, NOW);
    expect(live.kind === 'window' && [iso(live.window.fromMs), iso(live.window.toMs)]).toEqual(['2026-11-22T04:00:00.000Z', '2026-11-22T07:00:00.000Z']);
  });

  it('ends a backfill exactly at its end, then is done', () => {
    const until = Date.parse('2026-11-22T06:07:30Z');
    const step = nextWindow(cloudflare, Date.parse('2026-11-22T06:00:00Z'), HOUR_MS, NOW, until);
    expect(step).toEqual({ kind: 'window', window: { fromMs: Date.parse('2026-11-22T06:00:00Z'), toMs: until }, unreachable: null });
    expect(nextWindow(cloudflare, until, HOUR_MS, NOW, until)).toEqual({ kind: 'done', unreachable: null });
  });

  it('a backfill wholly past retention is done at once, its whole range reported unreachable', () => {
    const range = { fromMs: NOW - 20 * DAY_MS, toMs: NOW - 19 * DAY_MS };
    expect(nextWindow(cloudflare, range.fromMs, HOUR_MS, NOW, range.toMs)).toEqual({ kind: 'done', unreachable: range });
  });
});

/** A pacing for any provider, with any settle override. */
const pacingArb: fc.Arbitrary<Pacing> = fc
  .record({ provider: fc.constantFrom(...PROVIDERS), settle: fc.option(fc.integer({ min: 0, max: 30 * HOUR_MS }), { nil: undefined }) })
  .map(({ provider, settle }) => defaultPacing(provider, LIMITS[provider], settle));

/** Clock moves: short polls, and now and then a long outage (beyond any retention). */
const advanceArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 10 * MINUTE_MS }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 2 * DAY_MS }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 60 * DAY_MS }) },
);

interface Run {
  windows: Array<TimeRange & { atMs: number }>;
  unreachable: TimeRange[];
  cursorMs: number;
}

/** Drives a source: at each clock step, take windows until told to wait (each window "acknowledged" at once). */
function simulate(pacing: Pacing, startMs: number, sizes: number[], advances: number[]): Run {
  let nowMs = NOW;
  let cursorMs = startMs;
  const run: Run = { windows: [], unreachable: [], cursorMs };
  let sizeIndex = 0;
  for (const advance of advances) {
    nowMs += advance;
    for (let guard = 0; guard < 200; guard++) {
      const step = nextWindow(pacing, cursorMs, sizes[sizeIndex++ % sizes.length], nowMs);
      if (step.unreachable) run.unreachable.push(step.unreachable);
      if (step.kind !== 'window') {
        if (step.kind === 'wait') expect(step.untilMs).toBeGreaterThan(nowMs);
        if (step.unreachable) cursorMs = step.unreachable.toMs;
        break;
      }
      run.windows.push({ ...step.window, atMs: nowMs });
      cursorMs = step.window.toMs;
    }
  }
  run.cursorMs = cursorMs;
  return run;
}

describe('nextWindow properties', () => {
  it('windows and unreachable spans tile time from the start to the cursor with no gap and no overlap', () => {
    fc.assert(
      fc.property(
        pacingArb,
        fc.integer({ min: -40 * DAY_MS, max: 0 }),
        fc.array(fc.integer({ min: MINUTE_MS, max: DAY_MS }), { minLength: 1, maxLength: 5 }),
        fc.array(advanceArb, { minLength: 1, maxLength: 30 }),
        (pacing, startOffset, sizes, advances) => {
          const start = NOW + startOffset;
          const run = simulate(pacing, start, sizes, advances);
          const pieces = [...run.windows, ...run.unreachable].sort((a, b) => a.fromMs - b.fromMs);
          let at = start;
          for (const piece of pieces) {
            expect(piece.fromMs).toBe(at);
            expect(piece.toMs).toBeGreaterThan(piece.fromMs);
            at = piece.toMs;
          }
          expect(at).toBe(run.cursorMs);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('every window is legal when planned: served (never expired), settled, within the maximum, inside one aligned unit', () => {
    fc.assert(
      fc.property(
        pacingArb,
        fc.integer({ min: -90 * DAY_MS, max: 0 }),
        fc.array(fc.integer({ min: 0, max: 2 * DAY_MS }), { minLength: 1, maxLength: 5 }),
        fc.array(advanceArb, { minLength: 1, maxLength: 30 }),
        (pacing, startOffset, sizes, advances) => {
          const run = simulate(pacing, NOW + startOffset, sizes, advances);
          const { limits } = pacing;
          for (const w of run.windows) {
            expect(w.fromMs).toBeGreaterThanOrEqual(oldestServedMs(limits, w.atMs));
            expect(w.toMs).toBeLessThanOrEqual(w.atMs - pacing.settleDelayMs);
            expect(w.toMs - w.fromMs).toBeLessThanOrEqual(limits.maxWindowMs);
            if (limits.alignMs) {
              const unit = (ms: number) => Math.floor((ms + (limits.alignUtcOffsetMs ?? 0)) / limits.alignMs!);
              expect(unit(w.toMs - 1)).toBe(unit(w.fromMs));
            }
            // Ends on the grid (in the provider's offset): re-reads see the same windows.
            expect((w.toMs + (limits.alignUtcOffsetMs ?? 0)) % pacing.gridMs).toBe(0);
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it('jumps any outage longer than retention in one step, to within one grid step of the retention edge', () => {
    fc.assert(
      fc.property(pacingArb, fc.integer({ min: 41 * DAY_MS, max: 400 * DAY_MS }), (pacing, downMs) => {
        const cursor = NOW - downMs;
        const step = nextWindow(pacing, cursor, pacing.maxWindowMs, NOW);
        expect(step.unreachable?.fromMs).toBe(cursor);
        expect(step.unreachable!.toMs).toBeGreaterThanOrEqual(oldestServedMs(pacing.limits, NOW));
        expect(step.unreachable!.toMs - oldestServedMs(pacing.limits, NOW)).toBeLessThan(pacing.gridMs);
      }),
    );
  });
});

describe('adaptWindowSize', () => {
  const cloudflare = defaultPacing('cloudflare', CLOUDFLARE_LIMITS);
  const gcore = defaultPacing('gcore', GCORE_LIMITS);

  it('shrinks a busy Cloudflare zone at once: 1.2 M records in an hour → 5-min windows', () => {
    expect(adaptWindowSize(cloudflare, HOUR_MS, { records: 1_200_000, durationMs: HOUR_MS }, 100_000)).toBe(5 * MINUTE_MS);
  });

  it('goes down to the provider minimum and no further', () => {
    expect(adaptWindowSize(cloudflare, HOUR_MS, { records: 50_000_000, durationMs: HOUR_MS })).toBe(MINUTE_MS);
  });

  it('grows a quiet Gcore resource one ladder step a window, up to the largest legal window (6 h)', () => {
    const seen: number[] = [];
    let size = MINUTE_MS;
    for (let i = 0; i < 10; i++) seen.push((size = adaptWindowSize(gcore, size, { records: 0, durationMs: size })));
    expect(seen.map((ms) => ms / MINUTE_MS)).toEqual([2, 5, 10, 15, 30, 60, 120, 180, 360, 360]);
    expect(seen[seen.length - 1]).toBe(6 * HOUR_MS);
  });

  it('ignores a window shorter than a grid step (a live window cut at now)', () => {
    expect(adaptWindowSize(cloudflare, 30 * MINUTE_MS, { records: 1e9, durationMs: 30_000 })).toBe(30 * MINUTE_MS);
  });

  it('always returns a legal size, and the rate it saw never fills a window past the target unless at the minimum', () => {
    fc.assert(
      fc.property(
        pacingArb,
        fc.integer({ min: 0, max: 2 * DAY_MS }),
        fc.integer({ min: 0, max: 1e9 }),
        fc.integer({ min: 1, max: DAY_MS }),
        fc.integer({ min: 1, max: 1e7 }),
        (pacing, current, records, durationMs, target) => {
          const size = adaptWindowSize(pacing, current, { records, durationMs }, target);
          expect(windowSizes(pacing)).toContain(size);
          if (durationMs >= pacing.gridMs && size > pacing.gridMs) expect((records / durationMs) * size).toBeLessThanOrEqual(target * (1 + 1e-9));
        },
      ),
    );
  });
});

describe('nextHorizonPass', () => {
  const pacing = defaultPacing('tencent-edgeone', EDGEONE_LIMITS);
  const cursor = Date.parse('2026-11-21T10:00:00Z');
  const lastHour = Date.parse('2026-11-22T10:00:00Z');

  it('lists the open hours up to the last finished one at once, then again after the relisting interval or a new hour', () => {
    expect(nextHorizonPass(pacing, cursor, NOW, null)).toEqual({ kind: 'pass', window: { fromMs: cursor, toMs: lastHour } });
    const last = { atMs: NOW, toMs: lastHour };
    expect(nextHorizonPass(pacing, cursor, NOW + MINUTE_MS, last)).toEqual({ kind: 'wait', untilMs: NOW + RELIST_EVERY_MS });
    expect(nextHorizonPass(pacing, cursor, NOW + RELIST_EVERY_MS, last)).toEqual({ kind: 'pass', window: { fromMs: cursor, toMs: lastHour } });
    // A pass at 10:55: the next hour ends before the relisting interval does.
    const late = { atMs: lastHour + 55 * MINUTE_MS, toMs: lastHour };
    expect(nextHorizonPass(pacing, cursor, late.atMs + MINUTE_MS, late)).toEqual({ kind: 'wait', untilMs: lastHour + HOUR_MS });
    expect(nextHorizonPass(pacing, cursor, lastHour + HOUR_MS, late)).toEqual({ kind: 'pass', window: { fromMs: cursor, toMs: lastHour + HOUR_MS } });
  });

  it('has nothing to list when the cursor is at the last finished hour, and nothing for providers without packages', () => {
    expect(nextHorizonPass(pacing, lastHour, NOW, null)).toEqual({ kind: 'wait', untilMs: lastHour + HOUR_MS });
    expect(nextHorizonPass(defaultPacing('cloudflare', CLOUDFLARE_LIMITS), cursor, NOW, null)).toBeNull();
  });
});

describe('lagMs', () => {
  it('is the time from the cursor to the newest settled instant, never negative', () => {
    const pacing = defaultPacing('cloudflare', CLOUDFLARE_LIMITS);
    expect(lagMs(pacing, NOW - HOUR_MS, NOW)).toBe(55 * MINUTE_MS);
    expect(lagMs(pacing, NOW, NOW)).toBe(0);
  });
});
