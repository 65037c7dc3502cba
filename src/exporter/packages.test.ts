/**
 * Package providers (Tencent DSA, EdgeOne) against their emulators on one virtual clock: the cursor
 * waits until hours can no longer change (3 h, 24 h), while the open hours are listed again every
 * few minutes and each package is downloaded and sent exactly once, also across a restart.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HOUR_MS, MINUTE_MS, SECOND_MS } from '../core/time';
import { startTencentDsaEmulator, startTencentEdgeOneEmulator } from '../emulators';
import { demoEnv } from '../emulators/demo-client';
import type { RequestLogEntry } from '../emulators/http';
import { providerAdapter } from '../providers/registry';
import { runQuery } from '../providers/run';
import { HttpClient } from '../transport/http';
import { RateLimiter } from '../transport/rate-limit';
import { accountHash, CheckpointStore } from './checkpoint';
import { type ExportSource, Exporter } from './exporter';
import { RELIST_EVERY_MS, defaultPacing } from './scheduler';
import { VirtualClock } from './testing/clock';
import { FakeSender } from './testing/fake-sender';

/** Whole hours, so the hours the test reasons about are the emulator's. */
const T0 = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 12 * HOUR_MS;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exporter-packages-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Emulator {
  baseUrl: string;
  credentials: { secretId: string; secretKey: string };
  requests: RequestLogEntry[];
  close(): Promise<void>;
}

const CASES = [
  {
    provider: 'tencent-dsa',
    settleMs: 3 * HOUR_MS,
    publishMs: 2 * HOUR_MS,
    // Every host of the account: several packages an hour.
    start: async (now: () => number) => {
      const emulator = await startTencentDsaEmulator({ now, rpm: 20, seed: 3 });
      return { emulator: emulator as Emulator, selector: { host: emulator.hosts.join(',') } };
    },
  },
  {
    provider: 'tencent-edgeone',
    settleMs: 24 * HOUR_MS,
    publishMs: 30 * MINUTE_MS,
    start: async (now: () => number) => {
      const emulator = await startTencentEdgeOneEmulator({ now, rpm: 20, seed: 3 });
      return { emulator: emulator as Emulator, selector: { zone: emulator.zones[0].id, layer: 'l7' } };
    },
  },
] as const;

describe.each(CASES)('$provider through its open hours', ({ provider, settleMs, publishMs, start }) => {
  it('takes each package once as it appears, long before its hour settles, and again not after a restart', async () => {
    // Virtual time shared by emulator and exporter.
    const clock = new VirtualClock(T0, 10 * SECOND_MS);
    const { emulator, selector } = await start(clock.now);
    const adapter = providerAdapter(provider);
    const credentials = adapter.credentialsFromEnv(demoEnv(provider, emulator.credentials));
    const startMs = T0 - settleMs - 2 * HOUR_MS;
    const source: ExportSource = {
      name: provider,
      identity: { provider, account: accountHash('demo'), source: 'demo', dataset: 'test' },
      adapter,
      credentials,
      query: { provider, source: selector, filters: [], options: {} },
      pacing: defaultPacing(provider, adapter.limits),
      startMs,
      resource: { 'service.name': 'test' },
      baseUrl: emulator.baseUrl,
      trustedPackageOrigins: [emulator.baseUrl],
    };
    const store = new CheckpointStore(dir);
    const sender = new FakeSender();
    const http = new HttpClient({ rateLimiter: new RateLimiter() });
    const runUntil = async (untilMs: number) => {
      const exporter = new Exporter([source], { http, store, sender, nowMs: clock.now, sleep: clock.sleep, maxIdleMs: MINUTE_MS });
      void exporter.start();
      try {
        for (let i = 0; clock.nowMs < untilMs; i++) {
          if (i > 60_000) throw new Error(`the clock stopped at ${new Date(clock.nowMs).toISOString()}: ${JSON.stringify(exporter.health()[0])}`);
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      } finally {
        await exporter.stop();
      }
      expect(exporter.health()[0].state).not.toBe('stopped');
    };
    const served = async (toMs: number) => {
      const run = runQuery(adapter, credentials, { provider, source: selector, fromMs: startMs, toMs, filters: [], limit: 1, options: {} } as never, {
        http: new HttpClient(),
        unlimited: true,
        baseUrl: emulator.baseUrl,
        nowMs: clock.now,
        trustedPackageOrigins: [emulator.baseUrl],
      });
      const ids: string[] = [];
      for await (const batch of run.records) ids.push(...batch.map((r) => r.id));
      return ids.sort();
    };
    const packageGets = () => emulator.requests.filter((r) => r.method === 'GET').map((r) => r.path);
    try {
      // Five hours of following, a restart in the middle.
      await runUntil(T0 + 2 * HOUR_MS + 20 * MINUTE_MS);
      await runUntil(T0 + 5 * HOUR_MS + 20 * MINUTE_MS);
      const checkpoint = (await store.load(source.identity, 'live'))!;
      // The cursor stays where hours settle; the packages after it are remembered by name and size.
      expect(checkpoint.endMs).toBeLessThanOrEqual(clock.nowMs - settleMs);
      expect(checkpoint.packages.length).toBeGreaterThan(0);
      // Every hour published a relisting ago was sent: new packages leave within publish delay + relisting interval.
      const deliveredUntil = Math.max(checkpoint.endMs, ...checkpoint.packages.map((p) => p.fromMs + HOUR_MS));
      expect(deliveredUntil).toBeGreaterThanOrEqual(Math.floor((clock.nowMs - publishMs - RELIST_EVERY_MS - MINUTE_MS) / HOUR_MS) * HOUR_MS);
      // Listed again and again, each package was downloaded once, across the restart too.
      const gets = packageGets();
      expect(gets.length).toBeGreaterThan(3);
      expect(new Set(gets).size).toBe(gets.length);
      const listings = emulator.requests.length - gets.length;
      expect(listings).toBeGreaterThanOrEqual((3 * HOUR_MS) / RELIST_EVERY_MS);
      // Exactly what the provider serves up to there, each record once.
      const ids = sender.ids();
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual(await served(deliveredUntil));
    } finally {
      await emulator.close();
    }
  }, 60_000);
});
