import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CdnLogError, isCdnLogError } from '../../core/errors';
import { parseQuery } from '../../core/query';
import { DAY_MS, HOUR_MS } from '../../core/time';
import { dsaRegionCodes, startTencentDsaEmulator, type TencentDsaEmulator } from '../../emulators';
import { runQuery } from '../run';
import { collect, comparable, expectedDsa, fastClient } from '../testing/expected';
import { tencentDsa } from '.';
import { normalizeDsaLine } from './normalize';

// 10:00 UTC is 18:00 in Beijing.
const NOW = Date.parse('2026-11-22T10:00:00Z');
const now = () => NOW;
/** The whole Beijing day 2026-11-21. */
const DAY = { fromMs: Date.parse('2026-11-20T16:00:00Z'), toMs: Date.parse('2026-11-21T16:00:00Z') };

let emu: TencentDsaEmulator;
beforeAll(async () => {
  emu = await startTencentDsaEmulator({ now, rpm: 1, seed: 21 });
});
afterAll(() => emu.close());
afterEach(() => {
  emu.faults.clear();
  emu.packageBaseUrl = emu.baseUrl;
});

function query(extra: Record<string, unknown> = {}) {
  return parseQuery({ provider: 'tencent-dsa', source: { host: emu.hosts }, fromMs: NOW - 6 * HOUR_MS, toMs: NOW - 3 * HOUR_MS, limit: 1_000_000, ...extra });
}

function truth(hosts: readonly string[], fromMs: number, toMs: number) {
  return hosts.flatMap((host) => emu.generator.events(host, [host], fromMs, toMs).map((e) => expectedDsa(e, dsaRegionCodes(e))));
}

async function read(q = query(), options: { credentials?: { secretId: string; secretKey: string }; nowMs?: () => number } = {}) {
  const http = fastClient();
  const run = runQuery(tencentDsa, options.credentials ?? emu.credentials, q, { http, baseUrl: emu.baseUrl, nowMs: options.nowMs ?? now, trustedPackageOrigins: [emu.baseUrl] });
  try {
    return { records: await collect(run.records), meta: run.meta };
  } finally {
    await http.close();
  }
}

const listings = () => emu.requests.filter((r) => r.path === '/v2/index.php');
const downloads = () => emu.requests.filter((r) => r.path !== '/v2/index.php');

describe('Tencent DSA adapter against the emulator', () => {
  it('reads a Beijing day of 24 hourly packages for 12 hosts with two listing calls, equal to the ground truth', async () => {
    const [listed, fetched] = [listings().length, downloads().length];
    const { records, meta } = await read(query(DAY));
    expect(records.length).toBeGreaterThan(5_000);
    expect(comparable(records)).toEqual(comparable(truth(emu.hosts, DAY.fromMs, DAY.toMs)));
    expect(listings().length - listed).toBe(2);
    expect(downloads().length - fetched).toBe(24 * 12);
    expect(meta).toMatchObject({ windows: 1, requests: 2 + 24 * 12, retries: 0 });
  });

  it('cuts the hours at the edges of a window that does not fall on hours', async () => {
    const fromMs = NOW - 6 * HOUR_MS + 17 * 60_000;
    const toMs = NOW - 3 * HOUR_MS - 5 * 60_000;
    const { records } = await read(query({ fromMs, toMs, source: { host: emu.hosts.slice(0, 3) } }));
    expect(comparable(records)).toEqual(comparable(truth(emu.hosts.slice(0, 3), fromMs, toMs)));
  });

  it('splits a range at Beijing midnight and lists each Beijing date', async () => {
    const fromMs = DAY.toMs - 2 * HOUR_MS;
    const toMs = DAY.toMs + 2 * HOUR_MS;
    const before = listings().length;
    const { records, meta } = await read(query({ fromMs, toMs, source: { host: [emu.hosts[0]] } }));
    expect(meta.windows).toBe(2);
    expect(comparable(records)).toEqual(comparable(truth([emu.hosts[0]], fromMs, toMs)));
    expect(listings().slice(before).map((r) => r.query.startDate ?? '')).toEqual(['', '']); // POST: dates travel in the body
  });

  it.each([
    ['a rate-limit answer (4400)', { kind: 'rateLimit', count: 2 }, 2],
    ['a 5xx on the listing', { kind: 'serverError', count: 2, status: 502 }, 2],
    ['corrupt gzip packages', { kind: 'corruptGzip', count: 2 }, 2],
    ['cut package downloads', { kind: 'truncatedBody', count: 2 }, 2],
    ['a stalled package download', { kind: 'slowBody', count: 1, delayMs: 1500 }, 1],
  ] as const)('retries %s until complete, losing and doubling nothing', async (_name, fault, retries) => {
    emu.faults.inject(fault);
    const hosts = emu.hosts.slice(0, 2);
    const { records, meta } = await read(query({ source: { host: hosts } }));
    expect(comparable(records)).toEqual(comparable(truth(hosts, NOW - 6 * HOUR_MS, NOW - 3 * HOUR_MS)));
    expect(meta.retries).toBe(retries);
    expect(emu.faults.pending()).toEqual([]);
  });

  it('lists again, once, when package URLs have expired (403), and completes', async () => {
    emu.faults.inject({ kind: 'expiredUrl', count: 1 });
    const hosts = emu.hosts.slice(0, 2);
    const before = listings().length;
    const { records, meta } = await read(query({ source: { host: hosts } }));
    expect(comparable(records)).toEqual(comparable(truth(hosts, NOW - 6 * HOUR_MS, NOW - 3 * HOUR_MS)));
    expect(listings().length - before).toBe(2);
    expect(meta.notes).toEqual([expect.stringMatching(/listed 2 hosts again for 2026-11-22: the URL of h01\.dsa\.example\.com .* had expired/)]);
    expect(downloads().filter((r) => r.status === 403)).toHaveLength(1);
  });

  it('downloads a package listed twice once', async () => {
    emu.faults.inject({ kind: 'duplicateListing', count: 1 });
    const hosts = [emu.hosts[0]];
    const before = downloads().length;
    const { records } = await read(query({ source: { host: hosts } }));
    expect(comparable(records)).toEqual(comparable(truth(hosts, NOW - 6 * HOUR_MS, NOW - 3 * HOUR_MS)));
    const paths = downloads().slice(before).map((r) => r.path);
    expect(paths).toHaveLength(3); // the hours 04, 05 and 06 UTC (12..14 in Beijing), each once
    expect(new Set(paths).size).toBe(3);
  });

  it('returns nothing for hours without traffic, which the listing leaves out', async () => {
    const quiet = await startTencentDsaEmulator({ now, rpm: 1, seed: 21, quietHours: [5, 6] });
    const http = fastClient();
    try {
      const hosts = [quiet.hosts[0]];
      const run = runQuery(tencentDsa, quiet.credentials, query({ source: { host: hosts } }), { http, baseUrl: quiet.baseUrl, nowMs: now, trustedPackageOrigins: [quiet.baseUrl] });
      const records = await collect(run.records);
      const expected = truth(hosts, NOW - 6 * HOUR_MS, NOW - 3 * HOUR_MS).filter((r) => ![5, 6].includes(new Date(r.timestamp).getUTCHours()));
      expect(records.length).toBeGreaterThan(0);
      expect(comparable(records)).toEqual(comparable(expected));
      expect(quiet.requests.filter((r) => r.path !== '/v2/index.php').map((r) => r.path)).toEqual(['/20261122/12/20261122-h01.dsa.example.com']);
    } finally {
      await http.close();
      await quiet.close();
    }
  });

  describe('refuses package URLs it must not fetch, fetching nothing', () => {
    it.each([
      ['a host outside the allowlist', 'https://dsa-logs.example.net', /dsa-logs\.example\.net is not a known download host of Tencent DSA/],
      ['a private address', 'http://10.1.2.3:8080', /loopback, private or reserved/],
      ['the metadata service', 'http://169.254.169.254', /loopback, private or reserved/],
    ])('%s', async (_name, base, message) => {
      emu.packageBaseUrl = base;
      const before = downloads().length;
      const err = await read(query({ source: { host: [emu.hosts[0]] } })).catch((e: unknown) => e as CdnLogError);
      expect(err).toBeInstanceOf(CdnLogError);
      expect(err).toMatchObject({ kind: 'ProviderError', message: expect.stringMatching(message) });
      expect((err as Error).message).toMatch(/nothing was fetched/);
      expect((err as Error).message).not.toMatch(/st=|e=\d/);
      expect(downloads().length).toBe(before);
    });

    it('a loopback server other than the emulator', async () => {
      let hits = 0;
      const decoy = createServer((_req, res) => {
        hits++;
        res.end();
      });
      await new Promise<void>((resolve) => decoy.listen(0, '127.0.0.1', resolve));
      emu.packageBaseUrl = `http://127.0.0.1:${(decoy.address() as AddressInfo).port}`;
      try {
        const err = await read(query({ source: { host: [emu.hosts[0]] } })).catch((e: unknown) => e);
        expect(isCdnLogError(err, 'ProviderError')).toBe(true);
        expect(hits).toBe(0);
      } finally {
        await new Promise((resolve) => decoy.close(resolve));
      }
    });
  });

  it('does not follow a redirect from a package host', async () => {
    let secretHits = 0;
    const secret = createServer((_req, res) => {
      secretHits++;
      res.end();
    });
    await new Promise<void>((resolve) => secret.listen(0, '127.0.0.1', resolve));
    const redirector = createServer((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${(secret.address() as AddressInfo).port}/latest/meta-data/` }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const redirectorOrigin = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
    emu.packageBaseUrl = redirectorOrigin;
    const http = fastClient();
    try {
      const run = runQuery(tencentDsa, emu.credentials, query({ source: { host: [emu.hosts[0]] } }), {
        http,
        baseUrl: emu.baseUrl,
        nowMs: now,
        trustedPackageOrigins: [emu.baseUrl, redirectorOrigin],
      });
      await expect(collect(run.records)).rejects.toMatchObject({ kind: 'ProviderError', message: expect.stringMatching(/failed to serve the package .* \(HTTP 302\)/) });
      expect(secretHits).toBe(0);
    } finally {
      await http.close();
      await new Promise((resolve) => redirector.close(resolve));
      await new Promise((resolve) => secret.close(resolve));
    }
  });

  describe('authentication', () => {
    it('names the provider and the variables to check when the signature is wrong', async () => {
      const err = await read(query(), { credentials: { secretId: emu.credentials.secretId, secretKey: 'wrong' } }).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'AuthFailed', message: expect.stringMatching(/^Tencent DSA answered 4100 AuthFailure: .*TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY/) });
      expect((err as Error).message).not.toContain(emu.credentials.secretKey);
    });

    it('says to check the clock when ours is more than 2 h off', async () => {
      const skewed = () => NOW + 3 * HOUR_MS;
      const err = await read(query({ fromMs: NOW - DAY_MS, toMs: NOW - 20 * HOUR_MS }), { nowMs: skewed }).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'AuthFailed', message: expect.stringMatching(/4500 .*clock is more than 2 h off/) });
    });

    it('refuses to start without credentials, naming the variables', () => {
      expect(() => tencentDsa.credentialsFromEnv({ TENCENTCLOUD_SECRET_ID: 'AKID' })).toThrow(
        expect.objectContaining({ kind: 'AuthFailed', message: expect.stringMatching(/Tencent DSA needs .*TENCENTCLOUD_SECRET_KEY is not set/) }),
      );
    });
  });

  it('refuses a source without hosts, or with a malformed one', () => {
    expect(() => tencentDsa.parseSource({})).toThrow(/--host <domain>/);
    expect(() => tencentDsa.parseSource({ host: ['ok.example.com', 'bad host'] })).toThrow(/"bad host" is not a domain name/);
    expect(tencentDsa.parseSource({ host: ['A.example.com', 'b.example.com,a.example.com'] })).toEqual({ hosts: ['a.example.com', 'b.example.com'] });
  });
});

describe('normalizeDsaLine', () => {
  const line = '20180418103015 203.0.113.7 a.dsa.qcloud.com /api/v1/items?id=3 1532 22 2 200 - 37 Mozilla/5.0 (X11; Linux x86_64) - GET HTTP/1.1 miss';

  it('reads the spec example: UA from the middle, Beijing time to UTC, province and ISP kept', () => {
    expect(normalizeDsaLine(line, 'a.dsa.qcloud.com')).toMatchObject({
      timestamp: Date.parse('2018-04-18T02:30:15Z'),
      clientIp: '203.0.113.7',
      host: 'a.dsa.qcloud.com',
      path: '/api/v1/items',
      query: 'id=3',
      bytesSent: 1532,
      status: 200,
      referer: null,
      durationMs: 37,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
      range: null,
      method: 'GET',
      protocol: '1.1',
      cacheStatus: 'MISS',
      country: 'CN',
      attributes: { province: 22, isp: 2 },
    });
  });

  it('reads the CDN variant with the client port as field 16, and a UA of one word', () => {
    const record = normalizeDsaLine('20180418103015 2001:db8::1 a.example.com / 10 -1 -1 404 https://r.example/ 5 curl/8.0 bytes=0-1 HEAD HTTP/3 hit 51515', 'a.example.com');
    expect(record).toMatchObject({ clientPort: 51515, userAgent: 'curl/8.0', range: 'bytes=0-1', method: 'HEAD', protocol: '3', cacheStatus: 'HIT', country: null, severity: 'warning' });
  });

  it.each(['', 'too few fields here', '2018041810301 203.0.113.7 a / 1 22 2 200 - 37 UA - GET HTTP/1.1 miss'])('returns null for %j', (bad) => {
    expect(normalizeDsaLine(bad, 's')).toBeNull();
  });
});
