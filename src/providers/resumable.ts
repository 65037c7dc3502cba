import type { CdnLogError } from '../core/errors';
import type { CdnLogRecord } from '../core/record';
import type { Http } from '../transport/http';
import { IdCounts } from './id-counts';
import { delayBeforeRetry, sleep } from '../transport/retry';
import type { ReadStats } from './types';

/**
 * Reads a unit (a window, a page) with retries, yielding each record once. Records stream out as
 * they decode, so a failure part-way (a cut connection, Cloudflare's "Error streaming data.") comes
 * after some were delivered; the retry re-reads the unit and skips, by id, as many occurrences of
 * each record as were already delivered. Ids are stable across re-pulls, so nothing is lost and
 * nothing is doubled, whatever order the provider sends. Memory: a 64-bit hash and a count per
 * delivered record of the current unit only (id-counts.ts: 12–24 bytes a record). Retries
 * follow the client's policy (transport/retry.ts).
 */
export async function* readResumable(
  http: Http,
  stats: ReadStats,
  attempt: (attemptNo: number) => AsyncIterable<CdnLogRecord[]>,
  signal?: AbortSignal,
): AsyncIterable<CdnLogRecord[]> {
  const hooks = http.retryHooks(signal, () => stats.retries++);
  const delivered = new IdCounts();
  for (let attemptNo = 1; ; attemptNo++) {
    const seen = attemptNo === 1 ? null : new IdCounts();
    try {
      for await (const batch of attempt(attemptNo)) {
        const fresh: CdnLogRecord[] = [];
        for (const record of batch) {
          if (seen && seen.add(record.id) <= delivered.get(record.id)) continue;
          delivered.add(record.id);
          fresh.push(record);
        }
        if (fresh.length > 0) yield fresh;
      }
      return;
    } catch (err) {
      const delayMs = delayBeforeRetry(http.retry, err, attemptNo);
      hooks.onRetry?.(err as CdnLogError, attemptNo, delayMs);
      await sleep(delayMs, signal);
    }
  }
}
