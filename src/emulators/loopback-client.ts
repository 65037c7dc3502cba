/**
 * A bare HTTP client for the emulator tests: raw bytes as sent (no gzip decoding, unlike fetch), and
 * the response object itself when a test needs to watch a body arrive (stalls, cut connections).
 */

import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Sends a request and resolves with the status line and headers, before the body is read. */
export function openRequest(url: string, options: RequestOptions = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, resolve);
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The whole response; rejects when the connection breaks before the body is complete. */
export async function rawRequest(url: string, options: RequestOptions = {}): Promise<RawResponse> {
  const response = await openRequest(url, options);
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', resolve);
    response.on('error', reject);
    response.on('aborted', () => reject(new Error('response aborted')));
  });
  return { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) };
}

/**
 * How long a slowBody test waits for the next byte before it counts the body as stalled: well past a
 * busy machine's scheduling hiccups, well short of the fault's delay.
 */
export const SLOW_BODY_IDLE_MS = 500;

/**
 * Reads a response until it ends or stays silent for `idleMs` (what a client's read timeout sees of
 * a stalled body), then closes it.
 */
export async function readUntilIdle(response: IncomingMessage, idleMs: number): Promise<{ bytes: number; timedOut: boolean }> {
  const received = await new Promise<{ bytes: number; timedOut: boolean }>((resolve) => {
    let bytes = 0;
    response.on('data', (chunk: Buffer) => (bytes += chunk.length));
    response.on('end', () => resolve({ bytes, timedOut: false }));
    response.socket.setTimeout(idleMs, () => resolve({ bytes, timedOut: true }));
  });
  response.destroy();
  return received;
}

/**
 * Sends `requestText` as it is over a fresh TCP connection and resolves with every byte the server
 * wrote before closing: for request lines no HTTP client would send (`GET // HTTP/1.1`).
 */
export function rawSocketExchange(port: number, requestText: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.end(requestText));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}
