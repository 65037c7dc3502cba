/**
 * The official OpenTelemetry exporters (`@opentelemetry/exporter-logs-otlp-proto` for
 * http/protobuf, `-http` for http/json, `-grpc` for grpc) driven one batch at a time: `export()`
 * is called with exactly the batch, and the sender resolves only on the exporter's SUCCESS. No
 * LoggerProvider and no BatchLogRecordProcessor sit in between: that processor drops records when
 * its queue is full, and nothing may sit between a window and its checkpoint that can drop one.
 *
 * The exporters retry 429/502/503/504 and network errors themselves (5 attempts, honouring
 * Retry-After within the export timeout); what still fails comes back here as an error that
 * delivery.ts retries forever or stops on.
 */

import { Metadata } from '@grpc/grpc-js';
import type { HrTime } from '@opentelemetry/api';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { CdnLogError, type ErrorKind } from '../../core/errors';
import type { OtlpTarget } from '../config';
import { type LogBatch, MAPPED_BATCHES, type OtlpSender, type SendResult } from '../delivery';
import { type MappedLog, type ResourceAttributes, resourceKey } from '../mapping';

/** The instrumentation scope of every record: the program that produced the OTLP records. */
export const SCOPE = { name: 'cdn-log-bridge', version: '0.1.0' };

const NS_PER_S = 1_000_000_000n;

/** A decimal ns timestamp as the SDK's [seconds, nanoseconds]. */
export function hrTimeOf(unixNano: string): HrTime {
  const ns = BigInt(unixNano);
  return [Number(ns / NS_PER_S), Number(ns % NS_PER_S)];
}

/**
 * Resources by their attributes: the serializer groups records by resource object identity, so
 * equal attribute sets must be the same object. Bounded: resources are few (service × provider × source).
 */
class ResourceCache {
  private readonly byKey = new Map<string, Resource>();

  get(attributes: ResourceAttributes): Resource {
    const key = resourceKey(attributes);
    let resource = this.byKey.get(key);
    if (!resource) {
      if (this.byKey.size >= 10_000) this.byKey.clear();
      this.byKey.set(key, (resource = resourceFromAttributes(attributes)));
    }
    return resource;
  }
}

/** A batch as the SDK's records (what LogRecordExporter.export takes). */
export function toReadableLogs(batch: LogBatch, resources: ResourceCache = new ResourceCache()): ReadableLogRecord[] {
  const out: ReadableLogRecord[] = [];
  for (const group of batch.resourceLogs) {
    const resource = resources.get(group.resource);
    for (const log of group.logs) out.push(readable(log, resource));
  }
  return out;
}

function readable(log: MappedLog, resource: Resource): ReadableLogRecord {
  return {
    hrTime: hrTimeOf(log.timeUnixNano),
    hrTimeObserved: hrTimeOf(log.observedTimeUnixNano),
    severityNumber: log.severityNumber,
    severityText: log.severityText,
    body: log.body,
    resource,
    instrumentationScope: SCOPE,
    attributes: log.attributes,
    droppedAttributesCount: 0,
  };
}

/** gRPC status codes (grpc/status.proto) worth another attempt. */
const GRPC_RETRYABLE = new Set([1, 4, 8, 10, 11, 13, 14, 15]);
const GRPC_NAMES: Record<number, string> = { 3: 'INVALID_ARGUMENT', 7: 'PERMISSION_DENIED', 16: 'UNAUTHENTICATED', 12: 'UNIMPLEMENTED', 5: 'NOT_FOUND' };

/** An HTTP status as a delivery error kind: 429 and 5xx retried, 413 split, 400 stops, 401/403 stop as auth. */
export function kindForOtlpStatus(status: number): ErrorKind {
  if (status === 429) return 'RateLimited';
  if (status === 408 || status >= 500) return 'Transient';
  if (status === 413) return 'TooLarge';
  if (status === 401 || status === 403) return 'AuthFailed';
  if (status === 400) return 'BadInput';
  return 'ProviderError';
}

/** The exporter's failure as a CdnLogError: by HTTP status or gRPC code where it has one, else a network error (retried). */
export function classifyExportError(error: unknown, protocol: OtlpTarget['protocol']): CdnLogError {
  const e = (error ?? {}) as { code?: unknown; message?: unknown; data?: unknown; details?: unknown };
  const said = typeof e.message === 'string' && e.message !== '' ? e.message : 'export failed';
  if (protocol === 'grpc' && typeof e.code === 'number') {
    const kind: ErrorKind = GRPC_RETRYABLE.has(e.code) ? (e.code === 8 ? 'RateLimited' : 'Transient') : e.code === 7 || e.code === 16 ? 'AuthFailed' : e.code === 3 ? 'BadInput' : 'ProviderError';
    const status = e.code === 3 ? 400 : e.code === 16 ? 401 : e.code === 7 ? 403 : undefined;
    return new CdnLogError(kind, `gRPC ${GRPC_NAMES[e.code] ?? `status ${e.code}`}: ${oneLine(said)}`, { status });
  }
  if (typeof e.code === 'number' && e.code >= 100 && e.code <= 599) {
    const body = typeof e.data === 'string' && e.data.trim() !== '' ? `: ${oneLine(e.data).slice(0, 300)}` : '';
    return new CdnLogError(kindForOtlpStatus(e.code), `HTTP ${e.code}${body}`, { status: e.code });
  }
  // No status: a network error, a timeout, or retries the exporter ran out of. Retried.
  return new CdnLogError('Transient', oneLine(said));
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').trim();
}

export interface OfficialSenderOptions {
  /** Exports at once (sources × 2 is plenty); the exporter refuses more with an error that is retried. */
  concurrencyLimit?: number;
}

/** Builds the official exporter for a target. */
function createExporter(target: OtlpTarget, concurrencyLimit: number): LogRecordExporter {
  const compression = target.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE;
  const common = { url: target.endpoint, timeoutMillis: target.timeoutMs, concurrencyLimit, compression };
  if (target.protocol === 'grpc') {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(target.headers)) metadata.set(key.toLowerCase(), value);
    return new GrpcLogExporter({ ...common, metadata });
  }
  const headers = { ...target.headers };
  return target.protocol === 'http/json' ? new JsonLogExporter({ ...common, headers }) : new ProtoLogExporter({ ...common, headers });
}

/** A sender over the official exporter of the target's protocol. */
export function officialSender(target: OtlpTarget, options: OfficialSenderOptions = {}): OtlpSender<LogBatch> & { shutdown(): Promise<void> } {
  const exporter = createExporter(target, options.concurrencyLimit ?? 64);
  const resources = new ResourceCache();
  const where = new URL(target.endpoint);
  return {
    // Origin and path only: never a query string or a header.
    description: `OTLP ${target.protocol} to ${where.origin}${target.protocol === 'grpc' ? '' : where.pathname}`,
    batches: MAPPED_BATCHES,
    send(batch: LogBatch, signal: AbortSignal): Promise<SendResult> {
      signal.throwIfAborted();
      const logs = toReadableLogs(batch, resources);
      return new Promise<SendResult>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        exporter.export(logs, (result) => {
          signal.removeEventListener('abort', onAbort);
          // ExportResultCode.SUCCESS is 0.
          if (result.code === 0) resolve({ bytes: batch.estimatedBytes, rejected: 0 });
          else reject(classifyExportError(result.error, target.protocol));
        });
      });
    },
    shutdown: () => exporter.shutdown(),
  };
}
