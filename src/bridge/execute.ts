/**
 * One bridge query from request to answer: who to call (adapter, credentials, API root), how (the
 * query runner with the window cache, the process's one HTTP client and its shared rate limits,
 * a budget), and what it has found so far (records newest first, or stats series).
 */

import { createHash } from 'node:crypto';
import { CdnLogError } from '../core/errors';
import { credentialValues } from '../core/secrets';
import type { CdnLogRecord, ProviderId } from '../core/record';
import { StatsAggregator, type StatsResult } from '../core/stats';
import { formatTime, HOUR_MS } from '../core/time';
import { demoEnv, demoSelector } from '../emulators/demo-client';
import type { EmulatorDescription } from '../emulators';
import { providerAdapter } from '../providers/registry';
import { type QueryBudget, type QueryMeta, type QueryRun, runQuery, type WindowReader } from '../providers/run';
import type { ProviderAdapter } from '../providers/types';
import type { HttpClient } from '../transport/http';
import { AnswerCache } from './answer-cache';
import type { BridgeQuery } from './api';
import { credentialEnvFromHeaders, credentialHeader } from './credentials';
import { type LogsColumns, logsColumns } from './logs-frame';
import type { WindowCache } from './window-cache';

/** Selector keys that name a source (the others only narrow it), as the CLI has them. */
const IDENTITY_KEYS = new Set(['zone', 'resource', 'cname', 'host', 'projectId', 'projectKey']);

/** API roots other than an adapter's default that a request may name (EdgeOne's international endpoint). */
const ALTERNATE_API_ORIGINS: Partial<Record<ProviderId, readonly string[]>> = {
  'tencent-edgeone': ['https://teo.intl.tencentcloudapi.com'],
};

/** Per-query bounds unless the operator sets others (README, "Budgets"). */
export const DEFAULT_BUDGET: Required<QueryBudget> = { maxRecordsScanned: 20_000_000, maxBytes: 4 * 1024 ** 3, maxMs: 5 * 60_000 };

/** Cloudflare stats over a range longer than this may sample, when the query allows it. */
const SAMPLING_AFTER_MS = 6 * HOUR_MS;
const SAMPLE_RATE = 0.1;

export interface BridgeContext {
  /** One client for the process: provider rate limits are per credential and shared by every query. */
  http: HttpClient;
  cache: WindowCache | null;
  /** In demo mode: the emulators, by provider. */
  demo: ReadonlyMap<string, EmulatorDescription> | null;
  budget: QueryBudget;
  nowMs: () => number;
  /** Counts a provider request, bytes and cache outcomes (metrics). */
  onWindow?: (provider: string, source: 'cache' | 'download' | 'shared') => void;
}

export interface BridgeMeta {
  provider: string;
  source: string;
  mode: 'logs' | 'stats';
  windows: { planned: number; done: number; fromCache: number };
  providerRequests: number;
  retries: number;
  bytesDownloaded: number;
  recordsScanned: number;
  recordsReturned: number;
  skipped: number;
  /** The range after clamping to what the provider serves, and each clamp with its reason. */
  range: { fromMs: number; toMs: number };
  clamps: QueryMeta['clamps'];
  truncated: boolean;
  /** Why the answer is partial: the limit, a budget (records, bytes, time), or cancellation. */
  truncatedReason: string | null;
  covered: { fromMs: number; toMs: number };
  sampled: number | null;
  pushedDown: QueryMeta['pushedDown'];
  notes: string[];
  elapsedMs: number;
  /** Set when the answer is one kept from an identical earlier query over settled windows. */
  answeredFromMemory?: boolean;
}

export interface QueryAnswer {
  mode: 'logs' | 'stats';
  logs?: LogsColumns;
  stats?: StatsResult;
  meta: BridgeMeta;
}

interface Prepared {
  adapter: ProviderAdapter;
  credentials: unknown;
  baseUrl: string | undefined;
  trustedPackageOrigins: string[];
}

function originOf(url: string, field: string): string {
  try {
    return new URL(url).origin;
  } catch {
    throw new CdnLogError('BadInput', `${field}: "${url.slice(0, 100)}" is not a URL`, { field });
  }
}

/**
 * Adapter, credentials and API root of a request. In demo mode a request without credentials uses
 * the emulator's demo account and, without a source, its first demo source, as `query --emulator`
 * does. The bridge calls only the providers' known hosts and its own emulators: any other baseUrl is refused.
 */
export function prepare(ctx: BridgeContext, bq: BridgeQuery, headers: Record<string, string | string[] | undefined>): Prepared {
  const adapter = providerAdapter(bq.query.provider);
  let env = credentialEnvFromHeaders(adapter, headers);
  const emulator = ctx.demo?.get(adapter.id);
  const trustedPackageOrigins: string[] = [];
  let baseUrl: string | undefined;
  if (emulator) {
    baseUrl = emulator.baseUrl;
    trustedPackageOrigins.push(originOf(emulator.baseUrl, 'baseUrl'));
    if (Object.keys(env).length === 0) env = demoEnv(adapter.id, emulator.credentials);
    if (!Object.keys(bq.query.source).some((key) => IDENTITY_KEYS.has(key))) {
      bq.query.source = { ...demoSelector(emulator.sources[0]), ...bq.query.source };
    }
  }
  if (bq.baseUrl !== undefined) {
    const asked = originOf(bq.baseUrl, 'baseUrl');
    const known = [originOf(adapter.defaultBaseUrl, 'baseUrl'), ...(ALTERNATE_API_ORIGINS[adapter.id] ?? []), ...trustedPackageOrigins];
    if (!known.includes(asked)) {
      throw new CdnLogError('BadInput', `baseUrl: the bridge calls only ${adapter.name}'s own API (${known.join(', ')}), not ${asked}`, { field: 'baseUrl' });
    }
    baseUrl = bq.baseUrl;
  }
  adapter.parseSource(bq.query.source); // a wrong source is named before missing credentials
  let credentials: unknown;
  try {
    credentials = adapter.credentialsFromEnv(env);
  } catch (err) {
    if (err instanceof CdnLogError && err.kind === 'AuthFailed') {
      const headersHint = adapter.credentialEnv.map(credentialHeader).join(', ');
      throw new CdnLogError('AuthFailed', `${err.message} (the data source sends them to the bridge as the headers ${headersHint})`, { field: err.field });
    }
    throw err;
  }
  return { adapter, credentials, baseUrl, trustedPackageOrigins };
}

/**
 * The key of a query's answer when every window it reads has settled (its end is older than the
 * provider's immutability horizon), so that the same query always gets the same answer; else null.
 */
export function settledAnswerKey(bq: BridgeQuery, prepared: Prepared, nowMs: number): string | null {
  const horizon = prepared.adapter.limits.immutableAfterMs;
  if (horizon === undefined || bq.query.toMs + horizon > nowMs) return null;
  const account = createHash('sha256').update(credentialValues(prepared.credentials).join('\n')).digest('hex');
  const { waitMs: _waitMs, ...asked } = bq;
  return AnswerCache.key([asked, account, prepared.baseUrl ?? prepared.adapter.defaultBaseUrl]);
}

/** The cache's reader for runQuery: every window through the store, kept when settled. */
function cachedWindows(ctx: BridgeContext, provider: string, signal: AbortSignal): WindowReader | undefined {
  const cache = ctx.cache;
  if (!cache) return undefined;
  return (_window, identity, download, http) => {
    const key = createHash('sha256').update(identity.key).digest('hex');
    const read = cache.read(key, download, { keep: identity.settled, http, signal });
    let counted = false;
    return {
      records: (async function* () {
        for await (const batch of read.records) {
          if (!counted) {
            counted = true;
            ctx.onWindow?.(provider, read.source());
          }
          yield batch;
        }
        if (!counted) ctx.onWindow?.(provider, read.source());
      })(),
      fromStore: () => read.source() !== 'download',
    };
  };
}

/**
 * A running query. `run()` reads it to the end (or to its limit, budget or cancellation);
 * `answer()` is what it has so far, and the final answer once `run()` has settled.
 */
export class QueryExecution {
  readonly startedMs: number;
  private readonly controller = new AbortController();
  private readonly run: QueryRun;
  private readonly records: CdnLogRecord[] = [];
  private readonly aggregator: StatsAggregator | null;
  private readonly scale: number;
  private cancelledBecause: string | null = null;

  constructor(
    private readonly ctx: BridgeContext,
    private readonly bq: BridgeQuery,
    prepared: Prepared,
  ) {
    this.startedMs = ctx.nowMs();
    const { adapter, credentials, baseUrl, trustedPackageOrigins } = prepared;
    const sampling = bq.mode === 'stats' && bq.allowSampling && adapter.id === 'cloudflare' && bq.query.options.sample === undefined && bq.query.toMs - bq.query.fromMs > SAMPLING_AFTER_MS;
    if (sampling) bq.query.options = { ...bq.query.options, sample: String(SAMPLE_RATE) };
    this.scale = bq.query.options.sample !== undefined ? 1 / Number(bq.query.options.sample) : 1;
    this.aggregator = bq.stats ? new StatsAggregator(bq.stats) : null;
    this.run = runQuery(adapter, credentials, bq.query, {
      http: ctx.http,
      baseUrl,
      trustedPackageOrigins,
      nowMs: ctx.nowMs,
      order: bq.sort,
      unlimited: bq.mode === 'stats',
      budget: ctx.budget,
      windowReader: cachedWindows(ctx, adapter.id, this.controller.signal),
      signal: this.controller.signal,
    });
  }

  get meta(): QueryMeta {
    return this.run.meta;
  }

  /** Reads the query to its end; rejects with the (scrubbed) error when it fails. */
  async read(): Promise<void> {
    try {
      for await (const batch of this.run.records) {
        if (this.aggregator) for (const r of batch) this.aggregator.add(r);
        else this.records.push(...batch);
      }
    } catch (err) {
      // A cancelled query keeps what it had; its answer says why it is partial.
      if (this.cancelledBecause === null) throw err;
    }
  }

  /** Stops the query's provider requests (unless another query shares the window being read). */
  cancel(reason: string): void {
    if (this.cancelledBecause !== null) return;
    this.cancelledBecause = reason;
    this.controller.abort(new Error(`query cancelled: ${reason}`));
  }

  get cancelled(): boolean {
    return this.cancelledBecause !== null;
  }

  /** Entries the stats aggregator holds (0 for logs): bounded whatever the number of distinct values. */
  statsStateSize(): number {
    return this.aggregator?.stateSize() ?? 0;
  }

  /** Removes credentials from a text about to leave the process. */
  scrub(text: string): string {
    return this.run.scrubber.scrub(text);
  }

  answer(): QueryAnswer {
    const m = this.run.meta;
    // A progress answer also shows the window still being read: its best records so far.
    const provisional = this.aggregator ? [] : this.run.provisional();
    const reasons: Record<string, string> = {
      limit: `the limit of ${this.bq.query.limit} records`,
      records: `the budget of ${this.ctx.budget.maxRecordsScanned} records scanned`,
      bytes: `the budget of ${this.ctx.budget.maxBytes} bytes downloaded`,
      time: `the budget of ${this.ctx.budget.maxMs} ms`,
    };
    let truncatedReason = m.truncatedBy ? `stopped at ${reasons[m.truncatedBy]}` : null;
    if (this.cancelledBecause !== null) truncatedReason = `cancelled: ${this.cancelledBecause}`;
    if (truncatedReason && m.truncated) truncatedReason += `; every record from ${formatTime(m.covered.fromMs)} to ${formatTime(m.covered.toMs)} is in`;
    const meta: BridgeMeta = {
      provider: m.provider,
      source: m.source,
      mode: this.bq.mode,
      windows: { planned: m.windows, done: m.windowsDone, fromCache: m.windowsFromStore },
      providerRequests: m.requests,
      retries: m.retries,
      bytesDownloaded: m.bytes,
      recordsScanned: m.recordsDownloaded,
      recordsReturned: this.aggregator ? m.recordsReturned : this.records.length + provisional.length,
      skipped: m.skipped,
      range: m.range,
      clamps: m.clamps,
      truncated: m.truncated || this.cancelledBecause !== null,
      truncatedReason,
      covered: m.covered,
      sampled: m.sampled,
      pushedDown: m.pushedDown,
      notes: [...m.notes],
      elapsedMs: Math.round(this.ctx.nowMs() - this.startedMs),
    };
    if (this.aggregator) return { mode: 'stats', stats: this.aggregator.result({ scale: this.scale }), meta };
    const records = provisional.length > 0 ? [...this.records, ...provisional] : this.records;
    return { mode: 'logs', logs: logsColumns(records, this.bq.query.fields), meta };
  }
}
