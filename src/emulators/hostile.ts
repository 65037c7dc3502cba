/**
 * The hostile-provider kit: a loopback server whose every answer a test scripts, for the answers no
 * honest emulator gives. Endless, trickling, cut-short and hanging bodies, replies that are not
 * HTTP, bodies that echo the request (its credentials included), and whatever JSON, zip or gzip a
 * script builds to lie about paging or records. Point a client's base URL at `origin`; package URLs
 * on the same origin are served by the same script.
 */

import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** One request as the script sees it: everything, headers and body included (it may echo them). */
export interface HostileRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: string;
  /** 1 for the first request to this path, 2 for the second... */
  hit: number;
  /** The server's origin, for package URLs that point back at it. */
  origin: string;
}

export type HostileAnswer =
  /** An ordinary answer. */
  | { kind: 'reply'; status: number; headers?: Record<string, string>; body?: string | Uint8Array }
  /** `chunk` written again and again until the client goes away. */
  | { kind: 'endless'; status: number; headers?: Record<string, string>; chunk?: string }
  /** `body` a few bytes at a time, `intervalMs` apart: never silent long enough for a read timeout. */
  | { kind: 'trickle'; status: number; headers?: Record<string, string>; body: string | Uint8Array; bytesPerWrite?: number; intervalMs: number }
  /** The headers announce all of `body`; `sentBytes` of it go out, then the connection is cut. */
  | { kind: 'truncated'; status: number; headers?: Record<string, string>; body: string | Uint8Array; sentBytes: number }
  /** Bytes written to the socket as they are (not HTTP, a broken chunk size...), then it is closed. */
  | { kind: 'raw'; bytes: string }
  /** The request line, headers and body, reflected as the body: what a debugging proxy sends back. */
  | { kind: 'echo'; status: number }
  /** No answer at all, until the client gives up. */
  | { kind: 'hang' };

export type HostileScript = (request: HostileRequest) => HostileAnswer | Promise<HostileAnswer>;

export interface HostileProvider {
  origin: string;
  /** Every request seen (method, path, hit), oldest first; bounded. */
  requests: Array<{ method: string; path: string; hit: number }>;
  /** Connections currently open: a client that gave up leaves none behind. */
  openConnections(): number;
  close(): Promise<void>;
}

const MAX_LOGGED = 10_000;

/** Waits for a full response buffer to drain, or for the response to close; leaves no listener behind. */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

function bytesOf(body: string | Uint8Array | undefined): Buffer {
  return body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
}

/** Starts a hostile provider on 127.0.0.1 (any free port) answering each request as `script` says. */
export async function startHostileProvider(script: HostileScript): Promise<HostileProvider> {
  const requests: HostileProvider['requests'] = [];
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  const closing = new AbortController();
  let origin = '';

  const server = createServer((req, res) => {
    const handle = async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
      const url = new URL(req.url ?? '/', origin);
      const hit = (hits.get(url.pathname) ?? 0) + 1;
      hits.set(url.pathname, hit);
      if (requests.length >= MAX_LOGGED) requests.shift();
      requests.push({ method: req.method ?? 'GET', path: url.pathname, hit });
      const answer = await script({ method: req.method ?? 'GET', url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), hit, origin });
      switch (answer.kind) {
        case 'reply': {
          const body = bytesOf(answer.body);
          res.writeHead(answer.status, { 'content-length': body.length, ...answer.headers });
          res.end(body);
          return;
        }
        case 'echo': {
          const headers = Object.entries(req.headers).map(([name, value]) => `${name}: ${String(value)}`);
          const text = [`${req.method} ${req.url} HTTP/${req.httpVersion}`, ...headers, '', Buffer.concat(chunks).toString('utf8')].join('\r\n');
          res.writeHead(answer.status, { 'content-type': 'text/plain' });
          res.end(text);
          return;
        }
        case 'endless': {
          res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
          const chunk = Buffer.from(answer.chunk ?? 'x'.repeat(16 * 1024));
          while (!res.destroyed && !closing.signal.aborted) {
            if (!res.write(chunk)) await drainedOrClosed(res);
          }
          return;
        }
        case 'trickle': {
          const body = bytesOf(answer.body);
          res.writeHead(answer.status, { 'content-length': body.length, ...answer.headers });
          const step = answer.bytesPerWrite ?? 1;
          for (let at = 0; at < body.length && !res.destroyed; at += step) {
            res.write(body.subarray(at, at + step));
            await sleep(answer.intervalMs, undefined, { signal: closing.signal }).catch(() => undefined);
            if (closing.signal.aborted) return void res.destroy();
          }
          res.end();
          return;
        }
        case 'truncated': {
          const body = bytesOf(answer.body);
          res.writeHead(answer.status, { 'content-length': body.length, ...answer.headers });
          res.write(body.subarray(0, answer.sentBytes), () => res.socket?.destroy());
          return;
        }
        case 'raw': {
          const socket = res.socket;
          if (socket) socket.end(answer.bytes, 'latin1');
          return;
        }
        case 'hang':
          await once(closing.signal, 'abort').catch(() => undefined);
          res.destroy();
          return;
      }
    };
    handle().catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    openConnections: () => sockets.size,
    close: async () => {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
