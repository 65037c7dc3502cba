import { requestUrl, startLoopbackServer } from './http';
import { startEmulators } from './index';
import { rawRequest, rawSocketExchange } from './loopback-client';

/** The status code of a raw HTTP/1.1 response, or null when there is no status line. */
const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1] ?? Number.NaN);
const requestLine = (target: string) => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;

describe('requestUrl: the request target as a URL, never a throw', () => {
  it.each([
    ['/v2/index.php?a=1', '/v2/index.php', '?a=1'],
    ['//', '//', ''],
    ['///', '///', ''],
    ['//a:b', '//a:b', ''],
    ['//evil/v2/index.php', '//evil/v2/index.php', ''],
    ['http://127.0.0.1:8080/logs?x=1', '/logs', '?x=1'],
    ['*', '/.unparseable-request-target', ''],
    [undefined, '/', ''],
  ])('%s is the path %s', (target, pathname, search) => {
    const url = requestUrl(target);
    expect([url.pathname, url.search]).toEqual([pathname, search]);
  });
});

describe('startLoopbackServer', () => {
  it('logs the query with credential-bearing parameters redacted, whatever their case', async () => {
    const server = await startLoopbackServer(0, (exchange) => exchange.text(200, 'ok'));
    try {
      await rawRequest(`${server.origin}/p?Signature=s1&token=t1&st=s2&sign=s3&SIGN=s4&hosts=%5B%5D&e=17`);
      expect(server.requests).toEqual([
        { method: 'GET', path: '/p', query: { Signature: 'redacted', token: 'redacted', st: 'redacted', sign: 'redacted', SIGN: 'redacted', hosts: '[]', e: '17' }, status: 200 },
      ]);
    } finally {
      await server.close();
    }
  });

  it('answers 500 when a handler throws, and goes on serving', async () => {
    let calls = 0;
    const server = await startLoopbackServer(0, (exchange) => {
      if (calls++ === 0) throw new Error('boom');
      exchange.text(200, 'ok');
    });
    try {
      const failed = await rawRequest(`${server.origin}/`);
      expect([failed.status, JSON.parse(failed.body.toString())]).toEqual([500, { message: 'emulator error: boom' }]);
      expect((await rawRequest(`${server.origin}/`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('every emulator survives request targets that are not plain paths', () => {
  let fleet: Awaited<ReturnType<typeof startEmulators>>;
  beforeAll(async () => {
    fleet = await startEmulators({ seed: 3, rpm: 1 });
  });
  afterAll(() => fleet.close());

  it.each(['cloudflare', 'gcore', 'tencent-dsa', 'tencent-edgeone', 'naver-elsa'])(
    '%s answers GET //, ///, //a:b and //evil/… with its 404, then a normal request',
    async (provider) => {
      const { baseUrl } = fleet.describe().find((description) => description.provider === provider)!;
      const { port, origin } = new URL(baseUrl);
      for (const target of ['//', '///', '//a:b', '//evil/v2/index.php', '//evil/', '//evil/api/v1/logs/download']) {
        expect([target, statusOf(await rawSocketExchange(Number(port), requestLine(target)))]).toEqual([target, 404]);
      }
      expect((await rawRequest(`${origin}/no-such-path`)).status).toBe(404);
    },
  );

  it('routes //evil/v2/index.php as that path, not as the DSA API on host evil', async () => {
    const dsa = fleet.emulators['tencent-dsa']!;
    const response = await rawSocketExchange(Number(new URL(dsa.baseUrl).port), requestLine('//evil/v2/index.php'));
    expect(statusOf(response)).toBe(404);
    expect(response.endsWith('\r\n\r\nNot Found')).toBe(true);
    expect(dsa.requests.some((entry) => entry.path === '//evil/v2/index.php' && entry.status === 404)).toBe(true);
  });
});
