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
 * Reads a response until it ends or stays silent for SLOW_BODY_IDLE_MS (what a client's read timeout
 * sees of a stalled body), then closes it: its status, whether it stalled, and whether some but not
 * all of the announced Content-Length arrived.
 */
export async function watchStalledBody(response: IncomingMessage): Promise<{ status: number | undefined; stalled: boolean; partial: boolean }> {
  const { bytes, stalled } = await new Promise<{ bytes: number; stalled: boolean }>((resolve) => {
    let received = 0;
    response.on('data', (chunk: Buffer) => (received += chunk.length));
    response.on('end', () => resolve({ bytes: received, stalled: false }));
    response.socket.setTimeout(SLOW_BODY_IDLE_MS, () => resolve({ bytes: received, stalled: true }));
  });
  response.destroy();
  return { status: response.statusCode, stalled, partial: bytes > 0 && bytes < Number(response.headers['content-length']) };
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
