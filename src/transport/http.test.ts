import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { CdnLogError, type ErrorKind, isCdnLogError } from '../core/errors';
import { classifyNetworkError, HttpClient, type HttpClientOptions, type HttpResponse, kindForStatus, redactUrl } from './http';
import { type RateLimit, RateLimiter } from './rate-limit';
import type { RetryPolicy } from './retry';

/** Every backoff is floor(random·1) = 0 ms, so retry loops against the loopback server run at once. */
const NO_WAIT: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1000 };
const SIGNED_QUERY = '?sign=SIGNATURE-abc123&token=TOKEN-xyz789&t=1764000000';

type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => void;

let server: Server;
let base: string;
let handler: Handler;
let hits: number;
const clients: HttpClient[] = [];
const extraServers: Server[] = [];

function client(options: HttpClientOptions = {}): HttpClient {
  const c = new HttpClient({ retry: NO_WAIT, ...options });
  clients.push(c);
  return c;
}

/** A handler that sends an 8 KiB body a byte every `intervalMs`. */
function trickle(intervalMs: number): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-length': 8192 });
    const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('t')), intervalMs);
    res.on('close', () => clearInterval(timer));
  };
}

async function readAll(res: HttpResponse): Promise<{ chunks: Uint8Array[]; text: string }> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of res.body) chunks.push(chunk);
  return { chunks, text: Buffer.concat(chunks).toString('utf8') };
}

/** The rejection of `p`, or a failure when it resolves. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

function expectKind(err: unknown, kind: ErrorKind): CdnLogError {
  expect(isCdnLogError(err) ? err.kind : err).toBe(kind);
  return err as CdnLogError;
}

function listen(s: Server): Promise<string> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    handler(req, res, hits);
  });
  base = await listen(server);
});

beforeEach(() => {
  hits = 0;
  handler = (_req, res) => res.end('ok');
});

afterEach(async () => {
  // Cut held responses first, so that closing a client never waits on a request that cannot finish.
  server.closeAllConnections();
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(extraServers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('kindForStatus', () => {
  it.each<[number, ErrorKind]>([
    [429, 'RateLimited'],
    [408, 'Transient'],
    [500, 'Transient'],
    [502, 'Transient'],
    [503, 'Transient'],
    [504, 'Transient'],
    [599, 'Transient'],
    [401, 'AuthFailed'],
    [403, 'AuthFailed'],
    [400, 'ProviderError'],
    [404, 'ProviderError'],
    [409, 'ProviderError'],
    [422, 'ProviderError'],
    [499, 'ProviderError'],
  ])('maps %i to %s', (status, kind) => {
    expect(kindForStatus(status)).toBe(kind);
  });
});

describe('redactUrl', () => {
  it('keeps origin and path and drops the query string, the fragment and any user info', () => {
    expect(redactUrl(`https://logs.example.com/2026/11/22/a.log.gz${SIGNED_QUERY}`)).toBe('https://logs.example.com/2026/11/22/a.log.gz');
    expect(redactUrl('https://user:secret@api.example.com:8443/v1/x?key=k#frag')).toBe('https://api.example.com:8443/v1/x');
    expect(redactUrl('http://127.0.0.1:9/')).toBe('http://127.0.0.1:9/');
  });

  it('names the scheme of file:, gopher: and other non-special URLs instead of "null"', () => {
    expect(redactUrl('file:///etc/passwd')).toBe('file:///etc/passwd');
    expect(redactUrl('gopher://example.com/1x?q')).toBe('gopher://example.com/1x');
  });

  it('says <invalid URL> instead of echoing something it cannot parse', () => {
    expect(redactUrl('not a url ?token=abc')).toBe('<invalid URL>');
  });
});

describe('classifyNetworkError', () => {
  it('turns network codes and cut-off messages into Transient, naming what failed', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const e = expectKind(classifyNetworkError(reset, 'GET http://h/p'), 'Transient');
    expect(e.message).toBe('GET http://h/p failed in transit (ECONNRESET: read ECONNRESET)');
    expect(e.cause).toBe(reset);
    expectKind(classifyNetworkError(new Error('socket hang up'), 'x'), 'Transient');
    expectKind(classifyNetworkError(Object.assign(new Error('t'), { code: 'UND_ERR_BODY_TIMEOUT' }), 'x'), 'Transient');
  });

  it('passes through an AbortError, a CdnLogError and an unrelated error unchanged', () => {
    const abort = new DOMException('This operation was aborted', 'AbortError');
    const classified = new CdnLogError('AuthFailed', 'no');
    const bug = new TypeError('x is not a function');
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' });
    expect([abort, classified, bug, dns].map((e) => classifyNetworkError(e, 'x'))).toEqual([abort, classified, bug, dns]);
  });
});

describe('HttpClient.send against a loopback server', () => {
  it('returns status, lower-cased headers (repeated ones as arrays) and the body', async () => {
    handler = (_req, res) => {
      res.writeHead(201, [
        ['X-Request-Id', 'r-1'],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
        ['Content-Type', 'text/plain'],
      ]);
      res.end('hello, bridge');
    };
    const res = await client().send({ method: 'GET', url: `${base}/x` });
    expect(res.status).toBe(201);
    expect(res.headers['x-request-id']).toBe('r-1');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect((await readAll(res)).text).toBe('hello, bridge');
  });

  it('sends the method, headers and body it was given', async () => {
    let seen: { method?: string; url?: string; auth?: string; body: string } = { body: '' };
    handler = (req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        seen = { method: req.method, url: req.url, auth: req.headers.authorization, body: Buffer.concat(parts).toString() };
        res.end();
      });
    };
    const res = await client().send({ method: 'POST', url: `${base}/q?a=1`, headers: { authorization: 'Bearer t' }, body: '{"q":1}' });
    await res.dump();
    expect([res.status, seen]).toEqual([200, { method: 'POST', url: '/q?a=1', auth: 'Bearer t', body: '{"q":1}' }]);
  });

  describe('text(maxBytes)', () => {
    const big = Array.from({ length: 100_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    beforeEach(() => {
      handler = (_req, res) => res.end(big);
    });

    it('returns the first maxBytes bytes of a longer body', async () => {
      const res = await client().send({ method: 'GET', url: base });
      expect(await res.text(10)).toBe('abcdefghij');
    });

    it('defaults to 64 KiB', async () => {
      const res = await client().send({ method: 'GET', url: base });
      const text = await res.text();
      expect(text.length).toBe(64 * 1024);
      expect(text).toBe(big.slice(0, 64 * 1024));
    });

    it('returns a shorter body whole, and nothing for maxBytes 0', async () => {
      handler = (_req, res) => res.end('  short body \n');
      const c = client();
      expect(await (await c.send({ method: 'GET', url: base })).text(1000)).toBe('  short body \n');
      expect(await (await c.send({ method: 'GET', url: base })).text(0)).toBe('');
    });

    it('stops reading at maxBytes: a body that never ends still gives its first bytes', async () => {
      handler = (_req, res) => {
        res.writeHead(500);
        const more = () => {
          while (res.write('y'.repeat(16 * 1024)));
          if (!res.destroyed) res.once('drain', more);
        };
        more();
      };
      const res = await client().send({ method: 'GET', url: base });
      expect(await res.text(100)).toBe('y'.repeat(100));
    });

    it('with whole: true, refuses a body past maxBytes as TooLarge rather than cut it', async () => {
      const res = await client().send({ method: 'GET', url: base });
      const err = expectKind(await rejection(res.text(1000, { whole: true })), 'TooLarge');
      expect(err.message).toMatch(/runs past 1000 bytes/);
    });

    it('ends a body that trickles past textDeadlineMs as Transient', async () => {
      handler = trickle(20);
      const res = await client({ textDeadlineMs: 200, lowSpeed: { bytes: 1, windowMs: 60_000 } }).send({ method: 'GET', url: base });
      const err = expectKind(await rejection(res.text()), 'Transient');
      expect(err.message).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/ took longer than 200 ms to send its answer$/);
    });
  });

  describe('deadline and low-speed limit', () => {
    it('cuts a body slower than the low-speed limit as Transient, saying how slow', async () => {
      handler = trickle(20);
      const res = await client({ lowSpeed: { bytes: 1000, windowMs: 200 } }).send({ method: 'GET', url: base });
      const err = expectKind(await rejection(readAll(res)), 'Transient');
      expect(err.message).toMatch(/sent \d+ bytes in \d+ ms, slower than 1000 bytes per 200 ms$/);
    });

    it('cuts an exchange past its deadline, even one whose body keeps moving fast enough', async () => {
      handler = trickle(20);
      const res = await client({ deadlineMs: 300, lowSpeed: { bytes: 1, windowMs: 60_000 } }).send({ method: 'GET', url: base });
      const err = expectKind(await rejection(readAll(res)), 'Transient');
      expect(err.message).toMatch(/took longer than 300 ms$/);
    });

    it("a request's own deadlineMs overrides the client's", async () => {
      handler = trickle(20);
      const res = await client({ deadlineMs: 60_000, lowSpeed: { bytes: 1, windowMs: 60_000 } }).send({ method: 'GET', url: base, deadlineMs: 250 });
      expect(expectKind(await rejection(readAll(res)), 'Transient').message).toMatch(/took longer than 250 ms/);
    });

    it('does not count the time a consumer holds the body (backpressure) against the speed limit', async () => {
      handler = (_req, res) => res.end('z'.repeat(200_000));
      const res = await client({ lowSpeed: { bytes: 100_000, windowMs: 100 } }).send({ method: 'GET', url: base });
      let total = 0;
      for await (const chunk of res.body) {
        total += chunk.length;
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      expect(total).toBe(200_000);
    });
  });

  describe('replies that are not HTTP', () => {
    it.each([
      ['a banner of another protocol', 'SSH-2.0-OpenSSH_9.6\r\n\r\n'],
      ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n'],
    ])('%s is Transient, not an unexpected error', async (_what, bytes) => {
      handler = (_req, res) => res.socket?.end(bytes);
      const attempt = client({ retry: { ...NO_WAIT, maxAttempts: 1 } })
        .send({ method: 'GET', url: base })
        .then(readAll);
      expect(expectKind(await rejection(attempt), 'Transient').message).toMatch(/failed in transit \((HTTPParserError|HPE_\w+)/);
    });
  });

  it('a header value with a line break is BadInput (not retried), and names no value', async () => {
    const err = expectKind(await rejection(client().send({ method: 'GET', url: base, headers: { authorization: 'Bearer secret-value\r\nX: y' } })), 'BadInput');
    expect(err.message).not.toMatch(/secret-value/);
    expect(hits).toBe(0);
  });

  describe('onBytes', () => {
    it('reports each chunk, summing to exactly the body size', async () => {
      const sizes = [1000, 2000, 3000, 70_000];
      handler = (_req, res) => {
        res.writeHead(200, { 'content-length': String(sizes.reduce((a, b) => a + b)) });
        for (const n of sizes) res.write(Buffer.alloc(n, 120));
        res.end();
      };
      const reported: number[] = [];
      const res = await client().send({ method: 'GET', url: base, onBytes: (n) => reported.push(n) });
      const { chunks } = await readAll(res);
      expect(reported).toEqual(chunks.map((c) => c.length));
      expect(reported.reduce((a, b) => a + b)).toBe(76_000);
    });

    it('counts the compressed bytes as sent, not the decoded ones', async () => {
      const plain = Buffer.from('GET /a 200\n'.repeat(10_000));
      const gz = gzipSync(plain);
      handler = (_req, res) => {
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(gz.length) });
        res.end(gz);
      };
      let total = 0;
      const res = await client().send({ method: 'GET', url: base, onBytes: (n) => (total += n) });
      const { chunks } = await readAll(res);
      expect(total).toBe(gz.length);
      expect(Buffer.concat(chunks).equals(gz)).toBe(true);
      expect(total).toBeLessThan(plain.length);
    });

    it('reports the bytes that arrived before a body was cut off', async () => {
      let held: ServerResponse | undefined;
      handler = (_req, res) => {
        res.writeHead(200, { 'content-length': '1000' });
        res.write(Buffer.alloc(300, 97));
        held = res;
      };
      let total = 0;
      const res = await client().send({ method: 'GET', url: base, onBytes: (n) => (total += n) });
      const it = res.body[Symbol.asyncIterator]();
      let got = 0;
      while (got < 300) got += ((await it.next()).value as Uint8Array).length;
      held!.socket!.destroy();
      expectKind(await rejection(it.next()), 'Transient');
      expect(total).toBe(300);
    });
  });

  describe('failures in transit are Transient and never leak the query string', () => {
    const path = '/logs/2026/11/22/edge.log.gz';

    function expectRedacted(err: unknown, url: string): void {
      const e = expectKind(err, 'Transient');
      expect(e.message).toContain(`GET ${url}${path} failed in transit`);
      for (const secret of ['SIGNATURE-abc123', 'TOKEN-xyz789', 'sign=', 'token=', '?']) {
        expect(e.message).not.toContain(secret);
        expect(String(e.stack)).not.toContain(secret);
      }
    }

    it('socket destroyed before the headers: Transient, message without ?sign=…&token=…', async () => {
      handler = (req) => req.socket.destroy();
      const err = await rejection(client().send({ method: 'GET', url: `${base}${path}${SIGNED_QUERY}` }));
      expectRedacted(err, base);
      expect(hits).toBe(1);
    });

    it('connection refused (server closed): Transient ECONNREFUSED', async () => {
      const gone = createServer();
      const url = await listen(gone);
      await new Promise((r) => gone.close(r));
      const err = await rejection(client().send({ method: 'GET', url: `${url}${path}${SIGNED_QUERY}` }));
      expectRedacted(err, url);
      expect((err as Error).message).toContain('ECONNREFUSED');
    });

    it('socket destroyed mid-body: reading the body throws Transient', async () => {
      let held: ServerResponse | undefined;
      handler = (_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('0123456789');
        held = res;
      };
      const res = await client().send({ method: 'GET', url: `${base}${path}${SIGNED_QUERY}` });
      expect(res.status).toBe(200);
      const it = res.body[Symbol.asyncIterator]();
      expect(Buffer.from((await it.next()).value as Uint8Array).toString()).toBe('0123456789');
      held!.socket!.destroy();
      expectRedacted(await rejection(it.next()), base);
    });

    it('socket destroyed mid-body: text() throws Transient too', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('0123456789', () => res.socket!.destroy());
      };
      const res = await client().send({ method: 'GET', url: `${base}${path}${SIGNED_QUERY}` });
      expectRedacted(await rejection(res.text()), base);
    });

    it('a body that stalls longer than bodyTimeoutMs: reading it throws Transient (UND_ERR_BODY_TIMEOUT)', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('0123456789');
      };
      const reported: number[] = [];
      const res = await client({ bodyTimeoutMs: 150 }).send({ method: 'GET', url: `${base}${path}${SIGNED_QUERY}`, onBytes: (n) => reported.push(n) });
      const err = await rejection(readAll(res));
      expectRedacted(err, base);
      expect((err as Error).message).toContain('UND_ERR_BODY_TIMEOUT');
      expect(reported).toEqual([10]);
    });

    it('headers that never come (headersTimeoutMs): Transient (UND_ERR_HEADERS_TIMEOUT)', async () => {
      handler = () => undefined;
      const err = await rejection(client({ headersTimeoutMs: 150 }).send({ method: 'GET', url: `${base}${path}${SIGNED_QUERY}` }));
      expectRedacted(err, base);
      expect((err as Error).message).toContain('UND_ERR_HEADERS_TIMEOUT');
    });
  });

  describe("the caller's own abort is not Transient", () => {
    it('abort() before the headers rejects with an AbortError, not a CdnLogError', async () => {
      const ac = new AbortController();
      handler = () => ac.abort();
      const err = await rejection(client().send({ method: 'GET', url: base, signal: ac.signal }));
      expect(isCdnLogError(err)).toBe(false);
      expect((err as Error).name).toBe('AbortError');
    });

    it('abort() mid-body rejects the read with an AbortError, not a CdnLogError', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('0123456789');
      };
      const ac = new AbortController();
      const res = await client().send({ method: 'GET', url: base, signal: ac.signal });
      const it = res.body[Symbol.asyncIterator]();
      await it.next();
      ac.abort();
      const err = await rejection(it.next());
      expect(isCdnLogError(err)).toBe(false);
      expect((err as Error).name).toBe('AbortError');
    });

    // The caller's abort (a deadline, a custom reason) passes through untouched, whatever its message.
    it('a deadline abort (AbortSignal.timeout reason) before the headers rejects with the reason itself', async () => {
      const ac = new AbortController();
      const reason = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      handler = () => ac.abort(reason);
      const err = await rejection(client().send({ method: 'GET', url: base, signal: ac.signal }));
      expect(err).toBe(reason);
    });

    // Same bug as above (http.ts:59 via guardedBody, http.ts:73), for an abort while reading the body.
    it('an abort with a custom reason mid-body rejects the read with that reason', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('0123456789');
      };
      const ac = new AbortController();
      const reason = new Error('request aborted by the user');
      const res = await client().send({ method: 'GET', url: base, signal: ac.signal });
      const it = res.body[Symbol.asyncIterator]();
      await it.next();
      ac.abort(reason);
      expect(await rejection(it.next())).toBe(reason);
    });
  });
});

describe('HttpClient.statusError', () => {
  async function statusErrorFor(status: number, headers: Record<string, string>, body: string, kind?: ErrorKind) {
    handler = (_req, res) => {
      res.writeHead(status, headers);
      res.end(body);
    };
    const res = await client().send({ method: 'GET', url: base });
    const calls: Array<[number, string]> = [];
    const err = await HttpClient.statusError(res, (s, b) => {
      calls.push([s, b]);
      return { kind, message: `provider said ${s}: ${b.slice(0, 40)}` };
    });
    return { err, calls };
  }

  it('maps 429 with Retry-After: 2 to RateLimited with retryAfterMs 2000', async () => {
    const { err, calls } = await statusErrorFor(429, { 'retry-after': '2' }, 'too many requests');
    expect([err.kind, err.status, err.retryAfterMs, err.message]).toEqual(['RateLimited', 429, 2000, 'provider said 429: too many requests']);
    expect(calls).toEqual([[429, 'too many requests']]);
  });

  it.each<[number, ErrorKind]>([
    [503, 'Transient'],
    [500, 'Transient'],
    [401, 'AuthFailed'],
    [403, 'AuthFailed'],
    [400, 'ProviderError'],
    [404, 'ProviderError'],
  ])('maps %i to %s without Retry-After', async (status, kind) => {
    const { err } = await statusErrorFor(status, {}, 'nope');
    expect([err.kind, err.status, err.retryAfterMs, err.message]).toEqual([kind, status, undefined, `provider said ${status}: nope`]);
  });

  it("uses the describe() callback's kind and message over the status default", async () => {
    const body = '{"errors":[{"code":1004,"message":"bad field"}]}';
    const { err, calls } = await statusErrorFor(400, {}, body, 'BadInput');
    expect(calls).toEqual([[400, body]]);
    expect([err.kind, err.status, err.message]).toEqual(['BadInput', 400, `provider said 400: ${body.slice(0, 40)}`]);
  });

  it('keeps Retry-After on a 503 (Transient with retryAfterMs)', async () => {
    const { err } = await statusErrorFor(503, { 'retry-after': '1.5' }, '');
    expect([err.kind, err.retryAfterMs]).toEqual(['Transient', 1500]);
  });

  it('hands describe() the trimmed body, read up to 8 KiB', async () => {
    const { calls } = await statusErrorFor(502, {}, `\n  ${'e'.repeat(20_000)}`);
    expect(calls).toHaveLength(1);
    expect(calls[0][1]).toBe('e'.repeat(8 * 1024 - 3));
  });

  it('hands describe() an empty body when the body cannot be read', async () => {
    handler = (_req, res) => {
      res.writeHead(500, { 'content-length': '100' });
      res.write('partial', () => res.socket!.destroy());
    };
    const res = await client().send({ method: 'GET', url: base });
    const err = await HttpClient.statusError(res, (s, b) => ({ message: `${s} [${b}]` }));
    expect([err.kind, err.message]).toEqual(['Transient', '500 []']);
  });
});

describe('HttpClient.sendWithRetry', () => {
  const check = async (res: HttpResponse): Promise<string> => {
    if (res.status !== 200) throw await HttpClient.statusError(res, (s, b) => ({ message: `HTTP ${s}: ${b}` }));
    return res.text();
  };

  function retriesOf(): { onRetry: HttpClientOptions['onRetry']; seen: Array<[ErrorKind, number, number]> } {
    const seen: Array<[ErrorKind, number, number]> = [];
    return { seen, onRetry: (e, n, d) => seen.push([e.kind, n, d]) };
  }

  it('retries a server that answers 503 twice, then returns the 200 body (3 hits)', async () => {
    handler = (_req, res, hit) => {
      res.writeHead(hit <= 2 ? 503 : 200);
      res.end(hit <= 2 ? 'busy' : 'payload');
    };
    const { seen, onRetry } = retriesOf();
    const out = await client({ onRetry }).sendWithRetry({ method: 'GET', url: base }, check);
    expect(out).toBe('payload');
    expect(hits).toBe(3);
    expect(seen).toEqual([
      ['Transient', 1, 0],
      ['Transient', 2, 0],
    ]);
  });

  it('counts every attempt against every limit in rateLimits, in the injected RateLimiter', async () => {
    handler = (_req, res, hit) => {
      res.writeHead(hit <= 2 ? 503 : 200);
      res.end();
    };
    const frozen = 5_000_000;
    const limiter = new RateLimiter(() => frozen);
    const zone: [string, RateLimit] = ['cloudflare:zone:z1', { perMinute: 3 }];
    const user: [string, RateLimit] = ['cloudflare:user:u1', { perMinute: 4 }];
    const c = client({ rateLimiter: limiter });
    expect(c.rateLimiter).toBe(limiter);
    await c.sendWithRetry({ method: 'GET', url: base, rateLimits: [zone, user] }, check);
    expect(hits).toBe(3);
    expect(limiter.waitMs([zone])).toBe(60_000); // 3 of 3 used
    expect(limiter.waitMs([user])).toBe(0); // 3 of 4 used…
    await limiter.acquire([user]);
    expect(limiter.waitMs([user])).toBe(60_000); // …and the fourth was the last
    expect(limiter.waitMs([['cloudflare:zone:other', { perMinute: 3 }]])).toBe(0);
  });

  it('honours a Retry-After from a 429 as the delay floor', async () => {
    handler = (_req, res, hit) => {
      if (hit === 1) res.writeHead(429, { 'retry-after': '0.05' }).end('slow down');
      else res.end('fine');
    };
    const { seen, onRetry } = retriesOf();
    expect(await client({ onRetry }).sendWithRetry({ method: 'GET', url: base }, check)).toBe('fine');
    expect(seen).toEqual([['RateLimited', 1, 50]]);
    expect(hits).toBe(2);
  });

  it('retries a connection cut before the headers', async () => {
    handler = (req, res, hit) => (hit === 1 ? req.socket.destroy() : res.end('second time'));
    const { seen, onRetry } = retriesOf();
    expect(await client({ onRetry }).sendWithRetry({ method: 'GET', url: base }, check)).toBe('second time');
    expect(hits).toBe(2);
    expect(seen.map(([k, n]) => [k, n])).toEqual([['Transient', 1]]);
  });

  it('gives up after maxAttempts with Transient "(gave up after 3 attempts)"', async () => {
    handler = (_req, res) => res.writeHead(503).end('down');
    const err = await rejection(client({ retry: { ...NO_WAIT, maxAttempts: 3 } }).sendWithRetry({ method: 'GET', url: base }, check));
    const e = expectKind(err, 'Transient');
    expect([e.message, e.status]).toEqual(['HTTP 503: down (gave up after 3 attempts)', 503]);
    expect(hits).toBe(3);
  });

  it.each<[number, ErrorKind]>([
    [401, 'AuthFailed'],
    [403, 'AuthFailed'],
    [400, 'ProviderError'],
  ])('does not retry %i (%s): one hit', async (status, kind) => {
    handler = (_req, res) => res.writeHead(status).end('no');
    const { seen, onRetry } = retriesOf();
    const err = await rejection(client({ onRetry }).sendWithRetry({ method: 'GET', url: base }, check));
    expect([expectKind(err, kind).message, hits, seen]).toEqual([`HTTP ${status}: no`, 1, []]);
  });

  it('stops at once when the caller aborts during the first attempt (one hit, no retry)', async () => {
    const ac = new AbortController();
    handler = () => ac.abort();
    const { seen, onRetry } = retriesOf();
    const err = await rejection(client({ onRetry }).sendWithRetry({ method: 'GET', url: base, signal: ac.signal }, check));
    expect([(err as Error).name, isCdnLogError(err), hits, seen]).toEqual(['AbortError', false, 1, []]);
  });
});
