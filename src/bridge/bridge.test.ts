/**
 * The bridge against the five emulators on loopback, in demo mode: logs and stats equal a direct
 * read of the same range, windows come from the cache the second time and are downloaded once for
 * concurrent queries, long queries run on and can be cancelled, and every error is an HTTP answer
 * with its kind, never a secret.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import type { CdnLogRecord } from '../core/record';
import { parseQuery } from '../core/query';
import { HOUR_MS, MINUTE_MS } from '../core/time';
import { type EmulatorFleet, startEmulators } from '../emulators';
import { demoEnv, demoSelector } from '../emulators/demo-client';
import { providerAdapter } from '../providers/registry';
import { runQuery } from '../providers/run';
import { collect, fastClient } from '../providers/testing/expected';
import { credentialHeader } from './credentials';
import { type RunningBridge, startBridge } from './server';

const TOKEN = 'bridge-test-token-0123456789abcdef';
let fleet: EmulatorFleet;
let bridge: RunningBridge;
let cacheDir: string;
const logLines: string[] = [];

beforeAll(async () => {
  fleet = await startEmulators({ rpm: 30 });
  cacheDir = await mkdtemp(path.join(tmpdir(), 'bridge-test-'));
  const logDestination = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  bridge = await startBridge({ port: 0, token: TOKEN, demo: fleet, cacheDir, cacheMaxBytes: 256 * 1024 ** 2, logDestination, http: { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1_000 } } });
});

afterAll(async () => {
  await bridge.close(1_000);
  await fleet.close();
  await rm(cacheDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: any;
  text: string;
}

async function call(method: 'GET' | 'POST' | 'DELETE', route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await request(`${bridge.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: res.statusCode, body: parsed, text };
}

const query = (body: Record<string, unknown>, headers?: Record<string, string>) => call('POST', '/api/v1/query', body, headers);

/** Every record of a range read straight through the query runner (itself tested against the emulators' ground truth). */
async function directRead(provider: string, fromMs: number, toMs: number, extra: Record<string, unknown> = {}): Promise<CdnLogRecord[]> {
  const emulator = fleet.describe().find((d) => d.provider === provider)!;
  const adapter = providerAdapter(provider);
  const http = fastClient();
  try {
    const q = parseQuery({ provider, source: demoSelector(emulator.sources[0]), fromMs, toMs, ...extra });
    const run = runQuery(adapter, adapter.credentialsFromEnv(demoEnv(provider, emulator.credentials)), q, {
      http,
      baseUrl: emulator.baseUrl,
      trustedPackageOrigins: [new URL(emulator.baseUrl).origin],
      unlimited: true,
    });
    return await collect(run.records);
  } finally {
    await http.close();
  }
}

/** Ranges with data in each emulator, aligned to whole minutes so that two reads see the same windows. */
function rangeOf(provider: string): { fromMs: number; toMs: number } {
  const minute = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
  switch (provider) {
    case 'cloudflare':
      return { fromMs: minute - 70 * MINUTE_MS, toMs: minute - 10 * MINUTE_MS };
    case 'gcore':
      return { fromMs: minute - 2 * HOUR_MS, toMs: minute - MINUTE_MS };
    case 'naver-elsa':
      return { fromMs: minute - 2 * HOUR_MS, toMs: minute - 10 * MINUTE_MS };
    default:
      return { fromMs: minute - 7 * HOUR_MS, toMs: minute - 3 * HOUR_MS };
  }
}

const PROVIDERS = ['cloudflare', 'gcore', 'tencent-dsa', 'tencent-edgeone', 'naver-elsa'];

/** True when `returned` are exactly the `n` newest (or oldest) of `all`, in that order, ties at the edge aside. */
function expectEdgeOf(all: CdnLogRecord[], returned: { id: string[]; timestamp: number[] }, n: number, sort: 'desc' | 'asc'): void {
  const ids = new Set(all.map((r) => r.id));
  expect(returned.id).toHaveLength(Math.min(n, all.length));
  for (const id of returned.id) expect(ids.has(id)).toBe(true);
  const times = returned.timestamp;
  const ordered = [...times].sort((a, b) => (sort === 'desc' ? b - a : a - b));
  expect(times).toEqual(ordered);
  const kept = new Set(returned.id);
  const edge = times[times.length - 1];
  for (const r of all) {
    if (kept.has(r.id)) continue;
    if (sort === 'desc') expect(r.timestamp).toBeLessThanOrEqual(edge);
    else expect(r.timestamp).toBeGreaterThanOrEqual(edge);
  }
}

describe('POST /api/v1/query, logs', () => {
  it.each(PROVIDERS)('%s: the N newest records of the range, newest first, then the N oldest with sort asc', async (provider) => {
    const range = rangeOf(provider);
    const all = await directRead(provider, range.fromMs, range.toMs);
    expect(all.length).toBeGreaterThan(20);
    for (const [limit, sort] of [
      [7, 'desc'],
      [Math.floor(all.length * 0.8), 'desc'],
      [7, 'asc'],
    ] as const) {
      const { status, body } = await query({ provider, ...range, limit, sort });
      expect(status).toBe(200);
      expect(body.state).toBe('done');
      expect(body.logs.fields.slice(0, 5)).toEqual(['timestamp', 'body', 'severity', 'id', 'labels']);
      expectEdgeOf(all, body.logs.values, limit, sort);
      expect(body.meta.truncated).toBe(true);
      expect(body.meta.truncatedReason).toMatch(/^stopped at the limit of \d+ records; every record from .* is in$/);
    }
  });

  it('returns the whole range when the limit is larger, and says it is complete', async () => {
    const range = rangeOf('gcore');
    const all = await directRead('gcore', range.fromMs, range.toMs);
    const { body } = await query({ provider: 'gcore', ...range, limit: 100_000 });
    expect(body.logs.length).toBe(all.length);
    expect(body.meta).toMatchObject({ truncated: false, truncatedReason: null, recordsReturned: all.length });
  });
});

describe('POST /api/v1/query, stats', () => {
  it.each(PROVIDERS.filter((p) => p !== 'naver-elsa'))('%s: count and bytes per interval by status equal the direct read', async (provider) => {
    const range = rangeOf(provider);
    const intervalMs = 10 * MINUTE_MS;
    const all = await directRead(provider, range.fromMs, range.toMs);
    for (const metric of ['count', 'bytes'] as const) {
      const { status, body } = await query({ provider, ...range, mode: 'stats', groupBy: 'status', metric, intervalMs, topK: 100 });
      expect(status).toBe(200);
      const expected = new Map<string, number[]>();
      const buckets = Math.ceil((range.toMs - range.fromMs) / intervalMs);
      for (const r of all) {
        if (r.timestamp < range.fromMs || r.timestamp >= range.toMs) continue;
        const key = String(r.status);
        if (!expected.has(key)) expected.set(key, new Array(buckets).fill(0));
        expected.get(key)![Math.floor((r.timestamp - range.fromMs) / intervalMs)] += metric === 'count' ? 1 : (r.bytesSent ?? 0);
      }
      const got = new Map<string, number[]>(body.stats.series.map((s: { group: string; values: number[] }) => [s.group, s.values]));
      expect(got).toEqual(expected);
      expect(body.stats.approximate).toBe(false);
    }
  });

  it('groups by statusClass, and a top K smaller than the groups adds up to the total with other', async () => {
    const range = rangeOf('cloudflare');
    const byClass = await query({ provider: 'cloudflare', ...range, mode: 'stats', groupBy: 'statusClass', intervalMs: range.toMs - range.fromMs });
    const classes = byClass.body.stats.series.map((s: { group: string }) => s.group);
    for (const c of classes) expect(c).toMatch(/^[1-5]xx$/);
    const total = byClass.body.stats.series.reduce((sum: number, s: { total: number }) => sum + s.total, 0);
    const top2 = await query({ provider: 'cloudflare', ...range, mode: 'stats', groupBy: 'path', topK: 2, intervalMs: range.toMs - range.fromMs });
    const series = top2.body.stats.series as Array<{ other: boolean; total: number }>;
    expect(series.filter((s) => !s.other)).toHaveLength(2);
    expect(series.some((s) => s.other)).toBe(true);
    expect(series.reduce((sum, s) => sum + s.total, 0)).toBe(total);
  });
});

describe('windows downloaded once', () => {
  it('serves a repeated query from the cache: meta says so and the emulator sees no new request', async () => {
    const cloudflare = fleet.emulators.cloudflare!;
    const minute = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
    const range = { fromMs: minute - 3 * HOUR_MS, toMs: minute - 2 * HOUR_MS };
    const first = await query({ provider: 'cloudflare', ...range, limit: 50 });
    expect(first.body.meta.windows.fromCache).toBe(0);
    const before = cloudflare.requests.length;
    // Another query over the same window: its records come from the window cache.
    const other = await query({ provider: 'cloudflare', ...range, limit: 20, sort: 'asc' });
    expect(other.body.meta.windows).toEqual({ planned: 1, done: 1, fromCache: 1 });
    expect(other.body.meta.providerRequests).toBe(0);
    // The same query again: its whole answer is kept.
    const again = await query({ provider: 'cloudflare', ...range, limit: 50 });
    expect(again.body.meta.answeredFromMemory).toBe(true);
    expect(again.body.logs.values.id).toEqual(first.body.logs.values.id);
    expect(cloudflare.requests.length).toBe(before);
  });

  it.each(PROVIDERS)('%s: a settled range read again comes from the window tapes, with no provider request and the same records', async (provider) => {
    const hour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    // Older than every provider's settle horizon (EdgeOne's is a day).
    const range = { fromMs: hour - 28 * HOUR_MS, toMs: hour - 26 * HOUR_MS };
    const first = await query({ provider, ...range, mode: 'stats', groupBy: 'statusClass' });
    expect(first.status).toBe(200);
    expect(first.body.meta.providerRequests).toBeGreaterThan(0);
    const total = first.body.stats.recordsCounted;
    expect(total).toBeGreaterThan(0);
    // Another query (the logs, newest first) over the same windows, once the first one's tapes are kept.
    let again: Answer;
    for (;;) {
      again = await query({ provider, ...range, limit: 100_000 });
      if (again.body.meta.windows.fromCache === again.body.meta.windows.planned) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(again.body.meta.providerRequests).toBe(0);
    expect(new Set(again.body.logs.values.id).size).toBe(total);
    const direct = await directRead(provider, range.fromMs, range.toMs);
    expect([...again.body.logs.values.id].sort()).toEqual(direct.map((r) => r.id).sort());
  });

  it('eight concurrent identical queries cause one provider request per window', async () => {
    const gcore = fleet.emulators.gcore!;
    const minute = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
    const range = { fromMs: minute - 50 * HOUR_MS, toMs: minute - 38 * HOUR_MS }; // two settled 6 h windows
    const before = gcore.requests.length;
    const answers = await Promise.all(Array.from({ length: 8 }, () => query({ provider: 'gcore', ...range, mode: 'stats', groupBy: 'cacheStatus' })));
    for (const a of answers) expect(a.status).toBe(200);
    // Each window's pages (offset 0, 10000...) were each asked for once, not eight times.
    const sent = gcore.requests.slice(before).map((r) => `${r.query.from} ${r.query.to} ${r.query.offset}`);
    expect(new Set(sent.map((s) => s.split(' ').slice(0, 2).join(' '))).size).toBe(2);
    expect(new Set(sent).size).toBe(sent.length);
    for (const a of answers) expect(a.body.stats).toEqual(answers[0].body.stats);
  });
});

describe('long queries', () => {
  it('answers running at once with waitMs 0, then completes through polling with the records a direct read gives', async () => {
    const range = rangeOf('tencent-dsa');
    const first = await query({ provider: 'tencent-dsa', ...range, limit: 100_000, waitMs: 0 });
    expect(first.status).toBe(200);
    expect(first.body.state).toBe('running');
    expect(first.body.queryId).toMatch(/^[0-9a-f-]{36}$/);
    let polled = first;
    for (let i = 0; i < 200 && polled.body.state === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      polled = await call('GET', `/api/v1/query/${first.body.queryId}`);
    }
    expect(polled.body.state).toBe('done');
    const all = await directRead('tencent-dsa', range.fromMs, range.toMs);
    expect(new Set(polled.body.logs.values.id)).toEqual(new Set(all.map((r) => r.id)));
  });

  it('DELETE cancels a query: it ends cancelled, and its provider requests stop', async () => {
    const elsa = fleet.emulators['naver-elsa']!;
    elsa.faults.inject({ kind: 'slowBody', count: 1000, delayMs: 30_000 });
    try {
      const minute = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
      const started = await query({ provider: 'naver-elsa', fromMs: minute - 20 * HOUR_MS, toMs: minute - 10 * HOUR_MS, waitMs: 300 });
      expect(started.body.state).toBe('running');
      const cancelled = await call('DELETE', `/api/v1/query/${started.body.queryId}`);
      expect(cancelled.body.state).toBe('cancelled');
      expect(cancelled.body.meta.truncatedReason).toMatch(/^cancelled: cancelled by the client/);
      const after = elsa.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(elsa.requests.length).toBe(after);
    } finally {
      elsa.faults.clear();
    }
  });

  it('a client that disconnects before its answer cancels the query', async () => {
    const elsa = fleet.emulators['naver-elsa']!;
    elsa.faults.inject({ kind: 'slowBody', count: 1000, delayMs: 30_000 });
    try {
      const minute = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
      const controller = new AbortController();
      const pending = request(`${bridge.url}/api/v1/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'naver-elsa', fromMs: minute - 30 * HOUR_MS, toMs: minute - 20 * HOUR_MS, waitMs: 20_000 }),
        signal: controller.signal,
      }).catch(() => null);
      for (let i = 0; i < 100 && bridge.jobs.running === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(bridge.jobs.running).toBe(1);
      controller.abort();
      await pending;
      for (let i = 0; i < 100 && bridge.jobs.running > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(bridge.jobs.running).toBe(0);
    } finally {
      elsa.faults.clear();
    }
  });
});

describe('errors are HTTP answers with their kind', () => {
  const range = () => rangeOf('gcore');

  it.each([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer wrong-token-wrong-token' }],
    ['a token that is not Bearer', { authorization: TOKEN }],
  ])('%s: 401', async (_what, headers) => {
    const res = await request(`${bridge.url}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
    expect(res.statusCode).toBe(401);
    expect((await res.body.json()) as object).toMatchObject({ error: { kind: 'Unauthorized' } });
  });

  it('/metrics needs no token', async () => {
    const res = await request(`${bridge.url}/metrics`);
    expect(res.statusCode).toBe(200);
    const text = await res.body.text();
    expect(text).toMatch(/cdn_bridge_http_requests_total\{/);
    expect(text).toMatch(/cdn_bridge_windows_total\{provider="cloudflare",source="cache"\} [1-9]/);
  });

  it.each([
    [{ provider: 'gcore', from: '-1h', limt: 5 }, /Unrecognized key: "limt"|limt/],
    [{ provider: 'gcore', from: '-1h', limit: 'many' }, /^limit: /],
    [{ provider: 'gcore', from: 'yesterday' }, /^from: "yesterday" is not a time/],
    [{ provider: 'gcore', from: '-1h', filters: [{ field: 'stat', op: '=', value: 1 }] }, /unknown field "stat"/],
    [{ provider: 'gcore', from: '-1h', filters: [{ field: 'path', op: '=~', value: '(?=x)' }] }, /RE2/],
    [{ provider: 'gcore', from: '-1h', mode: 'stats', groupBy: 'nope' }, /groupBy/],
    [{ provider: 'akamai', from: '-1h' }, /provider/],
    [{ provider: 'gcore', from: '-1h', baseUrl: 'http://169.254.169.254/latest' }, /^baseUrl: the bridge calls only Gcore's own API/],
    ['{"provider": "gcore", ', /JSON|request/],
    [[1, 2, 3], /query|expected object/],
  ])('a malformed query is a 400 naming the field: %j', async (body, message) => {
    const { status, body: answer } = await query(body as Record<string, unknown>);
    expect(status).toBe(400);
    expect(answer.error.kind).toBe('BadInput');
    expect(answer.error.message).toMatch(message);
  });

  it.each([
    ['cloudflare', { zone: 'f'.repeat(32) }, /`source\.zone`/],
    ['tencent-edgeone', { zone: 'zone-nosuchzone00', layer: 'l7', domain: 'a.example.com' }, /`source\.zone`/],
  ])('%s: a source the provider does not know is named as the query spells it, not as a command-line flag', async (provider, source, hint) => {
    const { body } = await query({ provider, source, ...rangeOf(provider), waitMs: 20_000 });
    const error = body.error;
    expect(JSON.stringify(body)).toMatch(hint);
    expect(JSON.stringify(body)).not.toMatch(/--zone|--domain|--proxy/);
    expect(error).toBeDefined();
  });

  it('rejected credentials are a 403 naming the credential to check', async () => {
    const { status, body } = await query({ provider: 'gcore', ...range() }, { [credentialHeader('GCORE_API_KEY')]: 'not-the-demo-key-0123456789' });
    expect(status).toBe(403);
    expect(body.error.kind).toBe('AuthFailed');
    expect(body.error.message).toMatch(/GCORE_API_KEY/);
  });

  it('a provider outage is a 502 with the error kind, and the bridge answers the next query', async () => {
    const gcore = fleet.emulators.gcore!;
    gcore.faults.inject({ kind: 'serverError', count: 20 });
    try {
      const { status, body } = await query({ provider: 'gcore', ...range() });
      expect(status).toBe(502);
      expect(body.error.kind).toBe('Transient');
    } finally {
      gcore.faults.clear();
    }
    expect((await query({ provider: 'gcore', ...range(), limit: 3 })).status).toBe(200);
  });

  it('an unknown query id is a 404', async () => {
    expect((await call('GET', '/api/v1/query/00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });

  it('no answer and no log line holds a credential or the bridge token', async () => {
    const secret = 'not-the-demo-key-0123456789';
    const answer = await query({ provider: 'gcore', ...range() }, { [credentialHeader('GCORE_API_KEY')]: secret });
    expect(answer.text).not.toContain(secret.slice(0, 12));
    const logs = logLines.join('');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(secret.slice(0, 12));
    expect(logs).not.toContain(TOKEN.slice(0, 12));
    for (const d of fleet.describe()) for (const value of Object.values(d.credentials)) expect(logs).not.toContain(value);
  });
});

describe('the README', () => {
  it('every curl line of the bridge section works as pasted against the demo', async () => {
    const readme = await readFile(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    // The bridge's own lines ($B); the docker compose section's lines also talk to Loki.
    const lines = readme.split('\n').filter((l) => l.startsWith('curl -s ') && l.includes('$B/'));
    expect(lines.length).toBeGreaterThanOrEqual(9);
    for (const line of lines) {
      const body = /-d '(.*)'$/.exec(line)?.[1];
      const route = /\$B(\/[^ "']*)/.exec(line)![1];
      const res = await request(`${bridge.url}${route}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { ...(line.includes('Authorization') ? { authorization: `Bearer ${TOKEN}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        body,
      });
      const text = await res.body.text();
      expect([line, res.statusCode]).toEqual([line, 200]);
      if (body) expect(JSON.parse(text).state).toMatch(/^(done|running)$/);
    }
  });
});

describe('fields, values, health', () => {
  it('lists the fields a provider fills', async () => {
    const { body } = await call('GET', '/api/v1/fields?provider=naver-elsa');
    const names = body.fields.map((f: { name: string }) => f.name);
    expect(names).toContain('message');
    expect(names).not.toContain('status');
  });

  it('lists the distinct values of a field with their counts', async () => {
    const range = rangeOf('gcore');
    const all = await directRead('gcore', range.fromMs, range.toMs);
    const { status, body } = await call('GET', `/api/v1/values?provider=gcore&field=method&from=${range.fromMs}&to=${range.toMs}`.replace(/from=(\d+)&to=(\d+)/, (_m, f, t) => `from=${new Date(Number(f)).toISOString()}&to=${new Date(Number(t)).toISOString()}`));
    expect(status).toBe(200);
    const counts = new Map<string, number>();
    for (const r of all) counts.set(String(r.method), (counts.get(String(r.method)) ?? 0) + 1);
    expect(new Map(body.values.map((v: { value: string; count: number }) => [v.value, v.count]))).toEqual(counts);
  });

  it.each(PROVIDERS)('%s: health checks the demo account with a real call, and says so readably', async (provider) => {
    const { status, body } = await call('GET', `/api/v1/health?provider=${provider}`);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.message.length).toBeGreaterThan(10);
    // The demo credentials share no word with a message (the scrubber would cut it).
    expect(body.message).not.toContain('[redacted]');
  });

  it('health says what to fix when the provider refuses', async () => {
    const cloudflare = fleet.emulators.cloudflare!;
    cloudflare.faults.retentionEnabled = false;
    try {
      const { status, body } = await call('GET', '/api/v1/health?provider=cloudflare');
      expect(status).toBe(502);
      expect(body.error.message).toMatch(/log retention off .* POST \/zones\/\w+\/logs\/control\/retention\/flag/);
    } finally {
      cloudflare.faults.retentionEnabled = true;
    }
  });
});
