/**
 * http/protobuf without the OpenTelemetry SDK on the hot path. Each record is written as protobuf
 * the moment delivery adds it to a batch: straight from the CdnLogRecord, by the mapping's own
 * rules (visitAttributes, which mapRecord follows too), into one buffer per resource. A batch is
 * then bytes of exactly known size, cut at exactly 4 MiB of request; no mapped objects are held
 * and nothing is estimated. Sending assembles the ExportLogsServiceRequest around those bytes,
 * gzips it by node:zlib at its default level (the official exporter's createGzip()), and POSTs it
 * with the project's HTTP client, one attempt per call: delivery.ts does the retrying.
 * Why: bench/exporter.bench.ts (a) measured the official exporter driven batch by batch (SDK records
 * built per batch, BigInt timestamps, a sizing pass and a writing pass over every attribute, a
 * stream pipe into gzip) at 1.2-1.3x the stock pipeline's records per CPU-second; encoding mapped
 * logs at send time brought the exporter to 1.6-1.75x (medians of runs), and encoding records as
 * they arrive, as here, to 2.3-2.4x (single rounds 1.85-2.6x on two shared cores): about 21 µs of
 * CPU per Cloudflare record against the stock pipeline's 50. Of those 21 µs, reading and parsing
 * the provider's lines (the same code for both) is some 7, gzip at level 6 some 6, garbage
 * collection some 4, and this encoding some 3.
 *
 * The official serializer stays the oracle (docs/style.md, Dependencies): fast-proto.test.ts
 * requires the official protobuf definitions to decode this encoder's bytes for random records,
 * and the official ProtobufLogsSerializer's bytes for the same records mapped by mapRecord (of
 * @opentelemetry/otlp-transformer 0.223.1, pinned), to the same message; `otlp.encoder: official`
 * sends through the official exporter. What the official serializer writes, this writes, field for
 * field and in the same order:
 *   LogRecord: time_unix_nano (1, fixed64); severity_number (2) unless 0; severity_text (3) unless
 *     empty; body (5, AnyValue); attributes (6); dropped_attributes_count (7) = 0 always;
 *     observed_time_unix_nano (11, fixed64). No trace context, flags or event name.
 *   AnyValue by JavaScript type: string → string_value; boolean → bool_value; a whole number in
 *     [-2^63, 2^63) → int_value (varint, negatives as 64-bit two's complement), any other number
 *     (fractions, NaN, ±Infinity) → double_value; an array → array_value of its items.
 *   Resource: attributes (1), dropped_attributes_count (2) = 0. Records whose resources have equal
 *     attributes share one ResourceLogs (the official sender caches one Resource per attribute set
 *     and the serializer groups by it), in order of first appearance. One ScopeLogs per resource,
 *     scope `cdn-log-bridge` + version.
 */

import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { CdnLogError } from '../../core/errors';
import type { CdnLogRecord } from '../../core/record';
import { HttpClient, type HttpResponse } from '../../transport/http';
import type { OtlpTarget } from '../config';
import type { Batch, BatchBounds, BatchBuilder, BatchFormat, OtlpSender, SendResult } from '../delivery';
import { ATTRIBUTE_NAMES, type AttributeSink, bodyOf, msToUnixNano, type OtlpAttributeValue, PASSTHROUGH_PREFIX, type ResourceAttributes, resourceKey, SEVERITY, visitAttributes } from '../mapping';
import { kindForOtlpStatus, SCOPE } from './official';

const gzip = promisify(gzipCallback);

/** Bytes reserved for a length prefix before the message is written; a wrong guess costs a move. */
const RESERVE_KEY_VALUE = 1;
const RESERVE_LOG_RECORD = 2;
const RESERVE_RESOURCE = 2;

/** A resource's first buffer; it doubles as records come (a batch holds up to 4 MiB). */
const GROUP_BUFFER_BYTES = 64 * 1024;
/**
 * Buffers of released batches, and of sent requests, kept for the next ones. Reuse matters beyond
 * the copying saved: V8 counts buffers allocated since its last full collection against the heap's
 * room to grow, and a fresh 4 MiB per batch had it mark the whole heap about once per batch.
 */
const SPARE_BUFFERS = 4;

/** Encoded passthrough keys and resources kept between batches; more distinct ones than this start over. */
const CACHE_LIMIT = 10_000;

const TWO_32 = 0x1_0000_0000;
const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;
/** Below this many ms (year 2286) a timestamp's ns are computed in doubles, exactly; beyond, by BigInt. */
const MAX_DOUBLE_MS = 1e13;

function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x20_0000) return 3;
  if (v < 0x1000_0000) return 4;
  return 5;
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
 * A growing buffer and the protobuf pieces of OTLP messages. String-valued attributes (nearly all
 * of them) are written with their lengths known in advance; other nested messages reserve a length
 * and move their content when the guess was wrong. `buf` and `pos` are open to the batch builder,
 * which takes back a record that did not fit.
 */
export class ProtoBuffer {
  buf: Buffer;
  pos = 0;

  constructor(bytes: number) {
    this.buf = Buffer.allocUnsafe(bytes);
  }

  /** What was written (a view, valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Runs `write` into a fresh buffer and returns what it wrote. */
  static written(write: (out: ProtoBuffer) => void): Buffer {
    const out = new ProtoBuffer(256);
    write(out);
    return Buffer.from(out.view());
  }

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  byte(value: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = value;
  }

  bytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Reserves `reserve` bytes for a length; returns where they are. */
  begin(reserve: number): number {
    this.ensure(reserve);
    const at = this.pos;
    this.pos += reserve;
    return at;
  }

  /** Writes the length of what follows the reservation at `at`, moving it when the length needs another size. */
  end(at: number, reserve: number): void {
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
  varint(value: number): void {
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
  int64(value: number): void {
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

  /** A fixed64 of two unsigned 32-bit halves, little-endian. */
  fixed64(low: number, high: number): void {
    this.ensure(8);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < 4; i++, low >>>= 8) buf[pos++] = low & 0xff;
    for (let i = 0; i < 4; i++, high >>>= 8) buf[pos++] = high & 0xff;
    this.pos = pos;
  }

  /** A length-delimited UTF-8 string. */
  string(text: string): void {
    const bytes = utf8Length(text);
    this.varint(bytes);
    this.stringOf(text, bytes);
  }

  /** The UTF-8 bytes of `text`, `bytes` of them (utf8Length), with no length. */
  stringOf(text: string, bytes: number): void {
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

  /** A KeyValue message, its tag already written; `keyField` is its key field (tag, length, UTF-8). */
  keyValue(keyField: Buffer, value: OtlpAttributeValue): void {
    if (typeof value === 'string') {
      if (keyField.length + 4 + value.length < 0x80 && this.asciiKeyValue(keyField, value)) return;
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

  /**
   * A KeyValue of a short string (the message below 128 bytes if ASCII, so that every length is a
   * one-byte varint) in one pass, as if it were ASCII (its UTF-8 length is then its length); false,
   * with nothing written, if it is not.
   */
  private asciiKeyValue(keyField: Buffer, text: string): boolean {
    const length = text.length;
    const start = this.pos;
    this.ensure(keyField.length + length + 6);
    const buf = this.buf;
    // KeyValue length, key, value (field 2): AnyValue length, string_value (field 1): length, bytes.
    buf[this.pos++] = keyField.length + 4 + length;
    buf.set(keyField, this.pos);
    let pos = this.pos + keyField.length;
    buf[pos++] = 0x12;
    buf[pos++] = 2 + length;
    buf[pos++] = 0x0a;
    buf[pos++] = length;
    for (let i = 0; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) {
        this.pos = start;
        return false;
      }
      buf[pos++] = c;
    }
    this.pos = pos;
    return true;
  }

  anyValue(value: OtlpAttributeValue): void {
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
}

/** InstrumentationScope field (tag, length, message) of every ScopeLogs. */
const SCOPE_FIELD = ProtoBuffer.written((out) => {
  out.byte(0x0a);
  const at = out.begin(1);
  out.byte(0x0a);
  out.string(SCOPE.name);
  if (SCOPE.version) {
    out.byte(0x12);
    out.string(SCOPE.version);
  }
  out.end(at, 1);
});

/** A KeyValue.key field: tag, length, UTF-8. */
function keyFieldOf(key: string): Buffer {
  return ProtoBuffer.written((out) => {
    out.byte(0x0a);
    out.string(key);
  });
}

/** The ns since the epoch of a time in ms (msToUnixNano's value) as the halves of a fixed64. */
function unixNanoHalves(ms: number, halves: { low: number; high: number }): void {
  const whole = Math.floor(ms);
  if (!(whole >= 0 && whole < MAX_DOUBLE_MS)) {
    // Out of the usual range (or not a number: msToUnixNano throws then, as mapRecord does).
    const nano = BigInt(msToUnixNano(ms));
    halves.low = Number(nano & 0xffff_ffffn);
    halves.high = Number((nano >> 32n) & 0xffff_ffffn);
    return;
  }
  // ns = seconds · 10^9 + nanos, with the µs msToUnixNano keeps; every product below stays under 2^53:
  // seconds · 10^9 = secondsHigh · 10^9 · 2^16 + secondsLow · 10^9.
  const micros = Math.round((ms - whole) * 1000);
  const seconds = Math.floor(whole / 1000);
  const nanos = (whole - seconds * 1000) * 1_000_000 + micros * 1000;
  const secondsLow = seconds % 0x10000;
  const fromLow = secondsLow * 1e9 + nanos;
  const fromHigh = ((seconds - secondsLow) / 0x10000) * 1e9;
  const lowSum = (fromLow % TWO_32) + (fromHigh % 0x10000) * 0x10000;
  halves.low = lowSum >>> 0;
  halves.high = (Math.floor(fromLow / TWO_32) + Math.floor(fromHigh / 0x10000) + Math.floor(lowSum / TWO_32)) >>> 0;
}

/**
 * Writes records as ScopeLogs.log_records fields (tag, length, LogRecord), by the mapping's rules:
 * what mapRecord would make of the record, encoded as the official serializer would encode that.
 * Keeps the encoded attribute keys and resources; one writer serves every batch of a sender.
 */
class LogRecordWriter implements AttributeSink {
  /** The buffer of the record being written. */
  private out = new ProtoBuffer(0);
  /** KeyValue.key fields of ATTRIBUTE_NAMES, by id. */
  private readonly attributeKeys = ATTRIBUTE_NAMES.map(keyFieldOf);
  /** KeyValue.key fields of passthrough attributes, by provider field name. */
  private readonly passthroughKeys = new Map<string, Buffer>();
  /** Resource fields (tag, length, message) of ResourceLogs, and their keys, by resource object and by key. */
  private readonly resourceKeys = new WeakMap<ResourceAttributes, string>();
  private readonly resourceFields = new Map<string, Buffer>();
  private readonly time = { low: 0, high: 0 };
  /** The observed time is the same for a whole chunk of records. */
  private readonly observed = { ms: Number.NaN, low: 0, high: 0 };

  /** Appends the log_records field of `record` to `out`. */
  write(out: ProtoBuffer, record: CdnLogRecord, observedMs: number): void {
    this.out = out;
    out.byte(0x12);
    const at = out.begin(RESERVE_LOG_RECORD);
    out.byte(0x09);
    unixNanoHalves(record.timestamp, this.time);
    out.fixed64(this.time.low, this.time.high);
    const severity = SEVERITY[record.severity];
    if (severity.number !== 0) {
      out.byte(0x10);
      out.varint(severity.number);
    }
    if (severity.text !== '') {
      out.byte(0x1a);
      out.string(severity.text);
    }
    // body (5): AnyValue { string_value }, lengths known in advance.
    const body = bodyOf(record);
    const bodyBytes = utf8Length(body);
    out.byte(0x2a);
    out.varint(1 + varintSize(bodyBytes) + bodyBytes);
    out.byte(0x0a);
    out.varint(bodyBytes);
    out.stringOf(body, bodyBytes);
    // attributes (6), by attribute() and passthrough() below.
    visitAttributes(record, this);
    // dropped_attributes_count = 0 (field 7), then observed_time_unix_nano (field 11).
    out.byte(0x38);
    out.byte(0x00);
    out.byte(0x59);
    const observed = this.observed;
    if (observedMs !== observed.ms) {
      unixNanoHalves(observedMs, this.time);
      observed.ms = observedMs;
      observed.low = this.time.low;
      observed.high = this.time.high;
    }
    out.fixed64(observed.low, observed.high);
    out.end(at, RESERVE_LOG_RECORD);
  }

  attribute(id: number, value: OtlpAttributeValue): void {
    this.out.byte(0x32);
    this.out.keyValue(this.attributeKeys[id], value);
  }

  passthrough(name: string, value: OtlpAttributeValue): void {
    let keyField = this.passthroughKeys.get(name);
    if (keyField === undefined) {
      if (this.passthroughKeys.size >= CACHE_LIMIT) this.passthroughKeys.clear();
      this.passthroughKeys.set(name, (keyField = keyFieldOf(PASSTHROUGH_PREFIX + name)));
    }
    this.out.byte(0x32);
    this.out.keyValue(keyField, value);
  }

  /** A resource's identity for grouping: its attributes, sorted. */
  resourceKey(resource: ResourceAttributes): string {
    let key = this.resourceKeys.get(resource);
    if (key === undefined) this.resourceKeys.set(resource, (key = resourceKey(resource)));
    return key;
  }

  /** The ResourceLogs.resource field of a resource. */
  resourceField(resource: ResourceAttributes): Buffer {
    const key = this.resourceKey(resource);
    let field = this.resourceFields.get(key);
    if (field === undefined) {
      if (this.resourceFields.size >= CACHE_LIMIT) this.resourceFields.clear();
      field = ProtoBuffer.written((out) => {
        out.byte(0x0a);
        const at = out.begin(RESERVE_RESOURCE);
        for (const name of Object.keys(resource)) {
          out.byte(0x0a);
          out.keyValue(keyFieldOf(name), resource[name]);
        }
        out.byte(0x10);
        out.byte(0x00);
        out.end(at, RESERVE_RESOURCE);
      });
      this.resourceFields.set(key, field);
    }
    return field;
  }
}

/** The records of one resource in a batch. */
export interface EncodedGroup {
  resource: ResourceAttributes;
  /** Its ResourceLogs.resource field. */
  resourceField: Buffer;
  /** Its ScopeLogs.log_records fields, back to back. */
  logRecords: Buffer;
  /** Where each record's field ends in logRecords, in order (a 413 halves the batch there). */
  ends: number[];
}

/** A batch of the fast encoder: records as protobuf, by resource in order of first appearance. */
export interface EncodedLogs extends Batch {
  readonly records: number;
  /** The size of its ExportLogsServiceRequest, exactly. */
  readonly bytes: number;
  readonly groups: readonly EncodedGroup[];
  /** The buffers its groups' bytes are in, given back when the batch is released. */
  readonly buffers: readonly ProtoBuffer[];
}

/** The size of one ResourceLogs field (tag, length, message) holding `logRecordBytes` of log records. */
function resourceLogsBytes(resourceFieldBytes: number, logRecordBytes: number): number {
  const scopeLogs = SCOPE_FIELD.length + logRecordBytes;
  const resourceLogs = resourceFieldBytes + 1 + varintSize(scopeLogs) + scopeLogs;
  return 1 + varintSize(resourceLogs) + resourceLogs;
}

function requestBytes(groups: readonly EncodedGroup[]): number {
  let bytes = 0;
  for (const g of groups) bytes += resourceLogsBytes(g.resourceField.length, g.logRecords.length);
  return bytes;
}

/** Writes the ExportLogsServiceRequest of a batch into `out`: per resource, a ResourceLogs of one ScopeLogs around the records' bytes. */
function writeRequest(batch: EncodedLogs, out: ProtoBuffer): void {
  out.pos = 0;
  out.ensure(batch.bytes);
  for (const g of batch.groups) {
    const scopeLogs = SCOPE_FIELD.length + g.logRecords.length;
    out.byte(0x0a);
    out.varint(g.resourceField.length + 1 + varintSize(scopeLogs) + scopeLogs);
    out.bytes(g.resourceField);
    out.byte(0x12);
    out.varint(scopeLogs);
    out.bytes(SCOPE_FIELD);
    out.bytes(g.logRecords);
  }
}

/** The ExportLogsServiceRequest of a batch. */
export function requestOf(batch: EncodedLogs): Buffer {
  return ProtoBuffer.written((out) => writeRequest(batch, out));
}

/** A resource's records while its batch fills. */
interface GroupDraft {
  resource: ResourceAttributes;
  resourceField: Buffer;
  out: ProtoBuffer;
  ends: number[];
}

/** Fills EncodedLogs: each record is written when added, and a batch is closed before it would pass a bound. */
class EncodedBatchBuilder implements BatchBuilder<EncodedLogs> {
  private groups = new Map<string, GroupDraft>();
  private last: { resource: ResourceAttributes; group: GroupDraft } | null = null;
  private records = 0;
  /** The size of the batch's request so far, exactly. */
  private bytes = 0;

  constructor(
    private readonly writer: LogRecordWriter,
    private readonly bounds: BatchBounds,
    private readonly buffer: () => ProtoBuffer,
  ) {}

  add(record: CdnLogRecord, resource: ResourceAttributes, observedMs: number): EncodedLogs | null {
    const full = this.records >= this.bounds.maxRecords ? this.take() : null;
    const group = this.groupOf(resource);
    const start = group.out.pos;
    this.writer.write(group.out, record, observedMs);
    const end = group.out.pos;
    const field = group.resourceField.length;
    const before = start === 0 ? 0 : resourceLogsBytes(field, start);
    const bytes = this.bytes - before + resourceLogsBytes(field, end);
    if (bytes <= this.bounds.maxBytes || this.records === 0) {
      group.ends.push(end);
      this.records++;
      this.bytes = bytes;
      return full;
    }
    // Past the byte bound: the batch closes without this record, which starts the next one.
    const written = Buffer.from(group.out.buf.subarray(start, end));
    group.out.pos = start;
    const closed = this.take();
    const next = this.groupOf(resource);
    next.out.bytes(written);
    next.ends.push(written.length);
    this.records = 1;
    this.bytes = resourceLogsBytes(next.resourceField.length, written.length);
    return closed;
  }

  take(): EncodedLogs | null {
    if (this.records === 0) return null;
    const groups: EncodedGroup[] = [];
    for (const g of this.groups.values()) {
      if (g.ends.length > 0) groups.push({ resource: g.resource, resourceField: g.resourceField, logRecords: g.out.view(), ends: g.ends });
    }
    const batch: EncodedLogs = { records: this.records, bytes: this.bytes, groups, buffers: [...this.groups.values()].map((g) => g.out) };
    this.groups = new Map();
    this.last = null;
    this.records = 0;
    this.bytes = 0;
    return batch;
  }

  private groupOf(resource: ResourceAttributes): GroupDraft {
    // Records come in runs of one source: the resource object is the same as last time.
    if (this.last !== null && this.last.resource === resource) return this.last.group;
    const key = this.writer.resourceKey(resource);
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { resource, resourceField: this.writer.resourceField(resource), out: this.buffer(), ends: [] };
      this.groups.set(key, group);
    }
    this.last = { resource, group };
    return group;
  }
}

/** Two halves by records, in order; the bytes are shared, not copied. */
function splitEncoded(batch: EncodedLogs): [EncodedLogs, EncodedLogs] {
  const half = Math.ceil(batch.records / 2);
  const first: EncodedGroup[] = [];
  const second: EncodedGroup[] = [];
  let seen = 0;
  for (const g of batch.groups) {
    const n = g.ends.length;
    if (seen + n <= half) first.push(g);
    else if (seen >= half) second.push(g);
    else {
      const k = half - seen;
      const cut = g.ends[k - 1];
      first.push({ ...g, logRecords: g.logRecords.subarray(0, cut), ends: g.ends.slice(0, k) });
      second.push({ ...g, logRecords: g.logRecords.subarray(cut), ends: g.ends.slice(k).map((e) => e - cut) });
    }
    seen += n;
  }
  // The halves are views of the batch's buffers: only the batch itself is released.
  return [
    { records: half, bytes: requestBytes(first), groups: first, buffers: [] },
    { records: batch.records - half, bytes: requestBytes(second), groups: second, buffers: [] },
  ];
}

/**
 * Batches of records written as protobuf when added: one writer, so its caches serve every batch,
 * and the buffers of released batches filled again.
 */
export function encodedBatches(): BatchFormat<EncodedLogs> {
  const writer = new LogRecordWriter();
  const spare: ProtoBuffer[] = [];
  return {
    builder: (bounds) => new EncodedBatchBuilder(writer, bounds, () => spare.pop() ?? new ProtoBuffer(GROUP_BUFFER_BYTES)),
    split: splitEncoded,
    release(batch) {
      for (const buffer of batch.buffers) {
        if (spare.length >= SPARE_BUFFERS || spare.includes(buffer)) continue;
        buffer.pos = 0;
        spare.push(buffer);
      }
    },
  };
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

/** A request's first buffer, when no spare one is left. */
const REQUEST_BUFFER_BYTES = 1024 * 1024;

/**
 * A sender for http/protobuf of EncodedLogs. Its errors are classified like the official sender's
 * (kindForOtlpStatus: 429 and 5xx retried, with Retry-After; 413 splits; 400, 401, 403 and other
 * statuses stop), network errors and timeouts are Transient, and an OTLP partial success comes
 * back as `rejected`.
 */
export function fastProtoSender(target: OtlpTarget): OtlpSender<EncodedLogs> & { shutdown(): Promise<void> } {
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
  const spare: ProtoBuffer[] = [];

  const body = async (batch: EncodedLogs): Promise<Buffer> => {
    const out = spare.pop() ?? new ProtoBuffer(REQUEST_BUFFER_BYTES);
    try {
      writeRequest(batch, out);
      // The buffer is reused by the next request: compress it, or copy it, before then.
      return target.compression === 'gzip' ? await gzip(out.view(), GZIP_OPTIONS) : Buffer.from(out.view());
    } finally {
      if (spare.length < SPARE_BUFFERS) spare.push(out);
    }
  };

  return {
    description,
    batches: encodedBatches(),
    async send(batch: EncodedLogs, signal: AbortSignal): Promise<SendResult> {
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
