import { Agent, type Dispatcher, request } from 'undici';
import { CdnLogError, type ErrorKind, isCdnLogError } from '../core/errors';
import { publicOnlyLookup } from './public-address';
import { type RateLimit, RateLimiter } from './rate-limit';
import { DEFAULT_RETRY, parseRetryAfter, type RetryHooks, type RetryPolicy, withRetry } from './retry';

export interface HttpClientOptions {
  connectTimeoutMs?: number;
  /** Time to the response headers. */
  headersTimeoutMs?: number;
  /** Longest silence while reading a body: a stalled stream is a transient failure, not a hang. */
  bodyTimeoutMs?: number;
  retry?: RetryPolicy;
  rateLimiter?: RateLimiter;
  onRetry?: RetryHooks['onRetry'];
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Buckets this request counts against, e.g. [['cloudflare:zone:abc', {perMinute: 15}]]. */
  rateLimits?: ReadonlyArray<[string, RateLimit]>;
  signal?: AbortSignal;
  /** Called with the size of each body chunk as it arrives (compressed, as sent). */
  onBytes?: (bytes: number) => void;
  /**
   * A URL the provider handed us (a log package): connect only to public addresses, whatever the
   * name resolves to. Check the URL itself first with `checkPackageUrl`.
   */
  untrusted?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array>;
  /** Reads the whole body as text (error bodies are small; never use this for log data). */
  text(maxBytes?: number): Promise<string>;
  /** Discards the rest of the body so the connection can be reused. */
  dump(): Promise<void>;
}

/** Origin and path only: a signed URL's query string (signatures, tokens) never reaches a message. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<invalid URL>';
  }
}

const NETWORK_CODES = /^(UND_ERR_|ECONN|EPIPE|ETIMEDOUT|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|ERR_STREAM_PREMATURE_CLOSE)/;

/** Network failures, timeouts and cut-off bodies are transient; the caller's own abort is not. */
export function classifyNetworkError(err: unknown, what: string): unknown {
  if (isCdnLogError(err)) return err;
  const e = err as { code?: string; name?: string; message?: string };
  if (e?.name === 'AbortError' || e?.code === 'ABORT_ERR') return err;
  if (typeof e?.code === 'string' && NETWORK_CODES.test(e.code)) {
    return new CdnLogError('Transient', `${what} failed in transit (${e.code}: ${e.message ?? 'no detail'}); it will be retried`, { cause: err });
  }
  if (e?.message && /terminated|other side closed|socket hang up|aborted/i.test(e.message)) {
    return new CdnLogError('Transient', `${what} failed in transit (${e.message}); it will be retried`, { cause: err });
  }
  return err;
}

/** Wraps a body so that a failure while reading it is classified like a failure while connecting. */
async function* guardedBody(
  body: Dispatcher.ResponseData['body'],
  what: string,
  signal: AbortSignal | undefined,
  onBytes?: (bytes: number) => void,
): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of body) {
      onBytes?.((chunk as Uint8Array).length);
      yield chunk as Uint8Array;
    }
  } catch (err) {
    throw signal?.aborted ? err : classifyNetworkError(err, what);
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
 * The project's one HTTP client: undici with connect, header and body timeouts, per-credential rate
 * limits, and retries of network failures (the adapters retry statuses and bodies through `withRetry`).
 */
export class HttpClient {
  readonly retry: RetryPolicy;
  readonly rateLimiter: RateLimiter;
  private readonly dispatcher: Agent;
  /** For `untrusted` requests: the same timeouts, and a lookup that refuses non-public addresses. */
  private readonly untrustedDispatcher: Agent;
  private readonly onRetry?: RetryHooks['onRetry'];

  constructor(options: HttpClientOptions = {}) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.rateLimiter = options.rateLimiter ?? new RateLimiter();
    this.onRetry = options.onRetry;
    const timeouts = { headersTimeout: options.headersTimeoutMs ?? 60_000, bodyTimeout: options.bodyTimeoutMs ?? 60_000 };
    const connectTimeout = options.connectTimeoutMs ?? 10_000;
    this.dispatcher = new Agent({ connect: { timeout: connectTimeout }, ...timeouts });
    this.untrustedDispatcher = new Agent({ connect: { timeout: connectTimeout, lookup: publicOnlyLookup }, ...timeouts });
  }

  /** One attempt: waits for the rate limiter, sends, and returns whatever status came back. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const what = `${req.method} ${redactUrl(req.url)}`;
    if (req.rateLimits) await this.rateLimiter.acquire(req.rateLimits, req.signal);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: req.signal,
        dispatcher: req.untrusted ? this.untrustedDispatcher : this.dispatcher,
      });
    } catch (err) {
      const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
      if (code === 'ERR_NON_PUBLIC_ADDRESS') {
        throw new CdnLogError('ProviderError', `${what}: refused, ${(err as Error).message}; nothing was fetched`, { cause: err });
      }
      // The caller's own abort (a deadline, a closed panel) is theirs to handle, not a retry.
      throw req.signal?.aborted ? err : classifyNetworkError(err, what);
    }
    const raw = res.body;
    return {
      status: res.statusCode,
      headers: res.headers,
      body: guardedBody(raw, what, req.signal, req.onBytes),
      async text(maxBytes = 64 * 1024) {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of guardedBody(raw, what, req.signal, req.onBytes)) {
          if (size < maxBytes) chunks.push(Buffer.from(chunk));
          size += chunk.length;
        }
        return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
      },
      async dump() {
        await raw.dump().catch(() => undefined);
      },
    };
  }

  /**
   * Sends with retries; `check` turns a response into a value or throws a classified error
   * (non-retryable kinds stop at once). Retry-After from the provider is honoured.
   */
  async sendWithRetry<T>(req: HttpRequest, check: (res: HttpResponse) => Promise<T>): Promise<T> {
    return withRetry(this.retry, async () => check(await this.send(req)), { onRetry: this.onRetry, signal: req.signal });
  }

  /** Turns an error status into a classified error, reading (a bounded prefix of) the body for the message. */
  static async statusError(res: HttpResponse, describe: (status: number, body: string) => { kind?: ErrorKind; message: string }): Promise<CdnLogError> {
    const body = await res.text(8 * 1024).catch(() => '');
    const { kind, message } = describe(res.status, body.trim());
    return new CdnLogError(kind ?? kindForStatus(res.status), message, {
      status: res.status,
      retryAfterMs: parseRetryAfter(res.headers['retry-after']),
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.dispatcher.close(), this.untrustedDispatcher.close()]);
  }
}
