/**
 * End to end: `cdn-log-bridge export` (a child process, as in production) pulls all five emulators
 * and delivers to a test OTLP receiver that decodes with the official protobuf definitions. What the
 * receiver accepted must equal what the providers serve for the checkpointed range: count, ns
 * timestamps, attributes, severity, resource; for Cloudflare also the emulator's own ground truth.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../core/time';
import { type EmulatorFleet, startEmulators } from '../emulators';
import { expectedCloudflare } from '../providers/testing/expected';
import { caughtUpAt, canonical, canonicalRecord, checkpoints, configJson, difference, receivedOf, served, SETTLE, type Setup, spawnExporter, waitFor } from './testing/e2e-kit';
import { startGrpcReceiver, startHttpReceiver } from './testing/otlp-receiver';

const START_AGO: Record<string, number> = {
  cloudflare: HOUR_MS,
  gcore: 2 * HOUR_MS,
  'naver-elsa': 2 * HOUR_MS,
  'tencent-dsa': 6 * HOUR_MS,
  'tencent-edgeone': DAY_MS + 3 * HOUR_MS,
};

let fleet: EmulatorFleet;
let setup: Setup;

beforeAll(async () => {
  fleet = await startEmulators({ rpm: 15, seed: 7 });
});
afterAll(() => fleet.close());
beforeEach(() => {
  const startedMs = Date.now();
  const starts = Object.fromEntries(Object.entries(START_AGO).map(([p, ago]) => [p, Math.floor((startedMs - ago) / MINUTE_MS) * MINUTE_MS]));
  setup = { fleet, stateDir: fs.mkdtempSync(path.join(os.tmpdir(), 'exporter-e2e-')), starts, startedMs };
});
afterEach(() => fs.rmSync(setup.stateDir, { recursive: true, force: true }));

describe.each(['http/protobuf', 'http/json', 'grpc'] as const)('export over %s', (protocol) => {
  it('delivers exactly what all five providers serve for the checkpointed range, then stops cleanly on SIGTERM', async () => {
    const receiver = protocol === 'grpc' ? await startGrpcReceiver() : await startHttpReceiver();
    const file = path.join(setup.stateDir, 'exporter.yaml');
    fs.writeFileSync(file, configJson(setup, { endpoint: receiver.origin, protocol }));
    const run = spawnExporter(file);
    try {
      await waitFor(async () => {
        const done = await checkpoints(setup.stateDir);
        return Object.keys(SETTLE).every((p) => (done[p] ?? 0) >= caughtUpAt(setup, p));
      }, run, 'every source caught up');
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
      await receiver.close();
    }
    expect(run.output()).not.toContain('e2e-otlp-token');
    const done = await checkpoints(setup.stateDir);
    for (const provider of Object.keys(SETTLE)) {
      const records = await served(fleet, provider, setup.starts[provider], done[provider]);
      expect(records.length).toBeGreaterThan(0);
      // A clean run sends each record once.
      expect({ provider, ...difference(receivedOf(receiver.accepted, provider).map(canonical), records.map(canonicalRecord)) }).toEqual({ provider, missing: 0, extra: 0, sample: [] });
    }
    // Cloudflare against the emulator's own ground truth, not only against the adapter.
    const cf = fleet.emulators.cloudflare!;
    const zone = cf.zones[0];
    const truth = cf.generator.events(zone.id, zone.hosts, setup.starts.cloudflare, done.cloudflare).map((e) => canonicalRecord(expectedCloudflare(e, zone.id)));
    expect(difference(receivedOf(receiver.accepted, 'cloudflare').map(canonical), truth)).toEqual({ missing: 0, extra: 0, sample: [] });
  });
});
