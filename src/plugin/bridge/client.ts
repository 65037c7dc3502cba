/**
 * The bridge's HTTP API as the browser reaches it: through Grafana's data proxy route `bridge`
 * (plugin.json), which adds the bridge token and the provider credentials server-side. Every call
 * is an Observable, so that unsubscribing (a panel that goes away) aborts the request.
 */

import { getBackendSrv, isFetchError } from '@grafana/runtime';
import { catchError, map, type Observable, throwError } from 'rxjs';
import type { BridgeAnswer, BridgeField, BridgeQueryBody, BridgeValues } from '../types';

/** The data proxy route's path in plugin.json. */
export const ROUTE_PATH = 'bridge';

/** An error the user can act on: the bridge's message (it names what to fix), or what went wrong on the way. */
export class BridgeError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly kind: string,
  ) {
    super(message);
    this.name = 'BridgeError';
  }
}

/** The bridge answers `{error: {kind, message}}`; Grafana's proxy answers `{message}`; a network failure has neither. */
export function toBridgeError(err: unknown): BridgeError {
  if (err instanceof BridgeError) return err;
  if (isFetchError(err)) {
    const data = err.data as { error?: { kind?: string; message?: string }; message?: string } | undefined;
    if (data?.error?.message) return new BridgeError(data.error.message, err.status, data.error.kind ?? 'Unknown');
    if (err.status === 502 || err.status === 504 || err.status === 0) {
      return new BridgeError(
        `Grafana could not reach the bridge (HTTP ${err.status}${data?.message ? `: ${data.message}` : ''}): check the bridge URL in the data source settings, and that the bridge runs`,
        err.status,
        'Unreachable',
      );
    }
    return new BridgeError(`the bridge answered HTTP ${err.status}${data?.message ? `: ${data.message}` : err.statusText ? ` ${err.statusText}` : ''}`, err.status, 'Unknown');
  }
  return new BridgeError(err instanceof Error ? err.message : String(err), 0, 'Unknown');
}

export class BridgeClient {
  /** `instanceSettings.url`: /api/datasources/proxy/uid/<uid>. */
  constructor(private readonly proxyUrl: string) {}

  private url(path: string): string {
    return `${this.proxyUrl}/${ROUTE_PATH}${path}`;
  }

  private call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, data?: unknown, params?: Record<string, string>): Observable<T> {
    return getBackendSrv()
      .fetch<T>({ url: this.url(path), method, data, params, showErrorAlert: false, showSuccessAlert: false })
      .pipe(
        map((response) => response.data),
        catchError((err: unknown) => throwError(() => toBridgeError(err))),
      );
  }

  /** Starts a query: its answer within body.waitMs, `done` or `running`. */
  startQuery(body: BridgeQueryBody): Observable<BridgeAnswer> {
    return this.call<BridgeAnswer>('POST', '/api/v1/query', body);
  }

  /** A running query's progress and what it has found so far. */
  pollQuery(queryId: string): Observable<BridgeAnswer> {
    return this.call<BridgeAnswer>('GET', `/api/v1/query/${encodeURIComponent(queryId)}`);
  }

  cancelQuery(queryId: string): Observable<BridgeAnswer> {
    return this.call<BridgeAnswer>('DELETE', `/api/v1/query/${encodeURIComponent(queryId)}`);
  }

  fields(provider: string): Observable<BridgeField[]> {
    return this.call<{ fields: BridgeField[] }>('GET', '/api/v1/fields', undefined, { provider }).pipe(map((answer) => answer.fields));
  }

  /** Distinct values of a field with counts (at most 100), over the range and source given. */
  values(params: Record<string, string>): Observable<BridgeValues> {
    return this.call<BridgeValues>('GET', '/api/v1/values', undefined, params);
  }

  health(params: Record<string, string>): Observable<{ status: string; message: string }> {
    return this.call<{ status: string; message: string }>('GET', '/api/v1/health', undefined, params);
  }
}
