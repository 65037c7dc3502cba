/**
 * The fast http/protobuf encoder against its oracle, and its sender against the test receiver.
 * Property: for random records of several sources (every mapping row's field with every value its
 * type allows: null, empty, unicode and lone surrogates, standard, non-standard and empty methods,
 * integers past 2^53 and 2^63, fractions, NaN and infinities; passthrough attributes of every kind
 * under any name, `__proto__` included; messages, severities, timestamps with µs fractions), the
 * official protobuf definitions (otlp-transformer 0.57's protobufjs root, as the test receiver uses)
 * decode this encoder's request and the official ProtobufLogsSerializer's request for the same
 * records, mapped by mapRecord and fed through toReadableLogs as the official sender feeds them, to
 * the same message: the fused path keeps the mapping's semantics and the serializer's encoding. The
 * same holds for the halves a 413 splits a batch into, a batch's size is known exactly, and batches
 * are cut exactly at the bounds. The sender's matrix of outcomes shared with the official one lives
 * in senders.test.ts.
 */

import fc from 'fast-check';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { CdnLogError } from '../../core/errors';
import { type AttributeValue, CACHE_STATUSES, type CdnLogRecord, emptyRecord, type ProviderId } from '../../core/record';
import type { OtlpTarget } from '../config';
import { deliverWindow, DeliveryStopped, estimateLogBytes, type LogBatch, MAPPED_BATCHES, MAX_BATCH_BYTES, sendWithRetry, splitBatch, type WindowDelivery } from '../delivery';
import { MAPPING, mapRecord } from '../mapping';
import { batchesOf, batchOf } from '../testing/batches';
import { type OtlpReceiver, startHttpReceiver } from '../testing/otlp-receiver';
import { encodedBatches, type EncodedLogs, fastProtoSender, partialSuccessOf, requestOf } from './fast-proto';
import { toReadableLogs } from './official';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('otlp-transformer-057/build/src/generated/root');

const Request = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
const Response = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
const TO_OBJECT = { longs: String, enums: Number, bytes: String, defaults: false, arrays: true };

const BASE = { 'service.name': 'cdn-test' };
const FORMAT = encodedBatches();

/** A request as the official definitions read it, every field that was on the wire. */
function decoded(bytes: Uint8Array): unknown {
  return Request.toObject(Request.decode(bytes), TO_OBJECT);
}

function official(batch: LogBatch): Uint8Array {
  const bytes = ProtobufLogsSerializer.serializeRequest(toReadableLogs(batch));
  if (!bytes) throw new Error('the official serializer returned nothing');
  return bytes;
}

/** Ours is the oracle's message, and exactly as large as the batch says. */
function expectSameRequest(ours: EncodedLogs, mapped: LogBatch): void {
  const request = requestOf(ours);
  expect(decoded(request)).toEqual(decoded(official(mapped)));
  expect(request.length).toBe(ours.bytes);
  expect(ours.records).toBe(mapped.records);
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
const number = fc.oneof(wholeNumbers, fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.5, -12.25));
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 3 });

const attributeName = fc.oneof(fc.constantFrom(...MAPPING.map((row) => row.attribute), '__proto__', 'constructor', '7', ''), text);

/** A provider field's value: scalars, and nested lists and objects (sent as JSON text). */
const providerValue: fc.Arbitrary<AttributeValue> = fc.oneof(
  text,
  number,
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(text, number, fc.boolean(), fc.constant(null)), { maxLength: 3 }),
  fc.dictionary(text, fc.oneof(text, number), { maxKeys: 3 }),
);

/** Provider fields as normalisers leave them: a null-prototype object, keys in insertion order. */
const providerFields = fc.array(fc.tuple(attributeName, providerValue), { maxLength: 6 }).map((entries) => {
  const out: Record<string, AttributeValue> = Object.create(null);
  for (const [k, v] of entries) out[k] = v;
  return out;
});

/** Epoch ms with a µs fraction, now-ish, anywhere up to 2286, and past it (below 2^64 ns). */
const timestampMs = fc.oneof(
  fc.tuple(fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }), fc.integer({ min: 0, max: 999 })).map(([ms, micros]) => ms + micros / 1000),
  fc.double({ min: 0, max: 1e13, noNaN: true }),
  fc.double({ min: 1e13, max: 1.8e13, noNaN: true }),
  fc.constantFrom(0, 0.0005, 0.9996, 999.9995, 1e13 - 0.0001, 1e13),
);

/** A few sources, each of one provider (as in a window), so that batches hold several resources. */
const SOURCES: Array<[ProviderId, string]> = [
  ['cloudflare', 'zone-a'],
  ['cloudflare', 'zone-b'],
  ['tencent-dsa', 'host-1.example.com'],
];

const record: fc.Arbitrary<CdnLogRecord> = fc
  .record({
    of: fc.constantFrom(...SOURCES),
    id: text,
    timestamp: timestampMs,
    clientIp: nullable(text),
    clientPort: nullable(number),
    country: nullable(text),
    method: nullable(fc.oneof(fc.constantFrom('GET', 'POST', 'QUERY', 'PURGE', 'get', ''), text)),
    scheme: nullable(text),
    host: nullable(text),
    path: nullable(text),
    query: nullable(text),
    protocol: nullable(fc.oneof(fc.constantFrom('1.1', '2', ''), text)),
    status: nullable(number),
    bytesSent: nullable(number),
    bodyBytes: nullable(number),
    durationMs: nullable(number),
    cacheStatus: fc.constantFrom(...CACHE_STATUSES),
    edgeLocation: nullable(text),
    userAgent: nullable(text),
    referer: nullable(text),
    range: nullable(text),
    contentType: nullable(text),
    requestId: nullable(text),
    message: fc.option(text, { nil: null, freq: 1 }),
    severity: fc.constantFrom('info' as const, 'warning' as const, 'error' as const),
    attributes: providerFields,
  })
  .map(({ of: [provider, source], ...fields }) => ({ ...fields, provider, source }));

const observedMs = fc.oneof(fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }), timestampMs);

describe('encoded batches', () => {
  it('make the request the official serializer makes of the same records mapped by mapRecord, for random records; and so do their halves', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), observedMs, (records, observed) => {
        const ours = batchOf(FORMAT, records, BASE, observed);
        const mapped = batchOf(MAPPED_BATCHES, records, BASE, observed);
        expectSameRequest(ours, mapped);
        if (records.length > 1) {
          const [a, b] = FORMAT.split(ours);
          const [x, y] = splitBatch(mapped);
          expectSameRequest(a, x);
          expectSameRequest(b, y);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('are cut exactly at the bounds: never past them (but for a record alone), never before', () => {
    const bounds = fc.record({ maxRecords: fc.integer({ min: 1, max: 6 }), maxBytes: fc.integer({ min: 200, max: 60_000 }) });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 14 }), bounds, (records, b) => {
        const batches = batchesOf(FORMAT, records, BASE, 0, b);
        let at = 0;
        for (const [i, batch] of batches.entries()) {
          const mine = records.slice(at, at + batch.records);
          at += batch.records;
          expectSameRequest(batch, batchOf(MAPPED_BATCHES, mine, BASE, 0));
          expect(batch.records).toBeLessThanOrEqual(b.maxRecords);
          if (batch.records > 1) expect(batch.bytes).toBeLessThanOrEqual(b.maxBytes);
          // Closed only because the next record would not fit.
          if (i < batches.length - 1 && batch.records < b.maxRecords) expect(batchOf(FORMAT, [...mine, records[at]], BASE, 0).bytes).toBeGreaterThan(b.maxBytes);
        }
        expect(at).toBe(records.length);
      }),
      { numRuns: 200 },
    );
  });

  it('hold records up to exactly the bound in bytes of request, and not a byte more', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 2, maxLength: 8 }), fc.nat(), (records, pick) => {
        const k = 1 + (pick % (records.length - 1));
        const exact = batchOf(FORMAT, records.slice(0, k), BASE, 0).bytes;
        const cut = (maxBytes: number) => batchesOf(FORMAT, records, BASE, 0, { maxBytes })[0].records;
        expect(cut(exact)).toBeGreaterThanOrEqual(k);
        if (k > 1) expect(cut(exact - 1)).toBeLessThan(k);
      }),
      { numRuns: 200 },
    );
  });

  it('write real records (every mapping row, passthrough attributes, two sources) as the official serializer does', () => {
    const T = Date.parse('2026-11-22T10:00:00.123Z');
    const nested = Object.assign(Object.create(null), { ClientASN: 13335, Nested: { a: [1, 'x'] }, Flag: true, Ratio: 0.25, Big: 2 ** 60 });
    const records: CdnLogRecord[] = [
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
        cacheStatus: 'MISS',
        edgeLocation: 'FRA',
        requestId: 'ray-1',
        durationMs: 12.5,
        severity: 'error',
        attributes: nested,
      },
      { ...emptyRecord('naver-elsa', 'proj', T + 1), id: 'h2', message: 'line one\nline two', severity: 'warning', durationMs: 7 },
      { ...emptyRecord('cloudflare', 'zone-b', T + 2), id: 'ray-3', status: 200 },
      { ...emptyRecord('cloudflare', 'zone-a', T + 3), id: 'ray-4', method: '', protocol: '' },
    ];
    const ours = batchOf(FORMAT, records, BASE, T + 60_000);
    expectSameRequest(ours, batchOf(MAPPED_BATCHES, records, BASE, T + 60_000));
    expect(ours.groups.map((g) => g.ends.length)).toEqual([2, 1, 1]);
  });

  it('never hold a record larger than the estimate the official and file senders cut batches by', () => {
    fc.assert(
      fc.property(record, observedMs, (r, observed) => {
        const [group] = batchOf(FORMAT, [r], BASE, observed).groups;
        expect(group.logRecords.length).toBeLessThanOrEqual(estimateLogBytes(mapRecord(r, observed)));
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

  function recordsOf(n: number): CdnLogRecord[] {
    return Array.from({ length: n }, (_, i) => ({ ...emptyRecord('cloudflare', 'zone-a', T + i), id: `ray-${i}`, method: 'GET', host: 'example.com', path: `/p/${i}`, status: 200 }));
  }
  const encodedOf = (n: number) => batchOf(FORMAT, recordsOf(n), BASE, T + 60_000);
  const mappedOf = (n: number) => batchOf(MAPPED_BATCHES, recordsOf(n), BASE, T + 60_000);

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
    const result = await sender.send(encodedOf(5), signal());
    await sender.shutdown();
    expect(receiver.accepted.map((r) => r.attributes['log.record.uid'])).toEqual(['ray-0', 'ray-1', 'ray-2', 'ray-3', 'ray-4']);
    expect(receiver.accepted[0]).toMatchObject({ resource: { 'service.name': 'cdn-test', 'cdn.provider': 'cloudflare', 'cdn.source': 'zone-a' }, scope: 'cdn-log-bridge', timeUnixNano: '1795341600000000000' });
    expect(receiver.requests[0]).toMatchObject({ records: 5, contentType: 'application/x-protobuf', encoding: 'gzip', authorization: 'Bearer otlp-test-token' });
    expect(result.rejected).toBe(0);
    // The gzip body: smaller than the protobuf it holds.
    expect(result.bytes).toBeGreaterThan(20);
    expect(result.bytes).toBeLessThan(official(mappedOf(5)).length);
    expect(sender.description).toBe(`OTLP http/protobuf to ${receiver.origin}/v1/logs`);
  });

  it('sends uncompressed protobuf when compression is none', async () => {
    const sender = fastProtoSender(target({ compression: 'none' }));
    const result = await sender.send(encodedOf(3), signal());
    await sender.shutdown();
    expect(receiver.requests[0]).toMatchObject({ records: 3, encoding: '' });
    expect(result.bytes).toBe(official(mappedOf(3)).length);
  });

  it('gives back a 429 as RateLimited with its Retry-After, without retrying by itself; delivery waits that long and sends again', async () => {
    const sender = fastProtoSender(target());
    receiver.faults.push({ status: 429, retryAfter: '7' });
    const refused = await failure(sender.send(encodedOf(2), signal()));
    expect([refused.kind, refused.status, refused.retryAfterMs]).toEqual(['RateLimited', 429, 7000]);
    expect(receiver.requests).toHaveLength(1);
    receiver.faults.push({ status: 429, retryAfter: '7' });
    const waits: number[] = [];
    const outcome: WindowDelivery = { records: 0, batches: 0, bytes: 0, retries: 0, rejected: 0 };
    await sendWithRetry(encodedOf(2), { fromMs: T, toMs: T + 60_000 }, { sender, resource: {}, nowMs: () => T, signal: signal(), sleep: async (ms) => void waits.push(ms), random: () => 0.5 }, outcome);
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
      const e = await failure(sender.send(encodedOf(1), signal()));
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
    const down = await failure(sender.send(encodedOf(1), signal()));
    await sender.shutdown();
    expect(down).toBeInstanceOf(CdnLogError);
    expect(down.kind).toBe('Transient');
  });

  it('has a batch the endpoint calls too large (413) delivered in halves that hold every record once', async () => {
    const sender = fastProtoSender(target());
    receiver.faults.push({ status: 413 });
    async function* chunks(): AsyncIterable<CdnLogRecord[]> {
      yield recordsOf(7);
    }
    const outcome = await deliverWindow(chunks(), { fromMs: T, toMs: T + 60_000 }, { sender, resource: BASE, nowMs: () => T + 60_000, signal: signal() });
    await sender.shutdown();
    expect(receiver.requests.map((r) => r.records)).toEqual([7, 4, 3]);
    expect(receiver.accepted.map((r) => r.attributes['log.record.uid'])).toEqual(recordsOf(7).map((r) => r.id));
    expect(outcome).toMatchObject({ records: 7, batches: 2 });
  });

  it('stops on a 400 with what the endpoint said, and delivery says that part of the batch may already be stored', async () => {
    const sender = fastProtoSender(target());
    receiver.faults.push({ status: 400, body: 'entry too far behind\nfor stream' });
    const e = await failure(sender.send(encodedOf(2), signal()));
    expect([e.kind, e.status, e.message]).toEqual(['BadInput', 400, 'HTTP 400: entry too far behind\\nfor stream']);
    receiver.faults.push({ status: 400, body: 'entry too far behind' });
    const outcome: WindowDelivery = { records: 0, batches: 0, bytes: 0, retries: 0, rejected: 0 };
    const stopped = await failure(sendWithRetry(encodedOf(2), { fromMs: T, toMs: T + 60_000 }, { sender, resource: {}, nowMs: () => T, signal: signal() }, outcome));
    await sender.shutdown();
    expect(stopped).toBeInstanceOf(DeliveryStopped);
    expect(stopped.message).toContain('entry too far behind');
    expect(stopped.message).toContain('may already be there');
    expect(outcome.retries).toBe(0);
  });

  it('stops on 401 and 403 as an authentication failure', async () => {
    const sender = fastProtoSender(target());
    receiver.faults.push({ status: 401 }, { status: 403 });
    const kinds = [(await failure(sender.send(encodedOf(1), signal()))).kind, (await failure(sender.send(encodedOf(1), signal()))).kind];
    await sender.shutdown();
    expect(kinds).toEqual(['AuthFailed', 'AuthFailed']);
  });

  it('reports an OTLP partial success as rejected records with the endpoint’s message', async () => {
    const sender = fastProtoSender(target());
    receiver.faults.push({ rejected: 2, message: 'timestamp too old' });
    const result = await sender.send(encodedOf(4), signal());
    await sender.shutdown();
    expect(result).toMatchObject({ rejected: 2, rejectedMessage: 'timestamp too old' });
  });

  it('keeps concurrent sends apart (one writer per request in flight)', async () => {
    const sender = fastProtoSender(target());
    await Promise.all(Array.from({ length: 6 }, (_, i) => sender.send(encodedOf(i + 1), signal())));
    await sender.shutdown();
    expect(receiver.requests.map((r) => r.records).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(receiver.accepted).toHaveLength(21);
  });

  it('abandons the send when the signal aborts', async () => {
    const sender = fastProtoSender(target());
    receiver.faults.push({ delayMs: 400 });
    const controller = new AbortController();
    const sending = sender.send(encodedOf(1), controller.signal);
    setTimeout(() => controller.abort(new Error('hard stop')), 50);
    await expect(sending).rejects.toThrow('hard stop');
    await sender.shutdown();
  });
});
