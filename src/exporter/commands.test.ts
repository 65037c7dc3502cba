/**
 * The exporter's commands through the CLI's `main`: configuration errors (exit 2, naming line and
 * field), `sources` (checkpoint, lag, health) and `backfill` (its own cursor, resumable).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../cli';
import type { CliIo } from '../cli/query';
import { HOUR_MS, MINUTE_MS } from '../core/time';
import { type EmulatorFleet, startEmulators } from '../emulators';
import { demoEnv, demoSelector } from '../emulators/demo-client';
import { CANARY_FRAGMENTS } from '../testing/hostile-suite';
import { backfillLane, CheckpointStore } from './checkpoint';
import { parseExporterConfig } from './config';
import type { SourceHealth } from './exporter';
import { writeHealthFile } from './health-file';
import { canonical, canonicalRecord, difference, served } from './testing/e2e-kit';
import { flatten } from './testing/otlp-receiver';
import { sourceIdentity } from './sources';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const root = require('otlp-transformer-057/build/src/generated/root');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exporter-commands-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function io(env: Record<string, string | undefined> = {}, nowMs = Date.now()): CliIo & { out: string; err: string } {
  const sink = {
    out: '',
    err: '',
    stdout: (text: string) => {
      sink.out += text;
    },
    stderr: (text: string) => {
      sink.err += text;
    },
    env,
    nowMs: () => nowMs,
    interactive: false,
  };
  return sink;
}

describe('export with a bad configuration', () => {
  it.each([
    ['an unknown provider', 'sources:\n  - name: a\n    provider: akamai\n', 'exporter.yaml:3: sources[0].provider'],
    ['a missing variable', 'sources:\n  - name: a\n    provider: gcore\n    credentials: { GCORE_API_KEY: "${GCORE_KEY_FILE_NOT_SET}" }\n', 'exporter.yaml:4: sources[0].credentials.GCORE_API_KEY: the environment variable GCORE_KEY_FILE_NOT_SET is not set'],
    ['a bad duration', 'sources:\n  - name: a\n    provider: gcore\n    source: { resource: 1 }\n    settle: 5 min\n', 'exporter.yaml:5: sources[0].settle: not a duration'],
    ['a duplicate source name', 'sources:\n  - { name: a, provider: gcore, source: { resource: 1 } }\n  - { name: a, provider: gcore, source: { resource: 2 } }\n', 'exporter.yaml:3: sources[1].name'],
    ['an unknown field', 'sources:\n  - { name: a, provider: gcore, source: { resource: 1 }, labels: { x: y } }\n', 'exporter.yaml:2: sources[0].labels: unknown field'],
  ])('fails at start with exit 2 on %s, naming the line and the field', async (_what, text, expected) => {
    const file = path.join(dir, 'exporter.yaml');
    fs.writeFileSync(file, text);
    const sink = io({ GCORE_API_KEY: 'k' });
    expect(await main(['export', '--config', file], sink)).toBe(2);
    expect(sink.err).toContain(expected);
    expect(sink.err.split('\n').filter((l) => l !== '')).toHaveLength(1);
  });

  it('names a configuration file that cannot be read', async () => {
    const sink = io();
    expect(await main(['export', '--config', path.join(dir, 'missing.yaml')], sink)).toBe(2);
    expect(sink.err).toContain('missing.yaml: cannot read the configuration (ENOENT)');
  });

  it('refuses missing credentials before any request, naming the variable (exit 3), never printing a secret', async () => {
    const file = path.join(dir, 'exporter.yaml');
    fs.writeFileSync(file, 'sources:\n  - { name: a, provider: cloudflare, source: { zone: 023e105f4ecef8ad9ca31a8372d0c353 } }\n');
    const sink = io({ GCORE_API_KEY: 'CANARYgcoreKEYa1s2d3f4g5h6j7k8l9' });
    expect(await main(['export', '--config', file, '--state-dir', dir], sink)).toBe(3);
    expect(sink.err).toContain('CLOUDFLARE_API_TOKEN');
    for (const fragment of CANARY_FRAGMENTS) expect(sink.err + sink.out).not.toContain(fragment);
  });
});

describe('sources', () => {
  it('shows each source with its checkpoint, lag and the running exporter’s health', async () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    const file = path.join(dir, 'exporter.yaml');
    fs.writeFileSync(
      file,
      `stateDir: ${JSON.stringify(path.join(dir, 'state'))}\nsources:\n  - { name: web, provider: cloudflare, source: { zone: 023e105f4ecef8ad9ca31a8372d0c353 } }\n  - { name: cdn, provider: gcore, source: { resource: 7 } }\n`,
    );
    const env = { CLOUDFLARE_API_TOKEN: 'cf-token-value', GCORE_API_KEY: 'gcore-key-value' };
    const config = parseExporterConfig(fs.readFileSync(file, 'utf8'), file, env);
    const web = sourceIdentity(config.sources[0]);
    await new CheckpointStore(path.join(dir, 'state')).save({ identity: web, lane: 'live', endMs: now - HOUR_MS, packages: [], savedAtMs: now });
    const health: Partial<SourceHealth> = { name: 'web', provider: 'cloudflare', source: web.source, dataset: web.dataset, lane: 'live', state: 'stalled', lastSuccessMs: now - 30 * MINUTE_MS, lastError: { atMs: now, kind: 'Transient', message: 'Cloudflare answered 503' } };
    await writeHealthFile(path.join(dir, 'state'), [health as SourceHealth], now);
    const sink = io(env, now);
    expect(await main(['sources', '--config', file], sink)).toBe(0);
    const lines = sink.out.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+PROVIDER\s+SOURCE\s+CHECKPOINT\s+LAG\s+STATE\s+LAST SUCCESS\s+LAST ERROR$/);
    expect(lines[1]).toMatch(/^web\s+cloudflare\s+023e105f4ecef8ad9ca31a8372d0c353\s+2026-11-22T09:00Z\s+55 min\s+stalled\s+2026-11-22T09:30Z\s+Cloudflare answered 503$/);
    expect(lines[2]).toMatch(/^cdn\s+gcore\s+7\s+-\s+-\s+starting\s+-\s+-$/);
    const json = io(env, now);
    await main(['sources', '--config', file, '--output', 'json'], json);
    expect(JSON.parse(json.out)[0]).toMatchObject({ name: 'web', lagSeconds: 3300, state: 'stalled' });
  });
});

describe('backfill', () => {
  let fleet: EmulatorFleet;
  beforeAll(async () => {
    fleet = await startEmulators({ providers: ['gcore'], rpm: 30, seed: 3 });
  });
  afterAll(() => fleet.close());

  it('delivers a bounded range under its own checkpoint without moving the live cursor, and resumes', async () => {
    const d = fleet.describe()[0];
    const now = Date.now();
    const fromMs = Math.floor((now - 5 * HOUR_MS) / MINUTE_MS) * MINUTE_MS;
    const toMs = fromMs + 2 * HOUR_MS + 17 * MINUTE_MS;
    const otlpDir = path.join(dir, 'otlp');
    const file = path.join(dir, 'exporter.yaml');
    fs.writeFileSync(
      file,
      JSON.stringify({
        stateDir: path.join(dir, 'state'),
        files: { dir: otlpDir },
        sources: [{ name: 'cdn', provider: 'gcore', credentials: demoEnv('gcore', d.credentials), source: demoSelector(d.sources[0]), start: '-1h', baseUrl: d.baseUrl }],
      }),
    );
    const config = parseExporterConfig(fs.readFileSync(file, 'utf8'), file, {});
    const identity = sourceIdentity(config.sources[0]);
    const store = new CheckpointStore(path.join(dir, 'state'));
    const liveMs = now - 90 * MINUTE_MS;
    await store.save({ identity, lane: 'live', endMs: liveMs, packages: [], savedAtMs: now });

    const args = ['backfill', '--config', file, '--source', 'cdn', '--from', new Date(fromMs).toISOString(), '--to', new Date(toMs).toISOString()];
    const sink = io({}, now);
    expect(await main(args, sink)).toBe(0);
    expect(sink.err).toContain('[##############################] 100.0%');
    expect((await store.load(identity, 'live'))?.endMs).toBe(liveMs);
    expect((await store.load(identity, backfillLane(fromMs, toMs)))?.endMs).toBe(toMs);

    const Request = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
    const readFiles = () =>
      fs
        .readdirSync(otlpDir)
        .sort()
        .flatMap((name) => fs.readFileSync(path.join(otlpDir, name), 'utf8').split('\n'))
        .filter((line) => line !== '')
        .flatMap((line) => flatten(Request.fromObject(JSON.parse(line))));
    const got = readFiles();
    const expected = (await served(fleet, 'gcore', fromMs, toMs)).map(canonicalRecord);
    expect(expected.length).toBeGreaterThan(0);
    // The files carry service.name cdn-log-bridge and no extra resource: compare without the resource.
    const withoutResource = (line: string) => JSON.stringify(JSON.parse(line).slice(1));
    expect(difference(got.map(canonical).map(withoutResource), expected.map(withoutResource))).toEqual({ missing: 0, extra: 0, sample: [] });

    // Run again: the range is done, nothing is sent twice.
    expect(await main(args, io({}, now))).toBe(0);
    expect(readFiles()).toHaveLength(got.length);
  });
});
