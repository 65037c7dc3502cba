/**
 * One bridge query to its end: the first answer within waitMs, then, while it says `running`, a
 * poll of GET /api/v1/query/{id} every pollMs, each answer (partial until the last) emitted. There
 * is no frontend helper for this in Grafana, so rxjs does it; unsubscribing before the end (a panel
 * that goes away, a new query) DELETEs the query so that the bridge stops its provider requests.
 */

import { EMPTY, expand, Observable, timer, switchMap } from 'rxjs';
import type { BridgeAnswer, BridgeQueryBody } from '../types';
import type { BridgeClient } from './client';

export const POLL_MS = 1_000;

export function runBridgeQuery(client: BridgeClient, body: BridgeQueryBody, pollMs = POLL_MS): Observable<BridgeAnswer> {
  return new Observable<BridgeAnswer>((subscriber) => {
    let running: string | null = null;
    const subscription = client
      .startQuery(body)
      .pipe(expand((answer) => (answer.state === 'running' ? timer(pollMs).pipe(switchMap(() => client.pollQuery(answer.queryId))) : EMPTY)))
      .subscribe({
        next: (answer) => {
          running = answer.state === 'running' ? answer.queryId : null;
          subscriber.next(answer);
        },
        error: (err: unknown) => {
          running = null;
          subscriber.error(err);
        },
        complete: () => {
          running = null;
          subscriber.complete();
        },
      });
    return () => {
      subscription.unsubscribe();
      // Nobody wants the rest: the bridge would otherwise keep downloading until it is abandoned (60 s).
      if (running !== null) client.cancelQuery(running).subscribe({ error: () => undefined });
    };
  });
}
