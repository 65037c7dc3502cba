import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CdnLogError } from '../core/errors';
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from '../core/time';
import { oldestServedMs } from '../core/windows';
import { CANARY, CANARY_FRAGMENTS } from '../testing/hostile-suite';
import { HttpClient } from '../transport/http';
import { accountHash, type Checkpoint, CheckpointStore } from './checkpoint';
import { type ExportSource, Exporter, type ExporterDeps, type SourceHealth } from './exporter';
import { defaultPacing } from './scheduler';
import { FAKE_LIMITS, type FakeProvider, fakeProvider } from './testing/fake-provider';
import { VirtualClock } from './testing/clock';
import { FakeSender, statusError } from './testing/fake-sender';
import { memoryCheckpointFs } from './testing/memory-fs';

const T0 = Date.parse('2026-11-22T10:00:00Z');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exporter-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Rig {
  clock: VirtualClock;
  provider: FakeProvider;
  sender: FakeSender;
  store: CheckpointStore;
  saves: Checkpoint[];
  logs: string[];
  memory: ReturnType<typeof memoryCheckpointFs>;
  source(zone: string, extra?: Partial<ExportSource>): ExportSource;
  exporter(sources: ExportSource[], extra?: Partial<ExporterDeps>): Exporter;
}

function rig(options: { everyMs?: (source: string) => number } = {}): Rig {
  const clock = new VirtualClock(T0, SECOND_MS);
  const provider = fakeProvider({ nowMs: clock.now, everyMs: options.everyMs });
  const sender = new FakeSender();
  const saves: Checkpoint[] = [];
  const logs: string[] = [];
  const memory = memoryCheckpointFs();
  const store = new CheckpointStore(dir, { fs: memory });
  const save = store.save.bind(store);
  store.save = async (checkpoint) => {
    await save(checkpoint);
    saves.push(checkpoint);
  };
  const credentials = { token: CANARY.CLOUDFLARE_API_TOKEN };
  return {
    clock,
    provider,
    sender,
    store,
    saves,
    logs,
    memory,
    source: (zone, extra = {}) => ({
      name: zone,
      identity: { provider: 'cloudflare', account: accountHash(credentials.token), source: zone, dataset: 'http_requests' },
      adapter: provider.adapter as never,
      credentials,
      query: { provider: 'cloudflare', source: { zone }, filters: [], options: {} },
      pacing: defaultPacing('cloudflare', FAKE_LIMITS),
      startMs: T0 - 2 * HOUR_MS,
      resource: { 'service.name': 'test' },
      ...extra,
    }),
    exporter: (sources, extra = {}) =>
      new Exporter(sources, {
        http: new HttpClient(),
        store,
        sender,
        nowMs: clock.now,
        sleep: clock.sleep,
        random: () => 0.5,
        senderSecrets: [CANARY.GCORE_API_KEY],
        ...extra,
        events: { log: (level, message, fields) => (logs.push(`${level}: ${message}`), extra.events?.log?.(level, message, fields)) },
      }),
  };
}

/** Lets the exporter run until `done` holds (virtual time moves with its sleeps). */
async function until(exporter: Exporter, done: (health: SourceHealth[]) => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200_000; i++) {
    if (done(exporter.health())) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`never happened: ${what}; health: ${JSON.stringify(exporter.health(), null, 1)}`);
}

const byName = (health: SourceHealth[], name: string) => health.find((h) => h.name === name)!;
const sortedIds = (ids: string[]) => [...ids].sort();

describe('Exporter', () => {
  it('exports every record from the start to now − settle once, checkpointing each window after its acknowledgement', async () => {
    const r = rig();
    // The checkpoint never passes an unacknowledged record.
    const save = r.store.save;
    r.store.save = async (checkpoint) => {
      const acked = new Set(r.sender.ids());
      for (const record of r.provider.truth('zone-a', { fromMs: T0 - 2 * HOUR_MS, toMs: checkpoint.endMs })) expect(acked.has(record.id)).toBe(true);
      await save(checkpoint);
    };
    const exporter = r.exporter([r.source('zone-a')]);
    void exporter.start();
    await until(exporter, (h) => (h[0].checkpointMs ?? 0) >= T0 + 30 * MINUTE_MS, 'half an hour past T0 exported');
    await exporter.stop();
    const endMs = exporter.health()[0].checkpointMs!;
    const truth = r.provider.truth('zone-a', { fromMs: T0 - 2 * HOUR_MS, toMs: endMs }).map((x) => x.id);
    expect(sortedIds(r.sender.ids())).toEqual(sortedIds(truth));
    expect((await r.store.load(r.source('zone-a').identity))?.endMs).toBe(endMs);
    expect(exporter.health()[0]).toMatchObject({ state: 'ok', lastError: null });
    // Windows tile time: each read starts where the previous ended.
    const windows = r.provider.reads.map((x) => x.window);
    for (let i = 1; i < windows.length; i++) expect(windows[i].fromMs).toBe(windows[i - 1].toMs);
    for (const read of r.provider.reads) expect(read.window.toMs).toBeLessThanOrEqual(read.atMs - 5 * MINUTE_MS);
  });

  it('resumes after a restart at its checkpoint: the union of both runs is the ground truth, with no gap', async () => {
    const r = rig();
    const first = r.exporter([r.source('zone-a')]);
    void first.start();
    await until(first, (h) => (h[0].checkpointMs ?? 0) >= T0 - HOUR_MS, 'first hour');
    await first.stop();
    const stoppedAt = first.health()[0].checkpointMs!;
    r.clock.nowMs += 20 * MINUTE_MS;
    const second = r.exporter([r.source('zone-a')]);
    void second.start();
    await until(second, (h) => (h[0].checkpointMs ?? 0) >= T0 + 10 * MINUTE_MS, 'caught up');
    await second.stop();
    const endMs = second.health()[0].checkpointMs!;
    expect(r.provider.reads.filter((x) => x.window.fromMs === stoppedAt)).toHaveLength(1);
    expect(new Set(r.sender.ids())).toEqual(new Set(r.provider.truth('zone-a', { fromMs: T0 - 2 * HOUR_MS, toMs: endMs }).map((x) => x.id)));
  });

  it('after downtime longer than retention, resumes at the oldest served data, reports the span and requests no expired window', async () => {
    const r = rig();
    const source = r.source('zone-a');
    await r.store.save({ identity: source.identity, lane: 'live', endMs: T0 - 10 * DAY_MS, packages: [], savedAtMs: T0 - 10 * DAY_MS });
    const exporter = r.exporter([source]);
    void exporter.start();
    await until(exporter, (h) => h[0].totals.windows >= 3, 'three windows');
    await exporter.stop();
    const health = exporter.health()[0];
    expect(health.unreachable).toHaveLength(1);
    expect(health.unreachable[0].fromMs).toBe(T0 - 10 * DAY_MS);
    expect(health.unreachable[0].toMs).toBeGreaterThanOrEqual(oldestServedMs(FAKE_LIMITS, T0));
    expect(health.unreachableMsTotal).toBe(health.unreachable[0].toMs - health.unreachable[0].fromMs);
    for (const read of r.provider.reads) expect(read.window.fromMs).toBeGreaterThanOrEqual(oldestServedMs(FAKE_LIMITS, read.atMs));
    expect(r.provider.reads[0].window.fromMs).toBe(health.unreachable[0].toMs);
    expect(r.logs.join('\n')).toMatch(/2026-11-12T10:00Z\.\.2026-11-15T10:01Z \(.+\) is no longer served by the provider and was skipped/);
  });

  it('marks a source in a provider outage stalled while the others keep flowing, and ok again once it recovers, with no gap', async () => {
    const r = rig();
    // Twelve failed attempts: backoff doubling to its 5-min cap, some 12 min of virtual time.
    r.provider.failures.set('zone-a', Array.from({ length: 12 }, () => new CdnLogError('Transient', 'Cloudflare answered 503 after 6 attempts')));
    // What zone-a looked like each time zone-b delivered a window.
    const seen: Array<{ a: SourceHealth; bCheckpoint: number | null }> = [];
    let exporter: Exporter | null = null;
    exporter = r.exporter([r.source('zone-a'), r.source('zone-b')], {
      events: {
        log: (_level, message) => {
          if (exporter && message.startsWith('source zone-b:') && message.includes('delivered')) {
            const h = exporter.health();
            seen.push({ a: byName(h, 'zone-a'), bCheckpoint: byName(h, 'zone-b').checkpointMs });
          }
        },
      },
    });
    void exporter.start();
    await until(exporter, (h) => byName(h, 'zone-a').totals.failedWindows === 12 && byName(h, 'zone-a').state === 'ok' && (byName(h, 'zone-a').checkpointMs ?? 0) >= T0, 'zone-a recovered');
    await exporter.stop();
    const whileStalled = seen.filter((x) => x.a.state === 'stalled');
    expect(new Set(whileStalled.map((x) => x.bCheckpoint)).size).toBeGreaterThanOrEqual(2);
    expect(whileStalled[0].a.lastError).toMatchObject({ kind: 'Transient', message: 'Cloudflare answered 503 after 6 attempts' });
    const a = byName(exporter.health(), 'zone-a');
    expect(a.lastSuccessMs).not.toBeNull();
    const aIds = r.sender.ids().filter((id) => id.startsWith('zone-a@'));
    expect(sortedIds(aIds)).toEqual(sortedIds(r.provider.truth('zone-a', { fromMs: T0 - 2 * HOUR_MS, toMs: a.checkpointMs! }).map((x) => x.id)));
  });

  it('stops a source whose credentials are refused, says why, and keeps the others going', async () => {
    const r = rig();
    r.provider.failures.set('zone-a', [new CdnLogError('AuthFailed', `Cloudflare refused the token ${CANARY.CLOUDFLARE_API_TOKEN}: check CLOUDFLARE_API_TOKEN`)]);
    const exporter = r.exporter([r.source('zone-a'), r.source('zone-b')]);
    void exporter.start();
    await until(exporter, (h) => byName(h, 'zone-a').state === 'stopped' && (byName(h, 'zone-b').checkpointMs ?? 0) >= T0, 'a stopped, b flowing');
    await exporter.stop();
    const a = byName(exporter.health(), 'zone-a');
    expect(a.lastError?.message).toContain('check CLOUDFLARE_API_TOKEN');
    expect(a.checkpointMs).toBeNull();
    const texts = [JSON.stringify(exporter.health()), ...r.logs].join('\n');
    for (const fragment of CANARY_FRAGMENTS) expect(texts).not.toContain(fragment);
  });

  it('retries a receiver that fails with 503 and 429: nothing lost, the checkpoint waits for the acknowledgement', async () => {
    const r = rig();
    for (let i = 0; i < 4; i++) r.sender.script.push(statusError(503), statusError(429, 'slow down', 2_000));
    const exporter = r.exporter([r.source('zone-a')]);
    void exporter.start();
    await until(exporter, (h) => (h[0].checkpointMs ?? 0) >= T0, 'caught up');
    await exporter.stop();
    const h = exporter.health()[0];
    expect(h.totals.retries).toBe(8);
    expect(new Set(r.sender.ids())).toEqual(new Set(r.provider.truth('zone-a', { fromMs: T0 - 2 * HOUR_MS, toMs: h.checkpointMs! }).map((x) => x.id)));
  });

  it('stops a source on a 400 without moving its checkpoint past the refused window', async () => {
    const r = rig();
    r.sender.script.push({ rejected: 0, message: '' }, statusError(400, `bad batch (Authorization: Bearer ${CANARY.GCORE_API_KEY})`));
    const exporter = r.exporter([r.source('zone-a')]);
    void exporter.start();
    await until(exporter, (h) => h[0].state === 'stopped', 'stopped');
    await exporter.stop();
    const h = exporter.health()[0];
    expect(h.lastError?.message).toContain('may come after it stored part of the batch');
    expect(h.lastError?.message).not.toContain(CANARY.GCORE_API_KEY.slice(0, 8));
    const refusedWindow = r.provider.reads[r.provider.reads.length - 1].window;
    expect(h.checkpointMs ?? T0 - 2 * HOUR_MS).toBeLessThanOrEqual(refusedWindow.fromMs);
  });

  it('on stop, finishes the batch in flight and exits; that window is sent again after a restart', async () => {
    const r = rig({ everyMs: () => SECOND_MS });
    let releaseBatch!: () => void;
    let inFlight = false;
    r.sender.script.push(async () => {
      inFlight = true;
      await new Promise<void>((resolve) => (releaseBatch = resolve));
    });
    const exporter = r.exporter([r.source('zone-a')], { maxBatchRecords: 100 });
    void exporter.start();
    for (let i = 0; i < 1000 && !inFlight; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(inFlight).toBe(true);
    const stopped = exporter.stop(60_000);
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    releaseBatch();
    await stopped;
    // The batch in flight was acknowledged; the window it belongs to was not finished, so no checkpoint.
    expect(r.sender.accepted).toHaveLength(1);
    expect(r.sender.accepted[0].records).toBe(100);
    expect(r.saves).toEqual([]);
    const again = r.exporter([r.source('zone-a')]);
    void again.start();
    await until(again, (h) => h[0].totals.windows >= 1, 'first window again');
    await again.stop();
    expect(r.provider.reads[1].window).toEqual(r.provider.reads[0].window);
  });

  it('shares one account fairly: two catching-up sources each get about half the reads, never more than two in a row', async () => {
    const r = rig();
    const start = { startMs: T0 - 3 * DAY_MS };
    const exporter = r.exporter([r.source('zone-a', start), r.source('zone-b', start)], { slotsPerAccount: 1 });
    void exporter.start();
    await until(exporter, (h) => h.every((x) => x.totals.windows >= 12), 'twelve windows each');
    await exporter.stop();
    const order = r.provider.reads.slice(0, 24).map((x) => x.source);
    expect(order.filter((s) => s === 'zone-a').length).toBeGreaterThanOrEqual(10);
    expect(order.filter((s) => s === 'zone-b').length).toBeGreaterThanOrEqual(10);
    expect(order.join(',')).not.toMatch(/(zone-a,zone-a,zone-a|zone-b,zone-b,zone-b)/);
  });

  it('adapts window size to volume: a busy zone gets small windows, a quiet one the largest', async () => {
    // Busy: 72,000 records an hour, aiming at 1,000 a window → the 1-min minimum. Quiet: 6 an hour → 1 h, the maximum.
    const r = rig({ everyMs: (source) => (source === 'busy' ? 50 : 10 * MINUTE_MS) });
    const exporter = r.exporter([r.source('busy', { targetRecordsPerWindow: 1_000, startMs: T0 - HOUR_MS }), r.source('quiet', { startMs: T0 - 6 * HOUR_MS })]);
    void exporter.start();
    await until(exporter, (h) => h.every((x) => x.totals.windows >= 8), 'eight windows each');
    await exporter.stop();
    const health = exporter.health();
    expect(byName(health, 'busy').windowSizeMs).toBe(MINUTE_MS);
    expect(byName(health, 'quiet').windowSizeMs).toBe(HOUR_MS);
    const busyReads = r.provider.reads.filter((x) => x.source === 'busy').slice(2);
    for (const read of busyReads) expect(read.window.toMs - read.window.fromMs).toBe(MINUTE_MS);
  });

  it('warns when a source has no checkpoint but the same source has one under other credentials (a rotated key)', async () => {
    const r = rig();
    const old = r.source('zone-a');
    await r.store.save({ identity: { ...old.identity, account: accountHash('the old key') }, lane: 'live', endMs: T0 - 3 * HOUR_MS, packages: [], savedAtMs: T0 });
    const exporter = r.exporter([old]);
    void exporter.start();
    await until(exporter, (h) => h[0].totals.windows >= 1, 'a window');
    await exporter.stop();
    expect(r.logs.join('\n')).toContain('has no checkpoint for these credentials, but one for the same source under other credentials ends at 2026-11-22T07:00Z');
  });

  it('refuses two sources of the same name', () => {
    const r = rig();
    expect(() => r.exporter([r.source('zone-a'), r.source('zone-a')])).toThrow('two sources are named "zone-a"');
  });

  it('runs a backfill beside the live cursor without moving it, and ends', async () => {
    const r = rig();
    const live = r.source('zone-a', { startMs: T0 - 10 * MINUTE_MS });
    const range = { fromMs: T0 - 5 * HOUR_MS, toMs: T0 - 3 * HOUR_MS };
    const backfill = r.source('zone-a', { name: 'zone-a backfill', startMs: range.fromMs, untilMs: range.toMs, lane: `backfill:${range.fromMs}-${range.toMs}` });
    const exporter = r.exporter([live, backfill]);
    void exporter.start();
    await until(exporter, (h) => byName(h, 'zone-a backfill').state === 'done' && (byName(h, 'zone-a').checkpointMs ?? 0) >= T0, 'backfill done, live moving');
    await exporter.stop();
    expect((await r.store.load(live.identity, 'live'))?.endMs).toBe(byName(exporter.health(), 'zone-a').checkpointMs);
    expect((await r.store.load(live.identity, backfill.lane))?.endMs).toBe(range.toMs);
    const backfillIds = r.provider.truth('zone-a', range).map((x) => x.id);
    const got = new Set(r.sender.ids());
    for (const id of backfillIds) expect(got.has(id)).toBe(true);
  });

  it('stops a source whose checkpoint file is torn instead of restarting it from its start', async () => {
    const r = rig();
    const source = r.source('zone-a');
    await r.store.save({ identity: source.identity, lane: 'live', endMs: T0 - HOUR_MS, packages: [], savedAtMs: T0 });
    const file = [...r.memory.files.keys()].find((n) => n.endsWith('.json'))!;
    r.memory.files.set(file, '{"format":"cdn-log-bridge.checkpoint/1","ide');
    const exporter = r.exporter([source]);
    await exporter.start();
    expect(exporter.health()[0]).toMatchObject({ state: 'stopped', lastError: { kind: 'BadInput' } });
    expect(r.provider.reads).toEqual([]);
  });

  it('never walks the time it waits for: near now it waits for the next settled minute', async () => {
    const r = rig();
    const exporter = r.exporter([r.source('zone-a', { startMs: T0 - 10 * MINUTE_MS })]);
    void exporter.start();
    await until(exporter, (h) => h[0].totals.windows >= 12, 'a dozen windows');
    await exporter.stop();
    for (const read of r.provider.reads.slice(2)) expect(read.window.toMs - read.window.fromMs).toBeLessThanOrEqual(2 * MINUTE_MS);
  });
});
