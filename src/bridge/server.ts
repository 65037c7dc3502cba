/**
 * The bridge's HTTP API (fastify), behind Grafana's data proxy or for curl: query (logs or stats,
 * answered within waitMs or polled), fields, values, health and metrics. Every route but /metrics
 * needs the bridge token; provider credentials come per request as headers and are never stored,
 * logged or echoed. Hostile input gets a 4xx naming what was wrong; a provider failure a 502 with its
 * kind; nothing a request sends or a provider answers takes the service down.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import pino, { type DestinationStream } from 'pino';
import type { Registry } from 'prom-client';
import { CdnLogError, type ErrorKind, isCdnLogError } from '../core/errors';
import { FIELD_CATALOGUE } from '../core/fields';
import { isProviderId } from '../core/record';
import { credentialValues, SecretScrubber } from '../core/secrets';
import type { EmulatorFleet } from '../emulators';
import { availableProviders, providerAdapter } from '../providers/registry';
import { emptyStats } from '../providers/types';
import { HttpClient, type HttpClientOptions } from '../transport/http';
import { parseBridgeQuery } from './api';
import { allCredentialHeaders } from './credentials';
import { AnswerCache } from './answer-cache';
import { type BridgeContext, DEFAULT_BUDGET, prepare, QueryExecution, settledAnswerKey } from './execute';
import { DEFAULT_JOB_OPTIONS, type JobOptions, JobRegistry, type JobView, type QueryJob } from './jobs';
import { BridgeMetrics } from './metrics';
import { inQueryTerms } from './hints';
import { WindowCache } from './window-cache';

export interface BridgeOptions {
  host?: string;
  port?: number;
  /** Required: every route but /metrics checks it (constant time). */
  token: string;
  /** Where settled windows are kept (the providers' answers, as tapes), and recent ones taped while queries share their download. */
  cacheDir?: string;
  cacheMaxBytes?: number;
  /** Demo mode: running emulators; requests without credentials use their demo accounts. */
  demo?: EmulatorFleet | null;
  budget?: BridgeContext['budget'];
  jobs?: Partial<JobOptions>;
  http?: HttpClientOptions;
  /** Where the JSON log lines go (default stdout). */
  logDestination?: DestinationStream;
  logLevel?: string;
  nowMs?: () => number;
  /** Bound on the answers kept in memory for repeated queries over settled ranges. */
  answerCacheMaxBytes?: number;
  /**
   * Runs an exporter in this process (`serve --config`): given the bridge's client (rate limits
   * shared with dashboards), window cache (exported windows are then cached for them) and metrics
   * registry, before the bridge listens; its health is GET /api/v1/exporter, it stops first on close.
   */
  exporter?: (parts: BridgeParts) => AttachedExporter;
}

export interface BridgeParts {
  http: HttpClient;
  cache: WindowCache | null;
  registry: Registry;
  log: (level: 'info' | 'warn' | 'error', message: string, fields: object) => void;
}

export interface AttachedExporter {
  health(): { status: 'ok' | 'degraded'; sources: unknown[] };
  /** Finishes the batch in flight and keeps the checkpoints. */
  stop(): Promise<void>;
}

export interface RunningBridge {
  url: string;
  app: FastifyInstance;
  metrics: BridgeMetrics;
  jobs: JobRegistry;
  cache: WindowCache | null;
  /** Stops accepting, lets running queries finish within graceMs, cancels the rest, closes. */
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_BRIDGE_PORT = 8787;
export const DEFAULT_CACHE_MAX_BYTES = 2 * 1024 ** 3;
export const DEFAULT_ANSWER_CACHE_MAX_BYTES = 64 * 1024 ** 2;

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  BadInput: 400,
  WindowTooOld: 400,
  WindowTooRecent: 400,
  AuthFailed: 403,
  RateLimited: 502,
  WindowTooLong: 502,
  Transient: 502,
  TooLarge: 502,
  ProviderError: 502,
};

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Query-string values of a GET route, as one string each (a repeated key keeps the first). */
function params(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') out[key] = first;
  }
  return out;
}

/** Source selector keys a GET route takes as query parameters. */
const SELECTOR_PARAMS = ['zone', 'resource', 'cname', 'host', 'layer', 'proxy', 'domain', 'projectId', 'projectKey'];

export async function startBridge(options: BridgeOptions): Promise<RunningBridge> {
  if (!options.token) throw new CdnLogError('BadInput', 'token: the bridge needs a token (--token or CDN_LOG_BRIDGE_TOKEN)', { field: 'token' });
  const nowMs = options.nowMs ?? Date.now;
  const tokenDigest = digest(options.token);
  const metrics = new BridgeMetrics();
  const cache = options.cacheDir ? await WindowCache.open({ dir: options.cacheDir, maxBytes: options.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES }) : null;
  const demo = options.demo ? new Map(options.demo.describe().map((d) => [d.provider, d])) : null;
  const http = new HttpClient(options.http);
  const ctx: BridgeContext = {
    http,
    cache,
    demo,
    budget: options.budget ?? DEFAULT_BUDGET,
    nowMs,
    onWindow: (provider, source) => metrics.windows.inc({ provider, source }),
  };
  const jobs = new JobRegistry({ ...DEFAULT_JOB_OPTIONS, ...options.jobs }, nowMs);
  const answers = new AnswerCache<JobView>(options.answerCacheMaxBytes ?? DEFAULT_ANSWER_CACHE_MAX_BYTES);
  // The bridge's own token and every provider credential header: never in a log line.
  const secretHeaders = ['authorization', ...allCredentialHeaders(availableProviders().map((id) => providerAdapter(id)))];
  const logger = pino(
    {
      level: options.logLevel ?? 'info',
      base: { service: 'cdn-log-bridge' },
      redact: { paths: secretHeaders.map((h) => `req.headers["${h}"]`), censor: '[redacted]' },
    },
    options.logDestination,
  );
  // fastify's own request lines are off: the onResponse hook logs one line per request, without headers.
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger, bodyLimit: 1024 * 1024, logController: new LogController({ disableRequestLogging: true }), return503OnClosing: true });

  app.addHook('onRequest', async (request) => {
    (request as { startedAt?: number }).startedAt = performance.now();
    if (request.url === '/metrics' || request.url.startsWith('/metrics?')) return;
    const auth = header(request, 'authorization') ?? '';
    const given = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
    if (!timingSafeEqual(digest(given), tokenDigest)) {
      throw new HttpError(401, 'Unauthorized', given ? 'the bridge token is wrong' : 'send the bridge token as Authorization: Bearer <token>');
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
    const startedAt = (request as { startedAt?: number }).startedAt;
    if (startedAt !== undefined) metrics.httpLatency.observe({ route }, (performance.now() - startedAt) / 1000);
    request.log.info({ method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'answered');
  });

  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof HttpError) return reply.code(error.status).send({ error: { kind: error.kind, message: error.message } });
    if (isCdnLogError(error)) {
      metrics.errors.inc({ kind: error.kind });
      return reply.code(STATUS_BY_KIND[error.kind]).send({ error: { kind: error.kind, message: inQueryTerms(error.message), ...(error.field ? { field: error.field } : {}) } });
    }
    const e = error as { statusCode?: number; code?: string; message?: string };
    // fastify's own refusals: a body that is not JSON, too large, a wrong content type.
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(e.statusCode).send({ error: { kind: 'BadInput', message: `request: ${e.message ?? 'malformed'}` } });
    }
    metrics.errors.inc({ kind: 'Internal' });
    request.log.error({ err: { message: e?.message, code: e?.code } }, 'unexpected error');
    return reply.code(500).send({ error: { kind: 'Internal', message: 'unexpected error in the bridge; its log has the details' } });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: { kind: 'NotFound', message: `no route ${request.method} ${request.url.split('?')[0]}; see GET /api/v1/health` } });
  });

  /** The job's answer, with the HTTP status its state calls for. */
  function reply(res: FastifyReply, job: QueryJob): FastifyReply {
    const view: JobView = job.view();
    if (view.state === 'failed' && view.error) {
      const status = STATUS_BY_KIND[view.error.kind as ErrorKind] ?? 500;
      return res.code(status).send({ error: view.error, queryId: view.queryId, state: view.state, meta: view.meta });
    }
    return res.code(200).send(view);
  }

  function watch(job: QueryJob, provider: string, mode: string, answerKey: string | null = null): void {
    metrics.queriesRunning.inc();
    job.settled.then(() => {
      metrics.queriesRunning.dec();
      const m = job.execution.meta;
      // A whole answer over settled windows is the same next time: keep it (not one a budget cut short).
      if (answerKey !== null && job.state === 'done' && (m.truncatedBy === null || m.truncatedBy === 'limit')) {
        const view = job.view();
        answers.set(answerKey, view, JSON.stringify(view).length);
      }
      metrics.providerRequests.inc({ provider }, m.requests);
      metrics.providerBytes.inc({ provider }, m.bytes);
      metrics.queryDuration.observe({ provider, mode, state: job.state }, (nowMs() - job.execution.startedMs) / 1000);
      if (job.error) metrics.errors.inc({ kind: job.error.kind });
      app.log.info(
        { queryId: job.id, provider, mode, state: job.state, windows: m.windows, fromCache: m.windowsFromStore, requests: m.requests, bytes: m.bytes, records: m.recordsReturned, error: job.error },
        'query finished',
      );
    });
  }

  /** Waits for the job up to waitMs; a client that goes away before its answer cancels the query. */
  async function waitFor(job: QueryJob, waitMs: number, res: FastifyReply): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let onClose: (() => void) | undefined;
    const gone = new Promise<void>((resolve) => {
      onClose = () => {
        if (res.raw.writableEnded) return;
        job.cancel('the client closed the connection');
        resolve();
      };
      res.raw.once('close', onClose);
    });
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    await Promise.race([job.settled, timeout, gone]);
    clearTimeout(timer);
    if (onClose) res.raw.off('close', onClose);
  }

  app.post('/api/v1/query', async (request, res) => {
    const bq = parseBridgeQuery(request.body, nowMs());
    const prepared = prepare(ctx, bq, request.headers);
    const answerKey = settledAnswerKey(bq, prepared, nowMs());
    const known = answerKey === null ? undefined : answers.get(answerKey);
    if (known) {
      metrics.answersFromMemory.inc();
      return res.code(200).send({ ...known, meta: { ...known.meta, answeredFromMemory: true } });
    }
    let job: QueryJob;
    try {
      job = jobs.start(new QueryExecution(ctx, bq, prepared));
    } catch (err) {
      if (isCdnLogError(err, 'RateLimited')) throw new HttpError(429, 'Busy', err.message);
      throw err;
    }
    watch(job, prepared.adapter.id, bq.mode, answerKey);
    await waitFor(job, bq.waitMs, res);
    // The client has its answer now: the abandonment clock starts here.
    job.lastSeenMs = nowMs();
    return reply(res, job);
  });

  app.get('/api/v1/query/:id', async (request, res) => {
    const job = jobs.get((request.params as { id: string }).id);
    if (!job) throw new HttpError(404, 'NotFound', 'no such query: it finished more than a few minutes ago, or never existed');
    return reply(res, job);
  });

  app.delete('/api/v1/query/:id', async (request, res) => {
    const job = jobs.delete((request.params as { id: string }).id);
    if (!job) throw new HttpError(404, 'NotFound', 'no such query');
    await job.settled;
    return reply(res, job);
  });

  app.get('/api/v1/fields', async (request) => {
    const provider = params(request).provider;
    if (provider !== undefined && !isProviderId(provider)) providerAdapter(provider);
    const fields = FIELD_CATALOGUE.filter((f) => provider === undefined || (f.providers as readonly string[]).includes(provider));
    return { fields: fields.map((f) => ({ name: f.name, type: f.type, description: f.description, ...(f.values ? { values: f.values } : {}) })) };
  });

  app.get('/api/v1/values', async (request, res) => {
    const p = params(request);
    if (!p.field) throw new CdnLogError('BadInput', 'field: required (a record field, attributes.<name> or statusClass)', { field: 'field' });
    const limit = p.limit === undefined ? 100 : Number(p.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new CdnLogError('BadInput', 'limit: a whole number from 1 to 100', { field: 'limit' });
    const source = Object.fromEntries(SELECTOR_PARAMS.filter((k) => p[k] !== undefined).map((k) => [k, p[k]]));
    const body = { provider: p.provider, source, from: p.from ?? '-1h', to: p.to ?? 'now', mode: 'stats', groupBy: p.field, metric: 'count', topK: limit, waitMs: 25_000 };
    const bq = parseBridgeQuery(body, nowMs());
    if (bq.stats) bq.stats = { ...bq.stats, intervalMs: bq.stats.toMs - bq.stats.fromMs };
    const prepared = prepare(ctx, bq, request.headers);
    const job = jobs.start(new QueryExecution(ctx, bq, prepared));
    watch(job, prepared.adapter.id, 'values');
    await waitFor(job, bq.waitMs, res);
    const view = job.view();
    if (view.state === 'failed') return reply(res, job);
    const series = view.stats?.series ?? [];
    return {
      field: p.field,
      complete: view.state === 'done',
      approximate: view.stats?.approximate ?? false,
      values: series.filter((s) => !s.other).map((s) => ({ value: s.group, count: s.total })),
      other: series.find((s) => s.other)?.total ?? 0,
      meta: view.meta,
    };
  });

  app.get('/api/v1/health', async (request) => {
    const p = params(request);
    if (p.provider === undefined) {
      return { status: 'ok', message: `the bridge is up${demo ? ' in demo mode' : ''}; add ?provider=<id> and its source to check a data source`, providers: availableProviders(), running: jobs.running, cache: cache?.stats() ?? null };
    }
    const source = Object.fromEntries(SELECTOR_PARAMS.filter((k) => p[k] !== undefined).map((k) => [k, p[k]]));
    const bq = parseBridgeQuery({ provider: p.provider, source, from: '-1h', mode: 'logs' }, nowMs());
    const prepared = prepare(ctx, bq, request.headers);
    const { adapter, credentials } = prepared;
    const scrubber = new SecretScrubber(credentialValues(credentials));
    try {
      const message = await adapter.checkAccess({
        http,
        baseUrl: prepared.baseUrl ?? adapter.defaultBaseUrl,
        credentials,
        source: adapter.parseSource(bq.query.source),
        filters: [],
        options: {},
        stats: emptyStats(),
        nowMs,
        stillWanted: () => undefined,
        maxDecodedBytes: adapter.limits.maxBodyBytes ?? 1024 ** 3,
        trustedPackageOrigins: prepared.trustedPackageOrigins,
        signal: AbortSignal.timeout(25_000),
      });
      return { status: 'ok', message: inQueryTerms(scrubber.scrub(message)) };
    } catch (err) {
      if (isCdnLogError(err)) throw new CdnLogError(err.kind, scrubber.scrub(err.message), { field: err.field, status: err.status });
      throw err;
    }
  });

  const attached = options.exporter?.({ http, cache, registry: metrics.registry, log: (level, message, fields) => logger[level](fields, message) });
  app.get('/api/v1/exporter', async (_request, reply) => {
    if (!attached) throw new HttpError(404, 'NotFound', 'no exporter runs in this bridge: start it with serve --config FILE, or run cdn-log-bridge export');
    const body = attached.health();
    return reply.code(body.status === 'ok' ? 200 : 503).send(body);
  });

  app.get('/metrics', async (_request, res) => {
    res.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  let address: string;
  try {
    address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? DEFAULT_BRIDGE_PORT });
  } catch (err) {
    // A port in use: leave nothing open behind the error.
    await attached?.stop();
    jobs.close();
    await Promise.all([app.close(), cache?.close(), http.close()]);
    throw err;
  }
  app.log.info({ url: address, demo: demo !== null, cache: cache !== null }, 'bridge listening');
  return {
    url: address,
    app,
    metrics,
    jobs,
    cache,
    close: async (graceMs = 30_000) => {
      await attached?.stop();
      const closing = app.close();
      const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([jobs.drain(), grace]);
      jobs.cancelAll('the bridge is shutting down');
      await jobs.drain();
      await closing;
      jobs.close();
      await cache?.close();
      await http.close();
    },
  };
}
