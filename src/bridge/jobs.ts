/**
 * Queries that outlive one HTTP answer. Grafana's data proxy waits 30 s; a cold day of Cloudflare is
 * 24 requests at 15 a minute. So a query answers within its waitMs, complete or `running` with an
 * id; the plugin polls the id for progress and the partial answer, and DELETE cancels. A finished
 * query is kept a few minutes; one nobody polls any more is cancelled, as a closed panel would want.
 */

import { randomUUID } from 'node:crypto';
import { CdnLogError, isCdnLogError } from '../core/errors';
import type { QueryAnswer, QueryExecution } from './execute';
import { inQueryTerms } from './hints';

export type JobState = 'running' | 'done' | 'failed' | 'cancelled';

export interface JobError {
  kind: string;
  message: string;
  field?: string;
}

export interface JobView extends QueryAnswer {
  queryId: string;
  state: JobState;
  progress: { windowsDone: number; windows: number; records: number; bytes: number };
  error?: JobError;
}

export interface JobOptions {
  /** How long a finished query's answer stays readable. */
  keepFinishedMs: number;
  /** A running query not polled for this long is cancelled. */
  abandonAfterMs: number;
  /** Queries running at once; past it new ones are refused (429). */
  maxRunning: number;
}

export const DEFAULT_JOB_OPTIONS: JobOptions = { keepFinishedMs: 5 * 60_000, abandonAfterMs: 60_000, maxRunning: 64 };

/** The error a failed query answers with: kind and message only (no cause, no stack), scrubbed. */
export function jobError(err: unknown, scrub: (text: string) => string): JobError {
  if (isCdnLogError(err)) return { kind: err.kind, message: inQueryTerms(scrub(err.message)), ...(err.field ? { field: err.field } : {}) };
  return { kind: 'Internal', message: scrub(`unexpected error: ${(err as Error)?.message ?? String(err)}`) };
}

export class QueryJob {
  readonly id = randomUUID();
  state: JobState = 'running';
  error: JobError | undefined;
  finishedMs: number | null = null;
  lastSeenMs: number;
  /** Settles when the query does (never rejects). */
  readonly settled: Promise<void>;

  constructor(
    readonly execution: QueryExecution,
    private readonly nowMs: () => number,
  ) {
    this.lastSeenMs = nowMs();
    this.settled = execution.read().then(
      () => this.finish(execution.cancelled ? 'cancelled' : 'done'),
      (err: unknown) => {
        this.error = jobError(err, (t) => execution.scrub(t));
        this.finish('failed');
      },
    );
  }

  private finish(state: JobState): void {
    this.state = state;
    this.finishedMs = this.nowMs();
  }

  cancel(reason: string): void {
    if (this.state === 'running') this.execution.cancel(reason);
  }

  view(): JobView {
    const answer = this.execution.answer();
    const meta = this.execution.meta;
    return {
      queryId: this.id,
      state: this.state,
      progress: { windowsDone: meta.windowsDone, windows: meta.windows, records: meta.recordsReturned, bytes: meta.bytes },
      ...answer,
      ...(this.error ? { error: this.error } : {}),
    };
  }
}

export class JobRegistry {
  private readonly jobs = new Map<string, QueryJob>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly options: JobOptions,
    private readonly nowMs: () => number,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(options.abandonAfterMs, options.keepFinishedMs, 10_000));
    this.sweeper.unref();
  }

  get running(): number {
    let n = 0;
    for (const job of this.jobs.values()) if (job.state === 'running') n++;
    return n;
  }

  start(execution: QueryExecution): QueryJob {
    if (this.running >= this.options.maxRunning) {
      execution.cancel('too many queries running');
      throw new CdnLogError('RateLimited', `the bridge is running ${this.options.maxRunning} queries already; retry shortly`, { retryAfterMs: 5_000 });
    }
    const job = new QueryJob(execution, this.nowMs);
    this.jobs.set(job.id, job);
    return job;
  }

  get(id: string): QueryJob | undefined {
    const job = this.jobs.get(id);
    if (job) job.lastSeenMs = this.nowMs();
    return job;
  }

  delete(id: string): QueryJob | undefined {
    const job = this.jobs.get(id);
    job?.cancel('cancelled by the client (DELETE)');
    return job;
  }

  /** Cancels every running query (shutdown after the grace period). */
  cancelAll(reason: string): void {
    for (const job of this.jobs.values()) job.cancel(reason);
  }

  async drain(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((job) => job.settled));
  }

  sweep(): void {
    const now = this.nowMs();
    for (const [id, job] of this.jobs) {
      if (job.state === 'running' && now - job.lastSeenMs > this.options.abandonAfterMs) job.cancel(`not polled for ${Math.round((now - job.lastSeenMs) / 1000)} s`);
      if (job.finishedMs !== null && now - job.finishedMs > this.options.keepFinishedMs) this.jobs.delete(id);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
