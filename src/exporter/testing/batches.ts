/**
 * Test helper: records as the batches a sender's format makes of them, filled as deliverWindow
 * fills them (one resource object per source). Shared by the delivery and sender tests.
 */
import type { CdnLogRecord } from '../../core/record';
import { type Batch, type BatchBounds, type BatchFormat, MAX_BATCH_BYTES, MAX_BATCH_RECORDS } from '../delivery';
import { type ResourceAttributes, resourceOf } from '../mapping';

/** Every batch of `records`, in order. */
export function batchesOf<B extends Batch>(format: BatchFormat<B>, records: readonly CdnLogRecord[], base: ResourceAttributes, observedMs: number, bounds?: Partial<BatchBounds>): B[] {
  const builder = format.builder({ maxRecords: MAX_BATCH_RECORDS, maxBytes: MAX_BATCH_BYTES, ...bounds });
  const resources = new Map<string, ResourceAttributes>();
  const out: B[] = [];
  for (const record of records) {
    let resource = resources.get(record.source);
    if (!resource) resources.set(record.source, (resource = resourceOf(record, base)));
    const full = builder.add(record, resource, observedMs);
    if (full) out.push(full);
  }
  const last = builder.take();
  if (last) out.push(last);
  return out;
}

/** `records` as one batch (within the default bounds). */
export function batchOf<B extends Batch>(format: BatchFormat<B>, records: readonly CdnLogRecord[], base: ResourceAttributes, observedMs: number): B {
  const batches = batchesOf(format, records, base, observedMs);
  if (batches.length !== 1) throw new Error(`${records.length} records made ${batches.length} batches, not one`);
  return batches[0];
}
