/**
 * The plugin's own shapes: the panel query as Grafana stores it (strings where a `$variable` may
 * stand), the data source settings, and the bridge's answer as the plugin reads it.
 */

import type { DataQuery, DataSourceJsonData } from '@grafana/data';
import type { FilterOperator } from '../core/filter';
import type { ProviderId } from '../core/record';
import type { StatsMetric } from '../core/stats';

export type QueryMode = 'logs' | 'stats';

/** One filter row. `value` is text (a `$variable`, or `a,b` for in / not in) until the query runs. */
export interface QueryFilter {
  field: string;
  op: FilterOperator;
  value: string;
}

/** The source selector: the bridge's keys (zone, resource, cname, host, layer, domain, proxy, projectId, projectKey). */
export type SourceSelector = Record<string, string>;

export interface CdnLogsQuery extends DataQuery {
  mode?: QueryMode;
  /** Overrides the data source's default source; empty keys are ignored. */
  source?: SourceSelector;
  filters?: QueryFilter[];
  search?: string;
  /** Record fields wanted (all when empty). */
  fields?: string[];
  limit?: number;
  sort?: 'desc' | 'asc';
  /** Stats: a record field, attributes.<name> or statusClass; empty: one series. */
  groupBy?: string;
  metric?: StatsMetric;
  topK?: number;
  /** Stats bucket width, e.g. `5m` or `$__interval`; empty: the panel's interval. */
  interval?: string;
  /** Stats over Cloudflare ranges longer than 6 h may be sampled (counts scaled back). */
  allowSampling?: boolean;
  /** Set on the query that feeds Explore's logs volume histogram. */
  supplementary?: 'logsVolume';
}

export const DEFAULT_QUERY: Partial<CdnLogsQuery> = { mode: 'logs', limit: 1000, sort: 'desc' };

export interface CdnLogsOptions extends DataSourceJsonData {
  /** The bridge's base URL as Grafana's server reaches it, e.g. http://bridge:8787. */
  bridgeUrl?: string;
  provider?: ProviderId;
  defaultSource?: SourceSelector;
  /** An API root other than the provider's default (EdgeOne's international endpoint). */
  apiBaseUrl?: string;
  /** Cloudflare: an API token, or email + Global API key. */
  cloudflareAuth?: 'token' | 'key';
  /** Seconds the data proxy waits for the bridge (Grafana reads jsonData.timeout). */
  timeout?: number;
}

/** secureJsonData: the bridge token and one key per credential variable (providers.ts secureKey). */
export type CdnLogsSecureData = Record<string, string>;

export interface BridgeFilter {
  field: string;
  op: FilterOperator;
  value: string | string[];
}

/** The body of POST /api/v1/query (src/bridge/api.ts). */
export interface BridgeQueryBody {
  provider: string;
  source?: Record<string, string>;
  fromMs: number;
  toMs: number;
  filters?: BridgeFilter[];
  search?: string;
  fields?: string[];
  limit?: number;
  mode: QueryMode;
  sort?: 'desc' | 'asc';
  groupBy?: string | null;
  metric?: StatsMetric;
  intervalMs?: number;
  topK?: number;
  waitMs?: number;
  allowSampling?: boolean;
  baseUrl?: string;
}

export interface LogsColumns {
  fields: string[];
  values: Record<string, unknown[]>;
  length: number;
}

export interface StatsAnswer {
  fromMs: number;
  intervalMs: number;
  times: number[];
  series: Array<{ group: string; other: boolean; values: Array<number | null>; total: number | null }>;
  approximate: boolean;
  recordsCounted: number;
}

export interface BridgeMeta {
  provider: string;
  source: string;
  mode: QueryMode;
  windows: { planned: number; done: number; fromCache: number };
  providerRequests: number;
  retries: number;
  bytesDownloaded: number;
  recordsScanned: number;
  recordsReturned: number;
  skipped: number;
  range: { fromMs: number; toMs: number };
  clamps: Array<{ side: 'from' | 'to'; requestedMs: number; effectiveMs: number; reason: string }>;
  truncated: boolean;
  truncatedReason: string | null;
  covered: { fromMs: number; toMs: number };
  sampled: number | null;
  pushedDown: BridgeFilter[];
  notes: string[];
  elapsedMs: number;
  answeredFromMemory?: boolean;
}

export type BridgeState = 'running' | 'done' | 'failed' | 'cancelled';

/** A query's answer, first or polled (src/bridge/jobs.ts JobView). */
export interface BridgeAnswer {
  queryId: string;
  state: BridgeState;
  progress: { windowsDone: number; windows: number; records: number; bytes: number };
  mode: QueryMode;
  logs?: LogsColumns;
  stats?: StatsAnswer;
  meta: BridgeMeta;
  error?: { kind: string; message: string; field?: string };
}

export interface BridgeField {
  name: string;
  type: 'string' | 'number' | 'time' | 'enum';
  description: string;
  values?: string[];
}

export interface BridgeValues {
  field: string;
  complete: boolean;
  values: Array<{ value: string; count: number }>;
  other: number;
}

/** The query of a template variable (CustomVariableSupport). */
export interface CdnLogsVariableQuery extends DataQuery {
  /** `values`: the distinct values of `field`; `fields`: the field names. */
  kind: 'values' | 'fields';
  field?: string;
  source?: SourceSelector;
}
