/**
 * The exporter: one loop per source that never dies. Each loop asks the scheduler for the next
 * window, reads it through runQuery (the same planner, adapters, retries and rate limits as `query`
 * and the bridge), delivers it batch by batch with acknowledgement, and only then moves the
 * checkpoint. Failures are retried forever with capped, jittered backoff and shown in health
 * (`stalled`); only what retrying cannot fix (credentials refused, the endpoint refusing a batch,
 * an unreadable checkpoint) stops a source, with its error, while the others keep flowing.
 * A package provider's (DSA, EdgeOne) cursor waits until its hours can no longer change (3 h, 24 h);
 * meanwhile the open hours are listed again every few minutes and each new package is sent once.
 */

import { createHash } from 'node:crypto';
import { CdnLogError, isCdnLogError } from '../core/errors';
import type { CdnQuery } from '../core/query';
import type { CdnLogRecord } from '../core/record';
import { SecretScrubber, credentialValues } from '../core/secrets';
import { formatDuration, formatTime, MINUTE_MS } from '../core/time';
import type { TimeRange } from '../core/windows';
import { listedSize, type PackageLedger } from '../providers/packages';
import { runQuery, type WindowReader } from '../providers/run';
import type { ProviderAdapter } from '../providers/types';
import type { Http } from '../transport/http';
import { backoffDelayMs, type RetryPolicy, sleep as defaultSleep } from '../transport/retry';
import { type Checkpoint, type CheckpointLane, type CheckpointStore, type SourceIdentity, type TakenPackage } from './checkpoint';
import { deliverWindow, DeliveryStopped, type OtlpSender, type WindowDelivery } from './delivery';
import { FairGates } from './fair-gate';
import type { ResourceAttributes } from './mapping';
import { adaptWindowSize, DEFAULT_TARGET_RECORDS, type HorizonPass, lagMs, nextHorizonPass, nextWindow, type Pacing, windowSizes } from './scheduler';

/** One configured source, resolved: what to read, how, and where its cursor lives. */
export interface ExportSource {
  /** The configuration's name for it (a label: not part of the identity). */
  name: string;
  identity: SourceIdentity;
  adapter: ProviderAdapter<unknown, unknown>;
  credentials: unknown;
  /** Source selector, filters, options: the query of every window but its range. */
  query: Omit<CdnQuery, 'fromMs' | 'toMs' | 'limit'>;
  pacing: Pacing;
  /** Where a source without a checkpoint starts (the configured `start`, resolved once). */
  startMs: number;
  /** service.name and configured extras; provider and source are added per record. */
  resource: ResourceAttributes;
  baseUrl?: string;
  trustedPackageOrigins?: readonly string[];
  /** `live` (default), or a backfill lane with its exclusive end. */
  lane?: CheckpointLane;
  untilMs?: number;
  /** Records per window the size adaptation aims at. */
  targetRecordsPerWindow?: number;
}

export type SourceState = 'starting' | 'ok' | 'lagging' | 'stalled' | 'stopped' | 'done';

export interface UnreachableSpan extends TimeRange {
  /** When it was found. */
  atMs: number;
}

export interface SourceHealth {
  name: string;
  provider: string;
  source: string;
  dataset: string;
  lane: CheckpointLane;
  state: SourceState;
  /** Exclusive end of everything acknowledged (null before the first checkpoint). */
  checkpointMs: number | null;
  lagMs: number;
  windowSizeMs: number;
  lastSuccessMs: number | null;
  lastError: { atMs: number; kind: string; message: string } | null;
  /** The most recent spans skipped because the provider no longer serves them (at most 20). */
  unreachable: UnreachableSpan[];
  unreachableMsTotal: number;
  totals: { records: number; bytes: number; windows: number; batches: number; retries: number; rejected: number; failedWindows: number };
}

/** What the loop reports as it goes; for logs and metrics. Messages never hold a credential. */
export interface ExporterEvents {
  log?: (level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown>) => void;
}

/**
 * A store of windows the exporter reads through (the bridge's WindowCache inside `serve`): the
 * exporter's finished windows fill it for dashboards. Structural, so the exporter needs nothing of the bridge.
 */
export interface WindowStore {
  read(
    key: string,
    fetch: (http: Http, signal: AbortSignal) => AsyncIterable<CdnLogRecord[]>,
    options: { keep: boolean; http: Http; signal?: AbortSignal },
  ): { records: AsyncIterable<CdnLogRecord[]>; source(): string };
}

export interface ExporterDeps {
  http: Http;
  store: CheckpointStore;
  sender: OtlpSender;
  /** Scrubs the OTLP header values (tokens) from anything echoed back. */
  senderSecrets?: readonly string[];
  windowStore?: WindowStore;
  nowMs?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  events?: ExporterEvents;
  /** Windows read at once per provider account, shared fairly (default 2). */
  slotsPerAccount?: number;
  /** Waits between failed attempts at a window: capped at 5 min, forever. */
  failurePolicy?: RetryPolicy;
  /** Longest idle sleep, so a changed clock or a stop is noticed (default 30 s). */
  maxIdleMs?: number;
  maxBatchRecords?: number;
}

const FAILURE_POLICY: RetryPolicy = { maxAttempts: Number.POSITIVE_INFINITY, baseDelayMs: 1_000, maxDelayMs: 5 * MINUTE_MS, maxRetryAfterMs: 15 * MINUTE_MS };
const MAX_UNREACHABLE_KEPT = 20;

/** Errors retrying will not fix: the source stops and says why. */
function stopsSource(err: unknown): boolean {
  return err instanceof DeliveryStopped || isCdnLogError(err, 'AuthFailed') || isCdnLogError(err, 'BadInput');
}

class SourceLoop {
  readonly health: SourceHealth;
  private cursorMs = 0;
  private sizeMs: number;
  private packages: TakenPackage[] = [];
  private lastPass: HorizonPass | null = null;
  /** What is left of the listing of open hours under way: read a window's size at a time. */
  private openPass: TimeRange | null = null;
  private readonly scrubber: SecretScrubber;
  private readonly lane: CheckpointLane;

  constructor(
    readonly spec: ExportSource,
    private readonly exporter: Exporter,
  ) {
    this.lane = spec.lane ?? 'live';
    const sizes = windowSizes(spec.pacing);
    // Start in the middle: a quarter hour (or the nearest legal size), then adapt to what windows hold.
    this.sizeMs = sizes.filter((s) => s <= 15 * MINUTE_MS).pop() ?? sizes[0];
    this.scrubber = new SecretScrubber([...credentialValues(spec.credentials), ...(exporter.deps.senderSecrets ?? [])]);
    this.health = {
      name: spec.name,
      provider: spec.identity.provider,
      source: spec.identity.source,
      dataset: spec.identity.dataset,
      lane: this.lane,
      state: 'starting',
      checkpointMs: null,
      lagMs: 0,
      windowSizeMs: this.sizeMs,
      lastSuccessMs: null,
      lastError: null,
      unreachable: [],
      unreachableMsTotal: 0,
      totals: { records: 0, bytes: 0, windows: 0, batches: 0, retries: 0, rejected: 0, failedWindows: 0 },
    };
  }

  /** A copy of the health, its lag as of `nowMs`. */
  snapshot(nowMs: number): SourceHealth {
    const h = this.health;
    const lag = h.state === 'starting' ? 0 : lagMs(this.spec.pacing, this.cursorMs, nowMs);
    return { ...h, lagMs: lag, unreachable: [...h.unreachable], totals: { ...h.totals }, lastError: h.lastError && { ...h.lastError } };
  }

  private log(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
    this.exporter.deps.events?.log?.(level, this.scrubber.scrub(message), { source: this.spec.name, provider: this.spec.identity.provider, lane: this.lane, ...fields });
  }

  private fail(err: unknown, state: 'stalled' | 'stopped'): void {
    const raw = err instanceof Error ? err.message : String(err);
    const kind = err instanceof CdnLogError ? err.kind : 'Error';
    this.health.lastError = { atMs: this.exporter.now(), kind, message: this.scrubber.scrub(raw) };
    this.health.state = state;
    if (state === 'stalled') this.health.totals.failedWindows++;
    this.log(state === 'stopped' ? 'error' : 'warn', state === 'stopped' ? `source ${this.spec.name} stopped: ${raw}` : `source ${this.spec.name} stalled: ${raw}`, { kind });
  }

  private refreshState(nowMs: number): void {
    this.health.lagMs = lagMs(this.spec.pacing, this.cursorMs, nowMs);
    if (this.health.state === 'stopped' || this.health.state === 'done' || this.health.state === 'stalled') return;
    // Behind by more than a couple of grid steps (and 5 min): catching up, not following.
    const threshold = Math.max(2 * this.spec.pacing.gridMs, 5 * MINUTE_MS);
    this.health.state = this.health.lagMs > threshold ? 'lagging' : 'ok';
  }

  private noteUnreachable(span: TimeRange): void {
    const nowMs = this.exporter.now();
    this.health.unreachable.push({ ...span, atMs: nowMs });
    if (this.health.unreachable.length > MAX_UNREACHABLE_KEPT) this.health.unreachable.shift();
    this.health.unreachableMsTotal += span.toMs - span.fromMs;
    this.log('warn', `source ${this.spec.name}: ${formatTime(span.fromMs)}..${formatTime(span.toMs)} (${formatDuration(span.toMs - span.fromMs)}) is no longer served by the provider and was skipped`, {
      unreachableFromMs: span.fromMs,
      unreachableToMs: span.toMs,
    });
  }

  /**
   * A source starting without a checkpoint while one exists for the same source under another
   * account hash: most likely rotated credentials. Said loudly, because starting at `start` may leave
   * a gap after the old cursor; `account:` in the configuration keeps one cursor across rotations.
   */
  private async warnIfKeyedElsewhere(): Promise<void> {
    const { identity } = this.spec;
    const all = await this.exporter.deps.store.loadAll().catch(() => []);
    const other = all.find((c) => 'endMs' in c && c.lane === this.lane && c.identity.provider === identity.provider && c.identity.source === identity.source && c.identity.dataset === identity.dataset && c.identity.account !== identity.account);
    if (other && 'endMs' in other) {
      this.log(
        'warn',
        `source ${this.spec.name} has no checkpoint for these credentials, but one for the same source under other credentials ends at ${formatTime(other.endMs)}; ` +
          `it starts at ${formatTime(this.spec.startMs)}. If the key was rotated, set "account:" on the source (the checkpoint is then keyed by that label) and set "start:" to ${new Date(other.endMs).toISOString()} to leave no gap`,
      );
    }
  }

  async run(): Promise<void> {
    const { deps } = this.exporter;
    const graceful = this.exporter.graceful.signal;
    let checkpoint: Checkpoint | null;
    try {
      checkpoint = await deps.store.load(this.spec.identity, this.lane);
    } catch (err) {
      this.fail(err, 'stopped');
      return;
    }
    if (!checkpoint) await this.warnIfKeyedElsewhere();
    this.cursorMs = checkpoint?.endMs ?? this.spec.startMs;
    this.packages = checkpoint?.packages ?? [];
    this.health.checkpointMs = checkpoint?.endMs ?? null;
    this.log('info', checkpoint ? `source ${this.spec.name} resumes at ${formatTime(this.cursorMs)}` : `source ${this.spec.name} starts at ${formatTime(this.cursorMs)} (no checkpoint yet)`);
    let failures = 0;
    while (!graceful.aborted) {
      const nowMs = this.exporter.now();
      const step = nextWindow(this.spec.pacing, this.cursorMs, this.sizeMs, nowMs, this.spec.untilMs);
      if (step.unreachable) {
        this.noteUnreachable(step.unreachable);
        this.cursorMs = step.unreachable.toMs;
      }
      if (step.kind === 'done') {
        this.health.state = 'done';
        this.refreshState(nowMs);
        this.log('info', `source ${this.spec.name}: done at ${formatTime(this.cursorMs)}`);
        return;
      }
      let window: TimeRange;
      let open = false;
      if (step.kind === 'wait') {
        this.refreshState(nowMs);
        // A package provider's cursor waits for the hours to settle; meanwhile their new packages are
        // taken, a window's size at a time, so a failure repeats one window of them, not a day.
        if (this.openPass === null) {
          const pass = this.spec.untilMs === undefined ? nextHorizonPass(this.spec.pacing, this.cursorMs, nowMs, this.lastPass) : null;
          if (pass?.kind !== 'pass') {
            await this.exporter.idle(Math.min(step.untilMs, pass?.untilMs ?? step.untilMs, nowMs + (deps.maxIdleMs ?? 30_000)) - nowMs);
            continue;
          }
          this.openPass = pass.window;
        }
        // Never behind the cursor: the packages of hours it passed are forgotten.
        const fromMs = Math.max(this.openPass.fromMs, this.cursorMs);
        [window, open] = [{ fromMs, toMs: Math.min(this.openPass.toMs, fromMs + this.sizeMs) }, true];
        if (window.toMs <= window.fromMs) {
          this.openPass = null;
          continue;
        }
      } else {
        window = step.window;
      }
      try {
        await this.exportWindow(window, open);
        if (open) {
          const rest: TimeRange = { fromMs: window.toMs, toMs: this.openPass!.toMs };
          this.openPass = rest.toMs > rest.fromMs ? rest : null;
          if (this.openPass === null) this.lastPass = { atMs: this.exporter.now(), toMs: rest.toMs };
        }
        failures = 0;
      } catch (err) {
        if (graceful.aborted) return;
        if (stopsSource(err)) {
          this.fail(err, 'stopped');
          return;
        }
        failures++;
        this.fail(err, 'stalled');
        // A window past retention by now: the next step jumps over it.
        if (isCdnLogError(err, 'WindowTooOld')) continue;
        const retryAfterMs = err instanceof CdnLogError ? err.retryAfterMs : undefined;
        await this.exporter.idle(backoffDelayMs(deps.failurePolicy ?? FAILURE_POLICY, failures - 1, retryAfterMs, deps.random));
      }
    }
  }

  /**
   * Reads and delivers one window, then moves the checkpoint to its end. An `open` window (a
   * package provider's hours not yet settled) leaves the checkpoint's end where it is and adds the
   * packages it took to it. Either skips the packages taken before.
   */
  private async exportWindow(window: TimeRange, open = false): Promise<void> {
    const { deps } = this.exporter;
    const takenNow: TakenPackage[] = [];
    const ledger: PackageLedger = {
      taken: (pkg) => this.packages.some((p) => p.key === pkg.key && p.sizeBytes === listedSize(pkg)),
      read: (pkg) => takenNow.push({ key: pkg.key, sizeBytes: listedSize(pkg), fromMs: pkg.hourStartMs }),
    };
    const release = await this.exporter.gates.forAccount(this.spec.identity.provider, this.spec.identity.account).acquire(this.exporter.graceful.signal);
    let outcome: WindowDelivery;
    let endMs = window.toMs;
    // A graceful stop ends the read; the batch in flight still finishes (the hard signal ends that).
    const readSignal = AbortSignal.any([this.exporter.graceful.signal, this.exporter.hard.signal]);
    try {
      const run = runQuery(
        this.spec.adapter,
        this.spec.credentials,
        { ...this.spec.query, fromMs: window.fromMs, toMs: window.toMs, limit: Number.MAX_SAFE_INTEGER } as CdnQuery,
        {
          http: deps.http,
          unlimited: true,
          baseUrl: this.spec.baseUrl,
          nowMs: this.exporter.now,
          trustedPackageOrigins: this.spec.trustedPackageOrigins,
          packages: ledger,
          signal: readSignal,
          windowReader: this.exporter.windowReader,
        },
      );
      for (const clamp of run.meta.clamps) {
        // Retention moved between planning and reading: what it cut off is unreachable, and said so.
        if (clamp.side === 'from') this.noteUnreachable({ fromMs: window.fromMs, toMs: clamp.effectiveMs });
        else endMs = clamp.effectiveMs;
      }
      outcome = await deliverWindow(run.records, window, {
        sender: deps.sender,
        resource: this.spec.resource,
        nowMs: this.exporter.now,
        signal: this.exporter.hard.signal,
        stopping: this.exporter.graceful.signal,
        sleep: deps.sleep,
        random: deps.random,
        scrubber: this.scrubber,
        maxBatchRecords: deps.maxBatchRecords,
        onRetry: (err, attempt, delayMs) => {
          this.health.totals.retries++;
          if (attempt === 1 || attempt % 10 === 0) this.log('warn', `source ${this.spec.name}: OTLP endpoint: ${err.message}; retry ${attempt} in ${formatDuration(delayMs)}`, { kind: err.kind });
          // Retrying delivery forever is a stall as far as an operator can tell.
          if (attempt >= 3) {
            this.health.state = 'stalled';
            this.health.lastError = { atMs: this.exporter.now(), kind: err.kind, message: err.message };
          }
        },
        onBatch: (batch, result) => {
          this.health.totals.batches++;
          this.health.totals.records += batch.records;
          this.health.totals.bytes += result.bytes;
          if (result.rejected > 0) {
            this.health.totals.rejected += result.rejected;
            const message = `the OTLP endpoint accepted a batch but rejected ${result.rejected} of its ${batch.records} records: ${this.scrubber.scrub(result.rejectedMessage ?? 'no reason given')}`;
            this.health.lastError = { atMs: this.exporter.now(), kind: 'PartialSuccess', message };
            this.log('warn', `source ${this.spec.name}: ${message}`);
          }
        },
      });
      if (run.meta.truncated) throw new CdnLogError('Transient', `the read of ${formatTime(window.fromMs)}..${formatTime(window.toMs)} stopped early (${run.meta.truncatedBy}); the window is read again`);
    } finally {
      release();
    }
    if (open) endMs = this.cursorMs;
    // A package listed again with another size replaces its older entry.
    const kept = this.packages.filter((p) => !takenNow.some((t) => t.key === p.key));
    this.packages = [...kept, ...takenNow].filter((p) => p.fromMs >= endMs);
    const nowMs = this.exporter.now();
    await deps.store.save({ identity: this.spec.identity, lane: this.lane, endMs, packages: this.packages, savedAtMs: Math.floor(nowMs) });
    this.cursorMs = endMs;
    this.health.checkpointMs = endMs;
    this.health.lastSuccessMs = nowMs;
    this.health.totals.windows++;
    if (this.health.state === 'stalled' || this.health.state === 'starting') this.health.state = 'ok';
    const durationMs = (open ? window.toMs : endMs) - window.fromMs;
    this.sizeMs = adaptWindowSize(this.spec.pacing, this.sizeMs, { records: outcome.records, durationMs }, this.spec.targetRecordsPerWindow ?? DEFAULT_TARGET_RECORDS);
    this.health.windowSizeMs = this.sizeMs;
    this.refreshState(nowMs);
    const what = open ? `open hours ${formatTime(window.fromMs)}..${formatTime(window.toMs)} listed again: ${takenNow.length} new packages taken` : `${formatTime(window.fromMs)}..${formatTime(endMs)} delivered`;
    this.log('info', `source ${this.spec.name}: ${what} (${outcome.records} records, ${outcome.batches} batches)`, {
      fromMs: window.fromMs,
      toMs: open ? window.toMs : endMs,
      records: outcome.records,
      retries: outcome.retries,
      ...(open ? { packages: takenNow.length } : {}),
    });
  }
}

/**
 * Runs the loops of many sources. `start()` once; `stop()` on SIGTERM: no new window starts, the
 * window being read stops reading, the batch in flight is finished and the loops end; after
 * `deadlineMs` even that batch is abandoned (it is sent again after a restart).
 */
export class Exporter {
  readonly graceful = new AbortController();
  readonly hard = new AbortController();
  readonly gates: FairGates;
  readonly now: () => number;
  readonly windowReader: WindowReader | undefined;
  private readonly loops: SourceLoop[];
  private running: Promise<void> | null = null;

  constructor(
    sources: readonly ExportSource[],
    readonly deps: ExporterDeps,
  ) {
    const names = new Set<string>();
    for (const source of sources) {
      if (names.has(source.name)) throw new CdnLogError('BadInput', `two sources are named "${source.name}"`, { field: 'sources' });
      names.add(source.name);
    }
    this.now = deps.nowMs ?? Date.now;
    this.gates = new FairGates(deps.slotsPerAccount ?? 2);
    this.windowReader = deps.windowStore ? storeWindowReader(deps.windowStore, this.hard.signal) : undefined;
    this.loops = sources.map((source) => new SourceLoop(source, this));
  }

  start(): Promise<void> {
    this.running ??= Promise.all(this.loops.map((loop) => loop.run())).then(() => undefined);
    return this.running;
  }

  /** Sleeps, waking early on a stop. Always yields to the event loop, so no loop can spin. */
  async idle(ms: number): Promise<void> {
    if (ms <= 0 || this.graceful.signal.aborted) return new Promise((resolve) => setImmediate(resolve));
    await (this.deps.sleep ?? defaultSleep)(ms, this.graceful.signal).catch(() => undefined);
  }

  async stop(deadlineMs = 10_000): Promise<void> {
    this.graceful.abort(new CdnLogError('Transient', 'the exporter is stopping'));
    const timer = setTimeout(() => this.hard.abort(new CdnLogError('Transient', 'the exporter stopped before this batch was acknowledged')), deadlineMs);
    try {
      await (this.running ?? Promise.resolve());
    } finally {
      clearTimeout(timer);
    }
  }

  health(): SourceHealth[] {
    const nowMs = this.now();
    return this.loops.map((loop) => loop.snapshot(nowMs));
  }
}

/** Reads windows through a store, keyed as the bridge keys them, kept once they can no longer change. */
function storeWindowReader(store: WindowStore, signal: AbortSignal): WindowReader {
  return (_window, identity, download, http) => {
    const key = createHash('sha256').update(identity.key).digest('hex');
    const read = store.read(key, download, { keep: identity.settled, http, signal });
    return { records: read.records, fromStore: () => read.source() !== 'download' };
  };
}
