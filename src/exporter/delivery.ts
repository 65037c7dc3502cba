/**
 * Delivery of one window: records are cut into batches under Loki's default burst (≤ 4000 records,
 * ≤ 4 MiB encoded), in the form the sender keeps them (BatchFormat: mapped logs cut by an estimate
 * of their size, or protobuf written as records arrive and cut by its exact size), and sent one
 * batch at a time through a sender that resolves only when the endpoint acknowledged the batch.
 * The window counts as delivered only when every batch was acknowledged: the caller moves the
 * checkpoint then, and not before (lessons #4).
 *
 * Retryable refusals (429, 5xx, 408, network errors, timeouts) are retried forever with capped,
 * jittered backoff that honours Retry-After (transport/retry.ts's backoff). Other refusals stop
 * the source with a message that says what the endpoint said and what happens to the window.
 */

import { CdnLogError, isRetryable } from '../core/errors';
import type { CdnLogRecord } from '../core/record';
import type { SecretScrubber } from '../core/secrets';
import { formatTime } from '../core/time';
import type { TimeRange } from '../core/windows';
import { backoffDelayMs, type RetryPolicy, sleep as defaultSleep } from '../transport/retry';
import { type MappedLog, mapRecord, type ResourceAttributes, resourceOf } from './mapping';

/** Loki's default burst: a batch never holds more. */
export const MAX_BATCH_RECORDS = 4000;
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** Forever, but never hammering: waits grow to 30 s; a Retry-After is honoured up to 5 min. */
export const DELIVERY_RETRY: RetryPolicy = { maxAttempts: Number.POSITIVE_INFINITY, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 5 * 60_000 };

/** One request's worth of records, as delivery sees it whatever form the sender keeps it in. */
export interface Batch {
  readonly records: number;
}

export interface ResourceLogs {
  resource: ResourceAttributes;
  logs: MappedLog[];
}

/** Mapped logs grouped by resource (a DSA source of several hosts has one per host): the official and file senders' batch. */
export interface LogBatch extends Batch {
  resourceLogs: ResourceLogs[];
  records: number;
  /** The estimate the batch was cut by (upper bound of the protobuf size). */
  estimatedBytes: number;
}

export interface BatchBounds {
  maxRecords: number;
  /** Of the encoded request. */
  maxBytes: number;
}

/** Fills one batch after another, record by record. */
export interface BatchBuilder<B extends Batch> {
  /**
   * Adds a record; returns the full batch it closed, if adding it would have passed a bound. The
   * records of one source come with one resource object.
   */
  add(record: CdnLogRecord, resource: ResourceAttributes, observedMs: number): B | null;
  /** The batch so far (null when empty), and a fresh start. */
  take(): B | null;
}

/** How a sender's batches are made, and halved for a 413. */
export interface BatchFormat<B extends Batch> {
  builder(bounds: BatchBounds): BatchBuilder<B>;
  /** Two halves by records, in order, each record with its resource. */
  split(batch: B): [B, B];
  /** Delivery is done with a batch it built (acknowledged or given up; called once): its memory may be reused. */
  release?(batch: B): void;
}

export interface SendResult {
  /** Bytes sent on the wire (after compression, if any). */
  bytes: number;
  /** Records the endpoint acknowledged but said it did not keep (OTLP partial success); retrying does not help. */
  rejected: number;
  rejectedMessage?: string;
}

/**
 * Sends one batch and resolves when the endpoint acknowledged it. Rejects with a CdnLogError:
 * `Transient` / `RateLimited` (with retryAfterMs) are retried; `TooLarge` (HTTP 413) splits the
 * batch; anything else (`BadInput` for a 400, `AuthFailed` for 401/403, `ProviderError`) stops the
 * source. `status` carries the HTTP status (or the gRPC code's HTTP equivalent).
 */
export interface OtlpSender<B extends Batch = Batch> {
  /** For messages: `http/protobuf to http://collector:4318/v1/logs`. Never holds a header value. */
  readonly description: string;
  /** The form of the batches `send` takes: MAPPED_BATCHES, or the sender's own. */
  readonly batches: BatchFormat<B>;
  send(batch: B, signal: AbortSignal): Promise<SendResult>;
}

/** The classification of a sender's failure that is not retried. */
export class DeliveryStopped extends CdnLogError {
  constructor(message: string, status: number | undefined, cause: unknown) {
    super(status === 401 || status === 403 ? 'AuthFailed' : 'ProviderError', message, { status, cause });
  }
}

/**
 * An upper bound of a log's protobuf size (and near its OTLP/JSON size): field overhead per
 * attribute and the text itself. UTF-16 length × 3 bounds the UTF-8 bytes of any text.
 */
export function estimateLogBytes(log: MappedLog): number {
  let bytes = 64 + utf8Bound(log.body);
  for (const key in log.attributes) {
    const value = log.attributes[key];
    bytes += 16 + utf8Bound(key);
    if (typeof value === 'string') bytes += utf8Bound(value);
    else if (Array.isArray(value)) for (const v of value) bytes += 8 + utf8Bound(v);
    else bytes += 10;
  }
  return bytes;
}

function utf8Bound(text: string): number {
  // ASCII is by far the common case: exact for it, ×3 bound only when a code unit is wider.
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return text.length * 3;
  return text.length;
}

/** Maps records and cuts them into LogBatches under both bounds (by the estimate), grouped by source. */
export class Batcher implements BatchBuilder<LogBatch> {
  private groups = new Map<string, ResourceLogs>();
  private records = 0;
  private bytes = 0;

  constructor(
    private readonly maxRecords = MAX_BATCH_RECORDS,
    private readonly maxBytes = MAX_BATCH_BYTES,
  ) {}

  add(record: CdnLogRecord, resource: ResourceAttributes, observedMs: number): LogBatch | null {
    const log = mapRecord(record, observedMs);
    const size = estimateLogBytes(log);
    const full = this.records > 0 && (this.records + 1 > this.maxRecords || this.bytes + size > this.maxBytes) ? this.take() : null;
    let group = this.groups.get(record.source);
    if (!group) this.groups.set(record.source, (group = { resource, logs: [] }));
    group.logs.push(log);
    this.records++;
    this.bytes += size;
    return full;
  }

  take(): LogBatch | null {
    if (this.records === 0) return null;
    const batch: LogBatch = { resourceLogs: [...this.groups.values()], records: this.records, estimatedBytes: this.bytes };
    this.groups = new Map();
    this.records = 0;
    this.bytes = 0;
    return batch;
  }
}

/** Splits a batch in two halves by records (for a 413). */
export function splitBatch(batch: LogBatch): [LogBatch, LogBatch] {
  const flat = batch.resourceLogs.flatMap((group) => group.logs.map((log) => ({ group, log })));
  const half = Math.ceil(flat.length / 2);
  const build = (part: typeof flat): LogBatch => {
    const groups = new Map<ResourceLogs, ResourceLogs>();
    let estimatedBytes = 0;
    for (const { group, log } of part) {
      let out = groups.get(group);
      if (!out) groups.set(group, (out = { resource: group.resource, logs: [] }));
      out.logs.push(log);
      estimatedBytes += estimateLogBytes(log);
    }
    return { resourceLogs: [...groups.values()], records: part.length, estimatedBytes };
  };
  return [build(flat.slice(0, half)), build(flat.slice(half))];
}

/** Batches of mapped logs, for senders that hand records to the OpenTelemetry serializers. */
export const MAPPED_BATCHES: BatchFormat<LogBatch> = {
  builder: (bounds) => new Batcher(bounds.maxRecords, bounds.maxBytes),
  split: splitBatch,
};

export interface DeliveryHooks<B extends Batch = Batch> {
  /** After each acknowledged batch. */
  onBatch?: (batch: B, result: SendResult) => void;
  /** Before each wait for a retry. */
  onRetry?: (err: CdnLogError, attempt: number, delayMs: number) => void;
}

export interface DeliveryOptions<B extends Batch = Batch> extends DeliveryHooks<B> {
  sender: OtlpSender<B>;
  /** The source's resource attributes without provider and source (service name, configured extras). */
  resource: ResourceAttributes;
  /** Download time, for ObservedTimestamp. */
  nowMs: () => number;
  /** Hard stop: abandons even the batch in flight (the window is then not delivered). */
  signal: AbortSignal;
  /** Graceful stop: the batch in flight is finished, no further batch is sent (the window is then not delivered). */
  stopping?: AbortSignal;
  policy?: RetryPolicy;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  maxBatchRecords?: number;
  maxBatchBytes?: number;
  /** Removes the OTLP header values (tokens) from anything an endpoint echoed into an error. */
  scrubber?: SecretScrubber;
}

export interface WindowDelivery {
  records: number;
  batches: number;
  bytes: number;
  retries: number;
  /** Acknowledged but refused by the endpoint (partial success): counted and reported, never retried. */
  rejected: number;
}

/**
 * Sends one batch until it is acknowledged: retryable failures forever, a 413 by halves, anything
 * else stops with a DeliveryStopped naming the window.
 */
export async function sendWithRetry<B extends Batch>(batch: B, window: TimeRange, options: DeliveryOptions<B>, outcome: WindowDelivery): Promise<void> {
  const sleep = options.sleep ?? defaultSleep;
  const policy = options.policy ?? DELIVERY_RETRY;
  for (let attempt = 1; ; attempt++) {
    options.signal.throwIfAborted();
    try {
      const result = await options.sender.send(batch, options.signal);
      outcome.batches++;
      outcome.records += batch.records;
      outcome.bytes += result.bytes;
      outcome.rejected += result.rejected;
      options.onBatch?.(batch, result);
      return;
    } catch (err) {
      if (options.signal.aborted) throw options.signal.reason ?? err;
      if (err instanceof CdnLogError && err.kind === 'TooLarge' && batch.records > 1) {
        for (const half of options.sender.batches.split(batch)) await sendWithRetry(half, window, options, outcome);
        return;
      }
      if (!isRetryable(err)) throw stopped(err, batch, window, options);
      const e = scrubbed(err as CdnLogError, options.scrubber);
      const delayMs = backoffDelayMs(policy, attempt - 1, e.retryAfterMs, options.random);
      outcome.retries++;
      options.onRetry?.(e, attempt, delayMs);
      await sleep(delayMs, options.signal);
    }
  }
}

function scrubbed(err: CdnLogError, scrubber: SecretScrubber | undefined): CdnLogError {
  if (!scrubber || scrubber.empty) return err;
  return new CdnLogError(err.kind, scrubber.scrub(err.message), { status: err.status, retryAfterMs: err.retryAfterMs });
}

function stopped<B extends Batch>(err: unknown, batch: B, window: TimeRange, options: DeliveryOptions<B>): DeliveryStopped {
  const { sender, scrubber } = options;
  const status = err instanceof CdnLogError ? err.status : undefined;
  const raw = err instanceof Error ? err.message : String(err);
  const said = scrubber ? scrubber.scrub(raw) : raw;
  const span = `${formatTime(window.fromMs)}..${formatTime(window.toMs)}`;
  let message = `${sender.description} refused a batch of ${batch.records} records of the window ${span}: ${said}. `;
  if (status === 400) {
    message +=
      'A 400 from Loki may come after it stored part of the batch: those records may already be there. ' +
      'The checkpoint stays at the start of the window, so after the cause is fixed a restart sends the window again ' +
      '(records already stored come twice, with the same log.record.uid).';
  } else if (status === 401 || status === 403) {
    message += 'Check the OTLP headers (OTEL_EXPORTER_OTLP_HEADERS) and the endpoint; the checkpoint stays at the start of the window.';
  } else {
    message += 'The source is stopped; the checkpoint stays at the start of the window.';
  }
  // The cause is left out: it may hold what the endpoint echoed, header values included.
  return new DeliveryStopped(message, status, undefined);
}

/**
 * Batches and sends the records of one window. One batch is in flight while the next one fills, so
 * download and upload overlap and memory stays at two batches; reading waits while the endpoint is
 * slow (backpressure). Resolves once every record was acknowledged (an empty window at once).
 */
export async function deliverWindow<B extends Batch>(records: AsyncIterable<CdnLogRecord[]>, window: TimeRange, options: DeliveryOptions<B>): Promise<WindowDelivery> {
  const outcome: WindowDelivery = { records: 0, batches: 0, bytes: 0, retries: 0, rejected: 0 };
  const builder = options.sender.batches.builder({ maxRecords: options.maxBatchRecords ?? MAX_BATCH_RECORDS, maxBytes: options.maxBatchBytes ?? MAX_BATCH_BYTES });
  const resources = new Map<string, ResourceAttributes>();
  let inFlight: Promise<void> | null = null;
  const dispatch = async (batch: B | null) => {
    if (batch === null) return;
    // Backpressure: the next batch waits for the one in flight.
    if (inFlight) await inFlight;
    // Stopping: the batch in flight was finished; no new one starts.
    options.stopping?.throwIfAborted();
    inFlight = sendWithRetry(batch, window, options, outcome).finally(() => options.sender.batches.release?.(batch));
    // Surface its failure at the next await even if nothing else awaits it first.
    inFlight.catch(() => undefined);
  };
  try {
    for await (const chunk of records) {
      const observedMs = options.nowMs();
      for (const record of chunk) {
        let resource = resources.get(record.source);
        if (!resource) resources.set(record.source, (resource = resourceOf(record, options.resource)));
        const full = builder.add(record, resource, observedMs);
        if (full) await dispatch(full);
      }
    }
    await dispatch(builder.take());
    if (inFlight) await inFlight;
  } catch (err) {
    // A failed read leaves the batch in flight to finish or fail on its own; the window is not delivered.
    if (inFlight) await (inFlight as Promise<void>).catch(() => undefined);
    throw err;
  }
  return outcome;
}
