/**
 * The hostile-provider kit behind the bridge: whatever a provider answers, the bridge answers with a
 * clean 4xx/5xx and the error kind, stays up for the next query, and no canary credential reaches a
 * response, a log line or a metric.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import type { EmulatorFleet } from '../emulators';
import { type HostileAnswer, type HostileProvider, startHostileProvider } from '../emulators/hostile';
import { oneMemberZip } from '../emulators/zip';
import { CANARY, CANARY_FRAGMENTS, FAST_HTTP } from '../testing/hostile-suite';
import { type RunningBridge, startBridge } from './server';

const TOKEN = 'hostile-bridge-token-0123456789ab';
let answer: HostileAnswer = { kind: 'reply', status: 500, body: 'down' };
let kit: HostileProvider;
let bridge: RunningBridge;
let cacheDir: string;
const everything: string[] = [];

beforeAll(async () => {
  kit = await startHostileProvider((req) => (typeof answer === 'function' ? (answer as (r: typeof req) => HostileAnswer)(req) : answer));
  const sources: Record<string, Record<string, unknown>> = {
    cloudflare: { zone: '023e105f4ecef8ad9ca31a8372d0c353' },
    gcore: { resource: 1 },
    'tencent-dsa': { host: 'a.example.com' },
    'tencent-edgeone': { zone: 'zone-abc123', domains: [] },
    'naver-elsa': { projectId: 1, projectKey: 'k' },
  };
  const tencent = { secretId: CANARY.TENCENTCLOUD_SECRET_ID, secretKey: CANARY.TENCENTCLOUD_SECRET_KEY };
  const credentials: Record<string, Record<string, string>> = {
    cloudflare: { apiToken: CANARY.CLOUDFLARE_API_TOKEN },
    gcore: { apiKey: CANARY.GCORE_API_KEY },
    'tencent-dsa': tencent,
    'tencent-edgeone': tencent,
    'naver-elsa': { accessKey: CANARY.NCLOUD_ACCESS_KEY, secretKey: CANARY.NCLOUD_SECRET_KEY },
  };
  // The bridge in demo mode, whose "emulators" are all the hostile provider.
  const fleet = {
    emulators: {},
    describe: () => Object.keys(sources).map((provider) => ({ provider, baseUrl: kit.origin, credentials: credentials[provider], sources: [sources[provider]] })),
    close: async () => undefined,
  } as unknown as EmulatorFleet;
  cacheDir = await mkdtemp(path.join(tmpdir(), 'hostile-bridge-'));
  const logDestination = new Writable({
    write(chunk, _encoding, done) {
      everything.push(String(chunk));
      done();
    },
  });
  bridge = await startBridge({
    port: 0,
    token: TOKEN,
    demo: fleet,
    cacheDir,
    logDestination,
    http: FAST_HTTP,
  });
});

async function ask(body: Record<string, unknown>): Promise<{ status: number; json: any }> {
  const res = await request(`${bridge.url}/api/v1/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  everything.push(text);
  return { status: res.statusCode, json: JSON.parse(text) };
}

const NOW = Date.now();
const HOUR = 3_600_000;
const RANGE: Record<string, { fromMs: number; toMs: number }> = {
  cloudflare: { fromMs: NOW - 30 * 60_000, toMs: NOW - 5 * 60_000 },
  gcore: { fromMs: NOW - HOUR, toMs: NOW },
  'tencent-dsa': { fromMs: NOW - 6 * HOUR, toMs: NOW - 5 * HOUR },
  'tencent-edgeone': { fromMs: NOW - 6 * HOUR, toMs: NOW - 5 * HOUR },
  'naver-elsa': { fromMs: NOW - HOUR, toMs: NOW - 30 * 60_000 },
};
const PROVIDERS = Object.keys(RANGE);

const ANSWERS: Array<[string, HostileAnswer, number[]]> = [
  ['a 500 whose body never ends', { kind: 'endless', status: 500 }, [502]],
  ['a 200 whose body trickles a byte at a time', { kind: 'trickle', status: 200, body: 'x'.repeat(100_000), intervalMs: 50 }, [502]],
  ['no answer at all', { kind: 'hang' }, [502]],
  ['a reply that is not HTTP', { kind: 'raw', bytes: 'SSH-2.0-OpenSSH_9.6\r\n\r\n' }, [502]],
  ['an echo of the request as a 401', { kind: 'echo', status: 401 }, [403]],
  ['an echo of the request as a 400', { kind: 'echo', status: 400 }, [403, 502]],
  ['an echo of the request as a 200', { kind: 'echo', status: 200 }, [200, 502]],
  ['a 429 asking for 999999 s', { kind: 'reply', status: 429, headers: { 'retry-after': '999999' }, body: '{}' }, [502]],
  ['JSON null', { kind: 'reply', status: 200, body: 'null' }, [200, 502]],
];

describe.each(PROVIDERS)('%s behind the bridge', (provider) => {
  it.each(ANSWERS)('%s: a clean answer with the error kind, and the bridge keeps answering', async (_what, hostile, statuses) => {
    answer = hostile;
    const { status, json } = await ask({ provider, ...RANGE[provider], limit: 10 });
    expect(statuses).toContain(status);
    if (status >= 400) {
      expect(json.error.kind).toMatch(/^(Transient|RateLimited|ProviderError|AuthFailed|TooLarge|BadInput)$/);
      expect(typeof json.error.message).toBe('string');
    }
    const health = await request(`${bridge.url}/api/v1/health`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(health.statusCode).toBe(200);
    everything.push(await health.body.text());
  });
});

describe('valid but lying answers', () => {
  it('gcore paging that ignores offset: a 502 naming the loop', async () => {
    const header = 'timestamp\tpath\tstatus';
    const rows = Array.from({ length: 10_000 }, (_, i) => `${Math.floor((NOW - HOUR / 2) / 1000) + (i % 60)}\t/p${i}\t200`);
    answer = { kind: 'reply', status: 200, body: oneMemberZip('x.tsv', Buffer.from([header, ...rows].join('\n') + '\n'), NOW) };
    const { status, json } = await ask({ provider: 'gcore', ...RANGE.gcore, limit: 30_000 });
    expect(status).toBe(502);
    expect(json.error.message).toMatch(/not paging/);
  });

  it('cloudflare lines that are not records are skipped and counted in meta', async () => {
    const start = (NOW - 20 * 60_000) * 1e6;
    const lines = ['null', '[1]', '{}', JSON.stringify({ RayID: 'a', EdgeStartTimestamp: start }), JSON.stringify({ RayID: 'b', EdgeStartTimestamp: 1e20 })];
    answer = { kind: 'reply', status: 200, headers: { 'content-encoding': 'gzip' }, body: gzipSync(lines.join('\n')) };
    // A range of its own: the windows of earlier answers are in the bridge's cache.
    const { status, json } = await ask({ provider: 'cloudflare', fromMs: NOW - 25 * 60_000, toMs: NOW - 15 * 60_000 });
    expect(status).toBe(200);
    expect(json.logs.values.id).toEqual(['a']);
    expect(json.meta.skipped).toBe(4);
  });
});

afterAll(async () => {
  const metrics = await request(`${bridge.url}/metrics`);
  everything.push(await metrics.body.text());
  const text = everything.join('');
  expect(text.length).toBeGreaterThan(1000);
  await bridge.close(1_000);
  await kit.close();
  await rm(cacheDir, { recursive: true, force: true });
  expect(CANARY_FRAGMENTS.filter((f) => text.includes(f))).toEqual([]);
});
