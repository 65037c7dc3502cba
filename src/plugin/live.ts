/**
 * Live tail for Explore: a long-lived Observable that asks the bridge for the records after the
 * newest one it has seen (the bridge serves only what the provider has settled, so the newest
 * settled windows), appends the records it did not have (by id), and emits the accumulated frame
 * each time with the same key and LoadingState.Streaming, as Explore's live view expects.
 */

import { type DataQueryResponse, LoadingState } from '@grafana/data';
import { catchError, exhaustMap, last, map, type Observable, of, timer } from 'rxjs';
import { type BridgeClient, toBridgeError } from './bridge/client';
import { runBridgeQuery } from './bridge/run';
import { type LogRow, logRows, logsFrame } from './frames/logs';
import { frameMeta } from './frames/meta';
import type { BridgeQueryBody } from './types';

export const LIVE_POLL_MS = 10_000;
/** The first poll shows the newest records of this long. */
export const LIVE_FIRST_LOOKBACK_MS = 15 * 60_000;
export const LIVE_FIRST_LIMIT = 100;
export const LIVE_POLL_LIMIT = 1_000;
/** Rows kept in the live view; the oldest go first. */
export const LIVE_MAX_ROWS = 2_000;

export interface LiveTailOptions {
  client: BridgeClient;
  refId: string;
  key: string;
  /** The query's body; fromMs, toMs, sort and limit are set per poll. */
  body: BridgeQueryBody;
  nowMs?: () => number;
  pollMs?: number;
  /** How often one poll's query is polled while the bridge says `running`. */
  queryPollMs?: number;
  maxRows?: number;
}

/** Rows newest first, one per id. */
class LiveRows {
  private readonly byId = new Map<string, LogRow>();
  rows: LogRow[] = [];

  constructor(private readonly maxRows: number) {}

  get newestMs(): number | null {
    return this.rows.length > 0 ? this.rows[0].timestamp : null;
  }

  /** Adds the rows not seen before; returns how many were new. */
  add(rows: readonly LogRow[]): number {
    const fresh = rows.filter((r) => !this.byId.has(r.id));
    for (const r of fresh) this.byId.set(r.id, r);
    if (fresh.length === 0) return 0;
    this.rows = [...fresh, ...this.rows].sort((a, b) => b.timestamp - a.timestamp);
    for (const dropped of this.rows.splice(this.maxRows)) this.byId.delete(dropped.id);
    return fresh.length;
  }
}

export function liveTail(options: LiveTailOptions): Observable<DataQueryResponse> {
  const nowMs = options.nowMs ?? Date.now;
  const kept = new LiveRows(options.maxRows ?? LIVE_MAX_ROWS);
  let first = true;
  return timer(0, options.pollMs ?? LIVE_POLL_MS).pipe(
    // A poll that takes longer than the period is not stacked with another.
    exhaustMap(() => {
      const toMs = nowMs();
      const newest = kept.newestMs;
      const body: BridgeQueryBody =
        first || newest === null
          ? { ...options.body, fromMs: toMs - LIVE_FIRST_LOOKBACK_MS, toMs, sort: 'desc', limit: LIVE_FIRST_LIMIT }
          : // From the newest record on, oldest first: a gap between polls is read in order, never skipped.
            { ...options.body, fromMs: Math.floor(newest), toMs, sort: 'asc', limit: LIVE_POLL_LIMIT };
      return runBridgeQuery(options.client, body, options.queryPollMs).pipe(
        last(),
        map((answer): DataQueryResponse => {
          first = false;
          kept.add(logRows(answer.logs));
          return {
            key: options.key,
            state: LoadingState.Streaming,
            data: [logsFrame(kept.rows, { refId: options.refId, meta: frameMeta(answer) })],
          };
        }),
        // One failed poll does not end the tail: say so and keep polling.
        catchError((err: unknown) =>
          of<DataQueryResponse>({
            key: options.key,
            state: LoadingState.Streaming,
            data: [logsFrame(kept.rows, { refId: options.refId })],
            errors: [{ refId: options.refId, message: toBridgeError(err).message }],
          }),
        ),
      );
    }),
  );
}
