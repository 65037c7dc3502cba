/**
 * The HTTP edge shared by the emulators: a server bound to 127.0.0.1 only, a log of the requests it
 * answered (never their credentials), and a body writer that can stall or cut a response the way a
 * flaky provider does.
 */

import { once } from 'node:events';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault } from './faults';

/** One answered request as a test sees it. Headers are left out on purpose: they carry the credentials. */
export interface RequestLogEntry {
  method: string;
  path: string;
  /** The query parameters, those that carry a credential (SECRET_QUERY_PARAMETERS) as `redacted`. */
  query: Record<string, string>;
  /** 0 until the status line is written. */
  status: number;
}

/**
 * Query parameters whose value is a credential (style: never log a secret, a signature or a signed
 * URL's query string), matched without regard to case: the DSA API's `Signature` and STS `Token`, the
 * tokens of signed package URLs (DSA `st`, EdgeOne `sign`), and the header credentials of ELSA, Gcore
 * and Cloudflare should a client put them in the query instead.
 */
const SECRET_QUERY_PARAMETERS: ReadonlySet<string> = new Set(
  ['Signature', 'Token', 'st', 'sign', 'x-ncp-apigw-signature-v2', 'x-ncp-iam-access-key', 'apikey', 'authorization', 'x-auth-key'].map(
    (name) => name.toLowerCase(),
  ),
);

function loggedQuery(params: URLSearchParams): Record<string, string> {
  return Object.fromEntries(
    [...params].map(([name, value]) => [name, SECRET_QUERY_PARAMETERS.has(name.toLowerCase()) ? 'redacted' : value]),
  );
}

const ORIGIN = 'http://127.0.0.1';
/** Where a request target that is not a URL lands: a path no emulator serves, so it gets that emulator's 404. */
const UNROUTABLE_PATH = '/.unparseable-request-target';

/**
 * The request target as a URL on our origin. An origin-form target (`/path?query`) is always a path,
 * even when it begins with `//` (`GET //evil/v2/index.php` is the path `//evil/v2/index.php`, not host
 * `evil`); an absolute-form one (`http://host/path`) is taken as it is. Never throws.
 */
export function requestUrl(target: string | undefined): URL {
  const text = target ?? '/';
  const href = text.startsWith('/') ? `${ORIGIN}${text}` : text;
  return new URL(URL.canParse(href) ? href : `${ORIGIN}${UNROUTABLE_PATH}`);
}

/** One request and its response, with helpers that keep the request log's status in step. */
export class Exchange {
  readonly url: URL;
  readonly entry: RequestLogEntry;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {
    this.url = requestUrl(req.url);
    this.entry = {
      method: req.method ?? 'GET',
      path: this.url.pathname,
      query: loggedQuery(this.url.searchParams),
      status: 0,
    };
  }

  get query(): URLSearchParams {
    return this.url.searchParams;
  }

  header(name: string): string | undefined {
    const value = this.req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  /** Writes the status line and headers; the body follows with `writeBody` or `end`. */
  head(status: number, headers: OutgoingHttpHeaders = {}): void {
    this.entry.status = status;
    this.res.writeHead(status, headers);
  }

  json(status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
    this.send(status, JSON.stringify(body), { 'Content-Type': 'application/json', ...headers });
  }

  text(status: number, body: string, headers: OutgoingHttpHeaders = {}): void {
    this.send(status, body, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  }

  send(status: number, body: string | Uint8Array, headers: OutgoingHttpHeaders): void {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    this.head(status, { ...headers, 'Content-Length': bytes.length });
    this.res.end(bytes);
  }

  async readBody(maxBytes = 64 * 1024): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new Error(`request body over ${maxBytes} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

export type Handler = (exchange: Exchange, signal: AbortSignal) => Promise<void> | void;

/** A demo left running for days must not grow without bound; tests look at far fewer entries than this. */
const MAX_LOGGED_REQUESTS = 10_000;

export interface LoopbackServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  port: number;
  requests: RequestLogEntry[];
  close(): Promise<void>;
}

/** Serves `handle` on 127.0.0.1:`port` (0 = any free port). */
export async function startLoopbackServer(port: number, handle: Handler): Promise<LoopbackServer> {
  const requests: RequestLogEntry[] = [];
  // Aborted on close, so stalled bodies (slowBody) do not keep the process alive.
  const shutdown = new AbortController();
  const server = createServer((req, res) => {
    let exchange: Exchange | undefined;
    // Everything runs inside the promise chain: whatever a request does, the server answers and lives on.
    Promise.resolve()
      .then(() => {
        exchange = new Exchange(req, res);
        if (requests.length >= MAX_LOGGED_REQUESTS) requests.splice(0, requests.length - MAX_LOGGED_REQUESTS + 1);
        requests.push(exchange.entry);
        return handle(exchange, shutdown.signal);
      })
      .catch((error: unknown) => {
        if (res.headersSent) return void res.destroy();
        const body = { message: `emulator error: ${error instanceof Error ? error.message : String(error)}` };
        if (exchange !== undefined) return exchange.json(500, body);
        res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      })
      .catch(() => res.destroy());
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const actualPort = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    requests,
    close: async () => {
      shutdown.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

export type BodyFault = Extract<Fault, { kind: 'slowBody' | 'truncatedBody' }>;

export function isBodyFault(fault: Fault | undefined): fault is BodyFault {
  return fault?.kind === 'slowBody' || fault?.kind === 'truncatedBody';
}

/**
 * Streams `chunks` into the response (after `exchange.head`) with backpressure, and ends it. A body
 * fault strikes after the first half of the first chunk, so the client has seen the status, the headers
 * and some bytes: slowBody then stalls (a client read timeout must fire), truncatedBody destroys the socket.
 */
export async function writeBody(
  exchange: Exchange,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  fault: BodyFault | undefined,
  signal: AbortSignal,
): Promise<void> {
  const { res } = exchange;
  let pendingFault = fault;
  // Status and headers go out at once, even when the body is empty or about to stall.
  res.flushHeaders();
  try {
    for await (const chunk of chunks) {
      if (res.destroyed) return;
      if (pendingFault === undefined || chunk.length === 0) {
        await write(res, chunk);
        continue;
      }
      const firstPart = chunk.subarray(0, Math.max(1, chunk.length >> 1));
      await write(res, firstPart);
      if (!(await strike(exchange, pendingFault, signal))) return;
      pendingFault = undefined;
      await write(res, chunk.subarray(firstPart.length));
    }
    if (pendingFault !== undefined && !(await strike(exchange, pendingFault, signal))) return;
    res.end();
  } catch {
    // The client went away or the emulator is closing: nothing left to answer.
    res.destroy();
  }
}

/** Applies a body fault; true when the response should carry on. */
async function strike(exchange: Exchange, fault: BodyFault, signal: AbortSignal): Promise<boolean> {
  if (fault.kind === 'truncatedBody') {
    exchange.res.socket?.destroy();
    return false;
  }
  await sleep(fault.delayMs, undefined, { signal });
  return !exchange.res.destroyed;
}

async function write(res: ServerResponse, chunk: Uint8Array): Promise<void> {
  if (chunk.length === 0) return;
  // Waiting for each chunk to be flushed is the backpressure; a closed response must not leave us waiting.
  await new Promise<void>((resolve, reject) => {
    const onClose = () => reject(new Error('response closed before the body was written'));
    res.once('close', onClose);
    res.write(chunk, (error) => {
      res.off('close', onClose);
      if (error) reject(error);
      else resolve();
    });
  });
}
