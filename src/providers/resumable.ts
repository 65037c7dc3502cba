import { CdnLogError, isRetryable } from '../core/errors';
import type { CdnLogRecord } from '../core/record';
import { backoffDelayMs, type RetryPolicy, sleep } from '../transport/retry';
import type { ReadStats } from './types';

/**
 * Reads a unit (a window, a page) with retries, yielding each record once. Records stream out as
 * they decode, so a failure part-way (a cut connection, Cloudflare's "Error streaming data.") comes
 * after some were delivered; the retry re-reads the unit and skips, by id, as many occurrences of
 * each record as were already delivered. Ids are stable across re-pulls, so nothing is lost and
 * nothing is doubled, whatever order the provider sends. Memory: one map entry per delivered record
 * of the current unit only.
 */
export async function* readResumable(
  policy: RetryPolicy,
  stats: ReadStats,
  attempt: (attemptNo: number) => AsyncIterable<CdnLogRecord[]>,
  signal?: AbortSignal,
): AsyncIterable<CdnLogRecord[]> {
  const delivered = new Map<string, number>();
  for (let attemptNo = 1; ; attemptNo++) {
    const seen = attemptNo === 1 ? null : new Map<string, number>();
    try {
      for await (const batch of attempt(attemptNo)) {
        const fresh: CdnLogRecord[] = [];
        for (const record of batch) {
          const before = delivered.get(record.id) ?? 0;
          if (seen) {
            const n = (seen.get(record.id) ?? 0) + 1;
            seen.set(record.id, n);
            if (n <= before) continue;
          }
          delivered.set(record.id, before + 1);
          fresh.push(record);
        }
        if (fresh.length > 0) yield fresh;
      }
      return;
    } catch (err) {
      if (!isRetryable(err)) throw err;
      const e = err as CdnLogError;
      if (attemptNo >= policy.maxAttempts) {
        throw new CdnLogError(e.kind, `${e.message} (gave up after ${attemptNo} attempts)`, { status: e.status, cause: err });
      }
      stats.retries++;
      await sleep(backoffDelayMs(policy, attemptNo - 1, e.retryAfterMs), signal);
    }
  }
}
