/**
 * The exporter process against a misbehaving receiver and against SIGKILL: nothing is lost where
 * the receiver recovers, the checkpoint never passes an unacknowledged record, and after 20 kills
 * at random points the union of what the receiver accepted is the ground truth, duplicates being
 * the same records (same log.record.uid) sent again.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HOUR_MS, MINUTE_MS } from '../core/time';
import { type EmulatorFleet, startEmulators } from '../emulators';
import { caughtUpAt, canonical, canonicalRecord, checkpoints, configJson, difference, receivedOf, served, type Setup, spawnExporter, waitFor } from './testing/e2e-kit';
import { type OtlpReceiver, type ReceivedLog, startHttpReceiver } from './testing/otlp-receiver';

// Cloudflare's 15 requests/min per zone would make twenty restarts a test of patience; its path
// through the exporter is the same as these three's.
const PROVIDERS = ['gcore', 'tencent-dsa', 'naver-elsa'] as const;

let fleet: EmulatorFleet;
beforeAll(async () => {
  fleet = await startEmulators({ providers: [...PROVIDERS], rpm: 60, seed: 11 });
});
afterAll(() => fleet.close());

function newSetup(startAgo: Record<string, number>): Setup {
  const startedMs = Date.now();
  const starts = Object.fromEntries(Object.entries(startAgo).map(([p, ago]) => [p, Math.floor((startedMs - ago) / MINUTE_MS) * MINUTE_MS]));
  return { fleet, stateDir: fs.mkdtempSync(path.join(os.tmpdir(), 'exporter-resilience-')), starts, startedMs };
}

const allCaughtUp = (setup: Setup) => async () => {
  const done = await checkpoints(setup.stateDir);
  return PROVIDERS.every((p) => (done[p] ?? 0) >= caughtUpAt(setup, p));
};

/** Everything the provider serves before the checkpoint was accepted (the checkpoint never runs ahead of acknowledgement). */
async function checkpointBehindAcks(setup: Setup, snapshot: { checkpoints: Record<string, number>; accepted: ReceivedLog[] }): Promise<void> {
  for (const provider of PROVIDERS) {
    const endMs = snapshot.checkpoints[provider];
    if (endMs === undefined) continue;
    const acked = new Set(receivedOf(snapshot.accepted, provider).map(canonical));
    const before = (await served(fleet, provider, setup.starts[provider], endMs)).map(canonicalRecord);
    expect({ provider, unacknowledgedBeforeCheckpoint: before.filter((line) => !acked.has(line)).length }).toEqual({ provider, unacknowledgedBeforeCheckpoint: 0 });
  }
}

/**
 * Every record the provider serves up to the checkpoint arrived; nothing arrived that it does not
 * serve; a duplicate is byte for byte the same record (same log.record.uid): a batch accepted as
 * its connection was cut is sent again. Records of the window in flight when the exporter stopped
 * (after the checkpoint) may have arrived too: at least once, they are sent again by the next run.
 */
async function expectDelivered(setup: Setup, provider: string, checkpointMs: number, accepted: ReceivedLog[]): Promise<void> {
  const expected = (await served(fleet, provider, setup.starts[provider], checkpointMs)).map(canonicalRecord);
  const before = new Set(expected);
  const later = new Set((await served(fleet, provider, checkpointMs, Date.now())).map(canonicalRecord));
  const received = receivedOf(accepted, provider)
    .map(canonical)
    .filter((line) => before.has(line) || !later.has(line));
  expect({ provider, ...difference([...new Set(received)], expected) }).toEqual({ provider, missing: 0, extra: 0, sample: [] });
}

describe('exporter process against receiver faults', () => {
  let setup: Setup;
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    setup = newSetup({ gcore: 6 * HOUR_MS, 'tencent-dsa': 10 * HOUR_MS, 'naver-elsa': 6 * HOUR_MS });
    receiver = await startHttpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
    fs.rmSync(setup.stateDir, { recursive: true, force: true });
  });

  it('loses nothing through 429 with Retry-After, 5xx, a cut connection, a slow answer and a receiver down for a while', async () => {
    receiver.faults.push({ status: 429, retryAfter: '1' }, { status: 503 }, { status: 503 }, { status: 504 }, { destroy: true }, { delayMs: 1_500 }, { status: 502 });
    const file = path.join(setup.stateDir, 'exporter.yaml');
    fs.writeFileSync(file, configJson(setup, { endpoint: receiver.origin, protocol: 'http/protobuf' }));
    const run = spawnExporter(file);
    const snapshots: Array<{ checkpoints: Record<string, number>; accepted: ReceivedLog[] }> = [];
    try {
      await waitFor(async () => Object.keys(await checkpoints(setup.stateDir)).length > 0, run, 'a first checkpoint');
      // Down: connections refused for two seconds.
      await receiver.pause();
      snapshots.push({ checkpoints: await checkpoints(setup.stateDir), accepted: [...receiver.accepted] });
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await receiver.resume();
      await waitFor(allCaughtUp(setup), run, 'every source caught up', 180_000);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
    snapshots.push({ checkpoints: await checkpoints(setup.stateDir), accepted: [...receiver.accepted] });
    for (const snapshot of snapshots) await checkpointBehindAcks(setup, snapshot);
    const done = await checkpoints(setup.stateDir);
    for (const provider of PROVIDERS) await expectDelivered(setup, provider, done[provider], receiver.accepted);
    // Every scripted fault was met by a request.
    expect(receiver.faults).toEqual([]);
  }, 240_000);

  it('stops the one source whose batch gets a 400, says so, keeps the others flowing, and its checkpoint stays behind the refused batch', async () => {
    receiver.faults.push({ status: 400, body: 'entry too far behind' });
    const file = path.join(setup.stateDir, 'exporter.yaml');
    fs.writeFileSync(file, configJson(setup, { endpoint: receiver.origin, protocol: 'http/protobuf' }));
    const run = spawnExporter(file);
    let stoppedSource = '';
    try {
      await waitFor(async () => /stopped: .*refused a batch/.test(run.output()), run, 'a source stopped');
      stoppedSource = /"provider":"([a-z-]+)"[^\n]*stopped: /.exec(run.output())?.[1] ?? '';
      expect(PROVIDERS).toContain(stoppedSource);
      expect(run.output()).toContain('may come after it stored part of the batch');
      await waitFor(
        async () => {
          const done = await checkpoints(setup.stateDir);
          return PROVIDERS.filter((p) => p !== stoppedSource).every((p) => (done[p] ?? 0) >= caughtUpAt(setup, p));
        },
        run,
        'the other sources caught up',
        180_000,
      );
      run.child.kill('SIGTERM');
      // A stopped source makes the exit code say so.
      expect(await run.exited).toBe(4);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
    await checkpointBehindAcks(setup, { checkpoints: await checkpoints(setup.stateDir), accepted: receiver.accepted });
    const done = await checkpoints(setup.stateDir);
    expect(done[stoppedSource] ?? setup.starts[stoppedSource]).toBeLessThan(caughtUpAt(setup, stoppedSource));
  }, 240_000);
});

describe('exporter process killed with SIGKILL', () => {
  it('after 20 kills at random points and a restart, the receiver holds every record served, duplicates being the same records again', async () => {
    const setup = newSetup({ gcore: 36 * HOUR_MS, 'tencent-dsa': 36 * HOUR_MS, 'naver-elsa': 24 * HOUR_MS });
    const receiver = await startHttpReceiver();
    const file = path.join(setup.stateDir, 'exporter.yaml');
    fs.writeFileSync(file, configJson(setup, { endpoint: receiver.origin, protocol: 'http/protobuf' }));
    // A fixed pseudo-random sequence: the kill points vary with the machine's speed, not between runs of the code.
    let seed = 20261122;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const states = new Set<string>();
    try {
      for (let kill = 0; kill < 20; kill++) {
        const run = spawnExporter(file);
        await waitFor(async () => run.output().includes('exporter started'), run, 'the exporter started');
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(random() * 700)));
        run.child.kill('SIGKILL');
        await run.exited;
        states.add(JSON.stringify(await checkpoints(setup.stateDir)));
      }
      // The kills landed while work was under way, at several different points.
      expect(states.size).toBeGreaterThanOrEqual(3);
      const last = spawnExporter(file);
      await waitFor(allCaughtUp(setup), last, 'every source caught up after the kills', 240_000);
      last.child.kill('SIGTERM');
      expect(await last.exited).toBe(0);
      const done = await checkpoints(setup.stateDir);
      for (const provider of PROVIDERS) await expectDelivered(setup, provider, done[provider], receiver.accepted);
    } finally {
      await receiver.close();
      fs.rmSync(setup.stateDir, { recursive: true, force: true });
    }
  }, 400_000);
});
