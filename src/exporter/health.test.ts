import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SourceHealth } from './exporter';
import { HEALTH_FILE, readHealthFile, writeHealthFile } from './health-file';
import { exporterHealthBody, parseListen, startHealthServer } from './health-server';
import { registerExporterMetrics } from './metrics';

function health(extra: Partial<SourceHealth> = {}): SourceHealth {
  return {
    name: 'web',
    provider: 'cloudflare',
    source: 'zone-a',
    dataset: 'http_requests',
    lane: 'live',
    state: 'ok',
    checkpointMs: 1_795_341_600_000,
    lagMs: 90_000,
    windowSizeMs: 300_000,
    lastSuccessMs: 1_795_341_660_000,
    lastError: null,
    unreachable: [],
    unreachableMsTotal: 3_600_000,
    totals: { records: 1234, bytes: 56789, windows: 12, batches: 13, retries: 2, rejected: 1, failedWindows: 3 },
    ...extra,
  };
}

describe('registerExporterMetrics', () => {
  it('exposes totals as counters and lag, size, state as gauges, per source', async () => {
    let sources = [health(), health({ name: 'cdn', provider: 'gcore', source: '42', state: 'stalled', checkpointMs: null, lastSuccessMs: null })];
    const registry = registerExporterMetrics(() => sources);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE cdn_exporter_records_total counter');
    expect(text).toContain('cdn_exporter_records_total{source="web",provider="cloudflare",lane="live"} 1234');
    expect(text).toContain('cdn_exporter_rejected_records_total{source="web",provider="cloudflare",lane="live"} 1');
    expect(text).toContain('cdn_exporter_failed_windows_total{source="web",provider="cloudflare",lane="live"} 3');
    expect(text).toContain('cdn_exporter_unreachable_seconds_total{source="web",provider="cloudflare",lane="live"} 3600');
    expect(text).toContain('cdn_exporter_lag_seconds{source="web",provider="cloudflare",lane="live"} 90');
    expect(text).toContain('cdn_exporter_source_state{source="cdn",provider="gcore",lane="live",state="stalled"} 1');
    expect(text).toContain('cdn_exporter_source_state{source="cdn",provider="gcore",lane="live",state="ok"} 0');
    expect(text).not.toContain('cdn_exporter_checkpoint_timestamp_seconds{source="cdn"');
    // Read at scrape time: the next scrape sees the new totals.
    sources = [health({ totals: { ...health().totals, records: 2000 } })];
    expect(await registry.metrics()).toContain('cdn_exporter_records_total{source="web",provider="cloudflare",lane="live"} 2000');
  });
});

describe('health server', () => {
  it('answers GET /api/v1/exporter (503 while a source is stalled) and /metrics, and nothing else', async () => {
    let sources = [health()];
    const server = await startHealthServer({ host: '127.0.0.1', port: 0 }, () => sources, registerExporterMetrics(() => sources));
    try {
      const ok = await fetch(`${server.url}/api/v1/exporter`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ status: 'ok', sources: [{ name: 'web', state: 'ok' }] });
      sources = [health({ state: 'stalled', lastError: { atMs: 1, kind: 'Transient', message: 'Cloudflare answered 503' } })];
      const degraded = await fetch(`${server.url}/api/v1/exporter`);
      expect(degraded.status).toBe(503);
      expect(await degraded.json()).toMatchObject({ status: 'degraded' });
      expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('cdn_exporter_source_state{source="web",provider="cloudflare",lane="live",state="stalled"} 1');
      expect((await fetch(`${server.url}/admin`)).status).toBe(404);
      expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('says degraded only for stalled or stopped sources', () => {
    expect(exporterHealthBody([health({ state: 'lagging' })]).status).toBe('ok');
    expect(exporterHealthBody([health({ state: 'stopped' })]).status).toBe('degraded');
  });

  it('reads --listen values and refuses others', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen(':9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    for (const bad of ['9464', 'host:99999', 'a b:1', 'http://x:1', '127.0.0.1:', '[::1]9464']) expect(parseListen(bad)).toBeNull();
  });
});

describe('health file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'health-file-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trips the health of a live process', async () => {
    await writeHealthFile(dir, [health()], 5);
    expect(await readHealthFile(dir)).toEqual({ pid: process.pid, writtenAtMs: 5, sources: [health()] });
  });

  it('ignores the file of a process that is gone, and garbage', async () => {
    fs.writeFileSync(path.join(dir, HEALTH_FILE), JSON.stringify({ pid: 99999999, writtenAtMs: 1, sources: [] }));
    expect(await readHealthFile(dir)).toBeNull();
    for (const junk of ['', '{', 'null', '[]', '{"pid":"1","sources":[]}', '{"pid":1e400,"sources":[]}', '{"pid":1,"sources":{}}']) {
      fs.writeFileSync(path.join(dir, HEALTH_FILE), junk);
      expect(await readHealthFile(dir)).toBeNull();
    }
  });
});
