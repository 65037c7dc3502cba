import { type RateLimit, RateLimiter } from './rate-limit';

const ZONE: RateLimit = { perMinute: 15 };
const USER: RateLimit = { perMinute: 180 };

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** Takes n slots; with room enough `acquire` never sleeps, so this needs no timers. */
async function take(limiter: RateLimiter, keys: ReadonlyArray<[string, RateLimit]>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    expect(limiter.waitMs(keys)).toBe(0);
    await limiter.acquire(keys);
  }
}

describe('RateLimiter with an injected clock', () => {
  it('lets 15 requests of a 15/min zone through at once, then holds the 16th until the first is a minute old', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter(clock.now);
    const keys: Array<[string, RateLimit]> = [['cloudflare:zone:a', ZONE]];
    await take(limiter, keys, 15);
    expect(limiter.waitMs(keys)).toBe(60_000);
    clock.advance(59_999);
    expect(limiter.waitMs(keys)).toBe(1);
    clock.advance(1);
    // All 15 left the window together: 15 more may go at once.
    await take(limiter, keys, 15);
    expect(limiter.waitMs(keys)).toBe(60_000);
  });

  it('never lets more than perMinute requests into any 60 s, whatever the spacing', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter(clock.now);
    const keys: Array<[string, RateLimit]> = [['k', ZONE]];
    const sent: number[] = [];
    // Ask as fast as allowed for 5 simulated minutes, with requests spread at 1.7 s intervals when there is room.
    while (clock.now() < 1_000_000 + 5 * 60_000) {
      const wait = limiter.waitMs(keys);
      if (wait > 0) clock.advance(wait);
      await limiter.acquire(keys);
      sent.push(clock.now());
      clock.advance(1700);
    }
    const worst = Math.max(...sent.map((t) => sent.filter((u) => u > t - 60_000 && u <= t).length));
    expect(worst).toBe(15);
    expect(sent.length).toBeGreaterThanOrEqual(75);
  });

  it('holds the 101st request of a 100/s limit (EdgeOne) until the first is a second old', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter(clock.now);
    const keys: Array<[string, RateLimit]> = [['tencent-edgeone:id', { perSecond: 100 }]];
    await take(limiter, keys, 100);
    expect(limiter.waitMs(keys)).toBe(1_000);
    clock.advance(1_000);
    await take(limiter, keys, 100);
    expect(limiter.waitMs(keys)).toBe(1_000);
  });

  it('does not take a slot in waitMs', async () => {
    const limiter = new RateLimiter(manualClock().now);
    const keys: Array<[string, RateLimit]> = [['k', ZONE]];
    for (let i = 0; i < 100; i++) expect(limiter.waitMs(keys)).toBe(0);
    await take(limiter, keys, 15);
    expect(limiter.waitMs(keys)).toBe(60_000);
  });

  it('makes a request on zone 15/min and user 180/min wait for the fuller limit', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter(clock.now);
    const user: [string, RateLimit] = ['cloudflare:user:u', USER];
    const zoneA: [string, RateLimit] = ['cloudflare:zone:a', ZONE];
    await take(limiter, [zoneA, user], 15);
    expect(limiter.waitMs([zoneA, user])).toBe(60_000);
    expect(limiter.waitMs([user])).toBe(0);
    // 11 more zones × 15 = 165: the user has used its 180.
    clock.advance(1000);
    for (let z = 0; z < 11; z++) await take(limiter, [[`cloudflare:zone:z${z}`, ZONE], user], 15);
    expect(limiter.waitMs([['cloudflare:zone:fresh', ZONE], user])).toBe(59_000);
    expect(limiter.waitMs([user, zoneA])).toBe(59_000);
    clock.advance(59_000);
    // The first 15 user requests (all on zone a) left the window together.
    expect(limiter.waitMs([['cloudflare:zone:fresh', ZONE], user])).toBe(0);
    expect(limiter.waitMs([zoneA, user])).toBe(0);
  });

  it('keeps independent keys apart', async () => {
    const limiter = new RateLimiter(manualClock().now);
    await take(limiter, [['zone:a', ZONE]], 15);
    expect(limiter.waitMs([['zone:a', ZONE]])).toBe(60_000);
    expect(limiter.waitMs([['zone:b', ZONE]])).toBe(0);
  });

  it('counts a request once against each limit it names', async () => {
    const limiter = new RateLimiter(manualClock().now);
    const a: [string, RateLimit] = ['a', { perMinute: 2 }];
    const b: [string, RateLimit] = ['b', { perMinute: 3 }];
    await limiter.acquire([a, b]);
    await limiter.acquire([a, b]);
    expect(limiter.waitMs([a])).toBe(60_000);
    expect(limiter.waitMs([b])).toBe(0);
    await limiter.acquire([b]);
    expect(limiter.waitMs([b])).toBe(60_000);
  });
});

describe('RateLimiter.acquire waiting (fake timers drive both the clock and the sleep)', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('waits until there is room, then takes it', async () => {
    const limiter = new RateLimiter(() => Date.now());
    const keys: Array<[string, RateLimit]> = [['k', ZONE]];
    await take(limiter, keys, 15);
    let done = false;
    const p = limiter.acquire(keys).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(59_999);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await p;
    expect(done).toBe(true);
  });

  it('serves two concurrent requests on a 1/min limit one after the other', async () => {
    const limiter = new RateLimiter(() => Date.now());
    const keys: Array<[string, RateLimit]> = [['k', { perMinute: 1 }]];
    const order: string[] = [];
    const p1 = limiter.acquire(keys).then(() => order.push('first'));
    const p2 = limiter.acquire(keys).then(() => order.push('second'));
    await jest.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['first']);
    await jest.advanceTimersByTimeAsync(60_000);
    await Promise.all([p1, p2]);
    expect(order).toEqual(['first', 'second']);
  });

  it('stops waiting on abort, rejects with the reason and takes no slot', async () => {
    const limiter = new RateLimiter(() => Date.now());
    const keys: Array<[string, RateLimit]> = [['k', { perMinute: 1 }]];
    await take(limiter, keys, 1);
    const ac = new AbortController();
    const reason = new Error('cancelled');
    const settled = limiter.acquire(keys, ac.signal).catch((e: unknown) => e);
    await jest.advanceTimersByTimeAsync(1000);
    ac.abort(reason);
    expect(await settled).toBe(reason);
    await jest.advanceTimersByTimeAsync(59_000);
    expect(limiter.waitMs(keys)).toBe(0);
  });
});
