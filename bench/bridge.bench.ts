/**
 * `node bin/run-ts.js bench/bridge.bench.ts`: what the bridge costs beside a plain read.
 * (a) a stats query over one hour of ~100k Cloudflare records through the bridge's HTTP API, cold
 *     (nothing cached), beside plain download + decode + normalise of the same hour; goal ≤ 1.3x;
 * (b) the same query again, served from the cache, as a share of the cold one; goal ≤ 10 %;
 * (c) eight concurrent panels over the same 3 h beside one panel: provider requests and wall time.
 * The hour is recorded once from the Cloudflare emulator and replayed by a static server, so that
 * the emulator's own generation time is billed to neither side. Medians; nothing asserts on them.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { startBridge } from '../src/bridge/server';
import { parseQuery } from '../src/core/query';
import { HOUR_MS, MINUTE_MS } from '../src/core/time';
import type { EmulatorFleet } from '../src/emulators';
import { startCloudflareEmulator } from '../src/emulators';
import { cloudflare } from '../src/providers/cloudflare';
import { runQuery } from '../src/providers/run';
import { HttpClient } from '../src/transport/http';
import { spread } from './measure';

const ROUNDS = 5;
const TOKEN = 'bench-token-0123456789abcdef';

async function main(): Promise<void> {
  const hourEnd = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS;
  const hour = { fromMs: hourEnd - HOUR_MS, toMs: hourEnd };
  const emulator = await startCloudflareEmulator({ rpm: 1_700, seed: 5, perZoneRpmLimit: 100_000, perUserRpmLimit: 100_000 });
  const zone = emulator.zones[0].id;
  // Record each hour of the last 4 once; the replay answers by the window's start.
  const recorded = new Map<string, Buffer>();
  for (let h = 0; h < 4; h++) {
    const from = new Date(hour.fromMs - h * HOUR_MS).toISOString();
    const to = new Date(hour.toMs - h * HOUR_MS).toISOString();
    const res = await request(`${emulator.baseUrl}/zones/${zone}/logs/received?start=${from}&end=${to}&timestamps=unixnano&fields=${encodeURIComponent('ClientIP,ClientRequestHost,ClientRequestMethod,ClientRequestURI,EdgeStartTimestamp,EdgeEndTimestamp,EdgeResponseBytes,EdgeResponseStatus,RayID,CacheCacheStatus,EdgeColoCode')}`, {
      headers: { authorization: `Bearer ${emulator.credentials.apiToken}`, 'accept-encoding': 'gzip' },
    });
    recorded.set(from, Buffer.from(await res.body.arrayBuffer()));
  }
  await emulator.close();
  let providerRequests = 0;
  const replay = createServer((req, res) => {
    providerRequests++;
    const start = new URL(req.url ?? '/', 'http://x').searchParams.get('start') ?? '';
    const body = recorded.get(new Date(Date.parse(start)).toISOString());
    if (!body) return void res.writeHead(200, { 'content-encoding': 'gzip' }).end(Buffer.alloc(0));
    res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => replay.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(replay.address() as AddressInfo).port}/client/v4`;
  const fleet = {
    emulators: {},
    describe: () => [{ provider: 'cloudflare', baseUrl, credentials: { apiToken: 'replay-token' }, sources: [{ zone }] }],
    close: async () => undefined,
  } as unknown as EmulatorFleet;
  const http = new HttpClient();
  async function plainRead(range: { fromMs: number; toMs: number }): Promise<number> {
    const run = runQuery(cloudflare, { token: 'replay-token' }, parseQuery({ provider: 'cloudflare', source: { zone }, ...range, options: { fieldSet: 'default' } }), { http, baseUrl, unlimited: true });
    let n = 0;
    for await (const batch of run.records) n += batch.length;
    return n;
  }

  async function bridgeWith(cacheDir: string | undefined) {
    return startBridge({ port: 0, token: TOKEN, demo: fleet, cacheDir, logLevel: 'warn' });
  }

  async function post(url: string, body: object): Promise<any> {
    const res = await request(`${url}/api/v1/query`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answer = (await res.body.json()) as any;
    if (res.statusCode !== 200 || answer.state !== 'done') throw new Error(`bridge answered ${res.statusCode} ${JSON.stringify(answer).slice(0, 300)}`);
    return answer;
  }

  const statsQuery = { provider: 'cloudflare', ...hour, mode: 'stats', groupBy: 'statusClass', intervalMs: MINUTE_MS, options: { fieldSet: 'default' } };
  const records = await plainRead(hour);
  console.log(`Node ${process.version}; one hour of ${records.toLocaleString('en-US')} Cloudflare records (${(recorded.get(new Date(hour.fromMs).toISOString())!.length / 1e6).toFixed(1)} MB gzip), replayed from loopback; ${ROUNDS} rounds, medians`);

  const plain: number[] = [];
  const uncached: number[] = [];
  const cold: number[] = [];
  const warm: number[] = [];
  const otherQuery: number[] = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    const dir = await mkdtemp(path.join(tmpdir(), 'bridge-bench-'));
    const bridge = await bridgeWith(dir);
    try {
      let t = performance.now();
      await plainRead(hour);
      const plainMs = performance.now() - t;
      const bare = await bridgeWith(undefined);
      t = performance.now();
      await post(bare.url, statsQuery);
      const uncachedMs = performance.now() - t;
      await bare.close(0);
      t = performance.now();
      const first = await post(bridge.url, statsQuery);
      const coldMs = performance.now() - t;
      t = performance.now();
      const again = await post(bridge.url, statsQuery);
      const warmMs = performance.now() - t;
      t = performance.now();
      const other = await post(bridge.url, { ...statsQuery, groupBy: 'cacheStatus' });
      const otherMs = performance.now() - t;
      if (!again.meta.answeredFromMemory || other.meta.windows.fromCache !== 1 || first.stats.recordsCounted !== records) throw new Error('the bench is not measuring what it says');
      // The first round warms the JIT and is not counted.
      if (round > 0) {
        plain.push(plainMs);
        uncached.push(uncachedMs);
        cold.push(coldMs);
        warm.push(warmMs);
        otherQuery.push(otherMs);
      }
    } finally {
      await bridge.close(0);
      await rm(dir, { recursive: true, force: true });
    }
  }
  const ratio = (a: number[], b: number[]) => spread(a.map((x, i) => x / b[i]));
  const a = ratio(cold, plain);
  const u = ratio(uncached, plain);
  const b = ratio(warm, cold);
  console.log(`(a) stats query, cold      ${spread(cold).median.toFixed(0).padStart(6)} ms vs plain read ${spread(plain).median.toFixed(0)} ms: ${a.median.toFixed(2)}x (${a.min.toFixed(2)}–${a.max.toFixed(2)})  goal ≤ 1.3x`);
  console.log(`    without a window cache  ${spread(uncached).median.toFixed(0).padStart(6)} ms: ${u.median.toFixed(2)}x (${u.min.toFixed(2)}–${u.max.toFixed(2)})  (what writing the cache costs is the difference)`);
  const w = ratio(otherQuery, cold);
  console.log(`(b) same query again       ${spread(warm).median.toFixed(1).padStart(6)} ms: ${(b.median * 100).toFixed(1)} % of cold (${(b.min * 100).toFixed(1)}–${(b.max * 100).toFixed(1)} %)  goal ≤ 10 %  (its answer, kept)`);
  console.log(`    other query, same hour ${spread(otherQuery).median.toFixed(0).padStart(6)} ms: ${(w.median * 100).toFixed(1)} % of cold (${(w.min * 100).toFixed(1)}–${(w.max * 100).toFixed(1)} %)  (records from the window cache)`);

  // (c) one panel, then eight at once, over the same 3 h, each on a cold cache.
  const threeHours = { fromMs: hour.toMs - 3 * HOUR_MS, toMs: hour.toMs };
  const panel = { provider: 'cloudflare', ...threeHours, mode: 'stats', groupBy: 'cacheStatus', intervalMs: 5 * MINUTE_MS, options: { fieldSet: 'default' } };
  const one: number[] = [];
  const eight: number[] = [];
  let requestsOne = 0;
  let requestsEight = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const panels of [1, 8]) {
      const dir = await mkdtemp(path.join(tmpdir(), 'bridge-bench-'));
      const bridge = await bridgeWith(dir);
      try {
        const before = providerRequests;
        const t = performance.now();
        await Promise.all(Array.from({ length: panels }, () => post(bridge.url, panel)));
        (panels === 1 ? one : eight).push(performance.now() - t);
        if (panels === 1) requestsOne = providerRequests - before;
        else requestsEight = providerRequests - before;
      } finally {
        await bridge.close(0);
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  const c = ratio(eight, one);
  console.log(`(c) 8 panels over 3 h      ${spread(eight).median.toFixed(0).padStart(6)} ms, ${requestsEight} provider requests vs 1 panel ${spread(one).median.toFixed(0)} ms, ${requestsOne} requests: ${c.median.toFixed(2)}x the time`);
  await http.close();
  replay.close();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
