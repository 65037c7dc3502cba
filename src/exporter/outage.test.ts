/**
 * Against the Cloudflare emulator (with the exporter in this process and a recording sender):
 * downtime longer than retention resumes at the oldest data served and makes no request for an
 * expired window, as the emulator's request log shows; a provider outage marks the source stalled
 * and recovery marks it ok, with every record delivered.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WindowCache } from '../bridge/window-cache';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../core/time';
import { type CloudflareEmulator, startCloudflareEmulator } from '../emulators';
import { cloudflare } from '../providers/cloudflare';
import { CLOUDFLARE_LIMITS } from '../providers/cloudflare/limits';
import { expectedCloudflare } from '../providers/testing/expected';
import { HttpClient } from '../transport/http';
import { RateLimiter } from '../transport/rate-limit';
import { accountHash, CheckpointStore } from './checkpoint';
import { type ExportSource, Exporter, type SourceHealth } from './exporter';
import { defaultPacing } from './scheduler';
import { FakeSender } from './testing/fake-sender';

let emulator: CloudflareEmulator;
let dir: string;
const NOW = Date.now();

beforeAll(async () => {
  // A fixed clock shared by emulator and exporter, and quotas that do not slow the test down.
  emulator = await startCloudflareEmulator({ now: () => NOW, rpm: 6, perZoneRpmLimit: 10_000, perUserRpmLimit: 10_000 });
});
afterAll(() => emulator.close());
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exporter-outage-'));
  emulator.requests.length = 0;
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function source(startMs: number, from: CloudflareEmulator = emulator): ExportSource {
  const zone = from.zones[0].id;
  const credentials = cloudflare.credentialsFromEnv({ CLOUDFLARE_API_TOKEN: from.credentials.apiToken });
  return {
    name: 'web',
    identity: { provider: 'cloudflare', account: accountHash('demo'), source: zone, dataset: 'http_requests' },
    adapter: cloudflare as never,
    credentials,
    query: { provider: 'cloudflare', source: { zone }, filters: [], options: {} },
    pacing: defaultPacing('cloudflare', CLOUDFLARE_LIMITS),
    startMs,
    resource: { 'service.name': 'test' },
    baseUrl: from.baseUrl,
  };
}

async function until(exporter: Exporter, done: (h: SourceHealth) => boolean, what: string): Promise<void> {
  // Two minutes of real time: a loaded machine may run the exporter slowly; nothing here measures speed.
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
    if (done(exporter.health()[0])) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never happened: ${what}: ${JSON.stringify(exporter.health()[0])}`);
}

/** One attempt per window (the exporter retries windows), and the client's own 15/min per zone in real time. */
const fastHttp = () => new HttpClient({ rateLimiter: new RateLimiter(), retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 10 } });

describe('exporter against the Cloudflare emulator', () => {
  it('after 10 days down, resumes at the oldest served minute, reports the 3-day span, and requests no expired window', async () => {
    const store = new CheckpointStore(dir);
    const spec = source(NOW - 10 * DAY_MS);
    await store.save({ identity: spec.identity, lane: 'live', endMs: NOW - 10 * DAY_MS, packages: [], savedAtMs: NOW - 10 * DAY_MS });
    const sender = new FakeSender();
    const exporter = new Exporter([spec], { http: fastHttp(), store, sender, nowMs: () => NOW, sleep: () => new Promise((resolve) => setTimeout(resolve, 2)) });
    void exporter.start();
    try {
      await until(exporter, (h) => h.totals.windows >= 3, 'three windows');
    } finally {
      await exporter.stop();
    }
    const h = exporter.health()[0];
    expect(h.unreachable).toHaveLength(1);
    expect(h.unreachable[0].fromMs).toBe(NOW - 10 * DAY_MS);
    const oldestServed = NOW - 7 * DAY_MS + MINUTE_MS;
    expect(h.unreachable[0].toMs - oldestServed).toBeGreaterThanOrEqual(0);
    expect(h.unreachable[0].toMs - oldestServed).toBeLessThan(MINUTE_MS);
    const starts = emulator.requests.filter((r) => r.path.endsWith('/logs/received')).map((r) => Date.parse(r.query.start));
    expect(starts.length).toBeGreaterThanOrEqual(3);
    for (const start of starts) expect(start).toBeGreaterThanOrEqual(oldestServed);
    expect(emulator.requests.every((r) => r.status === 200)).toBe(true);
  }, 150_000);

  it('marks the source stalled through a provider outage and ok after it, with every record of the range delivered once', async () => {
    const store = new CheckpointStore(dir);
    const startMs = Math.floor((NOW - 3 * HOUR_MS) / MINUTE_MS) * MINUTE_MS;
    const sender = new FakeSender();
    const states: string[] = [];
    // An emulator of its own: a request of an earlier test still on its way would take one of the faults.
    const emulator = await startCloudflareEmulator({ now: () => NOW, rpm: 6, perZoneRpmLimit: 10_000, perUserRpmLimit: 10_000 });
    // The outage: the next 6 requests answer 503 (six failed windows), then it is over.
    emulator.faults.inject({ kind: 'serverError', count: 6, status: 503 });
    const exporter: Exporter = new Exporter([source(startMs, emulator)], {
      http: fastHttp(),
      store,
      sender,
      nowMs: () => NOW,
      // Full jitter can draw a 0 ms backoff, which yields without sleeping: fix the draw, so each failed window sleeps once.
      random: () => 0.5,
      sleep: async () => {
        states.push(exporter.health()[0].state);
        await new Promise((resolve) => setTimeout(resolve, 2));
      },
    });
    void exporter.start();
    try {
      await until(exporter, (h) => h.state === 'ok' && (h.checkpointMs ?? 0) >= NOW - 6 * MINUTE_MS, 'recovered and caught up');
    } finally {
      await exporter.stop();
      await emulator.close();
    }
    expect(states.filter((state) => state === 'stalled')).toHaveLength(6);
    const h = exporter.health()[0];
    expect(h.totals.failedWindows).toBe(6);
    expect(h.lastError?.kind).toBe('Transient');
    const zone = emulator.zones[0];
    const truth = emulator.generator.events(zone.id, zone.hosts, startMs, h.checkpointMs!).map((e) => expectedCloudflare(e, zone.id).id);
    expect([...sender.ids()].sort()).toEqual(truth.sort());
  }, 150_000);
});

describe('exporter reading through the bridge window cache', () => {
  it('fills the cache with its settled windows, so reading them again costs no provider request', async () => {
    const cacheDir = path.join(dir, 'cache');
    const cache = await WindowCache.open({ dir: cacheDir, maxBytes: 1 << 30 });
    const startMs = Math.floor((NOW - 2 * HOUR_MS) / MINUTE_MS) * MINUTE_MS;
    const run = async (stateDir: string) => {
      const sender = new FakeSender();
      const exporter = new Exporter([source(startMs)], { http: fastHttp(), store: new CheckpointStore(stateDir), sender, windowStore: cache, nowMs: () => NOW, sleep: () => new Promise((resolve) => setTimeout(resolve, 2)) });
      void exporter.start();
      try {
        await until(exporter, (h) => h.totals.windows >= 3, 'three windows');
      } finally {
        await exporter.stop();
      }
      return sender.ids();
    };
    try {
      const first = await run(path.join(dir, 'a'));
      const requestsAfterFirst = emulator.requests.filter((r) => r.path.endsWith('/logs/received')).length;
      expect(cache.stats().entries).toBeGreaterThanOrEqual(3);
      // A second exporter with a state of its own reads the same windows: from the cache.
      const second = await run(path.join(dir, 'b'));
      expect(second.slice(0, first.length).sort()).toEqual([...first].sort());
      expect(cache.stats().hits).toBeGreaterThanOrEqual(3);
      const fetched = emulator.requests.filter((r) => r.path.endsWith('/logs/received')).length - requestsAfterFirst;
      // At least the three windows read back cost nothing (a fourth may have started before the stop).
      expect(fetched).toBeLessThanOrEqual(requestsAfterFirst - 3);
    } finally {
      await cache.close();
    }
  }, 150_000);
});
