import { CdnLogError, isRetryable } from '../core/errors';
import { formatDuration } from '../core/time';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is capped (a provider asking for an hour should not hang a panel). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

/**
 * Capped exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"):
 * a random delay in [0, min(cap, base·2^retry)]. A provider's Retry-After is a floor, not a suggestion.
 */
export function backoffDelayMs(policy: RetryPolicy, retry: number, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  const jittered = Math.floor(random() * ceiling);
  if (retryAfterMs === undefined) return jittered;
  return Math.max(Math.min(retryAfterMs, policy.maxRetryAfterMs), jittered);
}

/** Parses Retry-After (delta seconds or an HTTP date) to ms; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  // Only an HTTP-date (RFC 9110 §5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT" and its two obsolete forms):
  // V8's Date.parse reads almost any text with a number in it as some date.
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? .+ (GMT|\d{4})$/i.test(value.trim())) return undefined;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryHooks {
  /** Called before each wait; for progress and logs. */
  onRetry?: (err: CdnLogError, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
  random?: () => number;
}

function attempts(n: number): string {
  return `${n} ${n === 1 ? 'attempt' : 'attempts'}`;
}

/**
 * The one decision after a failed attempt: how long to wait before the next, or the final error.
 * Errors that are not retryable pass through; a retryable one fails for good once the attempts are
 * spent, or at once when the provider asks for a wait longer than the policy's cap (waiting it out
 * silently would look like a hang; the message names the wait instead).
 */
export function delayBeforeRetry(policy: RetryPolicy, err: unknown, attemptNo: number, random: () => number = Math.random): number {
  if (!isRetryable(err)) throw err;
  const e = err as CdnLogError;
  const finalError = (why: string) =>
    new CdnLogError(e.kind === 'RateLimited' ? 'RateLimited' : 'Transient', `${e.message} (${why})`, { status: e.status, retryAfterMs: e.retryAfterMs, cause: err });
  if (e.retryAfterMs !== undefined && e.retryAfterMs > policy.maxRetryAfterMs) {
    throw finalError(
      `the provider asked to wait ${Math.ceil(e.retryAfterMs / 1000)} s before retrying, longer than the ` +
        `${formatDuration(policy.maxRetryAfterMs)} a query waits: try again later; gave up after ${attempts(attemptNo)}`,
    );
  }
  if (attemptNo >= policy.maxAttempts) throw finalError(`gave up after ${attempts(attemptNo)}`);
  return backoffDelayMs(policy, attemptNo - 1, e.retryAfterMs, random);
}

/**
 * Runs `attempt` until it succeeds, fails with an error that is not retryable, or runs out of attempts.
 * The one retry loop of the project: the HTTP client and the listing calls go through it; the
 * resumable readers (providers/resumable.ts) share its decision, delayBeforeRetry.
 */
export async function withRetry<T>(policy: RetryPolicy, attempt: (attemptNo: number) => Promise<T>, hooks: RetryHooks = {}): Promise<T> {
  for (let attemptNo = 1; ; attemptNo++) {
    try {
      return await attempt(attemptNo);
    } catch (err) {
      const delayMs = delayBeforeRetry(policy, err, attemptNo, hooks.random);
      hooks.onRetry?.(err as CdnLogError, attemptNo, delayMs);
      await sleep(delayMs, hooks.signal);
    }
  }
}
