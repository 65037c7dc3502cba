import { SlidingWindowLimiter } from './rate-limit';

describe('SlidingWindowLimiter', () => {
  it('admits `limit` requests per key in any window, then answers the wait until the oldest leaves it', () => {
    let nowMs = 1_000;
    const limiter = new SlidingWindowLimiter(2, 60_000, () => nowMs);
    expect([limiter.tryAdmit('a'), limiter.tryAdmit('a'), limiter.tryAdmit('b')]).toEqual([0, 0, 0]);
    nowMs += 10_000;
    expect(limiter.tryAdmit('a')).toBe(50_000);
    nowMs += 49_999;
    expect(limiter.tryAdmit('a')).toBe(1);
    nowMs += 1;
    expect(limiter.tryAdmit('a')).toBe(0);
  });

  it('tryAdmitAll counts a request against every quota or, when one is full, against none', () => {
    const nowMs = 0;
    const perZone = new SlidingWindowLimiter(1, 60_000, () => nowMs);
    const perUser = new SlidingWindowLimiter(5, 60_000, () => nowMs);
    expect(SlidingWindowLimiter.tryAdmitAll([[perZone, 'zone-1'], [perUser, 'user']])).toBe(0);
    expect(SlidingWindowLimiter.tryAdmitAll([[perZone, 'zone-1'], [perUser, 'user']])).toBe(60_000);
    // The refused request did not count against the user: four more fit.
    for (let i = 2; i <= 5; i++) expect(SlidingWindowLimiter.tryAdmitAll([[perZone, `zone-${i}`], [perUser, 'user']])).toBe(0);
    expect(perUser.tryAdmit('user')).toBe(60_000);
  });
});
