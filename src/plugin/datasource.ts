/**
 * The data source, thin as Grafana's GitHub data source: interpolate the query, call the bridge,
 * shape the answer. The bridge does the work (planning, provider calls, filters, aggregation); the
 * pieces live beside this file: request building (query/), frames (frames/), polling (bridge/run),
 * live tail (live.ts), Explore's filter edits (query/modify.ts), variables (variables.ts).
 */

import {
  type DataFrame,
  type DataQueryError,
  type DataQueryRequest,
  type DataQueryResponse,
  DataSourceApi,
  type DataSourceGetTagKeysOptions,
  type DataSourceGetTagValuesOptions,
  type DataSourceInstanceSettings,
  type DataSourceWithLogsContextSupport,
  type DataSourceWithQueryModificationSupport,
  type DataSourceWithSupplementaryQueriesSupport,
  type DataSourceWithToggleableQueryFiltersSupport,
  LoadingState,
  type LogRowContextOptions,
  LogRowContextQueryDirection,
  LogsVolumeType,
  type LogRowModel,
  type MetricFindValue,
  type QueryFilterOptions,
  type QueryFixAction,
  type ScopedVars,
  type SupplementaryQueryOptions,
  SupplementaryQueryType,
  type TestDataSourceResponse,
  type ToggleFilterAction,
} from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { catchError, combineLatest, lastValueFrom, last, map, merge, type Observable, of } from 'rxjs';
import { BridgeClient, BridgeError, toBridgeError } from './bridge/client';
import { POLL_MS, runBridgeQuery } from './bridge/run';
import { logRows, logsFrame } from './frames/logs';
import { frameMeta } from './frames/meta';
import { logsVolumeFrames, statsFrames } from './frames/stats';
import { LIVE_POLL_MS, liveTail } from './live';
import { providerSpec } from './providers';
import { adHocFilters, interpolateQuery, type Replace } from './query/interpolate';
import { applyModification, hasFilter, SUPPORTED_MODIFICATIONS, toggleFilter } from './query/modify';
import { bridgeBody, effectiveSource } from './query/request';
import { intervalMs } from './query/validate';
import { type BridgeAnswer, type BridgeQueryBody, type CdnLogsOptions, type CdnLogsQuery, DEFAULT_QUERY } from './types';
import { CdnLogsVariableSupport } from './variables';

/** Explore's logs volume queries carry this refId prefix. */
export const LOG_VOLUME_PREFIX = 'log-volume-';
/** Fields that are the frame's own columns or not filterable: not offered as ad-hoc keys. */
const NOT_TAG_KEYS = new Set(['timestamp', 'id', 'attributes', 'message']);
const CONTEXT_WINDOW_MS = 60 * 60_000;

interface TargetResult {
  refId: string;
  frames: DataFrame[];
  state: LoadingState;
  error?: DataQueryError;
}

export class DataSource
  extends DataSourceApi<CdnLogsQuery, CdnLogsOptions>
  implements
    DataSourceWithSupplementaryQueriesSupport<CdnLogsQuery>,
    DataSourceWithToggleableQueryFiltersSupport<CdnLogsQuery>,
    DataSourceWithQueryModificationSupport<CdnLogsQuery>,
    DataSourceWithLogsContextSupport<CdnLogsQuery>
{
  readonly client: BridgeClient;
  readonly settings: CdnLogsOptions;
  /** How often a running query is polled, and a live tail asks for new records. */
  pollMs = POLL_MS;
  livePollMs = LIVE_POLL_MS;

  constructor(instanceSettings: DataSourceInstanceSettings<CdnLogsOptions>) {
    super(instanceSettings);
    this.client = new BridgeClient(instanceSettings.url ?? '');
    this.settings = instanceSettings.jsonData ?? {};
    this.variables = new CdnLogsVariableSupport(this);
  }

  override getDefaultQuery(): Partial<CdnLogsQuery> {
    return DEFAULT_QUERY;
  }

  override filterQuery(query: CdnLogsQuery): boolean {
    return !query.hide;
  }

  private replace(): Replace {
    const templateSrv = getTemplateSrv();
    return (text, scopedVars, format) => templateSrv.replace(text, scopedVars, format);
  }

  /** One text with its `$variables` replaced. */
  replaceText(text: string, scopedVars?: ScopedVars, format?: string): string {
    return this.replace()(text, scopedVars, format);
  }

  /** The query with every `$variable` replaced and the dashboard's ad-hoc filters added. */
  interpolate(query: CdnLogsQuery, scopedVars: ScopedVars = {}, filters?: DataQueryRequest['filters']): CdnLogsQuery {
    const q = interpolateQuery(query, this.replace(), scopedVars);
    const adhoc = adHocFilters(filters);
    return adhoc.length > 0 ? { ...q, filters: [...(q.filters ?? []), ...adhoc] } : q;
  }

  override interpolateVariablesInQueries(queries: CdnLogsQuery[], scopedVars: ScopedVars, filters?: DataQueryRequest['filters']): CdnLogsQuery[] {
    return queries.map((q) => this.interpolate(q, scopedVars, filters));
  }

  private requireProvider(): string {
    if (!this.settings.provider || !providerSpec(this.settings.provider)) {
      throw new BridgeError('choose the provider of this data source in its settings (Cloudflare, Gcore, Tencent DSA, NAVER ELSA or Tencent EdgeOne)', 0, 'BadInput');
    }
    return this.settings.provider;
  }

  /** The bridge request of an interpolated query over a range. */
  body(query: CdnLogsQuery, fromMs: number, toMs: number, panelIntervalMs?: number): BridgeQueryBody {
    this.requireProvider();
    return bridgeBody(query, { settings: this.settings, fromMs, toMs, intervalMs: intervalMs(query.interval) ?? panelIntervalMs });
  }

  /** An answer (partial or whole) as the target's frames. */
  frames(query: CdnLogsQuery, answer: BridgeAnswer, body: BridgeQueryBody): DataFrame[] {
    const meta = { ...frameMeta(answer), executedQueryString: JSON.stringify(body) };
    if (query.supplementary === 'logsVolume') {
      const sourceQuery = { ...query, refId: query.refId.replace(LOG_VOLUME_PREFIX, ''), mode: 'logs' as const, supplementary: undefined };
      const volume = { logsVolumeType: LogsVolumeType.FullRange, absoluteRange: { from: body.fromMs, to: body.toMs }, datasourceName: this.name, sourceQuery };
      return logsVolumeFrames(answer.stats, query.refId, volume, meta);
    }
    if (answer.mode === 'stats') return statsFrames(answer.stats, { refId: query.refId, groupBy: body.groupBy ?? null, metric: body.metric ?? 'count', meta });
    return [logsFrame(logRows(answer.logs), { refId: query.refId, meta, searchWords: body.search ? [body.search] : undefined, limit: body.limit })];
  }

  private runTarget(query: CdnLogsQuery, request: DataQueryRequest<CdnLogsQuery>): Observable<TargetResult> {
    let body: BridgeQueryBody;
    try {
      body = this.body(query, request.range.from.valueOf(), request.range.to.valueOf(), request.intervalMs);
    } catch (err) {
      return of({ refId: query.refId, frames: [], state: LoadingState.Error, error: { refId: query.refId, message: toBridgeError(err).message } });
    }
    return runBridgeQuery(this.client, body, this.pollMs).pipe(
      map((answer) => ({
        refId: query.refId,
        frames: this.frames(query, answer, body),
        state: answer.state === 'running' ? LoadingState.Streaming : LoadingState.Done,
      })),
      catchError((err: unknown) => of({ refId: query.refId, frames: [], state: LoadingState.Error, error: { refId: query.refId, message: toBridgeError(err).message } })),
    );
  }

  query(request: DataQueryRequest<CdnLogsQuery>): Observable<DataQueryResponse> {
    const targets = request.targets.filter((t) => !t.hide).map((t) => this.interpolate(t, request.scopedVars, request.filters));
    if (targets.length === 0) return of({ data: [], state: LoadingState.Done });
    if (request.liveStreaming) {
      // Live tail is for logs; stats queries have nothing to tail.
      const live = targets.filter((t) => (t.mode ?? 'logs') === 'logs');
      if (live.length === 0) return of({ data: [], state: LoadingState.Done });
      return merge(
        ...live.map((t) => {
          try {
            return liveTail({ client: this.client, refId: t.refId, key: `cdnlogs-live-${t.refId}`, body: this.body(t, 0, 1), pollMs: this.livePollMs, queryPollMs: this.pollMs });
          } catch (err) {
            return of<DataQueryResponse>({ data: [], state: LoadingState.Error, errors: [{ refId: t.refId, message: toBridgeError(err).message }] });
          }
        }),
      );
    }
    // Partial answers of every target, merged: Streaming while one still runs (as Loki's query splitting does), then Done.
    return combineLatest(targets.map((t) => this.runTarget(t, request))).pipe(
      map((results): DataQueryResponse => {
        const errors = results.flatMap((r) => (r.error ? [r.error] : []));
        const state = results.some((r) => r.state === LoadingState.Streaming) ? LoadingState.Streaming : errors.length > 0 ? LoadingState.Error : LoadingState.Done;
        return { key: request.requestId, data: results.flatMap((r) => r.frames), state, ...(errors.length > 0 ? { errors, error: errors[0] } : {}) };
      }),
    );
  }

  // Explore: logs volume.

  getSupportedSupplementaryQueryTypes(): SupplementaryQueryType[] {
    return [SupplementaryQueryType.LogsVolume];
  }

  getSupplementaryQuery(options: SupplementaryQueryOptions, query: CdnLogsQuery): CdnLogsQuery | undefined {
    if (options.type !== SupplementaryQueryType.LogsVolume || (query.mode ?? 'logs') !== 'logs' || query.hide) return undefined;
    return {
      ...query,
      refId: `${LOG_VOLUME_PREFIX}${query.refId}`,
      mode: 'stats',
      groupBy: 'severity',
      metric: 'count',
      topK: 10,
      interval: undefined,
      fields: undefined,
      supplementary: 'logsVolume',
    };
  }

  getSupplementaryRequest(type: SupplementaryQueryType, request: DataQueryRequest<CdnLogsQuery>): DataQueryRequest<CdnLogsQuery> | undefined {
    if (type !== SupplementaryQueryType.LogsVolume) return undefined;
    const targets = request.targets.flatMap((t) => this.getSupplementaryQuery({ type }, t) ?? []);
    if (targets.length === 0) return undefined;
    return { ...request, targets, requestId: `${request.requestId}_log_volume` };
  }

  // Explore: filter for / out from log details, string filters.

  toggleQueryFilter(query: CdnLogsQuery, filter: ToggleFilterAction): CdnLogsQuery {
    return toggleFilter(query, filter);
  }

  queryHasFilter(query: CdnLogsQuery, filter: QueryFilterOptions): boolean {
    return hasFilter(query, filter.key, filter.value);
  }

  override modifyQuery(query: CdnLogsQuery, action: QueryFixAction): CdnLogsQuery {
    return applyModification(query, action);
  }

  getSupportedQueryModifications(): string[] {
    return [...SUPPORTED_MODIFICATIONS];
  }

  // Explore: log context, the same source around the row without the query's filters.

  async getLogRowContext(row: LogRowModel, options?: LogRowContextOptions, query?: CdnLogsQuery): Promise<DataQueryResponse> {
    const base = this.interpolate(query ?? { refId: 'context' }, options?.scopedVars);
    const limit = options?.limit ?? 50;
    const windowMs = options?.timeWindowMs ?? CONTEXT_WINDOW_MS;
    const at = row.timeEpochMs;
    const backward = (options?.direction ?? LogRowContextQueryDirection.Backward) === LogRowContextQueryDirection.Backward;
    const contextQuery: CdnLogsQuery = { ...base, refId: `context-${base.refId}`, mode: 'logs', filters: [], search: undefined, limit: limit + 1, sort: backward ? 'desc' : 'asc' };
    const body = backward ? this.body(contextQuery, at - windowMs, at + 1) : this.body(contextQuery, at, at + windowMs);
    try {
      const answer = await lastValueFrom(runBridgeQuery(this.client, body, this.pollMs).pipe(last()));
      // The row itself is in the range: leave it out.
      const rows = logRows(answer.logs).filter((r) => r.id !== row.rowId).slice(0, limit);
      return { data: [logsFrame(rows, { refId: contextQuery.refId, meta: frameMeta(answer) })] };
    } catch (err) {
      throw toBridgeError(err);
    }
  }

  // Dashboards: ad-hoc filters and variables.

  async getFields() {
    return lastValueFrom(this.client.fields(this.requireProvider()));
  }

  /** Distinct values of a field over a range, in the data source's default source (or the one given). */
  async getValues(field: string, fromMs: number, toMs: number, source?: Record<string, string>): Promise<Array<{ value: string; count: number }>> {
    const params: Record<string, string> = {
      provider: this.requireProvider(),
      field,
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      ...effectiveSource(this.settings.defaultSource, source),
    };
    const answer = await lastValueFrom(this.client.values(params));
    return answer.values;
  }

  override async getTagKeys(_options?: DataSourceGetTagKeysOptions<CdnLogsQuery>): Promise<MetricFindValue[]> {
    const fields = await this.getFields();
    return fields.filter((f) => !NOT_TAG_KEYS.has(f.name)).map((f) => ({ text: f.name }));
  }

  override async getTagValues(options: DataSourceGetTagValuesOptions<CdnLogsQuery>): Promise<MetricFindValue[]> {
    const range = options.timeRange;
    const toMs = range ? range.to.valueOf() : Date.now();
    const fromMs = range ? range.from.valueOf() : toMs - 60 * 60_000;
    const values = await this.getValues(options.key, fromMs, toMs);
    return values.map((v) => ({ text: v.value }));
  }

  // Settings: "Save & test".

  async testDatasource(): Promise<TestDataSourceResponse> {
    if (!this.settings.bridgeUrl) {
      return { status: 'error', message: 'Set the bridge URL (where Grafana reaches cdn-log-bridge serve, e.g. http://127.0.0.1:8787) and save again' };
    }
    const params: Record<string, string> = this.settings.provider ? { provider: this.settings.provider, ...effectiveSource(this.settings.defaultSource, undefined) } : {};
    try {
      const health = await lastValueFrom(this.client.health(params));
      return { status: 'success', message: this.settings.provider ? health.message : `${health.message}. Choose a provider to check its credentials.` };
    } catch (err) {
      return { status: 'error', message: toBridgeError(err).message };
    }
  }
}
