/**
 * The fast http/protobuf encoder against its oracle, and its sender against the test receiver.
 * Property: for random batches (attributes of every kind a MappedLog allows, unicode and lone
 * surrogates, empty strings, integers up to ±2^63 and past them, NaN and infinities, several and
 * repeated resources), the official protobuf definitions (otlp-transformer 0.57's protobufjs root,
 * as the test receiver uses) decode this encoder's bytes and the official ProtobufLogsSerializer's
 * bytes (fed the same batch through toReadableLogs, as the official sender feeds it) to the same
 * message. The sender's matrix of outcomes shared with the official one lives in senders.test.ts.
 */

import fc from 'fast-check';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { CdnLogError } from '../../core/errors';
import { emptyRecord } from '../../core/record';
import type { OtlpTarget } from '../config';
import { Batcher, DeliveryStopped, estimateLogBytes, type LogBatch, MAX_BATCH_BYTES, sendWithRetry, type WindowDelivery } from '../delivery';
import { MAPPING, type MappedLog, mapRecord, type OtlpAttributeValue, resourceOf } from '../mapping';
import { type OtlpReceiver, startHttpReceiver } from '../testing/otlp-receiver';
import { fastProtoSender, LogsRequestWriter, partialSuccessOf } from './fast-proto';
import { toReadableLogs } from './official';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('otlp-transformer-057/build/src/generated/root');

const Request = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
const Response = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
const TO_OBJECT = { longs: String, enums: Number, bytes: String, defaults: false, arrays: true };

/** A request as the official definitions read it, every field that was on the wire. */
function decoded(bytes: Uint8Array): unknown {
  return Request.toObject(Request.decode(bytes), TO_OBJECT);
}

function official(batch: LogBatch): Uint8Array {
  const bytes = ProtobufLogsSerializer.serializeRequest(toReadableLogs(batch));
  if (!bytes) throw new Error('the official serializer returned nothing');
  return bytes;
}

// Strings: any UTF-16 code unit (lone surrogates included), full code points, ASCII, and empty.
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const text = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: codeUnit, maxLength: 20 }),
  // Lengths around the one- and two-byte varint boundaries.
  fc.integer({ min: 40, max: 20_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 40, max: 300 }).map((n) => 'é'.repeat(n)),
);

const wholeNumbers = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
  fc.maxSafeInteger(),
  fc.constantFrom(0, -0, 2 ** 32 - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 62, 2 ** 63 - 1024, -(2 ** 63), 2 ** 63, 2 ** 64, -(2 ** 64), 1e300, -1e300),
);
const value: fc.Arbitrary<OtlpAttributeValue> = fc.oneof(
  text,
  wholeNumbers,
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.5, -12.25),
  fc.boolean(),
  fc.array(text, { maxLength: 4 }),
);

const attributeKey = fc.oneof(fc.constantFrom(...MAPPING.map((row) => row.attribute), '__proto__', 'constructor', '7', ''), text);

/** Attributes as mapRecord builds them: a null-prototype object, keys in insertion order. */
const attributes = fc.array(fc.tuple(attributeKey, value), { maxLength: 12 }).map((entries) => {
  const out: Record<string, OtlpAttributeValue> = Object.create(null);
  for (const [k, v] of entries) out[k] = v;
  return out;
});

/** Nanoseconds since the epoch as MappedLog holds them: realistic ones, and anything in [0, 2^63). */
const unixNano = fc.oneof(
  fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }).map((ms) => `${ms}${String(ms % 997).padStart(6, '0')}`),
  fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
  fc.constantFrom('0', '1', '999999999', '1000000000', '9223372036854775807'),
);

const mappedLog: fc.Arbitrary<MappedLog> = fc.record({
  timeUnixNano: unixNano,
  observedTimeUnixNano: unixNano,
  severityNumber: fc.integer({ min: 0, max: 24 }),
  severityText: fc.oneof(fc.constantFrom('INFO', 'WARN', 'ERROR', ''), text),
  body: text,
  attributes,
});

/**
 * A few resources, drawn from a small pool so that equal ones occur (the serializer merges them).
 * No key named like a member of Object.prototype (`__proto__`, `constructor`, `toString`...): the
 * official Resource loses those (it copies attributes into a plain object with `attrs[k] ??= v`),
 * this encoder keeps them; no configuration would name a resource attribute so.
 */
const resourceKey = attributeKey.filter((k) => !(k in Object.prototype));
const resourcePool = fc.array(
  fc.array(fc.tuple(resourceKey, text), { maxLength: 5 }).map((entries) => Object.fromEntries([['service.name', 'cdn-test'], ...entries]) as Record<string, string>),
  { minLength: 1, maxLength: 3 },
);

const batch: fc.Arbitrary<LogBatch> = resourcePool.chain((pool) =>
  fc
    .array(fc.record({ resource: fc.constantFrom(...pool).map((r) => ({ ...r })), logs: fc.array(mappedLog, { maxLength: 6 }) }), { minLength: 1, maxLength: 4 })
    .map((resourceLogs) => {
      const logs = resourceLogs.flatMap((g) => g.logs);
      return { resourceLogs, records: logs.length, estimatedBytes: logs.reduce((sum, log) => sum + estimateLogBytes(log), 0) };
    }),
);

describe('LogsRequestWriter', () => {
  // One writer for every batch, as in a sender: nothing it keeps between batches may leak into the next.
  const writer = new LogsRequestWriter();

  it('writes what the official decoder reads as the same request the official serializer writes, for random batches', () => {
    fc.assert(
      fc.property(batch, (b) => {
        const ours = writer.encode(b);
        expect(decoded(ours)).toEqual(decoded(official(b)));
      }),
      { numRuns: 300 },
    );
  });
  it('writes real mapped records (every mapping row, passthrough attributes, two sources) as the official serializer does', () => {
    const T = Date.parse('2026-11-22T10:00:00.123Z');
    const nested = Object.assign(Object.create(null), { ClientASN: 13335, Nested: { a: [1, 'x'] }, Flag: true, Ratio: 0.25, Big: 2 ** 60 });
    const records = [
      {
        ...emptyRecord('cloudflare', 'zone-a', T + 0.456),
        id: 'ray-1',
        method: 'PURGE',
        scheme: 'https',
        host: 'example.com',
        path: '/ünïcode/😀',
        query: 'q=1',
        protocol: 'HTTP/2',
        status: 503,
        bytesSent: 2 ** 40,
        bodyBytes: 0,
        clientIp: '2001:db8::1',
        clientPort: 443,
        country: 'DE',
        userAgent: 'curl/8',
        referer: 'https://r.example/',
        range: 'bytes=0-1',
        contentType: 'text/html',
        cacheStatus: 'MISS' as const,
        edgeLocation: 'FRA',
        requestId: 'ray-1',
        durationMs: 12.5,
        severity: 'error' as const,
        attributes: nested,
      },
      { ...emptyRecord('naver-elsa', 'proj', T + 1), id: 'h2', message: 'line one\nline two', severity: 'warning' as const, durationMs: 7 },
      { ...emptyRecord('cloudflare', 'zone-b', T + 2), id: 'ray-3', status: 200 },
    ];
    const batcher = new Batcher();
    for (const r of records) batcher.add(r.source, resourceOf(r, { 'service.name': 'cdn-test' }), mapRecord(r, T + 60_000));
    const b = batcher.take()!;
    expect(decoded(writer.encode(b))).toEqual(decoded(official(b)));
  });

  it('never writes a log record larger than the estimate batches are cut by, so a batch stays within 4 MiB of log records', () => {
    // As mapRecord makes them: the estimate counts a severity text of the SEVERITY table in its fixed part.
    const mapped = fc.record({ log: mappedLog, severityText: fc.constantFrom('INFO', 'WARN', 'ERROR') }).map(({ log, severityText }) => ({ ...log, severityText }));
    fc.assert(
      fc.property(mapped, (log) => {
        const one = new LogsRequestWriter().encode({ resourceLogs: [{ resource: {}, logs: [log] }], records: 1, estimatedBytes: 0 }).length;
        const two = new LogsRequestWriter().encode({ resourceLogs: [{ resource: {}, logs: [log, log] }], records: 2, estimatedBytes: 0 }).length;
        // The second copy adds exactly one LogRecord field (tag, length and message), give or take
        // a byte of the ScopeLogs and ResourceLogs lengths.
        expect(two - one).toBeLessThanOrEqual(estimateLogBytes(log) + 2);
      }),
      { numRuns: 300 },
    );
    expect(MAX_BATCH_BYTES).toBe(4 * 1024 * 1024);
  });
});

describe('partialSuccessOf', () => {
  it('reads the rejected count and message of an ExportLogsServiceResponse, and nothing of an empty or foreign body', () => {
    const answer = Buffer.from(Response.encode(Response.fromObject({ partialSuccess: { rejectedLogRecords: 3, errorMessage: 'too old' } })).finish());
    expect(partialSuccessOf(answer)).toEqual({ rejected: 3, message: 'too old' });
    expect(partialSuccessOf(Buffer.alloc(0))).toEqual({ rejected: 0 });
    expect(partialSuccessOf(Buffer.from('{"partialSuccess":{}}'))).toEqual({ rejected: 0 });
  });
});

describe('fastProtoSender against the test receiver', () => {
  const T = Date.parse('2026-11-22T10:00:00Z');
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startHttpReceiver();
  });
  afterEach(() => receiver.close());

  function target(extra: Partial<OtlpTarget> = {}): OtlpTarget {
    return { kind: 'otlp', endpoint: `${receiver.origin}/v1/logs`, protocol: 'http/protobuf', headers: { Authorization: 'Bearer otlp-test-token' }, compression: 'gzip', timeoutMs: 5_000, encoder: 'fast', ...extra };
  }

  function batchOf(n: number): LogBatch {
    const batcher = new Batcher();
    for (let i = 0; i < n; i++) {
      const r = { ...emptyRecord('cloudflare', 'zone-a', T + i), id: `ray-${i}`, method: 'GET', host: 'example.com', path: `/p/${i}`, status: 200 };
      batcher.add(r.source, resourceOf(r, { 'service.name': 'cdn-test' }), mapRecord(r, T + 60_000));
    }
    return batcher.take()!;
  }

  const signal = () => new AbortController().signal;

  async function failure(promise: Promise<unknown>): Promise<CdnLogError> {
    try {
      await promise;
    } catch (err) {
      return err as CdnLogError;
    }
    throw new Error('expected the send to fail');
  }

  it('delivers a batch as gzip protobuf with the configured headers, and says how many bytes went on the wire', async () => {
    const sender = fastProtoSender(target());
    const result = await sender.send(batchOf(5), signal());
    await sender.shutdown();
    expect(receiver.accepted.map((r) => r.attributes['log.record.uid'])).toEqual(['ray-0', 'ray-1', 'ray-2', 'ray-3', 'ray-4']);
    expect(receiver.accepted[0]).toMatchObject({ resource: { 'service.name': 'cdn-test', 'cdn.provider': 'cloudflare', 'cdn.source': 'zone-a' }, scope: 'cdn-log-bridge', timeUnixNano: '1795341600000000000' });
    expect(receiver.requests[0]).toMatchObject({ records: 5, contentType: 'application/x-protobuf', encoding: 'gzip', authorization: 'Bearer otlp-test-token' });
    expect(result.rejected).toBe(0);
    // The gzip body: smaller than the protobuf it holds.
    expect(result.bytes).toBeGreaterThan(20);
    expect(result.bytes).toBeLessThan(official(batchOf(5)).length);
    expect(sender.description).toBe(`OTLP http/protobuf to ${receiver.origin}/v1/logs`);
  });

  it('sends uncompressed protobuf when compression is none', async () => {
    const sender = fastProtoSender(target({ compression: 'none' }));
    const result = await sender.send(batchOf(3), signal());
    await sender.shutdown();
    expect(receiver.requests[0]).toMatchObject({ records: 3, encoding: '' });
    expect(result.bytes).toBe(official(batchOf(3)).length);
  });

  it('gives back a 429 as RateLimited with its Retry-After, without retrying by itself; delivery waits that long and sends again', async () => {
    const sender = fastProtoSender(target());
    receiver.faults.push({ status: 429, retryAfter: '7' });
    const refused = await failure(sender.send(batchOf(2), signal()));
    expect([refused.kind, refused.status, refused.retryAfterMs]).toEqual(['RateLimited', 429, 7000]);
    expect(receiver.requests).toHaveLength(1);
    receiver.faults.push({ status: 429, retryAfter: '7' });
    const waits: number[] = [];
    const outcome: WindowDelivery = { records: 0, batches: 0, bytes: 0, retries: 0, rejected: 0 };
    await sendWithRetry(batchOf(2), { fromMs: T, toMs: T + 60_000 }, { sender, resource: {}, nowMs: () => T, signal: signal(), sleep: async (ms) => void waits.push(ms), random: () => 0.5 }, outcome);
    await sender.shutdown();
    expect(waits).toEqual([7000]);
    expect(outcome).toMatchObject({ records: 2, retries: 1 });
    expect(receiver.accepted).toHaveLength(2);
  });

  it('gives back 502, 503, 504 and 500 as Transient (retried), a 413 as TooLarge (split) and a refused connection as Transient', async () => {
    const sender = fastProtoSender(target());
    const kinds: Array<[string, number | undefined]> = [];
    for (const status of [502, 503, 504, 500, 413]) {
      receiver.faults.push({ status });
      const e = await failure(sender.send(batchOf(1), signal()));
      kinds.push([e.kind, e.status]);
    }
    expect(kinds).toEqual([
      ['Transient', 502],
      ['Transient', 503],
      ['Transient', 504],
      ['Transient', 500],
      ['TooLarge', 413],
    ]);
    await receiver.pause();
    const down = await failure(sender.send(batchOf(1), signal()));
    await sender.shutdown();
    expect(down).toBeInstanceOf(CdnLogError);
    expect(down.kind).toBe('Transient');
  });

  it('stops on a 400 with what the endpoint said, and delivery says that part of the batch may already be stored', async () => {
    const sender = fastProtoSender(target());
    receiver.faults.push({ status: 400, body: 'entry too far behind\nfor stream' });
    const e = await failure(sender.send(batchOf(2), signal()));
    expect([e.kind, e.status, e.message]).toEqual(['BadInput', 400, 'HTTP 400: entry too far behind\\nfor stream']);
    receiver.faults.push({ status: 400, body: 'entry too far behind' });
    const outcome: WindowDelivery = { records: 0, batches: 0, bytes: 0, retries: 0, rejected: 0 };
    const stopped = await failure(sendWithRetry(batchOf(2), { fromMs: T, toMs: T + 60_000 }, { sender, resource: {}, nowMs: () => T, signal: signal() }, outcome));
    await sender.shutdown();
    expect(stopped).toBeInstanceOf(DeliveryStopped);
    expect(stopped.message).toContain('entry too far behind');
    expect(stopped.message).toContain('may already be there');
    expect(outcome.retries).toBe(0);
  });

  it('stops on 401 and 403 as an authentication failure', async () => {
    const sender = fastProtoSender(target());
    receiver.faults.push({ status: 401 }, { status: 403 });
    const kinds = [(await failure(sender.send(batchOf(1), signal()))).kind, (await failure(sender.send(batchOf(1), signal()))).kind];
    await sender.shutdown();
    expect(kinds).toEqual(['AuthFailed', 'AuthFailed']);
  });

  it('reports an OTLP partial success as rejected records with the endpoint’s message', async () => {
    const sender = fastProtoSender(target());
    receiver.faults.push({ rejected: 2, message: 'timestamp too old' });
    const result = await sender.send(batchOf(4), signal());
    await sender.shutdown();
    expect(result).toMatchObject({ rejected: 2, rejectedMessage: 'timestamp too old' });
  });

  it('keeps concurrent sends apart (one writer per request in flight)', async () => {
    const sender = fastProtoSender(target());
    await Promise.all(Array.from({ length: 6 }, (_, i) => sender.send(batchOf(i + 1), signal())));
    await sender.shutdown();
    expect(receiver.requests.map((r) => r.records).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(receiver.accepted).toHaveLength(21);
  });

  it('abandons the send when the signal aborts', async () => {
    const sender = fastProtoSender(target());
    receiver.faults.push({ delayMs: 400 });
    const controller = new AbortController();
    const sending = sender.send(batchOf(1), controller.signal);
    setTimeout(() => controller.abort(new Error('hard stop')), 50);
    await expect(sending).rejects.toThrow('hard stop');
    await sender.shutdown();
  });
});
