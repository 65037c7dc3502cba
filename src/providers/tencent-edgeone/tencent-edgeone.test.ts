import { CdnLogError } from '../../core/errors';
import { parseQuery } from '../../core/query';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../core/time';
import { edgeOneL4Record, edgeOneL7Record, startTencentEdgeOneEmulator, type TencentEdgeOneEmulator } from '../../emulators';
import { runQuery } from '../run';
import { collect, comparable, expectedEdgeOneL4, expectedEdgeOneL7, fastClient } from '../testing/expected';
import { tencentEdgeOne } from '.';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const now = () => NOW;
const YESTERDAY = { fromMs: Date.parse('2026-11-21T00:00:00Z'), toMs: Date.parse('2026-11-22T00:00:00Z') };

let emu: TencentEdgeOneEmulator;
beforeAll(async () => {
  // 14 domains: a day holds more than 300 packages (14 × 24 hours, plus mainland ones).
  emu = await startTencentEdgeOneEmulator({ now, rpm: 0.5, seed: 8, domains: 14, proxies: 2 });
});
afterAll(() => emu.close());
afterEach(() => {
  emu.faults.clear();
  emu.packageBaseUrl = emu.baseUrl;
});

const zone = () => emu.zones[0];

function query(source: Record<string, string | string[]>, extra: Record<string, unknown> = {}) {
  return parseQuery({ provider: 'tencent-edgeone', source: { zone: zone().id, ...source }, fromMs: NOW - 6 * HOUR_MS, toMs: NOW - 3 * HOUR_MS, limit: 1_000_000, ...extra });
}

function l7Truth(domains: readonly string[], fromMs: number, toMs: number) {
  return domains.flatMap((d) => emu.generator.events(`${zone().id}/${d}`, [d], fromMs, toMs).map((e) => expectedEdgeOneL7(e, zone().id, edgeOneL7Record(e))));
}

function l4Truth(proxies: readonly string[], fromMs: number, toMs: number) {
  return proxies.flatMap((p) => emu.generator.events(`${zone().id}/${p}`, ['l4'], fromMs, toMs).map((e) => expectedEdgeOneL4(e, p, edgeOneL4Record(e, p))));
}

async function read(q: ReturnType<typeof query>, options: { credentials?: { secretId: string; secretKey: string }; nowMs?: () => number } = {}) {
  const http = fastClient();
  const run = runQuery(tencentEdgeOne, options.credentials ?? emu.credentials, q, { http, baseUrl: emu.baseUrl, nowMs: options.nowMs ?? now, trustedPackageOrigins: [emu.baseUrl] });
  try {
    return { records: await collect(run.records), meta: run.meta };
  } finally {
    await http.close();
  }
}

const listings = () => emu.requests.filter((r) => r.path === '/');
const downloads = () => emu.requests.filter((r) => r.path.startsWith('/packages/'));

describe('Tencent EdgeOne adapter against the emulator', () => {
  it('pages through a day of more than 300 L7 packages (two listing pages), equal to the ground truth', async () => {
    const [listed, fetched] = [listings().length, downloads().length];
    const { records, meta } = await read(query({ layer: 'l7' }, YESTERDAY));
    const expected = l7Truth(zone().domains, YESTERDAY.fromMs, YESTERDAY.toMs);
    expect(comparable(records)).toEqual(comparable(expected));
    expect(listings().length - listed).toBe(2);
    const packages = downloads().length - fetched;
    expect(packages).toBeGreaterThan(300);
    expect(new Set(downloads().slice(fetched).map((r) => r.path)).size).toBe(packages);
    expect(meta).toMatchObject({ windows: 1, requests: 2 + packages, retries: 0 });
  });

  it('reads L4 connection records of the named proxies, keeping the vendor spelling', async () => {
    const proxies = [zone().proxies[1]];
    const { records } = await read(query({ layer: 'l4', proxy: proxies }));
    expect(comparable(records)).toEqual(comparable(l4Truth(proxies, NOW - 6 * HOUR_MS, NOW - 3 * HOUR_MS)));
    expect(records.some((r) => r.attributes.DisconnetReason !== undefined)).toBe(true);
    expect(records.every((r) => r.source === proxies[0] && r.method === null && r.status === null)).toBe(true);
  });

  it('reads only the named L7 domains, and cuts hours at the window edges', async () => {
    const domains = zone().domains.slice(2, 4);
    const fromMs = NOW - 5 * HOUR_MS - 17 * MINUTE_MS;
    const toMs = NOW - 3 * HOUR_MS - 1234;
    const { records } = await read(query({ domain: domains }, { fromMs, toMs }));
    expect(comparable(records)).toEqual(comparable(l7Truth(domains, fromMs, toMs)));
  });

  it.each([
    ['RequestLimitExceeded answers', { kind: 'rateLimit', count: 2 }, 2],
    ['a 5xx from the gateway', { kind: 'serverError', count: 2, status: 502 }, 2],
    ['corrupt gzip packages', { kind: 'corruptGzip', count: 2 }, 2],
    ['cut package downloads', { kind: 'truncatedBody', count: 2 }, 2],
    ['a stalled package download', { kind: 'slowBody', count: 1, delayMs: 1500 }, 1],
  ] as const)('retries %s until complete, losing and doubling nothing', async (_name, fault, retries) => {
    emu.faults.inject(fault);
    const domains = zone().domains.slice(0, 2);
    const { records, meta } = await read(query({ domain: domains }));
    expect(comparable(records)).toEqual(comparable(l7Truth(domains, NOW - 6 * HOUR_MS, NOW - 3 * HOUR_MS)));
    expect(meta.retries).toBe(retries);
    expect(emu.faults.pending()).toEqual([]);
  });

  it('lists the page again, once, when package URLs have expired (403), and completes', async () => {
    emu.faults.inject({ kind: 'expiredUrl', count: 1 });
    const domains = zone().domains.slice(0, 2);
    const before = listings().length;
    const { records, meta } = await read(query({ domain: domains }));
    expect(comparable(records)).toEqual(comparable(l7Truth(domains, NOW - 6 * HOUR_MS, NOW - 3 * HOUR_MS)));
    expect(listings().length - before).toBe(2);
    expect(meta.notes).toEqual([expect.stringMatching(/listed zone-2mzegj4vln5f at offset 0 again: the URL of .* had expired/)]);
  });

  it('downloads a package listed twice once', async () => {
    emu.faults.inject({ kind: 'duplicateListing', count: 1 });
    const domains = [zone().domains[0]];
    const before = downloads().length;
    const { records } = await read(query({ domain: domains }));
    expect(comparable(records)).toEqual(comparable(l7Truth(domains, NOW - 6 * HOUR_MS, NOW - 3 * HOUR_MS)));
    const paths = downloads().slice(before).map((r) => r.path);
    expect(paths.length).toBeGreaterThanOrEqual(3);
    expect(new Set(paths).size).toBe(paths.length);
  });

  describe('refuses package URLs it must not fetch, fetching nothing', () => {
    it.each([
      ['plain http from a known download host', 'http://log-down04-cn.edgeone.qcloud.com', /packages are fetched over https only, not http/],
      ['a host outside the allowlist', 'https://logs.example.net', /logs\.example\.net is not a known download host of Tencent EdgeOne/],
      ['a private address', 'https://192.168.0.10', /loopback, private or reserved/],
      ['IPv6 loopback', 'https://[::1]:8443', /loopback, private or reserved/],
    ])('%s', async (_name, base, message) => {
      emu.packageBaseUrl = base;
      const before = downloads().length;
      const err = await read(query({ domain: [zone().domains[0]] })).catch((e: unknown) => e as CdnLogError);
      expect(err).toBeInstanceOf(CdnLogError);
      expect(err).toMatchObject({ kind: 'ProviderError', message: expect.stringMatching(message) });
      expect((err as Error).message).not.toMatch(/sign=|t=\d/);
      expect(downloads().length).toBe(before);
    });

    it('unless the user adds the host, and then still only over https', async () => {
      emu.packageBaseUrl = 'http://logs.example.net';
      const q = query({ domain: [zone().domains[0]] }, { options: { packageHosts: 'logs.example.net' } });
      await expect(read(q)).rejects.toThrow(/https only, not http/);
    });
  });

  it('refuses a package the listing says is larger than the bound, fetching nothing', async () => {
    const http = fastClient();
    const before = downloads().length;
    try {
      const q = query({ domain: [zone().domains[0]] });
      const run = runQuery(tencentEdgeOne, emu.credentials, q, { http, baseUrl: emu.baseUrl, nowMs: now, trustedPackageOrigins: [emu.baseUrl], maxDecodedBytes: 100 });
      await expect(collect(run.records)).rejects.toMatchObject({ kind: 'TooLarge', message: expect.stringMatching(/lists the package .* bytes, over the 100-byte bound; nothing was fetched/) });
    } finally {
      await http.close();
    }
    expect(downloads().length).toBe(before);
  });

  describe('authentication', () => {
    it('names the provider and the variables to check when the signature is wrong', async () => {
      const err = await read(query({}), { credentials: { secretId: emu.credentials.secretId, secretKey: 'wrong' } }).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'AuthFailed', message: expect.stringMatching(/^Tencent EdgeOne answered AuthFailure\.SignatureFailure: .*TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY/) });
      expect((err as Error).message).not.toContain(emu.credentials.secretKey);
    });

    it('says to check the clock when ours is more than 5 minutes off', async () => {
      const err = await read(query({}, { fromMs: NOW - DAY_MS, toMs: NOW - 20 * HOUR_MS }), { nowMs: () => NOW + 10 * MINUTE_MS }).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'AuthFailed', message: expect.stringMatching(/SignatureExpire.*clock is more than 5 min off/) });
    });

    it('refuses to start without credentials, naming the variables', () => {
      expect(() => tencentEdgeOne.credentialsFromEnv({})).toThrow(expect.objectContaining({ kind: 'AuthFailed', message: expect.stringMatching(/^Tencent EdgeOne needs TENCENTCLOUD_SECRET_ID/) }));
    });
  });

  it('names an unknown zone as the provider refusing it', async () => {
    const err = await read(query({ zone: 'zone-000000' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'ProviderError', message: expect.stringMatching(/ResourceUnavailable.*check --zone/) });
  });

  it('checks the source before sending anything', () => {
    expect(() => tencentEdgeOne.parseSource({})).toThrow(/--zone <zone id>/);
    expect(() => tencentEdgeOne.parseSource({ zone: 'example.com' })).toThrow(/not an EdgeOne zone ID/);
    expect(() => tencentEdgeOne.parseSource({ zone: 'zone-1', layer: 'l7', proxy: 'p' })).toThrow(/--proxy names L4 proxies/);
    expect(() => tencentEdgeOne.parseSource({ zone: 'zone-1', layer: 'l5' })).toThrow(/"l5" is not an EdgeOne log layer/);
    expect(tencentEdgeOne.parseSource({ zone: 'zone-1', proxy: ['p1', 'p2'] })).toEqual({ zone: 'zone-1', layer: 'l4', ids: ['p1', 'p2'] });
  });
});
