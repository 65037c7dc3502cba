/**
 * Window tapes: what the bridge's window cache keeps of a window is not its records but the provider's
 * answers, byte for byte as they came (already compressed: a gzip of NDJSON, a zip of TSV), and a
 * window is read again by running the adapter over them. Writing a tape costs a copy of bytes that
 * were downloaded anyway, where serialising the records cost more than decoding them did
 * (bench/bridge.bench.ts), and a tape takes about half the disk (Cloudflare: 5.0 MB per 100k records
 * as sent, 9.2 MB as gzip-1 NDJSON of records).
 *
 * `TapeRecorder` stands in for the query's HTTP client while a window downloads: each answer goes
 * on to the adapter and to the tape file. `TapePlayer` stands in for it when the window is read
 * again: a request recorded on the tape gets its recorded answer, with no network; any other
 * (an answer that was cut, a package another window of the recording query had already read) is
 * sent to the provider as usual. Requests are recognised by method, URL and body (or `replayKey`
 * when the body holds a nonce or a signature).
 */

import { createHash, type Hash } from 'node:crypto';
import { CdnLogError } from '../core/errors';
import type { Http, HttpRequest, HttpResponse } from '../transport/http';
import { redactUrl } from '../transport/http';
import { type RetryHooks, withRetry } from '../transport/retry';

/** An open file: positional reads and writes, so that a writer and many readers share one descriptor. */
export interface TapeFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
}

/** One recorded answer: where its body lies in the tape file (in pieces when answers interleaved). */
export interface TapeExchange {
  /** sha256 of method, URL and body (or replay key): no secret can be read back from it. */
  request: string;
  status: number;
  /** The headers an adapter reads: content type and encoding. */
  headers: Record<string, string>;
  /** [position, length] pieces of the body, in order. */
  pieces: Array<[number, number]>;
  bytes: number;
}

/** Statuses a retry would answer differently: never recorded, so that a replay never waits out a backoff. */
function transientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

const KEPT_HEADERS = ['content-type', 'content-encoding'];
/** Bytes received but not yet written before the download waits for the disk. */
const MAX_UNWRITTEN_BYTES = 16 * 1024 * 1024;
const READ_CHUNK_BYTES = 64 * 1024;

export function requestId(req: HttpRequest): string {
  const hash = createHash('sha256').update(`${req.method}\n${req.url}\n`);
  if (req.replayKey !== undefined) hash.update(`key\n${req.replayKey}`);
  else if (req.body !== undefined) hash.update('body\n').update(req.body);
  return hash.digest('hex');
}

function keptHeaders(headers: HttpResponse['headers']): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    if (text !== undefined) kept[name] = text;
  }
  return kept;
}

/** A stand-in for the query's client: the same retry policy and hooks, its own `send`. */
abstract class StandIn implements Http {
  constructor(protected readonly inner: Http) {}

  get retry() {
    return this.inner.retry;
  }

  retryHooks(signal: AbortSignal | undefined, onRetry?: RetryHooks['onRetry']): RetryHooks {
    return this.inner.retryHooks(signal, onRetry);
  }

  sendWithRetry<T>(req: HttpRequest, check: (res: HttpResponse) => Promise<T>, onRetry?: RetryHooks['onRetry']): Promise<T> {
    return withRetry(this.retry, async () => check(await this.send(req)), this.retryHooks(req.signal, onRetry));
  }

  abstract send(req: HttpRequest): Promise<HttpResponse>;
}

/** Records every answer the adapter reads to its end into `file`, from position 0. */
export class TapeRecorder extends StandIn {
  readonly exchanges: TapeExchange[] = [];
  /** The disk refused a write: the tape is incomplete and must not be read. */
  failed = false;
  private length = 0;
  private unwritten = 0;
  private writing: Promise<void> = Promise.resolve();
  private readonly hash: Hash = createHash('sha256');

  constructor(
    inner: Http,
    private readonly file: TapeFile,
  ) {
    super(inner);
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const res = await this.inner.send(req);
    if (transientStatus(res.status)) return res;
    const exchange: TapeExchange = { request: requestId(req), status: res.status, headers: keptHeaders(res.headers), pieces: [], bytes: 0 };
    // Recorded only when the adapter took the whole answer: read to its end, or discarded unread.
    let started = false;
    const commit = () => this.exchanges.push(exchange);
    const recorder = this;
    return {
      status: res.status,
      headers: res.headers,
      body: {
        async *[Symbol.asyncIterator]() {
          started = true;
          for await (const chunk of res.body) {
            await recorder.append(exchange, chunk);
            yield chunk;
          }
          commit();
        },
      },
      async text(maxBytes = 64 * 1024, options = {}) {
        started = true;
        const text = await res.text(maxBytes, options);
        const bytes = Buffer.from(text, 'utf8');
        // Shorter than the bound: that was the whole answer.
        if (bytes.length < maxBytes) {
          await recorder.append(exchange, bytes);
          commit();
        }
        return text;
      },
      async dump() {
        await res.dump();
        if (!started) commit();
      },
    };
  }

  /** Waits for every write; the tape's size and sha256, or null when the disk failed. */
  async finish(): Promise<{ bytes: number; sha256: string } | null> {
    await this.writing;
    return this.failed ? null : { bytes: this.length, sha256: this.hash.digest('hex') };
  }

  private async append(exchange: TapeExchange, chunk: Uint8Array): Promise<void> {
    if (this.failed || chunk.length === 0) return;
    const position = this.length;
    this.length += chunk.length;
    const last = exchange.pieces.at(-1);
    if (last !== undefined && last[0] + last[1] === position) last[1] += chunk.length;
    else exchange.pieces.push([position, chunk.length]);
    exchange.bytes += chunk.length;
    // Writes go in position order, so the running hash is the file's.
    this.hash.update(chunk);
    this.unwritten += chunk.length;
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.writing = this.writing.then(async () => {
      if (this.failed) return;
      try {
        for (let done = 0; done < buffer.length; ) {
          const { bytesWritten } = await this.file.write(buffer, done, buffer.length - done, position + done);
          done += bytesWritten;
        }
      } catch {
        this.failed = true;
      } finally {
        this.unwritten -= buffer.length;
      }
    });
    // The download goes no faster than the disk, past a bound: memory stays bounded.
    if (this.unwritten > MAX_UNWRITTEN_BYTES) await this.writing;
  }
}

/** Answers requests from a tape; sends the others through `inner`. */
export class TapePlayer extends StandIn {
  /** Requests the tape could not answer, sent to the provider. */
  misses = 0;
  private readonly unused = new Map<string, TapeExchange[]>();

  constructor(
    inner: Http,
    private readonly file: TapeFile,
    exchanges: readonly TapeExchange[],
  ) {
    super(inner);
    for (const exchange of exchanges) {
      const queue = this.unused.get(exchange.request);
      if (queue) queue.push(exchange);
      else this.unused.set(exchange.request, [exchange]);
    }
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    req.signal?.throwIfAborted();
    const exchange = this.unused.get(requestId(req))?.shift();
    if (exchange === undefined) {
      this.misses++;
      return this.inner.send(req);
    }
    const file = this.file;
    const what = `${req.method} ${redactUrl(req.url)} (from the window cache)`;
    async function* body(limit = exchange!.bytes): AsyncGenerator<Buffer> {
      let left = limit;
      for (const [position, length] of exchange!.pieces) {
        for (let done = 0; done < length && left > 0; ) {
          req.signal?.throwIfAborted();
          const size = Math.min(READ_CHUNK_BYTES, length - done, left);
          const buffer = Buffer.allocUnsafe(size);
          const { bytesRead } = await file.read(buffer, 0, size, position + done);
          if (bytesRead === 0) throw new CdnLogError('Transient', `${what}: the cached answer ends early; retry the query`);
          done += bytesRead;
          left -= bytesRead;
          yield bytesRead === size ? buffer : buffer.subarray(0, bytesRead);
        }
      }
    }
    return {
      status: exchange.status,
      headers: { ...exchange.headers },
      body: body(),
      async text(maxBytes = 64 * 1024, options = {}) {
        if (options.whole && exchange.bytes > maxBytes) throw new CdnLogError('TooLarge', `${what}: the answer runs past ${maxBytes} bytes; nothing of it was used`);
        const chunks: Buffer[] = [];
        for await (const chunk of body(Math.min(maxBytes, exchange.bytes))) chunks.push(chunk);
        return Buffer.concat(chunks).toString('utf8');
      },
      async dump() {},
    };
  }
}
