import fc from 'fast-check';
import { CdnLogError, type ErrorKind } from '../core/errors';
import { backoffDelayMs, DEFAULT_RETRY, parseRetryAfter, type RetryPolicy, sleep, withRetry } from './retry';

const ALMOST_ONE = 1 - Number.EPSILON;
const POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };
/** Every wait is 0 ms with `random: () => 0` and no Retry-After, so retry loops run at once. */
const FAST: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 };
const NOW = Date.parse('2026-11-22T10:17:23.000Z');

describe('backoffDelayMs', () => {
  it('is 0 with random 0 and just under base·2^retry with random 0.999…, for the first retries', () => {
    expect([0, 1, 2, 3].map((r) => backoffDelayMs(POLICY, r, undefined, () => 0))).toEqual([0, 0, 0, 0]);
    expect([0, 1, 2, 3].map((r) => backoffDelayMs(POLICY, r, undefined, () => ALMOST_ONE))).toEqual([499, 999, 1999, 3999]);
  });

  it('scales the jitter linearly inside [0, ceiling): random 0.5 on retry 2 of base 500 is 1000', () => {
    expect(backoffDelayMs(POLICY, 2, undefined, () => 0.5)).toBe(1000);
  });

  it('caps the ceiling at maxDelayMs once base·2^retry passes it (retry 6 of base 500 would be 32 s)', () => {
    expect(backoffDelayMs(POLICY, 6, undefined, () => ALMOST_ONE)).toBe(29_999);
    expect(backoffDelayMs(POLICY, 40, undefined, () => ALMOST_ONE)).toBe(29_999);
  });

  it('takes Retry-After as a floor: a 2 s Retry-After beats a 0 ms jitter, a 3999 ms jitter beats a 2 s Retry-After', () => {
    expect(backoffDelayMs(POLICY, 0, 2000, () => 0)).toBe(2000);
    expect(backoffDelayMs(POLICY, 3, 2000, () => ALMOST_ONE)).toBe(3999);
    expect(backoffDelayMs(POLICY, 0, 0, () => 0)).toBe(0);
  });

  it('caps Retry-After at maxRetryAfterMs (a provider asking for an hour gets 120 s)', () => {
    expect(backoffDelayMs(POLICY, 0, 3_600_000, () => 0)).toBe(120_000);
    expect(backoffDelayMs(DEFAULT_RETRY, 0, 3_600_000, () => 0)).toBe(DEFAULT_RETRY.maxRetryAfterMs);
  });

  it('always lies in [min(retryAfter, maxRetryAfter), max(that, min(cap, base·2^retry)))', () => {
    fc.assert(
      fc.property(
        fc.record({
          baseDelayMs: fc.integer({ min: 1, max: 10_000 }),
          maxDelayMs: fc.integer({ min: 1, max: 100_000 }),
          maxRetryAfterMs: fc.integer({ min: 0, max: 300_000 }),
        }),
        fc.integer({ min: 0, max: 60 }),
        fc.option(fc.integer({ min: 0, max: 10_000_000 }), { nil: undefined }),
        fc.double({ min: 0, max: ALMOST_ONE, noNaN: true }),
        (p, retry, retryAfter, r) => {
          const policy = { ...p, maxAttempts: 5 };
          const d = backoffDelayMs(policy, retry, retryAfter, () => r);
          const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
          const floor = retryAfter === undefined ? 0 : Math.min(retryAfter, policy.maxRetryAfterMs);
          expect(Number.isInteger(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(floor);
          expect(d).toBeLessThanOrEqual(Math.max(floor, ceiling - 1));
        },
      ),
    );
  });
});

describe('parseRetryAfter', () => {
  it('reads delta seconds as milliseconds', () => {
    expect(parseRetryAfter('2', NOW)).toBe(2000);
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(' 120 ', NOW)).toBe(120_000);
  });

  it('reads fractional seconds and rounds to the millisecond', () => {
    expect(parseRetryAfter('1.5', NOW)).toBe(1500);
    expect(parseRetryAfter('0.0004', NOW)).toBe(0);
    expect(parseRetryAfter('0.0016', NOW)).toBe(2);
  });

  it('reads an HTTP date relative to the injected now, and a date in the past as 0', () => {
    expect(parseRetryAfter(new Date(NOW + 7000).toUTCString(), NOW)).toBe(7000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:18:23 GMT', NOW)).toBe(60_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:17:00 GMT', NOW)).toBe(0);
  });

  it('returns undefined for an absent, empty or unreadable header', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter('', NOW)).toBeUndefined();
    expect(parseRetryAfter([], NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter('1e3', NOW)).toBeUndefined();
    expect(parseRetryAfter('12abc', NOW)).toBeUndefined();
  });

  // V8's Date.parse reads almost any text with a number as a date: only HTTP-dates may reach it.
  it('returns undefined for garbage that V8 Date.parse would still read as a date', () => {
    expect(parseRetryAfter('-1', NOW)).toBeUndefined();
    expect(parseRetryAfter('1.', NOW)).toBeUndefined();
    expect(parseRetryAfter('abc 2', NOW)).toBeUndefined();
    expect(parseRetryAfter('Retry in 2099', NOW)).toBeUndefined();
  });

  it('reads the first value of an array header', () => {
    expect(parseRetryAfter(['3', '10'], NOW)).toBe(3000);
    expect(parseRetryAfter([new Date(NOW + 5000).toUTCString()], NOW)).toBe(5000);
  });
});

describe('sleep', () => {
  afterEach(() => jest.useRealTimers());

  it('resolves after the given time and not before (fake timers)', async () => {
    jest.useFakeTimers();
    let done = false;
    const p = sleep(1000).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await p;
    expect(done).toBe(true);
  });

  it('rejects with the abort reason when aborted while waiting, and leaves no timer behind', async () => {
    jest.useFakeTimers();
    const ac = new AbortController();
    const reason = new Error('stop');
    const p = sleep(60_000, ac.signal);
    expect(jest.getTimerCount()).toBe(1);
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rejects at once with the reason when the signal is already aborted, without starting a timer', async () => {
    jest.useFakeTimers();
    const ac = new AbortController();
    ac.abort('already');
    const p = sleep(60_000, ac.signal);
    expect(jest.getTimerCount()).toBe(0);
    await expect(p).rejects.toBe('already');
  });
});

describe('withRetry', () => {
  afterEach(() => jest.useRealTimers());

  function failing(kinds: ErrorKind[], value = 'ok') {
    const seen: number[] = [];
    const attempt = async (n: number) => {
      seen.push(n);
      const kind = kinds[n - 1];
      if (kind) throw new CdnLogError(kind, `attempt ${n} failed`, { status: 503 });
      return value;
    };
    return { seen, attempt };
  }

  it('returns the first success after Transient and RateLimited failures, with attempt numbers 1, 2, 3', async () => {
    const { seen, attempt } = failing(['Transient', 'RateLimited']);
    const retries: Array<[ErrorKind, number, number]> = [];
    const out = await withRetry(FAST, attempt, { random: () => 0, onRetry: (e, n, d) => retries.push([e.kind, n, d]) });
    expect(out).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
    expect(retries).toEqual([
      ['Transient', 1, 0],
      ['RateLimited', 2, 0],
    ]);
  });

  it.each<ErrorKind>(['Transient', 'RateLimited'])('gives up on %s after maxAttempts with the same kind and "gave up after N attempts"', async (kind) => {
    const { seen, attempt } = failing([kind, kind, kind, kind, kind, kind]);
    const onRetry = jest.fn();
    const err = await withRetry(FAST, attempt, { random: () => 0, onRetry }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CdnLogError);
    const e = err as CdnLogError;
    expect(e.kind).toBe(kind);
    expect(e.message).toBe(`attempt 4 failed (gave up after 4 attempts)`);
    expect(e.status).toBe(503);
    expect((e.cause as CdnLogError).message).toBe('attempt 4 failed');
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(onRetry.mock.calls.map((c) => c[1])).toEqual([1, 2, 3]);
  });

  it('keeps retryAfterMs of the last failure on the give-up error', async () => {
    const err = await withRetry({ ...FAST, maxAttempts: 1, maxRetryAfterMs: 5000 }, async () => {
      throw new CdnLogError('RateLimited', 'slow down', { status: 429, retryAfterMs: 2000 });
    }).catch((e: unknown) => e as CdnLogError);
    expect([err.kind, err.status, err.retryAfterMs, err.message]).toEqual(['RateLimited', 429, 2000, 'slow down (gave up after 1 attempt)']);
  });

  it('stops at once, naming the wait, when Retry-After is longer than maxRetryAfterMs (no silent 120 s sleeps)', async () => {
    const onRetry = jest.fn();
    let calls = 0;
    const err = await withRetry(
      { ...POLICY, maxRetryAfterMs: 120_000 },
      async () => {
        calls++;
        throw new CdnLogError('RateLimited', 'Cloudflare rate-limited zone z', { status: 429, retryAfterMs: 999_999_000 });
      },
      { onRetry },
    ).catch((e: unknown) => e as CdnLogError);
    expect(err.kind).toBe('RateLimited');
    expect(err.message).toMatch(/asked to wait 999999 s before retrying, longer than the 2 min a query waits: try again later; gave up after 1 attempt\)$/);
    expect([calls, onRetry.mock.calls.length]).toEqual([1, 0]);
  });

  it.each<ErrorKind>(['AuthFailed', 'BadInput', 'ProviderError', 'WindowTooOld', 'TooLarge'])('does not retry %s and throws the very same error', async (kind) => {
    const original = new CdnLogError(kind, 'no');
    const onRetry = jest.fn();
    let calls = 0;
    const err = await withRetry(
      FAST,
      async () => {
        calls++;
        throw original;
      },
      { random: () => 0, onRetry },
    ).catch((e: unknown) => e);
    expect(err).toBe(original);
    expect(calls).toBe(1);
    expect(onRetry).toHaveBeenCalledTimes(0);
  });

  it('does not retry an error that is not a CdnLogError', async () => {
    const original = new TypeError('bug');
    let calls = 0;
    const err = await withRetry(FAST, async () => {
      calls++;
      throw original;
    }).catch((e: unknown) => e);
    expect([err, calls]).toEqual([original, 1]);
  });

  it('passes backoff delays to onRetry: random 0.5 with base 1000 gives 500, 1000, then the 3 s Retry-After floor', async () => {
    jest.useFakeTimers();
    const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 60_000, maxRetryAfterMs: 120_000 };
    const errors = [
      new CdnLogError('Transient', 'a'),
      new CdnLogError('Transient', 'b'),
      new CdnLogError('RateLimited', 'c', { retryAfterMs: 3000 }),
    ];
    const delays: Array<[number, number]> = [];
    const p = withRetry(
      policy,
      async (n) => {
        if (n <= errors.length) throw errors[n - 1];
        return n;
      },
      { random: () => 0.5, onRetry: (_e, n, d) => delays.push([n, d]) },
    );
    await jest.advanceTimersByTimeAsync(500 + 1000 + 3000);
    await expect(p).resolves.toBe(4);
    expect(delays).toEqual([
      [1, 500],
      [2, 1000],
      [3, 3000],
    ]);
  });

  it('stops waiting when the signal aborts, rejecting with the abort reason after one attempt', async () => {
    jest.useFakeTimers();
    const ac = new AbortController();
    const reason = new Error('user cancelled');
    let calls = 0;
    let retried!: () => void;
    const waiting = new Promise<void>((resolve) => (retried = resolve));
    const p = withRetry(
      { ...POLICY, baseDelayMs: 60_000 },
      async () => {
        calls++;
        throw new CdnLogError('Transient', 'down');
      },
      { random: () => 0.5, signal: ac.signal, onRetry: () => retried() },
    );
    const settled = p.catch((e: unknown) => e);
    await waiting;
    expect(jest.getTimerCount()).toBe(1);
    ac.abort(reason);
    expect(await settled).toBe(reason);
    expect(calls).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  }, 5000);
});
