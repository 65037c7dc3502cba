/**
 * An OTLP logs receiver for tests: HTTP (protobuf and JSON, gzip or not) and gRPC on loopback. It
 * decodes with the official protobuf definitions (the protobufjs root generated from
 * opentelemetry-proto that @opentelemetry/otlp-transformer 0.57 ships), never with the project's
 * code, and records every log record it accepted. Faults are scripted per request.
 */

import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
// The generated static module of opentelemetry-proto (protobufjs), as otlp-transformer 0.57 ships it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('otlp-transformer-057/build/src/generated/root');

const proto = root.opentelemetry.proto;
const Request = proto.collector.logs.v1.ExportLogsServiceRequest;
const Response = proto.collector.logs.v1.ExportLogsServiceResponse;

/** One accepted log record, flattened with its resource and scope. */
export interface ReceivedLog {
  resource: Record<string, unknown>;
  scope: string;
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: unknown;
  attributes: Record<string, unknown>;
}

export type ReceiverFault =
  | { status: number; retryAfter?: string; body?: string }
  | { grpcCode: number; details?: string }
  | { delayMs: number }
  /** Close the connection without an answer. */
  | { destroy: true }
  | { rejected: number; message: string };

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: Array<{ key: string; value: AnyValue }> };
}

function valueOf(v: AnyValue | undefined): unknown {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(valueOf);
  if (v.kvlistValue !== undefined) return attributesOf(v.kvlistValue.values);
  return null;
}

function attributesOf(list: Array<{ key: string; value: AnyValue }> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = valueOf(kv.value);
  return out;
}

const TO_OBJECT = { longs: String, enums: Number, bytes: String, defaults: false, arrays: true };

/** A decoded request as flat records. */
export function flatten(message: unknown): ReceivedLog[] {
  const request = Request.toObject(message, TO_OBJECT) as {
    resourceLogs?: Array<{ resource?: { attributes?: Array<{ key: string; value: AnyValue }> }; scopeLogs?: Array<{ scope?: { name?: string }; logRecords?: Array<Record<string, unknown>> }> }>;
  };
  const out: ReceivedLog[] = [];
  for (const rl of request.resourceLogs ?? []) {
    const resource = attributesOf(rl.resource?.attributes);
    for (const sl of rl.scopeLogs ?? []) {
      for (const lr of sl.logRecords ?? []) {
        out.push({
          resource,
          scope: sl.scope?.name ?? '',
          timeUnixNano: String(lr.timeUnixNano ?? '0'),
          observedTimeUnixNano: String(lr.observedTimeUnixNano ?? '0'),
          severityNumber: Number(lr.severityNumber ?? 0),
          severityText: String(lr.severityText ?? ''),
          body: valueOf(lr.body as AnyValue),
          attributes: attributesOf(lr.attributes as Array<{ key: string; value: AnyValue }>),
        });
      }
    }
  }
  return out;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:PORT` (add /v1/logs for HTTP). */
  origin: string;
  accepted: ReceivedLog[];
  /** Requests seen (accepted or not), with what they held. */
  requests: Array<{ records: number; contentType: string; encoding: string; authorization?: string }>;
  faults: ReceiverFault[];
  /** Stops listening (connections are refused) until `resume()`. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

async function listen(server: http.Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

export async function startHttpReceiver(): Promise<OtlpReceiver> {
  const accepted: ReceivedLog[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const faults: ReceiverFault[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks);
    const encoding = String(req.headers['content-encoding'] ?? '');
    if (encoding === 'gzip') body = gunzipSync(body);
    const contentType = String(req.headers['content-type'] ?? '');
    const json = contentType.startsWith('application/json');
    const message = json ? Request.fromObject(JSON.parse(body.toString('utf8'))) : Request.decode(body);
    const records = flatten(message);
    requests.push({ records: records.length, contentType, encoding, authorization: req.headers.authorization });
    const fault = faults.shift();
    if (fault && 'delayMs' in fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault && 'destroy' in fault) {
      req.socket.destroy();
      return;
    }
    if (fault && 'status' in fault) {
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      res.writeHead(fault.status, headers).end(fault.body ?? `fault ${fault.status}`);
      return;
    }
    accepted.push(...records);
    const response = fault && 'rejected' in fault ? { partialSuccess: { rejectedLogRecords: fault.rejected, errorMessage: fault.message } } : {};
    if (json) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(response));
    else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from(Response.encode(Response.fromObject(response)).finish()));
  };
  const server = http.createServer((req, res) => {
    handler(req, res).catch((err: unknown) => res.writeHead(400, { 'content-type': 'text/plain' }).end(`undecodable: ${String(err)}`));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server, 0);
  const closeServer = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return {
    origin: `http://127.0.0.1:${port}`,
    accepted,
    requests,
    faults,
    pause: closeServer,
    resume: async () => {
      await listen(server, port);
    },
    close: async () => {
      if (server.listening) await closeServer();
    },
  };
}

export async function startGrpcReceiver(): Promise<OtlpReceiver> {
  const accepted: ReceivedLog[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const faults: ReceiverFault[] = [];
  const service: grpc.ServiceDefinition = {
    export: {
      path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
      requestStream: false,
      responseStream: false,
      requestSerialize: (m: unknown) => Buffer.from(Request.encode(m).finish()),
      requestDeserialize: (buf: Buffer) => Request.decode(buf),
      responseSerialize: (m: unknown) => Buffer.from(Response.encode(Response.fromObject(m as object)).finish()),
      responseDeserialize: (buf: Buffer) => Response.decode(buf),
    },
  };
  const makeServer = () => {
    const server = new grpc.Server();
    server.addService(service, {
      export: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const records = flatten(call.request);
        requests.push({ records: records.length, contentType: 'application/grpc', encoding: '', authorization: call.metadata.get('authorization')[0] as string | undefined });
        const fault = faults.shift();
        const answer = () => {
          if (fault && 'grpcCode' in fault) return callback({ code: fault.grpcCode, details: fault.details ?? 'fault' } as grpc.ServiceError);
          accepted.push(...records);
          callback(null, fault && 'rejected' in fault ? { partialSuccess: { rejectedLogRecords: fault.rejected, errorMessage: fault.message } } : {});
        };
        if (fault && 'delayMs' in fault) setTimeout(answer, fault.delayMs);
        else answer();
      },
    });
    return server;
  };
  let server = makeServer();
  const bind = (port: number) =>
    new Promise<number>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))));
  const port = await bind(0);
  return {
    origin: `http://127.0.0.1:${port}`,
    accepted,
    requests,
    faults,
    pause: async () => {
      server.forceShutdown();
    },
    resume: async () => {
      server = makeServer();
      await bind(port);
    },
    close: async () => {
      server.forceShutdown();
    },
  };
}
