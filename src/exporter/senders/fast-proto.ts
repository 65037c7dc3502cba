/**
 * http/protobuf without the OpenTelemetry SDK on the hot path: a LogBatch is written straight into
 * ExportLogsServiceRequest bytes (one pass into a reused buffer), gzipped by node:zlib at its
 * default level (the official exporter's createGzip()), and POSTed with the project's HTTP client,
 * one attempt per call: delivery.ts does the retrying. Why: bench/exporter.bench.ts measured the
 * official exporter driven batch by batch (SDK records built per batch, BigInt timestamps, a sizing
 * pass and a writing pass over every attribute, a stream pipe into gzip) at 1.3x the stock
 * pipeline's records per CPU-second; with this encoder the exporter does 1.5-1.7x (the rest of its
 * time is reading, mapping, batch sizing and gzip, which both sides share or cannot avoid).
 *
 * The official serializer stays the oracle (docs/style.md, Dependencies): fast-proto.test.ts
 * requires the official protobuf definitions to decode this encoder's bytes and the official
 * ProtobufLogsSerializer's bytes (of @opentelemetry/otlp-transformer 0.223.1, pinned) for the same
 * batch to the same message, and `otlp.encoder: official` sends through the official exporter.
 * What the official serializer writes, this writes, field for field and in the same order:
 *   LogRecord: time_unix_nano (1, fixed64); severity_number (2) unless 0; severity_text (3) unless
 *     empty; body (5, AnyValue); attributes (6); dropped_attributes_count (7) = 0 always;
 *     observed_time_unix_nano (11, fixed64). No trace context, flags or event name.
 *   AnyValue by JavaScript type: string → string_value; boolean → bool_value; a whole number in
 *     [-2^63, 2^63) → int_value (varint, negatives as 64-bit two's complement), any other number
 *     (fractions, NaN, ±Infinity) → double_value; an array → array_value of its items.
 *   Resource: attributes (1), dropped_attributes_count (2) = 0. Batch groups with equal resource
 *     attributes share one ResourceLogs (the official sender caches one Resource per attribute set
 *     and the serializer groups by it). One ScopeLogs per resource, scope `cdn-log-bridge` + version.
 */

import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { CdnLogError } from '../../core/errors';
import { HttpClient, type HttpResponse } from '../../transport/http';
import type { OtlpTarget } from '../config';
import type { LogBatch, OtlpSender, ResourceLogs, SendResult } from '../delivery';
import type { MappedLog, OtlpAttributeValue, ResourceAttributes } from '../mapping';
import { kindForOtlpStatus, SCOPE } from './official';

const gzip = promisify(gzipCallback);

/** Bytes reserved for a length prefix before the message is written; a wrong guess costs a move. */
const RESERVE_KEY_VALUE = 1;
const RESERVE_LOG_RECORD = 2;
/** ScopeLogs and ResourceLogs hold up to a whole batch (4 MiB): a varint of up to 4 bytes. */
const RESERVE_GROUP = 4;

/** Encoded attribute keys and resources kept between batches; more distinct ones than this start over. */
const CACHE_LIMIT = 10_000;

const TWO_32 = 0x1_0000_0000;
const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x20_0000) return 3;
  if (v < 0x1000_0000) return 4;
  return 5;
}

/** A group's resource as the cache key the official sender uses: its attributes, sorted. */
function resourceKey(attributes: ResourceAttributes): string {
  return JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** UTF-8 bytes of a string; `text.length` exactly when it is ASCII. */
function utf8Length(text: string): number {
  const length = text.length;
  // A JavaScript scan is cheaper than a call into the runtime for the short strings most values are.
  if (length < 64) {
    for (let i = 0; i < length; i++) if (text.charCodeAt(i) > 0x7f) return Buffer.byteLength(text, 'utf8');
    return length;
  }
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Writes ExportLogsServiceRequest messages into one growing buffer. `encode` returns a view of that
 * buffer, valid until the next `encode`: a sender keeps one writer per request in flight.
 * String-valued attributes (nearly all of them) are written with their lengths known in advance;
 * other nested messages reserve a length and move their content when the guess was wrong.
 */
export class LogsRequestWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  private pos = 0;
  /** KeyValue.key fields (tag, length, UTF-8) by key. */
  private readonly keyFields = new Map<string, Buffer>();
  /** Resource fields (tag, length, message) of ResourceLogs by resourceKey. */
  private readonly resourceFields = new Map<string, Buffer>();
  private readonly scopeField: Buffer;
  /** The last decimal timestamp converted, and its fixed64 halves: observed times repeat. */
  private lastNano = '';
  private lastLow = 0;
  private lastHigh = 0;

  constructor(scope: { name: string; version?: string } = SCOPE) {
    this.scopeField = this.standalone(() => {
      this.byte(0x0a);
      const at = this.begin(1);
      this.byte(0x0a);
      this.string(scope.name);
      if (scope.version) {
        this.byte(0x12);
        this.string(scope.version);
      }
      this.end(at, 1);
    });
  }

  /** The request for one batch. */
  encode(batch: LogBatch): Buffer {
    this.pos = 0;
    for (const group of groupsByResource(batch.resourceLogs)) {
      // ResourceLogs (field 1): resource, then one ScopeLogs (field 2) of every record.
      this.byte(0x0a);
      const resourceLogs = this.begin(RESERVE_GROUP);
      this.bytes(this.resourceField(group.resource));
      this.byte(0x12);
      const scopeLogs = this.begin(RESERVE_GROUP);
      this.bytes(this.scopeField);
      for (const logs of group.logs) for (const log of logs) this.logRecord(log);
      this.end(scopeLogs, RESERVE_GROUP);
      this.end(resourceLogs, RESERVE_GROUP);
    }
    return this.buf.subarray(0, this.pos);
  }

  private logRecord(log: MappedLog): void {
    // ScopeLogs.log_records (field 2).
    this.byte(0x12);
    const at = this.begin(RESERVE_LOG_RECORD);
    this.byte(0x09);
    this.timestamp(log.timeUnixNano);
    if (log.severityNumber !== undefined && log.severityNumber !== 0) {
      this.byte(0x10);
      this.varint(log.severityNumber);
    }
    if (log.severityText) {
      this.byte(0x1a);
      this.string(log.severityText);
    }
    if (log.body !== undefined) {
      this.byte(0x2a);
      const body = this.begin(1);
      this.anyValue(log.body);
      this.end(body, 1);
    }
    const attributes = log.attributes;
    // Object.keys: the own keys in for-in order, the order the official serializer writes them in.
    const keys = Object.keys(attributes);
    for (let i = 0; i < keys.length; i++) {
      this.byte(0x32);
      this.keyValue(keys[i], attributes[keys[i]]);
    }
    // dropped_attributes_count = 0 (field 7), then observed_time_unix_nano (field 11).
    this.byte(0x38);
    this.byte(0x00);
    this.byte(0x59);
    this.timestamp(log.observedTimeUnixNano);
    this.end(at, RESERVE_LOG_RECORD);
  }

  /** A KeyValue message, its tag already written. */
  private keyValue(key: string, value: OtlpAttributeValue): void {
    const keyField = this.keyField(key);
    if (typeof value === 'string') {
      // Lengths known in advance: KeyValue { key, value: AnyValue { string_value } }.
      const bytes = utf8Length(value);
      const anyLength = 1 + varintSize(bytes) + bytes;
      this.varint(keyField.length + 1 + varintSize(anyLength) + anyLength);
      this.bytes(keyField);
      this.byte(0x12);
      this.varint(anyLength);
      this.byte(0x0a);
      this.varint(bytes);
      this.stringOf(value, bytes);
      return;
    }
    const at = this.begin(RESERVE_KEY_VALUE);
    this.bytes(keyField);
    this.byte(0x12);
    const inner = this.begin(1);
    this.anyValue(value);
    this.end(inner, 1);
    this.end(at, RESERVE_KEY_VALUE);
  }

  private anyValue(value: OtlpAttributeValue): void {
    if (typeof value === 'string') {
      this.byte(0x0a);
      this.string(value);
    } else if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        this.byte(0x18);
        this.int64(value);
      } else {
        this.byte(0x21);
        this.ensure(8);
        this.buf.writeDoubleLE(value, this.pos);
        this.pos += 8;
      }
    } else if (typeof value === 'boolean') {
      this.byte(0x10);
      this.byte(value ? 1 : 0);
    } else if (Array.isArray(value)) {
      this.byte(0x2a);
      const array = this.begin(1);
      for (const item of value) {
        this.byte(0x0a);
        const at = this.begin(1);
        this.anyValue(item);
        this.end(at, 1);
      }
      this.end(array, 1);
    }
  }

  private keyField(key: string): Buffer {
    let field = this.keyFields.get(key);
    if (field === undefined) {
      if (this.keyFields.size >= CACHE_LIMIT) this.keyFields.clear();
      field = this.standalone(() => {
        this.byte(0x0a);
        this.string(key);
      });
      this.keyFields.set(key, field);
    }
    return field;
  }

  private resourceField(attributes: ResourceAttributes): Buffer {
    const key = resourceKey(attributes);
    let field = this.resourceFields.get(key);
    if (field === undefined) {
      if (this.resourceFields.size >= CACHE_LIMIT) this.resourceFields.clear();
      field = this.standalone(() => {
        this.byte(0x0a);
        const at = this.begin(RESERVE_GROUP);
        for (const name of Object.keys(attributes)) {
          this.byte(0x0a);
          this.keyValue(name, attributes[name]);
        }
        this.byte(0x10);
        this.byte(0x00);
        this.end(at, RESERVE_GROUP);
      });
      this.resourceFields.set(key, field);
    }
    return field;
  }

  /** Runs `write` at the end of the buffer and returns a copy of what it wrote, leaving the buffer as it was. */
  private standalone(write: () => void): Buffer {
    const start = this.pos;
    write();
    const out = Buffer.from(this.buf.subarray(start, this.pos));
    this.pos = start;
    return out;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  private byte(value: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = value;
  }

  private bytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Reserves `reserve` bytes for a length; returns where they are. */
  private begin(reserve: number): number {
    this.ensure(reserve);
    const at = this.pos;
    this.pos += reserve;
    return at;
  }

  /** Writes the length of what follows the reservation at `at`, moving it when the length needs another size. */
  private end(at: number, reserve: number): void {
    const length = this.pos - at - reserve;
    const size = varintSize(length);
    if (size !== reserve) {
      this.ensure(size - reserve);
      this.buf.copyWithin(at + size, at + reserve, this.pos);
      this.pos += size - reserve;
    }
    let v = length;
    let p = at;
    while (v > 0x7f) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p] = v;
  }

  /** A non-negative varint below 2^32. */
  private varint(value: number): void {
    this.ensure(5);
    const buf = this.buf;
    let v = value >>> 0;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  /** An int64 varint of a whole number in [-2^63, 2^63): negatives as two's complement (10 bytes). */
  private int64(value: number): void {
    if (value >= 0 && value < TWO_32) {
      this.varint(value);
      return;
    }
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / TWO_32) >>> 0;
    } else {
      const abs = -value;
      low = ~(abs >>> 0) >>> 0;
      high = ~((abs / TWO_32) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    this.ensure(10);
    const buf = this.buf;
    while (high > 0 || low > 0x7f) {
      buf[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[this.pos++] = low;
  }

  /** A decimal count of nanoseconds (below 2^64) as fixed64, little-endian, without BigInt. */
  private timestamp(nano: string): void {
    if (nano !== this.lastNano) {
      // seconds and nanoseconds, each exact in a double, read digit by digit (no substrings).
      const split = nano.length - 9;
      let seconds = 0;
      let nanos = 0;
      for (let i = 0; i < nano.length; i++) {
        const digit = nano.charCodeAt(i) - 48;
        if (i < split) seconds = seconds * 10 + digit;
        else nanos = nanos * 10 + digit;
      }
      // seconds · 10^9 = secondsHigh · 10^9 · 2^16 + secondsLow · 10^9; every product below 2^53.
      const secondsLow = seconds % 0x10000;
      const fromLow = secondsLow * 1e9 + nanos;
      const fromHigh = ((seconds - secondsLow) / 0x10000) * 1e9;
      const lowSum = (fromLow % TWO_32) + (fromHigh % 0x10000) * 0x10000;
      this.lastLow = lowSum >>> 0;
      this.lastHigh = (Math.floor(fromLow / TWO_32) + Math.floor(fromHigh / 0x10000) + Math.floor(lowSum / TWO_32)) >>> 0;
      this.lastNano = nano;
    }
    this.ensure(8);
    const buf = this.buf;
    let pos = this.pos;
    let low = this.lastLow;
    let high = this.lastHigh;
    for (let i = 0; i < 4; i++, low >>>= 8) buf[pos++] = low & 0xff;
    for (let i = 0; i < 4; i++, high >>>= 8) buf[pos++] = high & 0xff;
    this.pos = pos;
  }

  /** A length-delimited UTF-8 string. */
  private string(text: string): void {
    const bytes = utf8Length(text);
    this.varint(bytes);
    this.stringOf(text, bytes);
  }

  /** The UTF-8 bytes of `text`, `bytes` of them (utf8Length), with no length. */
  private stringOf(text: string, bytes: number): void {
    this.ensure(bytes);
    const length = text.length;
    if (bytes === length && length < 64) {
      const buf = this.buf;
      let pos = this.pos;
      for (let i = 0; i < length; i++) buf[pos++] = text.charCodeAt(i);
      this.pos = pos;
    } else {
      // ASCII is Latin-1 too, and Latin-1 is copied without transcoding.
      this.buf.write(text, this.pos, bytes, bytes === length ? 'latin1' : 'utf8');
      this.pos += bytes;
    }
  }
}

interface ResourceGroup {
  resource: ResourceAttributes;
  logs: MappedLog[][];
}

/** Groups with equal resource attributes merged, in order of first appearance (as the official serializer groups them). */
function groupsByResource(resourceLogs: readonly ResourceLogs[]): ResourceGroup[] {
  const nonEmpty = resourceLogs.filter((g) => g.logs.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty.map((g) => ({ resource: g.resource, logs: [g.logs] }));
  const byKey = new Map<string, ResourceGroup>();
  for (const g of nonEmpty) {
    const key = resourceKey(g.resource);
    const group = byKey.get(key);
    if (group) group.logs.push(g.logs);
    else byKey.set(key, { resource: g.resource, logs: [g.logs] });
  }
  return [...byKey.values()];
}

/** The partial success of an ExportLogsServiceResponse, read by the official deserializer. */
export function partialSuccessOf(body: Uint8Array): { rejected: number; message?: string } {
  if (body.length === 0) return { rejected: 0 };
  try {
    const partial = ProtobufLogsSerializer.deserializeResponse(body).partialSuccess;
    const rejected = Number(partial?.rejectedLogRecords ?? 0);
    const message = partial?.errorMessage || undefined;
    return { rejected: Number.isFinite(rejected) && rejected > 0 ? rejected : 0, ...(message !== undefined ? { message } : {}) };
  } catch {
    // As the official exporter: an acknowledgement whose body is not a response is still an acknowledgement.
    return { rejected: 0 };
  }
}

/** The official exporter reads at most this much of an answer. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

async function readAnswer(res: HttpResponse): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) break;
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return size > MAX_RESPONSE_BYTES ? Buffer.alloc(0) : Buffer.concat(chunks);
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').trim();
}

/**
 * zlib's default level, as the official exporter's createGzip(); output chunks of 1 MiB, so a batch
 * (4 MiB of protobuf, some 500 kB of gzip) comes back from the thread pool in one piece.
 */
const GZIP_OPTIONS = { chunkSize: 1024 * 1024 };

/** Writers kept for the next requests; more in flight than this allocate their own. */
const IDLE_WRITERS = 4;

/**
 * A sender for http/protobuf through LogsRequestWriter. Its errors are classified like the official
 * sender's (kindForOtlpStatus: 429 and 5xx retried, with Retry-After; 413 splits; 400, 401, 403 and
 * other statuses stop), network errors and timeouts are Transient, and an OTLP partial success comes
 * back as `rejected`.
 */
export function fastProtoSender(target: OtlpTarget): OtlpSender & { shutdown(): Promise<void> } {
  const where = new URL(target.endpoint);
  const description = `OTLP ${target.protocol} to ${where.origin}${where.pathname}`;
  // The target's timeout bounds the whole exchange, as the official exporter's does.
  const http = new HttpClient({ connectTimeoutMs: Math.min(target.timeoutMs, 10_000), headersTimeoutMs: target.timeoutMs, bodyTimeoutMs: target.timeoutMs, deadlineMs: target.timeoutMs });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(target.headers)) headers[name.toLowerCase()] = value;
  headers['content-type'] = 'application/x-protobuf';
  headers['user-agent'] = `${SCOPE.name}/${SCOPE.version}`;
  if (target.compression === 'gzip') headers['content-encoding'] = 'gzip';
  else delete headers['content-encoding'];
  const idle: LogsRequestWriter[] = [];

  const body = async (batch: LogBatch): Promise<Buffer> => {
    const writer = idle.pop() ?? new LogsRequestWriter();
    try {
      const bytes = writer.encode(batch);
      // The view is the writer's: compress it, or copy it, before the writer is reused.
      return target.compression === 'gzip' ? await gzip(bytes, GZIP_OPTIONS) : Buffer.from(bytes);
    } finally {
      if (idle.length < IDLE_WRITERS) idle.push(writer);
    }
  };

  return {
    description,
    async send(batch: LogBatch, signal: AbortSignal): Promise<SendResult> {
      signal.throwIfAborted();
      const payload = await body(batch);
      let res: HttpResponse;
      try {
        res = await http.send({ method: 'POST', url: target.endpoint, headers, body: payload, signal });
      } catch (err) {
        if (signal.aborted) throw signal.reason ?? err;
        if (err instanceof CdnLogError) throw err;
        // No status: a network error or a timeout. Retried, as with the official exporter.
        throw new CdnLogError('Transient', oneLine(err instanceof Error ? err.message : String(err)) || 'export failed');
      }
      if (res.status >= 200 && res.status <= 299) {
        const answer = await readAnswer(res).catch(() => Buffer.alloc(0));
        const partial = partialSuccessOf(answer);
        return { bytes: payload.length, rejected: partial.rejected, ...(partial.message !== undefined ? { rejectedMessage: partial.message } : {}) };
      }
      // What the endpoint said, control characters escaped (as for every provider's error body).
      throw await HttpClient.statusError(res, (status, said) => ({ kind: kindForOtlpStatus(status), message: `HTTP ${status}${said !== '' ? `: ${said.slice(0, 300)}` : ''}` }));
    },
    shutdown: () => http.close(),
  };
}
