import { Agent, type Dispatcher, request } from 'undici';
import { CdnLogError, type ErrorKind, isCdnLogError } from '../core/errors';
import { visibleText } from '../core/printable';
import { formatDuration } from '../core/time';
import { publicOnlyLookup } from './public-address';
import { type RateLimit, RateLimiter } from './rate-limit';
import { DEFAULT_RETRY, parseRetryAfter, type RetryHooks, type RetryPolicy, withRetry } from './retry';

export interface HttpClientOptions {
  connectTimeoutMs?: number;
  /** Time to the response headers. */
  headersTimeoutMs?: number;
  /** Longest silence while reading a body: a stalled stream is a transient failure, not a hang. */
  bodyTimeoutMs?: number;
  /**
   * Longest a whole exchange may take, request to last body byte, unless the request sets its own
   * `deadlineMs`: a body that trickles a byte at a time never trips the silence timeout.
   */
  deadlineMs?: number;
  /** A body slower than `bytes` per `windowMs` (curl's --speed-limit/--speed-time) is cut as Transient. */
  lowSpeed?: LowSpeedLimit;
  /** Longest the reading of a small body (an error, a listing) through `text()` may take. */
  textDeadlineMs?: number;
  retry?: RetryPolicy;
  rateLimiter?: RateLimiter;
  onRetry?: RetryHooks['onRetry'];
}

export interface LowSpeedLimit {
  bytes: number;
  windowMs: number;
}

/** 30 min for one exchange, as for a log package; a trickling body is cut sooner by the low-speed limit. */
export const DEFAULT_DEADLINE_MS = 30 * 60_000;
/** Less than 1 KiB in a minute is no download: a body trickling a byte a second is cut after 60 s. */
export const DEFAULT_LOW_SPEED: LowSpeedLimit = { bytes: 1024, windowMs: 60_000 };
export const DEFAULT_TEXT_DEADLINE_MS = 60_000;

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Buckets this request counts against, e.g. [['cloudflare:zone:abc', {perMinute: 15}]]. */
  rateLimits?: ReadonlyArray<[string, RateLimit]>;
  signal?: AbortSignal;
  /** Overrides the client's deadlineMs for this request (a log package may take longer than an API call). */
  deadlineMs?: number;
  /** Called once the request goes to the network (not when a recording answers it): the adapters count provider requests with it. */
  onSent?: () => void;
  /** Called with the size of each body chunk as it arrives (compressed, as sent). */
  onBytes?: (bytes: number) => void;
  /**
   * A URL the provider handed us (a log package): connect only to public addresses, whatever the
   * name resolves to. Check the URL itself first with `checkPackageUrl`.
   */
  untrusted?: boolean;
  /**
   * What identifies this request when a recorded answer stands in for it (the bridge's window tapes):
   * method, URL and this; the body when unset. Set it when the body holds a nonce, a timestamp or a
   * signature, so that the same logical request is recognised again.
   */
  replayKey?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array>;
  /**
   * The body as text, at most `maxBytes` of it (error bodies and listings are small; never use this
   * for log data): reading stops there, or at the client's textDeadlineMs, and the rest is discarded.
   * Throws TooLarge when `whole` is set and the body runs past maxBytes (a listing cut short is wrong).
   */
  text(maxBytes?: number, options?: { whole?: boolean }): Promise<string>;
  /** Discards the rest of the body so the connection can be reused. */
  dump(): Promise<void>;
}

/** Origin and path only: a signed URL's query string (signatures, tokens) never reaches a message. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    // Not u.origin: it is "null" for file:, gopher: and other non-special schemes.
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid URL>';
  }
}

// HPE_*: llhttp's parse errors, a reply that is not HTTP or a bad chunk size.
const NETWORK_CODES = /^(UND_ERR_|HPE_|ECONN|EPIPE|ETIMEDOUT|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|ERR_STREAM_PREMATURE_CLOSE)/;

/** Network failures, timeouts and cut-off bodies are transient; the caller's own abort is not. */
export function classifyNetworkError(err: unknown, what: string): unknown {
  if (isCdnLogError(err)) return err;
  const e = err as { code?: string; name?: string; message?: string };
  if (e?.name === 'AbortError' || e?.code === 'ABORT_ERR') return err;
  // A request undici refuses to send (a header value with a line break): sending it again cannot help.
  if (e?.code === 'UND_ERR_INVALID_ARG') {
    return new CdnLogError('BadInput', `${what} was not sent: ${e.message ?? 'invalid request'}`, { field: 'request', cause: err });
  }
  // undici's HTTPParserError often has no code: a reply that is not HTTP at all.
  if ((typeof e?.code === 'string' && NETWORK_CODES.test(e.code)) || e?.name === 'HTTPParserError') {
    return new CdnLogError('Transient', `${what} failed in transit (${e.code ?? e.name}: ${e.message ?? 'no detail'})`, { cause: err });
  }
  if (e?.message && /terminated|other side closed|socket hang up|aborted/i.test(e.message)) {
    return new CdnLogError('Transient', `${what} failed in transit (${e.message})`, { cause: err });
  }
  return err;
}

/**
 * Ends an exchange that takes too long: past its deadline (request to last byte, wall clock), or a
 * body that moves slower than the low-speed limit. The speed counts only time spent waiting for the
 * provider, so a consumer that pauses the body (backpressure) never trips it. A body that stops
 * altogether is undici's bodyTimeout; `cut` ends an exchange from outside (a deadline on `text()`).
 */
class Watchdog {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private reason: string | null = null;
  private readonly deadline: NodeJS.Timeout;
  private windowWaitedMs = 0;
  private windowBytes = 0;

  constructor(
    deadlineMs: number,
    private readonly lowSpeed: LowSpeedLimit,
    caller: AbortSignal | undefined,
  ) {
    this.signal = caller ? AbortSignal.any([caller, this.controller.signal]) : this.controller.signal;
    this.deadline = setTimeout(() => this.cut(`took longer than ${formatDuration(deadlineMs)}`), deadlineMs);
    // An exchange nobody reads any more must not keep the process alive.
    this.deadline.unref();
  }

  /** Counts a chunk and the time spent waiting for it; throws (via `failure`) past a limit. */
  received(bytes: number, waitedMs: number, what: string): void {
    this.windowWaitedMs += waitedMs;
    this.windowBytes += bytes;
    if (this.windowWaitedMs >= this.lowSpeed.windowMs) {
      if (this.windowBytes < this.lowSpeed.bytes) {
        this.cut(`sent ${this.windowBytes} bytes in ${formatDuration(Math.round(this.windowWaitedMs))}, slower than ${this.lowSpeed.bytes} bytes per ${formatDuration(this.lowSpeed.windowMs)}`);
      }
      this.windowWaitedMs = 0;
      this.windowBytes = 0;
    }
    if (this.reason !== null) throw this.failure(what, undefined);
  }

  cut(reason: string): void {
    if (this.reason !== null) return;
    this.reason = reason;
    this.stop();
    this.controller.abort(new Error(reason));
  }

  /** The exchange is over (its body read, dropped or failed). */
  stop(): void {
    clearTimeout(this.deadline);
  }

  /** The error for an exchange this watchdog ended; null when it did not (the caller's abort, a network error). */
  failure(what: string, cause: unknown): CdnLogError | null {
    if (this.reason === null) return null;
    return new CdnLogError('Transient', `${what} ${this.reason}`, { cause });
  }
}

/** Wraps a body so that a failure while reading it is classified like a failure while connecting. */
async function* guardedBody(
  body: Dispatcher.ResponseData['body'],
  what: string,
  signal: AbortSignal | undefined,
  watchdog: Watchdog,
  onBytes?: (bytes: number) => void,
): AsyncIterable<Uint8Array> {
  let askedAt = performance.now();
  try {
    for await (const chunk of body) {
      const bytes = (chunk as Uint8Array).length;
      watchdog.received(bytes, performance.now() - askedAt, what);
      onBytes?.(bytes);
      yield chunk as Uint8Array;
      askedAt = performance.now();
    }
  } catch (err) {
    if (isCdnLogError(err)) throw err;
    throw watchdog.failure(what, err) ?? (signal?.aborted ? err : classifyNetworkError(err, what));
  } finally {
    watchdog.stop();
    // Stopped early (a bound, a limit, an error): the rest of the body is not wanted.
    if (!body.readableEnded) body.destroy();
  }
}

/** Default kind for an HTTP error status; adapters refine the message from the provider's body. */
export function kindForStatus(status: number): ErrorKind {
  if (status === 429) return 'RateLimited';
  if (status === 408 || status >= 500) return 'Transient';
  if (status === 401 || status === 403) return 'AuthFailed';
  return 'ProviderError';
}

/**
 * What the adapters use of an HTTP client: the client itself, or a stand-in that answers some
 * requests from a recording (src/bridge/tape.ts) and sends the others on.
 */
export interface Http {
  readonly retry: RetryPolicy;
  send(req: HttpRequest): Promise<HttpResponse>;
  sendWithRetry<T>(req: HttpRequest, check: (res: HttpResponse) => Promise<T>, onRetry?: RetryHooks['onRetry']): Promise<T>;
  retryHooks(signal: AbortSignal | undefined, onRetry?: RetryHooks['onRetry']): RetryHooks;
}

/**
 * The project's one HTTP client: undici with connect, header and body timeouts, per-credential rate
 * limits, and retries of network failures (the adapters retry statuses and bodies through `withRetry`).
 */
export class HttpClient implements Http {
  readonly retry: RetryPolicy;
  readonly rateLimiter: RateLimiter;
  private readonly dispatcher: Agent;
  /** For `untrusted` requests: the same timeouts, and a lookup that refuses non-public addresses. */
  private readonly untrustedDispatcher: Agent;
  private readonly onRetry?: RetryHooks['onRetry'];
  private readonly deadlineMs: number;
  private readonly lowSpeed: LowSpeedLimit;
  private readonly textDeadlineMs: number;

  constructor(options: HttpClientOptions = {}) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.rateLimiter = options.rateLimiter ?? new RateLimiter();
    this.onRetry = options.onRetry;
    this.deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.lowSpeed = options.lowSpeed ?? DEFAULT_LOW_SPEED;
    this.textDeadlineMs = options.textDeadlineMs ?? DEFAULT_TEXT_DEADLINE_MS;
    const timeouts = { headersTimeout: options.headersTimeoutMs ?? 60_000, bodyTimeout: options.bodyTimeoutMs ?? 60_000 };
    const connectTimeout = options.connectTimeoutMs ?? 10_000;
    this.dispatcher = new Agent({ connect: { timeout: connectTimeout }, ...timeouts });
    this.untrustedDispatcher = new Agent({ connect: { timeout: connectTimeout, lookup: publicOnlyLookup }, ...timeouts });
  }

  /** Retry hooks for a read: the client's own onRetry (progress, notes), then the reader's (counters). */
  retryHooks(signal: AbortSignal | undefined, onRetry?: RetryHooks['onRetry']): RetryHooks {
    return {
      signal,
      onRetry: (err, attempt, delayMs) => {
        this.onRetry?.(err, attempt, delayMs);
        onRetry?.(err, attempt, delayMs);
      },
    };
  }

  /** One attempt: waits for the rate limiter, sends, and returns whatever status came back. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const what = `${req.method} ${redactUrl(req.url)}`;
    if (req.rateLimits) await this.rateLimiter.acquire(req.rateLimits, req.signal);
    const watchdog = new Watchdog(req.deadlineMs ?? this.deadlineMs, this.lowSpeed, req.signal);
    let res: Dispatcher.ResponseData;
    req.onSent?.();
    try {
      res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: watchdog.signal,
        dispatcher: req.untrusted ? this.untrustedDispatcher : this.dispatcher,
      });
    } catch (err) {
      watchdog.stop();
      const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
      if (code === 'ERR_NON_PUBLIC_ADDRESS') {
        throw new CdnLogError('ProviderError', `${what}: refused, ${(err as Error).message}; nothing was fetched`, { cause: err });
      }
      // The caller's own abort (a deadline, a closed panel) is theirs to handle, not a retry.
      throw watchdog.failure(what, err) ?? (req.signal?.aborted ? err : classifyNetworkError(err, what));
    }
    const raw = res.body;
    const textDeadlineMs = this.textDeadlineMs;
    return {
      status: res.statusCode,
      headers: res.headers,
      body: guardedBody(raw, what, req.signal, watchdog, req.onBytes),
      async text(maxBytes = 64 * 1024, options = {}) {
        const chunks: Buffer[] = [];
        let size = 0;
        const deadline = setTimeout(() => watchdog.cut(`took longer than ${formatDuration(textDeadlineMs)} to send its answer`), textDeadlineMs);
        try {
          for await (const chunk of guardedBody(raw, what, req.signal, watchdog, req.onBytes)) {
            chunks.push(Buffer.from(chunk));
            size += chunk.length;
            if (size > maxBytes) {
              if (options.whole) throw new CdnLogError('TooLarge', `${what}: the answer runs past ${maxBytes} bytes; nothing of it was used`);
              break;
            }
          }
        } finally {
          clearTimeout(deadline);
        }
        return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
      },
      async dump() {
        watchdog.stop();
        await raw.dump().catch(() => undefined);
      },
    };
  }

  /**
   * Sends with retries; `check` turns a response into a value or throws a classified error
   * (non-retryable kinds stop at once). Retry-After from the provider is honoured.
   */
  async sendWithRetry<T>(req: HttpRequest, check: (res: HttpResponse) => Promise<T>, onRetry?: RetryHooks['onRetry']): Promise<T> {
    return withRetry(this.retry, async () => check(await this.send(req)), this.retryHooks(req.signal, onRetry));
  }

  /** Turns an error status into a classified error, reading (a bounded prefix of) the body for the message. */
  static async statusError(res: HttpResponse, describe: (status: number, body: string) => { kind?: ErrorKind; message: string }): Promise<CdnLogError> {
    const body = await res.text(8 * 1024).catch(() => '');
    const { kind, message } = describe(res.status, visibleText(body.trim()));
    return new CdnLogError(kind ?? kindForStatus(res.status), message, {
      status: res.status,
      retryAfterMs: parseRetryAfter(res.headers['retry-after']),
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.dispatcher.close(), this.untrustedDispatcher.close()]);
  }
}
