/**
 * The OTLP/HTTP receiver of the exporter benchmark, run as a child process (`node bin/run-ts.js
 * bench/otlp-sink.ts`) so that its work is billed to neither side of the comparison. It accepts
 * every `POST /v1/logs` (protobuf, gzip or not) with an empty ExportLogsServiceResponse and counts
 * the log records by walking the protobuf framing (ResourceLogs → ScopeLogs → LogRecord), nothing
 * more. In `verify` mode it also decodes every request with the official protobuf definitions (the
 * protobufjs root otlp-transformer 0.57 ships, as src/exporter/testing/otlp-receiver.ts does) and
 * counts the requests whose decoded record count differs from the walked one.
 *
 * Control: `POST /reset?verify=0|1` zeroes the counters; `GET /stats` answers them as JSON.
 * The first line on stdout is `{"port":N}`.
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('otlp-transformer-057/build/src/generated/root');

const Request = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;

export interface SinkStats {
  requests: number;
  records: number;
  /** Gzip bytes received (the wire), and their protobuf size. */
  wireBytes: number;
  protobufBytes: number;
  /** The largest request: records, and protobuf bytes (Loki's default burst is 4000 and 4 MiB). */
  maxRecords: number;
  maxProtobufBytes: number;
  /** Records counted by the official decoder (verify mode only). */
  verifiedRecords: number;
  /** Requests where the official decoder and the framing walk disagree. */
  mismatches: number;
}

/** The length-delimited sub-messages with field number `field` of a protobuf message, by offsets. */
function* lengthDelimited(buf: Buffer, start: number, end: number, field: number): Generator<[number, number]> {
  let at = start;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = buf[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
    }
  };
  while (at < end) {
    const tag = varint();
    const wireType = tag & 7;
    if (wireType === 0) varint();
    else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else if (wireType === 2) {
      const length = varint();
      if (tag >>> 3 === field) yield [at, at + length];
      at += length;
    } else throw new Error(`wire type ${wireType} at byte ${at}: not an ExportLogsServiceRequest`);
  }
  if (at !== end) throw new Error('a field runs past the end of its message');
}

/** Log records in an ExportLogsServiceRequest, counted from the framing alone. */
function countLogRecords(body: Buffer): number {
  let records = 0;
  for (const [rs, re] of lengthDelimited(body, 0, body.length, 1)) {
    for (const [ss, se] of lengthDelimited(body, rs, re, 2)) {
      for (const _ of lengthDelimited(body, ss, se, 2)) records++;
    }
  }
  return records;
}

function officialCount(body: Buffer): number {
  const request = Request.decode(body) as { resourceLogs?: Array<{ scopeLogs?: Array<{ logRecords?: unknown[] }> }> };
  let records = 0;
  for (const rl of request.resourceLogs ?? []) for (const sl of rl.scopeLogs ?? []) records += sl.logRecords?.length ?? 0;
  return records;
}

function main(): void {
  let verify = false;
  const empty = (): SinkStats => ({ requests: 0, records: 0, wireBytes: 0, protobufBytes: 0, maxRecords: 0, maxProtobufBytes: 0, verifiedRecords: 0, mismatches: 0 });
  let stats = empty();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://sink');
      if (req.method === 'GET' && url.pathname === '/stats') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      if (req.method === 'POST' && url.pathname === '/reset') {
        verify = url.searchParams.get('verify') === '1';
        stats = empty();
        return void res.writeHead(204).end();
      }
      if (req.method !== 'POST' || url.pathname !== '/v1/logs') return void res.writeHead(404).end();
      try {
        const wire = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(wire) : wire;
        const records = countLogRecords(body);
        stats.requests++;
        stats.records += records;
        stats.wireBytes += wire.length;
        stats.protobufBytes += body.length;
        stats.maxRecords = Math.max(stats.maxRecords, records);
        stats.maxProtobufBytes = Math.max(stats.maxProtobufBytes, body.length);
        if (verify) {
          const decoded = officialCount(body);
          stats.verifiedRecords += decoded;
          if (decoded !== records) stats.mismatches++;
        }
        // An empty ExportLogsServiceResponse: everything accepted.
        res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`undecodable: ${(err as Error).message}`);
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
  // The parent closes stdin when it is done (or dies): the sink goes with it.
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

main();
