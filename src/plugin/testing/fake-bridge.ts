/**
 * A stand-in for Grafana's backend service in jsdom tests: it records every request the plugin
 * makes through getBackendSrv().fetch (method, URL, body, query parameters) and answers from
 * handlers, as the data proxy would with the bridge behind it. Tests mock only getBackendSrv and
 * getTemplateSrv; everything else of @grafana/runtime is the real module.
 */

import type { BackendSrvRequest, FetchResponse } from '@grafana/runtime';
import { Observable } from 'rxjs';
import type { BridgeAnswer, BridgeMeta, LogsColumns, StatsAnswer } from '../types';

export const PROXY_URL = '/api/datasources/proxy/uid/cdnlogs-test';

export interface Recorded {
  method: string;
  /** The path after the data proxy route: /api/v1/query. */
  path: string;
  data: unknown;
  params: Record<string, string>;
}

type Reply = { status: number; data: unknown } | unknown;
type Handler = (request: Recorded) => Reply | undefined;

export class FakeBridge {
  readonly requests: Recorded[] = [];
  private readonly handlers: Array<{ method: string; path: RegExp; reply: Handler; times: number }> = [];
  /** Requests whose Observable was unsubscribed before it answered. */
  readonly aborted: Recorded[] = [];
  /** When set, answers wait for release() (to observe a request in flight). */
  hold = false;
  private readonly held: Array<() => void> = [];

  /** Answers requests matching method and path with reply (a body, or {status, data} for an error); `times` bounds how often. */
  on(method: string, path: RegExp, reply: Handler, times = Infinity): this {
    this.handlers.push({ method, path, reply, times });
    return this;
  }

  release(): void {
    for (const go of this.held.splice(0)) go();
  }

  calls(method: string, path?: string): Recorded[] {
    return this.requests.filter((r) => r.method === method && (path === undefined || r.path === path));
  }

  readonly fetch = <T>(options: BackendSrvRequest): Observable<FetchResponse<T>> =>
    new Observable<FetchResponse<T>>((subscriber) => {
      const url = options.url;
      if (!url.startsWith(`${PROXY_URL}/bridge/`)) throw new Error(`request outside the data proxy route: ${url}`);
      const recorded: Recorded = { method: options.method ?? 'GET', path: url.slice(`${PROXY_URL}/bridge`.length), data: options.data, params: options.params ?? {} };
      this.requests.push(recorded);
      let done = false;
      const answer = () => {
        done = true;
        const handler = this.handlers.find((h) => h.times > 0 && h.method === recorded.method && h.path.test(recorded.path));
        if (!handler) {
          subscriber.error({ status: 404, data: { error: { kind: 'NotFound', message: `no fake for ${recorded.method} ${recorded.path}` } }, config: options });
          return;
        }
        handler.times--;
        const reply = handler.reply(recorded) as { status?: number; data?: unknown } | undefined;
        if (reply && typeof reply === 'object' && typeof reply.status === 'number' && reply.status >= 400) {
          subscriber.error({ status: reply.status, data: reply.data, config: options });
          return;
        }
        subscriber.next({ data: reply as T, status: 200, ok: true, headers: new Headers(), redirected: false, statusText: 'OK', type: 'basic', url, config: options });
        subscriber.complete();
      };
      if (this.hold) this.held.push(answer);
      else answer();
      return () => {
        if (!done) this.aborted.push(recorded);
      };
    });
}

export function meta(patch: Partial<BridgeMeta> = {}): BridgeMeta {
  return {
    provider: 'gcore',
    source: '100001',
    mode: 'logs',
    windows: { planned: 2, done: 2, fromCache: 1 },
    providerRequests: 3,
    retries: 0,
    bytesDownloaded: 21191,
    recordsScanned: 545,
    recordsReturned: 2,
    skipped: 0,
    range: { fromMs: 1_796_131_923_526, toMs: 1_796_139_123_526 },
    clamps: [],
    truncated: false,
    truncatedReason: null,
    covered: { fromMs: 1_796_131_923_526, toMs: 1_796_139_123_526 },
    sampled: null,
    pushedDown: [],
    notes: [],
    elapsedMs: 149,
    ...patch,
  };
}

export interface TestRecord {
  id: string;
  timestamp: number;
  status?: number;
  method?: string;
  host?: string;
  path?: string;
  cacheStatus?: string;
  bytesSent?: number;
  attributes?: Record<string, unknown>;
}

/** Columns as src/bridge/logs-frame.ts lays them out. */
export function logsColumns(records: TestRecord[]): LogsColumns {
  const fields = ['timestamp', 'body', 'severity', 'id', 'labels', 'provider', 'source', 'clientPort', 'method', 'host', 'path', 'status', 'bytesSent', 'cacheStatus', 'attributes'];
  const values: Record<string, unknown[]> = Object.fromEntries(fields.map((f) => [f, []]));
  for (const r of records) {
    const status = r.status ?? 200;
    values.timestamp.push(r.timestamp);
    values.body.push(`${r.method ?? 'GET'} ${r.host ?? 'cdn.example.com'}${r.path ?? '/'} ${status} ${r.bytesSent ?? 100}B ${r.cacheStatus ?? 'HIT'}`);
    values.severity.push(status >= 500 ? 'error' : status >= 400 ? 'warning' : 'info');
    values.id.push(r.id);
    values.labels.push({ provider: 'gcore', source: '100001', status: String(status), cacheStatus: r.cacheStatus ?? 'HIT' });
    values.provider.push('gcore');
    values.source.push('100001');
    values.clientPort.push(null);
    values.method.push(r.method ?? 'GET');
    values.host.push(r.host ?? 'cdn.example.com');
    values.path.push(r.path ?? '/');
    values.status.push(status);
    values.bytesSent.push(r.bytesSent ?? 100);
    values.cacheStatus.push(r.cacheStatus ?? 'HIT');
    values.attributes.push(r.attributes ?? {});
  }
  return { fields, values, length: records.length };
}

export function logsAnswer(records: TestRecord[], patch: Partial<BridgeAnswer> = {}): BridgeAnswer {
  return {
    queryId: 'q-1',
    state: 'done',
    progress: { windowsDone: 2, windows: 2, records: records.length, bytes: 21191 },
    mode: 'logs',
    logs: logsColumns(records),
    meta: meta({ recordsReturned: records.length }),
    ...patch,
  };
}

export function statsAnswer(stats: StatsAnswer, patch: Partial<BridgeAnswer> = {}): BridgeAnswer {
  return { queryId: 'q-s', state: 'done', progress: { windowsDone: 1, windows: 1, records: 0, bytes: 0 }, mode: 'stats', stats, meta: meta({ mode: 'stats' }), ...patch };
}
