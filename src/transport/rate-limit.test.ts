import { type RateLimit, RateLimiter } from './rate-limit';

const ZONE: RateLimit = { perMinute: 15 };
const USER: RateLimit = { perMinute: 180 };

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** Takes n tokens; with a full enough bucket `acquire` never sleeps, so this needs no timers. */
async function take(limiter: RateLimiter, keys: ReadonlyArray<[string, RateLimit]>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    expect(limiter.waitMs(keys)).toBe(0);
    await limiter.acquire(keys);
  }
}

describe('RateLimiter with an injected clock', () => {
  it('lets a 15/min bucket take 15 requests at once, then asks the 16th to wait 4000 ms', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter(clock.now);
    const keys: Array<[string, RateLimit]> = [['cloudflare:zone:a', ZONE]];
    await take(limiter, keys, 15);
    expect(limiter.waitMs(keys)).toBe(4000);
  });

  it('does not take a token in waitMs: asking 100 times leaves a full bucket', async () => {
    const limiter = new RateLimiter(manualClock().now);
    const keys: Array<[string, RateLimit]> = [['k', ZONE]];
    for (let i = 0; i < 100; i++) expect(limiter.waitMs(keys)).toBe(0);
    await take(limiter, keys, 15);
    expect(limiter.waitMs(keys)).toBe(4000);
  });

  it('refills at perMinute: half a token after 2 s, a whole one after 4 s', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter(clock.now);
    const keys: Array<[string, RateLimit]> = [['k', ZONE]];
    await take(limiter, keys, 15);
    clock.advance(2000);
    expect(limiter.waitMs(keys)).toBe(2000);
    clock.advance(1999);
    expect(limiter.waitMs(keys)).toBe(1);
    clock.advance(1);
    expect(limiter.waitMs(keys)).toBe(0);
    await limiter.acquire(keys);
    expect(limiter.waitMs(keys)).toBe(4000);
  });

  it('refills no further than the capacity after a long quiet spell', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter(clock.now);
    const keys: Array<[string, RateLimit]> = [['k', ZONE]];
    await take(limiter, keys, 15);
    clock.advance(60 * 60_000);
    await take(limiter, keys, 15);
    expect(limiter.waitMs(keys)).toBe(4000);
  });

  it('uses burst as the capacity when given: 60/min with burst 2 allows 2, then waits 1000 ms', async () => {
    const limiter = new RateLimiter(manualClock().now);
    const keys: Array<[string, RateLimit]> = [['k', { perMinute: 60, burst: 2 }]];
    await take(limiter, keys, 2);
    expect(limiter.waitMs(keys)).toBe(1000);
  });

  it('makes a request on zone 15/min and user 180/min wait for the slower bucket', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter(clock.now);
    const user: [string, RateLimit] = ['cloudflare:user:u', USER];
    const zoneA: [string, RateLimit] = ['cloudflare:zone:a', ZONE];
    // The zone runs out first: 15 taken from both, the user still has 165.
    await take(limiter, [zoneA, user], 15);
    expect(limiter.waitMs([zoneA, user])).toBe(4000);
    expect(limiter.waitMs([user])).toBe(0);
    // Now the user runs out: 11 more zones × 15 = 165.
    for (let z = 0; z < 11; z++) await take(limiter, [[`cloudflare:zone:z${z}`, ZONE], user], 15);
    expect(limiter.waitMs([user])).toBe(334); // ceil(60 000 / 180)
    expect(limiter.waitMs([['cloudflare:zone:fresh', ZONE], user])).toBe(334);
    expect(limiter.waitMs([zoneA, user])).toBe(4000);
    expect(limiter.waitMs([user, zoneA])).toBe(4000);
    clock.advance(334);
    expect(limiter.waitMs([['cloudflare:zone:fresh', ZONE], user])).toBe(0);
    expect(limiter.waitMs([zoneA, user])).toBe(3666);
  });

  it('keeps independent keys apart: an empty zone:a leaves zone:b full', async () => {
    const limiter = new RateLimiter(manualClock().now);
    await take(limiter, [['zone:a', ZONE]], 15);
    expect(limiter.waitMs([['zone:a', ZONE]])).toBe(4000);
    expect(limiter.waitMs([['zone:b', ZONE]])).toBe(0);
    await take(limiter, [['zone:b', ZONE]], 15);
    expect(limiter.waitMs([['zone:b', ZONE]])).toBe(4000);
  });

  it('takes exactly one token from each bucket a request names', async () => {
    const limiter = new RateLimiter(manualClock().now);
    const a: [string, RateLimit] = ['a', { perMinute: 60, burst: 2 }];
    const b: [string, RateLimit] = ['b', { perMinute: 60, burst: 3 }];
    await limiter.acquire([a, b]); // a 1, b 2
    await limiter.acquire([a, b]); // a 0, b 1
    expect(limiter.waitMs([a])).toBe(1000);
    expect(limiter.waitMs([b])).toBe(0);
    await limiter.acquire([b]); // b 0
    expect(limiter.waitMs([b])).toBe(1000);
  });
});

describe('RateLimiter.acquire waiting (fake timers drive both the clock and the sleep)', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('waits until the bucket has a token, then takes it', async () => {
    const limiter = new RateLimiter(() => Date.now());
    const keys: Array<[string, RateLimit]> = [['k', ZONE]];
    await take(limiter, keys, 15);
    let done = false;
    const p = limiter.acquire(keys).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(3999);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await p;
    expect(done).toBe(true);
    expect(limiter.waitMs(keys)).toBe(4000);
  });

  it('serves two concurrent requests on a one-token bucket one after the other', async () => {
    const limiter = new RateLimiter(() => Date.now());
    const keys: Array<[string, RateLimit]> = [['k', { perMinute: 60, burst: 1 }]];
    const order: string[] = [];
    const p1 = limiter.acquire(keys).then(() => order.push('first'));
    const p2 = limiter.acquire(keys).then(() => order.push('second'));
    await jest.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['first']);
    await jest.advanceTimersByTimeAsync(999);
    expect(order).toEqual(['first']);
    await jest.advanceTimersByTimeAsync(1);
    await Promise.all([p1, p2]);
    expect(order).toEqual(['first', 'second']);
    expect(limiter.waitMs(keys)).toBe(1000);
  });

  it('stops waiting on abort, rejects with the reason and takes no token', async () => {
    const limiter = new RateLimiter(() => Date.now());
    const keys: Array<[string, RateLimit]> = [['k', ZONE]];
    await take(limiter, keys, 15);
    const ac = new AbortController();
    const reason = new Error('cancelled');
    const settled = limiter.acquire(keys, ac.signal).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(1000);
    ac.abort(reason);
    expect(await settled).toBe(reason);
    await jest.advanceTimersByTimeAsync(3000);
    // The one token that refilled is still there: one request passes, the next waits a full 4 s.
    expect(limiter.waitMs(keys)).toBe(0);
    await limiter.acquire(keys);
    expect(limiter.waitMs(keys)).toBe(4000);
  });
});
