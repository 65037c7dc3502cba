import { CdnLogError, isCdnLogError } from '../core/errors';
import { type CdnLogRecord, emptyRecord } from '../core/record';
import { SecretScrubber } from '../core/secrets';
import { CANARY, CANARY_FRAGMENTS } from '../testing/hostile-suite';
import { Batcher, deliverWindow, type DeliveryOptions, DeliveryStopped, estimateLogBytes, MAX_BATCH_BYTES, splitBatch } from './delivery';
import { mapRecord } from './mapping';
import { FakeSender, statusError } from './testing/fake-sender';

const T = Date.parse('2026-11-22T10:00:00Z');
const WINDOW = { fromMs: T, toMs: T + 60_000 };

function record(i: number, extra: Partial<CdnLogRecord> = {}): CdnLogRecord {
  return { ...emptyRecord('cloudflare', i % 2 === 0 ? 'zone-a' : 'zone-b', T + i), id: `r${i}`, method: 'GET', host: 'example.com', path: `/p/${i}`, status: 200, ...extra };
}

async function* chunks(records: CdnLogRecord[], size = 1000): AsyncIterable<CdnLogRecord[]> {
  for (let i = 0; i < records.length; i += size) yield records.slice(i, i + size);
}

function options(sender: FakeSender, extra: Partial<DeliveryOptions> = {}): DeliveryOptions & { waits: number[] } {
  const waits: number[] = [];
  return {
    sender,
    resource: { 'service.name': 'test' },
    nowMs: () => T + 120_000,
    signal: new AbortController().signal,
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
    waits,
    ...extra,
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => record(i));

describe('deliverWindow', () => {
  it('sends 10,001 records as batches of at most 4000, each record once, grouped by resource', async () => {
    const sender = new FakeSender();
    const outcome = await deliverWindow(chunks(range(10_001), 999), WINDOW, options(sender));
    expect(sender.accepted.map((b) => b.records)).toEqual([4000, 4000, 2001]);
    expect([...sender.ids()].sort()).toEqual(range(10_001).map((r) => r.id).sort());
    expect(new Set(sender.ids()).size).toBe(10_001);
    expect(outcome).toMatchObject({ records: 10_001, batches: 3, retries: 0, rejected: 0 });
    expect(sender.accepted[0].resourceLogs.map((g) => g.resource)).toEqual([
      { 'service.name': 'test', 'cdn.provider': 'cloudflare', 'cdn.source': 'zone-a' },
      { 'service.name': 'test', 'cdn.provider': 'cloudflare', 'cdn.source': 'zone-b' },
    ]);
  });

  it('keeps every batch under 4 MiB however large the records', async () => {
    const sender = new FakeSender();
    const big = Array.from({ length: 300 }, (_, i) => record(i, { userAgent: 'x'.repeat(100_000 + i), path: `/é/${'y'.repeat(i)}` }));
    await deliverWindow(chunks(big, 7), WINDOW, options(sender));
    expect(sender.accepted.length).toBeGreaterThan(7);
    for (const batch of sender.accepted) expect(batch.estimatedBytes).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    expect(sender.accepted.reduce((n, b) => n + b.records, 0)).toBe(300);
  });

  it('sends nothing for an empty window and reports it delivered', async () => {
    const sender = new FakeSender();
    expect(await deliverWindow(chunks([]), WINDOW, options(sender))).toEqual({ records: 0, batches: 0, bytes: 0, retries: 0, rejected: 0 });
    expect(sender.attempts).toEqual([]);
  });

  it('retries 429 honouring Retry-After, and 502/503/504/network errors, until acknowledged', async () => {
    const sender = new FakeSender();
    sender.script.push(
      statusError(429, 'slow down', 7_000),
      statusError(502),
      statusError(503),
      statusError(504),
      new CdnLogError('Transient', 'connect ECONNREFUSED 127.0.0.1:4318'),
    );
    const opts = options(sender);
    const outcome = await deliverWindow(chunks(range(10)), WINDOW, opts);
    expect(opts.waits[0]).toBeGreaterThanOrEqual(7_000);
    expect(opts.waits).toHaveLength(5);
    expect(outcome).toMatchObject({ records: 10, batches: 1, retries: 5 });
    expect(sender.ids()).toHaveLength(10);
  });

  it('retries forever with waits capped at 30 s', async () => {
    const sender = new FakeSender();
    for (let i = 0; i < 200; i++) sender.script.push(statusError(503));
    const opts = options(sender, { random: () => 0.999 });
    const outcome = await deliverWindow(chunks(range(3)), WINDOW, opts);
    expect(outcome.retries).toBe(200);
    expect(Math.max(...opts.waits)).toBeLessThanOrEqual(30_000);
    expect(opts.waits[opts.waits.length - 1]).toBeGreaterThan(29_000);
  });

  it('caps a huge Retry-After at 5 min instead of waiting it out', async () => {
    const sender = new FakeSender();
    sender.script.push(statusError(429, 'later', 86_400_000));
    const opts = options(sender);
    await deliverWindow(chunks(range(1)), WINDOW, opts);
    expect(opts.waits).toEqual([300_000]);
  });

  it('stops on a 400, says Loki may have stored part of the batch, and sends nothing after it', async () => {
    const sender = new FakeSender();
    sender.script.push({ rejected: 0, message: '' }, statusError(400, 'entry too far behind'));
    const err = await deliverWindow(chunks(range(9000)), WINDOW, options(sender)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryStopped);
    expect((err as Error).message).toMatch(/test sender refused a batch of 4000 records of the window 2026-11-22T10:00Z\.\.2026-11-22T10:01Z: entry too far behind/);
    expect((err as Error).message).toContain('may come after it stored part of the batch');
    expect(sender.attempts).toHaveLength(2);
    expect(sender.accepted).toHaveLength(1);
  });

  it('stops on 401 naming the headers to check', async () => {
    const sender = new FakeSender();
    sender.script.push(statusError(401, 'no token'));
    const err = await deliverWindow(chunks(range(1)), WINDOW, options(sender)).catch((e: unknown) => e);
    expect(isCdnLogError(err, 'AuthFailed')).toBe(true);
    expect((err as Error).message).toContain('OTEL_EXPORTER_OTLP_HEADERS');
  });

  it('splits a batch the endpoint calls too large (413) and delivers both halves', async () => {
    const sender = new FakeSender();
    sender.script.push(statusError(413));
    const outcome = await deliverWindow(chunks(range(10)), WINDOW, options(sender));
    expect(sender.accepted.map((b) => b.records)).toEqual([5, 5]);
    expect(outcome.records).toBe(10);
  });

  it('counts records the endpoint acknowledged but rejected (partial success) without retrying them', async () => {
    const sender = new FakeSender();
    sender.script.push({ rejected: 3, message: 'timestamp too old' });
    const outcome = await deliverWindow(chunks(range(10)), WINDOW, options(sender));
    expect(outcome).toMatchObject({ records: 10, rejected: 3, batches: 1 });
    expect(sender.attempts).toHaveLength(1);
  });

  it('pulls no further than one batch ahead while the endpoint is slow (backpressure)', async () => {
    const sender = new FakeSender();
    let release!: () => void;
    sender.script.push(() => new Promise<void>((resolve) => (release = resolve)));
    let pulled = 0;
    async function* counted(): AsyncIterable<CdnLogRecord[]> {
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield Array.from({ length: 1000 }, (_, j) => record(i * 1000 + j));
      }
    }
    const done = deliverWindow(counted(), WINDOW, options(sender));
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    // Batch 1 (chunks 1-4) in flight, batch 2 filled (chunks 5-8) and the record that closed it read (chunk 9).
    expect(pulled).toBe(9);
    release();
    expect((await done).records).toBe(10_000);
  });

  it('a hard stop abandons the batch in flight: the window is not reported delivered', async () => {
    const sender = new FakeSender();
    const controller = new AbortController();
    for (let i = 0; i < 5; i++) sender.script.push(statusError(503));
    const opts = options(sender, {
      signal: controller.signal,
      sleep: async () => {
        controller.abort(new Error('stopping'));
      },
    });
    await expect(deliverWindow(chunks(range(5)), WINDOW, opts)).rejects.toThrow('stopping');
    expect(sender.accepted).toEqual([]);
  });

  it('never lets an OTLP token the endpoint echoes reach a message', async () => {
    const sender = new FakeSender();
    const token = CANARY.CLOUDFLARE_API_TOKEN;
    sender.script.push(statusError(503, `upstream said: Authorization: Bearer ${token}`), statusError(400, `bad request from Bearer ${token.slice(3, 20)}`));
    const retried: string[] = [];
    const err = await deliverWindow(chunks(range(2)), WINDOW, options(sender, { scrubber: new SecretScrubber([token]), onRetry: (e) => retried.push(e.message) })).catch((e: unknown) => e);
    const texts = [...retried, (err as Error).message, String((err as Error).stack)];
    expect(texts.join('\n')).toContain('[redacted]');
    for (const text of texts) for (const fragment of CANARY_FRAGMENTS) expect(text).not.toContain(fragment);
  });
});

describe('Batcher and splitBatch', () => {
  it('splits a batch into halves that keep every log and its resource', () => {
    const batcher = new Batcher();
    for (let i = 0; i < 7; i++) batcher.add(record(i, { source: `s${i % 3}` }), { 'cdn.source': `s${i % 3}` }, T);
    const batch = batcher.take()!;
    const [a, b] = splitBatch(batch);
    expect(a.records + b.records).toBe(7);
    const ids = (x: typeof a) => x.resourceLogs.flatMap((g) => g.logs.map((l) => `${g.resource['cdn.source']}/${l.attributes['log.record.uid']}`));
    expect([...ids(a), ...ids(b)].sort()).toEqual(ids(batch).sort());
    expect(a.estimatedBytes + b.estimatedBytes).toBe(batch.estimatedBytes);
  });

  it('estimates at least the UTF-8 size of the text it carries', () => {
    const log = mapRecord(record(1, { userAgent: '日本語'.repeat(100) }), T);
    expect(estimateLogBytes(log)).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(log.attributes)) - 200);
  });
});
