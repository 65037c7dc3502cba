/**
 * Query execution without the HTTP layer: stats state stays bounded on a busy hour, budgets stop a
 * query with what it has, and Cloudflare sampling is used only when the query allows it.
 */

import { HOUR_MS, MINUTE_MS } from '../core/time';
import { type CloudflareEmulator, startCloudflareEmulator } from '../emulators';
import { fastClient } from '../providers/testing/expected';
import type { HttpClient } from '../transport/http';
import { parseBridgeQuery } from './api';
import { type BridgeContext, DEFAULT_BUDGET, prepare, QueryExecution } from './execute';

const NOW = Date.parse('2026-11-22T10:00:30Z');
const now = () => NOW;

let busy: CloudflareEmulator;
let cloudflare: CloudflareEmulator;
const clients: HttpClient[] = [];

beforeAll(async () => {
  // About 100,000 requests an hour for the zone.
  busy = await startCloudflareEmulator({ now, rpm: 1_700, seed: 3, perZoneRpmLimit: 10_000, perUserRpmLimit: 10_000 });
  cloudflare = await startCloudflareEmulator({ now, rpm: 60, seed: 3, perZoneRpmLimit: 10_000, perUserRpmLimit: 10_000 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await busy.close();
  await cloudflare.close();
});

/** A context of its own per query: the client's rate limiter (15 requests a minute per zone) is not shared between tests. */
function context(emulator: CloudflareEmulator, budget = DEFAULT_BUDGET): BridgeContext {
  const http = fastClient();
  clients.push(http);
  const demo = new Map([['cloudflare', { provider: 'cloudflare', baseUrl: emulator.baseUrl, credentials: { apiToken: emulator.credentials.apiToken }, sources: [{ zone: emulator.zones[0].id }] }]]);
  return { http, cache: null, demo, budget, nowMs: now };
}

async function execute(body: Record<string, unknown>, ctx = context(cloudflare)) {
  const bq = parseBridgeQuery(body, NOW);
  const execution = new QueryExecution(ctx, bq, prepare(ctx, bq, {}));
  await execution.read();
  return execution;
}

describe('stats over a busy hour', () => {
  it('keeps the aggregator state bounded: 100k requests grouped by client IP hold no more than 1k do', async () => {
    const range = { fromMs: NOW - 3 * HOUR_MS, toMs: NOW - 2 * HOUR_MS };
    const hour = await execute({ provider: 'cloudflare', ...range, mode: 'stats', groupBy: 'clientIp', intervalMs: MINUTE_MS, topK: 10 }, context(busy));
    const answer = hour.answer();
    expect(answer.stats!.recordsCounted).toBeGreaterThan(90_000);
    expect(answer.stats!.approximate).toBe(true);
    const quiet = await execute({ provider: 'cloudflare', ...range, mode: 'stats', groupBy: 'clientIp', intervalMs: MINUTE_MS, topK: 10 });
    expect(quiet.answer().stats!.recordsCounted).toBeLessThan(5_000);
    // 60 buckets either way: the same bound (tracked groups + their cells + the other row), whatever the traffic.
    expect(hour.statsStateSize()).toBeLessThanOrEqual(200 + 201 * 60);
    expect(quiet.statsStateSize()).toBeLessThanOrEqual(200 + 201 * 60);
    const series = answer.stats!.series;
    const total = series.reduce((sum, s) => sum + (s.total ?? 0), 0);
    expect(total).toBe(answer.stats!.recordsCounted);
  });
});

describe('budgets', () => {
  it('stops at the records budget with what it has, and says so', async () => {
    const execution = await execute({ provider: 'cloudflare', fromMs: NOW - 4 * HOUR_MS, toMs: NOW - HOUR_MS, limit: 1_000_000 }, context(cloudflare, { ...DEFAULT_BUDGET, maxRecordsScanned: 5_000 }));
    const { meta, logs } = execution.answer();
    expect(meta.truncated).toBe(true);
    expect(meta.truncatedReason).toMatch(/^stopped at the budget of 5000 records scanned; every record from .* is in$/);
    expect(meta.recordsScanned).toBeGreaterThanOrEqual(5_000);
    expect(meta.windows.done).toBeLessThan(meta.windows.planned);
    expect(logs!.length).toBeGreaterThan(0);
  });
});

describe('Cloudflare sampling', () => {
  const range = { fromMs: NOW - 8 * HOUR_MS, toMs: NOW - MINUTE_MS * 2 };

  it('is not used unless the query allows it', async () => {
    const exact = await execute({ provider: 'cloudflare', ...range, mode: 'stats', intervalMs: HOUR_MS });
    expect(exact.answer().meta.sampled).toBeNull();
  });

  it('is used over a long range when allowed: sample=0.1 asked, counts scaled back, meta.sampled set', async () => {
    const exact = (await execute({ provider: 'cloudflare', ...range, mode: 'stats', intervalMs: range.toMs - range.fromMs })).answer();
    const before = cloudflare.requests.length;
    const sampled = (await execute({ provider: 'cloudflare', ...range, mode: 'stats', intervalMs: range.toMs - range.fromMs, allowSampling: true })).answer();
    expect(sampled.meta.sampled).toBe(0.1);
    expect(cloudflare.requests.slice(before).every((r) => r.query.sample === '0.1')).toBe(true);
    const exactTotal = exact.stats!.series[0].total!;
    const scaled = sampled.stats!.series[0].total!;
    expect(scaled % 10).toBe(0);
    expect(Math.abs(scaled - exactTotal) / exactTotal).toBeLessThan(0.2);
  });
});

describe('progress answers of a limited logs read', () => {
  it('show the window being read (its newest records so far) before it ends, and the final answer is the exact newest N', async () => {
    const ctx = context(cloudflare);
    const bq = parseBridgeQuery({ provider: 'cloudflare', fromMs: NOW - 2 * HOUR_MS, toMs: NOW - HOUR_MS, limit: 30 }, NOW);
    const execution = new QueryExecution(ctx, bq, prepare(ctx, bq, {}));
    // The body stalls part-way: the window cannot end before the stall does.
    cloudflare.faults.inject({ kind: 'slowBody', count: 1, delayMs: 1_500 });
    const reading = execution.read();
    let during = execution.answer();
    while (during.logs!.values.id.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      during = execution.answer();
    }
    expect(during.meta.windows.done).toBe(0);
    const times = during.logs!.values.timestamp as number[];
    expect(times.length).toBeGreaterThan(0);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    await reading;
    const done = execution.answer();
    expect(done.meta.windows.done).toBe(1);
    expect(done.logs!.values.id).toHaveLength(30);
    expect(done.meta.recordsReturned).toBe(30);
  });
});
