/**
 * Test sender: records every batch it acknowledges, and answers from a script first (errors to
 * throw, delays). Shared by delivery and exporter tests.
 */
import { CdnLogError } from '../../core/errors';
import { type LogBatch, MAPPED_BATCHES, type OtlpSender, type SendResult } from '../delivery';

export type ScriptStep = CdnLogError | { rejected: number; message: string } | (() => Promise<void>);

export class FakeSender implements OtlpSender<LogBatch> {
  readonly description = 'test sender';
  readonly batches = MAPPED_BATCHES;
  readonly accepted: LogBatch[] = [];
  readonly attempts: LogBatch[] = [];
  readonly script: ScriptStep[] = [];

  async send(batch: LogBatch, signal: AbortSignal): Promise<SendResult> {
    this.attempts.push(batch);
    const step = this.script.shift();
    if (step instanceof CdnLogError) throw step;
    if (typeof step === 'function') await step();
    signal.throwIfAborted();
    this.accepted.push(batch);
    const bytes = batch.estimatedBytes;
    return step && 'rejected' in step ? { bytes, rejected: step.rejected, rejectedMessage: step.message } : { bytes, rejected: 0 };
  }

  /** The record ids acknowledged, in order. */
  ids(): string[] {
    return this.accepted.flatMap((b) => b.resourceLogs.flatMap((g) => g.logs.map((l) => String(l.attributes['log.record.uid']))));
  }
}

/** A status error as the HTTP senders raise it. */
export function statusError(status: number, message = `HTTP ${status}`, retryAfterMs?: number): CdnLogError {
  const kind = status === 429 ? 'RateLimited' : status === 413 ? 'TooLarge' : status >= 500 || status === 408 ? 'Transient' : status === 401 || status === 403 ? 'AuthFailed' : 'BadInput';
  return new CdnLogError(kind, message, { status, retryAfterMs });
}
