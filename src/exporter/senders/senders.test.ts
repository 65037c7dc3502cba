import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CdnLogError } from '../../core/errors';
import { type CdnLogRecord, emptyRecord } from '../../core/record';
import type { OtlpEncoder, OtlpProtocol, OtlpTarget } from '../config';
import { type LogBatch, MAPPED_BATCHES } from '../delivery';
import { type MappedLog, mapRecord, resourceOf } from '../mapping';
import { batchOf } from '../testing/batches';
import { flatten, type OtlpReceiver, type ReceivedLog, startGrpcReceiver, startHttpReceiver } from '../testing/otlp-receiver';
import { senderFor } from '.';
import { fileSender } from './files';
import { classifyExportError } from './official';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('otlp-transformer-057/build/src/generated/root');

const T = Date.parse('2026-11-22T10:00:00.123Z');

function records(): CdnLogRecord[] {
  const attributes = Object.create(null);
  Object.assign(attributes, { ClientASN: 13335, Nested: { a: [1, 'x'] }, Flag: true, Ratio: 0.25 });
  return [
    {
      ...emptyRecord('cloudflare', 'zone-a', T + 0.456),
      id: 'ray-1',
      method: 'GET',
      host: 'example.com',
      path: '/ünïcode/😀',
      query: 'q=1&r=2',
      status: 503,
      bytesSent: 2 ** 40,
      durationMs: 12.5,
      clientIp: '2001:db8::1',
      clientPort: 443,
      referer: 'https://r.example/',
      cacheStatus: 'MISS',
      severity: 'error',
      requestId: 'ray-1',
      attributes,
    },
    { ...emptyRecord('naver-elsa', 'proj', T + 1), id: 'h2', message: 'line one\nline two', severity: 'warning', attributes: { logLevel: 'WARN' } },
    { ...emptyRecord('cloudflare', 'zone-b', T + 2), id: 'ray-3', method: 'PURGE', status: 200, cacheStatus: 'HIT', durationMs: 7 },
  ];
}

const BASE = { 'service.name': 'cdn-test', 'deployment.environment.name': 'ci' };

/** The records as one batch of mapped logs, and the logs with their resources. */
function mapped(input: CdnLogRecord[]): { batch: LogBatch; logs: Array<{ log: MappedLog; resource: Record<string, string> }> } {
  const logs = input.map((r) => ({ log: mapRecord(r, T + 60_000), resource: resourceOf(r, BASE) }));
  return { batch: batchOf(MAPPED_BATCHES, input, BASE, T + 60_000), logs };
}

/** What the receiver must have decoded for a mapped log. */
function expected({ log, resource }: { log: MappedLog; resource: Record<string, string> }): ReceivedLog {
  return {
    resource,
    scope: 'cdn-log-bridge',
    timeUnixNano: log.timeUnixNano,
    observedTimeUnixNano: log.observedTimeUnixNano,
    severityNumber: log.severityNumber,
    severityText: log.severityText,
    body: log.body,
    attributes: log.attributes,
  };
}

const byTime = (a: ReceivedLog, b: ReceivedLog) => (a.timeUnixNano < b.timeUnixNano ? -1 : 1);

function target(receiver: OtlpReceiver, protocol: OtlpProtocol, extra: Partial<OtlpTarget> = {}): OtlpTarget {
  return {
    encoder: 'official',
    kind: 'otlp',
    endpoint: protocol === 'grpc' ? receiver.origin : `${receiver.origin}/v1/logs`,
    protocol,
    headers: { authorization: 'Bearer otlp-test-token' },
    compression: 'gzip',
    timeoutMs: 10_000,
    ...extra,
  };
}

type SendOutcome = { ok: true } | { kind: string; status?: number; message: string };

/**
 * Sends `sends` batches of `input` through the sender the target picks. gRPC and the fast encoder
 * run here; the official HTTP exporters run in a plain Node child, because their transport loads
 * `http` with a dynamic import(), which jest's module runtime refuses (as production, plain Node does not).
 */
async function send(t: OtlpTarget, input: CdnLogRecord[], sends = 1): Promise<SendOutcome[]> {
  if (t.protocol === 'grpc' || t.encoder === 'fast') {
    const sender = senderFor(t);
    const out: SendOutcome[] = [];
    for (let i = 0; i < sends; i++) {
      try {
        await sender.send(batchOf(sender.batches, input, BASE, T + 60_000), new AbortController().signal);
        out.push({ ok: true });
      } catch (err) {
        const e = err as CdnLogError;
        out.push({ kind: e.kind, status: e.status, message: e.message });
      }
    }
    await sender.shutdown();
    return out;
  }
  const runTs = path.join(__dirname, '..', '..', '..', 'bin', 'run-ts.js');
  const child = spawn(process.execPath, [runTs, path.join(__dirname, '..', 'testing', 'send-child.ts'), JSON.stringify(t), String(sends)], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify({ records: input, observedMs: T + 60_000 }));
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await new Promise((resolve) => child.on('exit', resolve));
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as SendOutcome);
}

const MATRIX: Array<[OtlpEncoder, OtlpProtocol]> = [
  ['official', 'http/protobuf'],
  ['official', 'http/json'],
  ['official', 'grpc'],
  ['fast', 'http/protobuf'],
];

describe.each(MATRIX)('%s sender over %s', (encoder, protocol) => {
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = protocol === 'grpc' ? await startGrpcReceiver() : await startHttpReceiver();
  });
  afterEach(() => receiver.close());

  it('delivers a batch that the official protobuf definitions decode to the same records, resources and timestamps (ns)', async () => {
    expect(await send(target(receiver, protocol, { encoder }), records())).toEqual([{ ok: true }]);
    expect([...receiver.accepted].sort(byTime)).toEqual(mapped(records()).logs.map(expected).sort(byTime));
    expect(receiver.accepted[0].timeUnixNano).toBe('1795341600123456000');
    expect(receiver.requests[0].authorization).toBe('Bearer otlp-test-token');
    if (protocol !== 'grpc') expect(receiver.requests[0]).toMatchObject({ encoding: 'gzip', contentType: protocol === 'http/json' ? 'application/json' : 'application/x-protobuf' });
  });

  it('refuses with a classified error: a bad request stops (400 / INVALID_ARGUMENT), a refused token is an auth failure', async () => {
    receiver.faults.push(protocol === 'grpc' ? { grpcCode: 3, details: 'entry too far behind' } : { status: 400, body: 'entry too far behind' });
    receiver.faults.push(protocol === 'grpc' ? { grpcCode: 16 } : { status: 401 });
    const [bad, auth] = await send(target(receiver, protocol, { encoder }), records(), 2);
    expect(bad).toMatchObject({ kind: 'BadInput', status: 400, message: expect.stringContaining('entry too far behind') });
    expect(auth).toMatchObject({ kind: 'AuthFailed' });
    expect(receiver.accepted).toEqual([]);
  });

  it('gives back a retryable error when the receiver stays unavailable (past the official exporter’s own retries), and when it is down', async () => {
    for (let i = 0; i < 10; i++) receiver.faults.push(protocol === 'grpc' ? { grpcCode: 14 } : { status: 503 });
    expect(await send(target(receiver, protocol, { timeoutMs: 1_500, encoder }), records())).toEqual([expect.objectContaining({ kind: 'Transient' })]);
    await receiver.pause();
    expect(await send(target(receiver, protocol, { timeoutMs: 1_500, encoder }), records())).toEqual([expect.objectContaining({ kind: 'Transient' })]);
  });
});

describe('official sender over http/protobuf, retry behaviour', () => {
  it('honours a short Retry-After itself and then succeeds', async () => {
    const receiver = await startHttpReceiver();
    receiver.faults.push({ status: 429, retryAfter: '1' });
    expect(await send(target(receiver, 'http/protobuf'), records())).toEqual([{ ok: true }]);
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.accepted).toHaveLength(3);
    await receiver.close();
  });
});

describe('classifyExportError', () => {
  it('maps statuses and codes to what delivery does with them', () => {
    const cases: Array<[unknown, OtlpProtocol, string, number | undefined]> = [
      [{ code: 429, message: 'Too Many Requests' }, 'http/protobuf', 'RateLimited', 429],
      [{ code: 500, message: 'oops' }, 'http/json', 'Transient', 500],
      [{ code: 413, message: 'too big' }, 'http/protobuf', 'TooLarge', 413],
      [{ code: 404, message: 'Not Found', data: 'no such path' }, 'http/protobuf', 'ProviderError', 404],
      [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }, 'http/protobuf', 'Transient', undefined],
      [new Error('Export failed with retryable status'), 'http/protobuf', 'Transient', undefined],
      [{ code: 8, message: 'RESOURCE_EXHAUSTED' }, 'grpc', 'RateLimited', undefined],
      [{ code: 7, message: 'denied' }, 'grpc', 'AuthFailed', 403],
      [{ code: 12, message: 'no' }, 'grpc', 'ProviderError', undefined],
      [undefined, 'grpc', 'Transient', undefined],
    ];
    for (const [error, protocol, kind, status] of cases) {
      const e = classifyExportError(error, protocol);
      expect([e.kind, e.status]).toEqual([kind, status]);
    }
  });

  it('writes what the endpoint said on one line', () => {
    expect(classifyExportError({ code: 400, data: 'line1\nline2\r\n' }, 'http/json').message).toBe('HTTP 400: line1 line2');
  });
});

describe('fileSender', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otlp-files-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const Request = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
  const readAll = (files: string[]) =>
    files.flatMap((file) =>
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .flatMap((line) => flatten(Request.fromObject(JSON.parse(line)))),
    );

  it('writes each batch as one OTLP/JSON line that the official definitions read back as the same records', async () => {
    const sender = fileSender({ kind: 'files', dir, maxFileBytes: 1 << 20, maxFiles: 5 });
    const { batch, logs } = mapped(records());
    const result = await sender.send(batch, new AbortController().signal);
    await sender.shutdown();
    const files = await sender.files();
    expect(files).toEqual([path.join(dir, 'logs-000001.jsonl')]);
    expect(result.bytes).toBe(fs.statSync(files[0]).size);
    expect(readAll(files).sort(byTime)).toEqual(logs.map(expected).sort(byTime));
  });

  it('rotates by size, keeps the newest files, and starts a new file after a restart', async () => {
    const sender = fileSender({ kind: 'files', dir, maxFileBytes: 2048, maxFiles: 3 });
    for (let i = 0; i < 8; i++) await sender.send(mapped(records()).batch, new AbortController().signal);
    await sender.shutdown();
    const names = (await sender.files()).map((f) => path.basename(f));
    expect(names).toHaveLength(3);
    expect(names[names.length - 1]).toBe('logs-000008.jsonl');
    const again = fileSender({ kind: 'files', dir, maxFileBytes: 2048, maxFiles: 3 });
    await again.send(mapped(records()).batch, new AbortController().signal);
    await again.shutdown();
    expect((await again.files()).map((f) => path.basename(f))).toEqual(['logs-000007.jsonl', 'logs-000008.jsonl', 'logs-000009.jsonl']);
  });

  it('keeps lines of concurrent sources whole', async () => {
    const sender = fileSender({ kind: 'files', dir, maxFileBytes: 1 << 20, maxFiles: 5 });
    await Promise.all(Array.from({ length: 20 }, () => sender.send(mapped(records()).batch, new AbortController().signal)));
    await sender.shutdown();
    expect(readAll(await sender.files())).toHaveLength(60);
  });
});
