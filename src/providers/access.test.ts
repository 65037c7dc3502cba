/**
 * The health check of every adapter (`checkAccess`, behind `GET /api/v1/health`) against its
 * emulator: one cheap real call, a message a Grafana user can act on either way.
 */
import { CdnLogError } from '../core/errors';
import {
  type CloudflareEmulator,
  type GcoreEmulator,
  type NaverElsaEmulator,
  startCloudflareEmulator,
  startGcoreEmulator,
  startNaverElsaEmulator,
  startTencentDsaEmulator,
  startTencentEdgeOneEmulator,
  type TencentDsaEmulator,
  type TencentEdgeOneEmulator,
} from '../emulators';
import type { HttpClient } from '../transport/http';
import { cloudflare } from './cloudflare';
import { gcore } from './gcore';
import { naverElsa } from './naver-elsa';
import { tencentDsa } from './tencent-dsa';
import { tencentEdgeOne } from './tencent-edgeone';
import { fastClient, readContext } from './testing/expected';
import type { ProviderAdapter, ReadContext } from './types';

let http: HttpClient;
beforeEach(() => {
  http = fastClient();
});
afterEach(() => http.close());

/** Runs the check on a fresh context; returns the message or the error, and the context (for its stats). */
async function check<C, S>(
  adapter: ProviderAdapter<C, S>,
  on: { baseUrl: string; credentials: C; source: S; nowMs: () => number },
): Promise<{ message?: string; error?: CdnLogError; ctx: ReadContext<C, S> }> {
  const ctx = readContext({ http, ...on });
  try {
    return { message: await adapter.checkAccess(ctx), ctx };
  } catch (err) {
    if (!(err instanceof CdnLogError)) throw err;
    return { error: err, ctx };
  }
}

describe('Cloudflare checkAccess', () => {
  const NOW = Date.parse('2026-11-22T10:00:30Z');
  let emu: CloudflareEmulator;
  beforeAll(async () => {
    emu = await startCloudflareEmulator({ now: () => NOW, seed: 7 });
  });
  afterAll(() => emu.close());
  afterEach(() => {
    emu.faults.retentionEnabled = true;
  });
  const on = (credentials: Parameters<typeof cloudflare.checkAccess>[0]['credentials'], zone = emu.zones[0].id) => ({
    baseUrl: emu.baseUrl,
    credentials,
    source: { zone },
    nowMs: () => NOW,
  });

  it('reads the retention flag with the token and says the zone keeps logs', async () => {
    const zone = emu.zones[0].id;
    const { message, ctx } = await check(cloudflare, on({ token: emu.credentials.apiToken }));
    expect(message).toBe(`Cloudflare accepted the API token for zone ${zone}; log retention is on (checked GET /zones/${zone}/logs/control/retention/flag)`);
    expect(emu.requests.at(-1)).toMatchObject({ method: 'GET', path: `/client/v4/zones/${zone}/logs/control/retention/flag`, status: 200 });
    expect(ctx.stats.requests).toBe(1);
    expect(ctx.stats.bytes).toBeGreaterThan(0);
  });

  it('names the email and global API key when those were used', async () => {
    const { message } = await check(cloudflare, on({ email: emu.credentials.email, apiKey: emu.credentials.apiKey }));
    expect(message).toMatch(/^Cloudflare accepted the email and global API key for zone [0-9a-f]{32}; log retention is on/);
    expect(message).not.toContain(emu.credentials.email);
  });

  it('fails as AuthFailed naming CLOUDFLARE_API_TOKEN for a wrong token, without quoting it', async () => {
    const { error } = await check(cloudflare, on({ token: 'not-the-demo-token' }));
    expect(error).toMatchObject({ kind: 'AuthFailed', status: 403, message: expect.stringContaining('check that CLOUDFLARE_API_TOKEN has the Logs Read permission') });
    expect(error?.message).toContain('CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY');
    expect(error?.message).not.toContain('not-the-demo-token');
  });

  it('fails as ProviderError with the call that turns retention on when it is off', async () => {
    emu.faults.retentionEnabled = false;
    const zone = emu.zones[1].id;
    const { error } = await check(cloudflare, on({ token: emu.credentials.apiToken }, zone));
    expect(error).toMatchObject({ kind: 'ProviderError' });
    expect(error?.message).toBe(
      `Cloudflare has log retention off for zone ${zone}: turn it on with POST /zones/${zone}/logs/control/retention/flag {"flag":true}; logs are kept only from then on`,
    );
  });

  it('fails as ProviderError naming a zone the account does not have', async () => {
    const stranger = 'f'.repeat(32);
    const { error } = await check(cloudflare, on({ token: emu.credentials.apiToken }, stranger));
    expect(error).toMatchObject({ kind: 'ProviderError', message: `Cloudflare does not know zone ${stranger} (HTTP 404): check --zone` });
  });
});

describe('Gcore checkAccess', () => {
  const NOW = Date.parse('2026-11-22T10:00:00Z');
  let emu: GcoreEmulator;
  beforeAll(async () => {
    emu = await startGcoreEmulator({ now: () => NOW, seed: 11, rpm: 60 });
  });
  afterAll(() => emu.close());
  const on = (apiKey: string, source: { resource: string } | { cname: string }) => ({ baseUrl: emu.baseUrl, credentials: { apiKey }, source, nowMs: () => NOW });

  it('downloads one row of the last minute for the resource and says so', async () => {
    const resource = String(emu.resources[0].id);
    const { message, ctx } = await check(gcore, on(emu.credentials.apiKey, { resource }));
    expect(message).toBe(`Gcore accepted the API key for resource ${resource}; a logs download of 2026-11-22T09:59Z..2026-11-22T10:00Z with limit=1 returned a log row`);
    expect(emu.requests.at(-1)?.query).toMatchObject({ from: '2026-11-22T09:59:00.000Z', to: '2026-11-22T10:00:00.000Z', limit: '1', offset: '0', resource_id__eq: resource });
    expect(ctx.stats.requests).toBe(1);
    expect(ctx.stats.bytes).toBeGreaterThan(0);
  });

  it('checks a resource given by its CNAME', async () => {
    const { message } = await check(gcore, on(emu.credentials.apiKey, { cname: emu.resources[1].cname }));
    expect(message).toBe(`Gcore accepted the API key for CNAME ${emu.resources[1].cname}; a logs download of 2026-11-22T09:59Z..2026-11-22T10:00Z with limit=1 returned a log row`);
  });

  it('fails as AuthFailed naming GCORE_API_KEY for a wrong key, without quoting it', async () => {
    const { error } = await check(gcore, on('wrong-gcore-key', { resource: String(emu.resources[0].id) }));
    expect(error).toMatchObject({ kind: 'AuthFailed', status: 401, message: expect.stringContaining('check GCORE_API_KEY') });
    expect(error?.message).not.toContain('wrong-gcore-key');
  });

  it('answers an unknown resource (which Gcore cannot tell from a quiet one) by naming it and what to check', async () => {
    const { message } = await check(gcore, on(emu.credentials.apiKey, { resource: '999999' }));
    expect(message).toBe(
      'Gcore accepted the API key; a logs download of 2026-11-22T09:59Z..2026-11-22T10:00Z with limit=1 returned no rows for resource 999999: ' +
        'fine for a quiet resource, but if it had traffic in that minute, check the resource id (Gcore answers an unknown one with no rows, not an error)',
    );
  });

  it('refuses a resource that is not an id as BadInput naming it, before any call', () => {
    expect(() => gcore.parseSource({ resource: 'cdn-one' })).toThrow(expect.objectContaining({ kind: 'BadInput', field: 'resource', message: expect.stringContaining('"cdn-one"') }));
  });
});

describe('Tencent DSA checkAccess', () => {
  // 20:30 UTC is 04:30 on the next Beijing day: "today" is 2026-11-23 whatever this machine's zone.
  const NOW = Date.parse('2026-11-22T20:30:00Z');
  let emu: TencentDsaEmulator;
  beforeAll(async () => {
    emu = await startTencentDsaEmulator({ now: () => NOW, seed: 21, rpm: 30 });
  });
  afterAll(() => emu.close());
  const on = (credentials: { secretId: string; secretKey: string }, hosts: string[]) => ({ baseUrl: emu.baseUrl, credentials, source: { hosts }, nowMs: () => NOW });

  it("lists today's (Beijing) hourly packages of the hosts and counts them per host", async () => {
    const [a, b] = emu.hosts;
    const { message, ctx } = await check(tencentDsa, on(emu.credentials, [a, b]));
    // Published: the Beijing hours 00:00 and 01:00 (listed 2 h after they end).
    expect(message).toBe(`Tencent DSA accepted the key pair; GetDsaHostLogs lists 4 hourly packages of today (2026-11-23, Beijing time) (2 for ${a}, 2 for ${b})`);
    expect(ctx.stats.requests).toBe(1);
    expect(ctx.stats.bytes).toBeGreaterThan(0);
  });

  it('lists more than 10 hosts in calls of 10', async () => {
    const { message, ctx } = await check(tencentDsa, on(emu.credentials, emu.hosts));
    expect(emu.hosts.length).toBe(12);
    expect(message).toMatch(/^Tencent DSA accepted the key pair; GetDsaHostLogs lists 24 hourly packages of today \(2026-11-23, Beijing time\) \(2 for h01\./);
    expect(ctx.stats.requests).toBe(2);
  });

  it('says that an empty list is normal early in the Beijing day', async () => {
    const early = await startTencentDsaEmulator({ now: () => Date.parse('2026-11-22T17:00:00Z'), seed: 21 });
    try {
      const { message } = await check(tencentDsa, { ...on(early.credentials, [early.hosts[0]]), baseUrl: early.baseUrl, nowMs: () => Date.parse('2026-11-22T17:00:00Z') });
      expect(message).toBe(
        `Tencent DSA accepted the key pair; GetDsaHostLogs lists 0 hourly packages of today (2026-11-23, Beijing time) for ${early.hosts[0]}; ` +
          'hours are listed about 2 h after they end, so none so far is normal early in the day or for a host without traffic',
      );
    } finally {
      await early.close();
    }
  });

  it('fails as AuthFailed naming TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY for a wrong key, without quoting it', async () => {
    const { error } = await check(tencentDsa, on({ secretId: emu.credentials.secretId, secretKey: 'wrong-dsa-secret' }, [emu.hosts[0]]));
    expect(error).toMatchObject({ kind: 'AuthFailed', message: expect.stringMatching(/^Tencent DSA answered 4100 AuthFailure: .*check TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY/) });
    expect(error?.message).not.toContain('wrong-dsa-secret');
    expect(error?.message).not.toContain(emu.credentials.secretId);
  });

  it('fails as ProviderError naming a host the account does not have', async () => {
    const { error } = await check(tencentDsa, on(emu.credentials, [emu.hosts[0], 'nope.dsa.example.com']));
    expect(error).toMatchObject({ kind: 'ProviderError', message: expect.stringMatching(/^Tencent DSA answered 4000 InvalidParameter: .*"nope\.dsa\.example\.com" is not a DSA host of this account .*check the --host values/) });
  });
});

describe('Tencent EdgeOne checkAccess', () => {
  // The 09:00 UTC hour is listed from 10:30: the last hour then has packages.
  const NOW = Date.parse('2026-11-22T10:45:00Z');
  let emu: TencentEdgeOneEmulator;
  beforeAll(async () => {
    emu = await startTencentEdgeOneEmulator({ now: () => NOW, seed: 8, domains: 3, proxies: 2 });
  });
  afterAll(() => emu.close());
  type Source = Parameters<typeof tencentEdgeOne.checkAccess>[0]['source'];
  const on = (credentials: { secretId: string; secretKey: string }, source: Source) => ({ baseUrl: emu.baseUrl, credentials, source, nowMs: () => NOW });
  const zone = () => emu.zones[0];

  it('lists one L7 package of the last hour and names the TotalCount', async () => {
    const { message, ctx } = await check(tencentEdgeOne, on(emu.credentials, { zone: zone().id, layer: 'l7', ids: [] }));
    expect(message).toMatch(new RegExp(`^Tencent EdgeOne accepted the key pair for ${zone().id}; DownloadL7Logs with Limit=1 over 2026-11-22T09:45Z\\.\\.2026-11-22T10:45Z answered TotalCount [1-9]\\d*$`));
    expect(ctx.stats.requests).toBe(1);
    expect(ctx.stats.bytes).toBeGreaterThan(0);
  });

  it('lists L4 packages of the named proxies with DownloadL4Logs', async () => {
    const proxy = zone().proxies[0];
    const { message } = await check(tencentEdgeOne, on(emu.credentials, { zone: zone().id, layer: 'l4', ids: [proxy] }));
    expect(message).toMatch(new RegExp(`^Tencent EdgeOne accepted the key pair for ${zone().id}/${proxy}; DownloadL4Logs with Limit=1 over .* answered TotalCount \\d+`));
  });

  it('says when packages appear if the last hour has none yet', async () => {
    const onTheHour = () => Date.parse('2026-11-22T10:00:00Z');
    const early = await startTencentEdgeOneEmulator({ now: onTheHour, seed: 8 });
    try {
      const { message } = await check(tencentEdgeOne, { baseUrl: early.baseUrl, credentials: early.credentials, source: { zone: early.zones[0].id, layer: 'l7', ids: [] }, nowMs: onTheHour });
      expect(message).toMatch(/over 2026-11-22T09:00Z\.\.2026-11-22T10:00Z answered TotalCount 0 \(packages are listed about 30 min after their hour ends\)$/);
    } finally {
      await early.close();
    }
  });

  it('fails as AuthFailed naming TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY for a wrong key, without quoting it', async () => {
    const { error } = await check(tencentEdgeOne, on({ secretId: emu.credentials.secretId, secretKey: 'wrong-edgeone-secret' }, { zone: zone().id, layer: 'l7', ids: [] }));
    expect(error).toMatchObject({ kind: 'AuthFailed', message: expect.stringMatching(/^Tencent EdgeOne answered AuthFailure\.SignatureFailure: .*check TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY/) });
    expect(error?.message).not.toContain('wrong-edgeone-secret');
  });

  it('fails as ProviderError naming a zone the account does not have', async () => {
    const { error } = await check(tencentEdgeOne, on(emu.credentials, { zone: 'zone-other', layer: 'l7', ids: [] }));
    expect(error).toMatchObject({ kind: 'ProviderError', message: expect.stringMatching(/^Tencent EdgeOne answered ResourceUnavailable: .*`zone-other` is not a zone of this account.*check --zone/) });
  });
});

describe('NAVER ELSA checkAccess', () => {
  const NOW = Date.parse('2026-11-22T10:00:00Z');
  let emu: NaverElsaEmulator;
  beforeAll(async () => {
    emu = await startNaverElsaEmulator({ now: () => NOW, seed: 5, rpm: 60 });
  });
  afterAll(() => emu.close());
  const on = (credentials: { accessKey: string; secretKey: string }, source = emu.projects[0]) => ({
    baseUrl: emu.baseUrl,
    credentials,
    source: { projectId: source.projectId, projectKey: source.projectKey },
    nowMs: () => NOW,
  });

  it('downloads one document of the last minute and says so', async () => {
    const { projectKey, projectId } = emu.projects[0];
    const { message, ctx } = await check(naverElsa, on(emu.credentials));
    expect(message).toBe(`NAVER ELSA accepted the access key for project ${projectKey} (id ${projectId}); a download of 2026-11-22T09:59Z..2026-11-22T10:00Z with count=1 returned a document`);
    expect(message).not.toContain(emu.credentials.accessKey);
    expect(ctx.stats.requests).toBe(1);
    expect(ctx.stats.bytes).toBeGreaterThan(0);
  });

  it('fails as AuthFailed naming NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY for a wrong key, without quoting it', async () => {
    const { error } = await check(naverElsa, on({ accessKey: emu.credentials.accessKey, secretKey: 'wrong-elsa-secret' }));
    expect(error).toMatchObject({ kind: 'AuthFailed', status: 401, message: expect.stringContaining('check NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY') });
    expect(error?.message).not.toContain('wrong-elsa-secret');
    expect(error?.message).not.toContain(emu.credentials.accessKey);
  });

  it('fails as ProviderError naming a project the account does not have', async () => {
    const { error } = await check(naverElsa, on(emu.credentials, { ...emu.projects[0], projectKey: 'Pbxxxxx_nope' }));
    expect(error).toMatchObject({ kind: 'ProviderError', status: 400, message: expect.stringMatching(/^NAVER ELSA rejected the download of Pbxxxxx_nope .*unknown project.*check --project-id and --project-key$/) });
  });
});
