import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { main } from '../cli';
import type { CliIo } from './query';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { startEmulators } from '../emulators';
import { demoEnv, demoSelector } from '../emulators/demo-client';
import { parseExporterConfig } from '../exporter/config';
import { serveSettings, startServing, withDemoSources } from './serve';

async function run(args: string[], env: Record<string, string> = {}) {
  const err: string[] = [];
  const io: CliIo = { stdout: () => undefined, stderr: (t) => void err.push(t), env, nowMs: Date.now, interactive: false };
  const code = await main(args, io);
  return { code, stderr: err.join('') };
}

describe('cdn-log-bridge serve', () => {
  it.each([
    [['serve'], {}, /token: the bridge needs a token: pass --token or set CDN_LOG_BRIDGE_TOKEN/],
    [['serve', '--token', 'short'], {}, /token: the bridge token must be at least 16 characters/],
    [['serve'], { CDN_LOG_BRIDGE_TOKEN: 'short' }, /at least 16 characters/],
    [['serve', '--demo', '--port', '70000'], {}, /port: "70000" is not a whole number from 0 to 65535/],
    [['serve', '--demo', '--cache-max-bytes', '-1'], {}, /cache-max-bytes/],
  ] as const)('exits 2 with one line naming the problem: %j %j', async (args, env, message) => {
    const { code, stderr } = await run([...args], { ...env });
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('exits 2 naming the port when it is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const { code, stderr } = await run(['serve', '--token', 'a-token-of-sixteen-chars', '--port', String(port), '--cache-dir', '/tmp/cdn-log-bridge-serve-test']);
      expect(code).toBe(2);
      expect(stderr).toMatch(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use \\(EADDRINUSE\\)`));
    } finally {
      blocker.close();
    }
  });

  it('takes the token from CDN_LOG_BRIDGE_TOKEN, and makes one up only in demo mode', () => {
    expect(serveSettings([], { CDN_LOG_BRIDGE_TOKEN: 'from-the-environment-123' })).toMatchObject({ token: 'from-the-environment-123', tokenGenerated: false, demo: false, port: 8787 });
    const demo = serveSettings(['--demo'], {})!;
    expect(demo.tokenGenerated).toBe(true);
    expect(demo.token).toMatch(/^[0-9a-f]{48}$/);
  });

  it('exits 2 naming the file, line and field of a bad exporter configuration, before anything listens', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'serve-config-'));
    try {
      const file = path.join(dir, 'exporter.yaml');
      writeFileSync(file, 'sources:\n  - name: a\n    provider: akamai\n');
      const { code, stderr } = await run(['serve', '--token', 'a-token-of-sixteen-chars', '--port', '0', '--config', file]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/exporter\.yaml:3: sources\[0\]\.provider/);
      expect((await run(['serve', '--demo', '--state-dir', dir])).stderr).toMatch(/state-dir: .*--config/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with --config, runs the exporter in the bridge process: its health on GET /api/v1/exporter, its metrics on /metrics, records delivered', async () => {
    const gcore = await startEmulators({ providers: ['gcore'], rpm: 30 });
    const dir = mkdtempSync(path.join(tmpdir(), 'serve-config-'));
    const d = gcore.describe()[0];
    const config = { stateDir: path.join(dir, 'state'), files: { dir: path.join(dir, 'otlp') }, sources: [{ name: 'cdn', provider: 'gcore', credentials: demoEnv('gcore', d.credentials), source: demoSelector(d.sources[0]), start: '-2h', baseUrl: d.baseUrl }] };
    writeFileSync(path.join(dir, 'exporter.yaml'), JSON.stringify(config));
    const token = 'a-token-of-sixteen-chars';
    const settings = serveSettings(['--token', token, '--port', '0', '--cache-dir', path.join(dir, 'cache'), '--config', path.join(dir, 'exporter.yaml')], {})!;
    const { bridge } = await startServing(settings, {});
    try {
      const health = async () => {
        const res = await request(`${bridge.url}/api/v1/exporter`, { headers: { authorization: `Bearer ${token}` } });
        return { status: res.statusCode, body: (await res.body.json()) as { sources: Array<{ name: string; checkpointMs?: number }> } };
      };
      expect((await health()).body.sources.map((s) => s.name)).toEqual(['cdn']);
      const files = () => (existsSync(path.join(dir, 'otlp')) ? readdirSync(path.join(dir, 'otlp')) : []);
      for (let i = 0; i < 300 && files().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(files().length).toBeGreaterThan(0);
      const metrics = await (await request(`${bridge.url}/metrics`)).body.text();
      expect(metrics).toMatch(/cdn_exporter_records_total\{[^}]*source="cdn"/);
      expect(metrics).toMatch(/cdn_bridge_http_requests_total/);
    } finally {
      await bridge.close(0);
      await gcore.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with --demo, a configured source without credentials or baseUrl reads its emulator with the demo account; others stay as configured', async () => {
    const fleet = await startEmulators({ providers: ['gcore', 'cloudflare'] });
    try {
      const [gcore, cloudflare] = ['gcore', 'cloudflare'].map((p) => fleet.describe().find((d) => d.provider === p)!);
      const text = [
        'sources:',
        '  - { name: demo-gcore, provider: gcore, source: { resource: 100001 } }',
        '  - { name: own-gcore, provider: gcore, credentials: { GCORE_API_KEY: own-key-0123456789 }, source: { resource: 1 } }',
        '  - { name: elsewhere, provider: cloudflare, baseUrl: "https://api.cloudflare.com/client/v4", source: { zone: 023e105f4ecef8ad9ca31a8372d0c353 } }',
        '  - { name: demo-cloudflare, provider: cloudflare, source: { zone: 023e105f4ecef8ad9ca31a8372d0c353 } }',
        '  - { name: no-emulator, provider: naver-elsa, source: { projectId: "1", projectKey: k } }',
      ].join('\n');
      const config = withDemoSources(parseExporterConfig(text, 'exporter.yaml', { CLOUDFLARE_API_TOKEN: '' }), fleet);
      const view = Object.fromEntries(config.sources.map((s) => [s.name, { baseUrl: s.baseUrl, credentials: s.credentials }]));
      expect(view).toEqual({
        'demo-gcore': { baseUrl: gcore.baseUrl, credentials: demoEnv('gcore', gcore.credentials) },
        'own-gcore': { baseUrl: undefined, credentials: { GCORE_API_KEY: 'own-key-0123456789' } },
        elsewhere: { baseUrl: 'https://api.cloudflare.com/client/v4', credentials: { CLOUDFLARE_API_TOKEN: '' } },
        // An empty variable is no credential.
        'demo-cloudflare': { baseUrl: cloudflare.baseUrl, credentials: demoEnv('cloudflare', cloudflare.credentials) },
        'no-emulator': { baseUrl: undefined, credentials: {} },
      });
    } finally {
      await fleet.close();
    }
  });

  it('serve --demo --config exports the in-process emulators named only by provider and source (as docker-compose.yml runs it)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'serve-demo-config-'));
    const fleet = await startEmulators({ providers: ['gcore'] });
    const selector = demoSelector(fleet.describe()[0].sources[0]);
    await fleet.close();
    const config = { stateDir: path.join(dir, 'state'), files: { dir: path.join(dir, 'otlp') }, sources: [{ name: 'cdn', provider: 'gcore', source: selector, start: '-2h' }] };
    writeFileSync(path.join(dir, 'exporter.yaml'), JSON.stringify(config));
    const settings = serveSettings(['--demo', '--token', 'a-token-of-sixteen-chars', '--port', '0', '--cache-dir', path.join(dir, 'cache'), '--config', path.join(dir, 'exporter.yaml')], {})!;
    const { bridge, emulators } = await startServing(settings, {});
    try {
      const delivered = () => (existsSync(path.join(dir, 'otlp')) ? readdirSync(path.join(dir, 'otlp')).map((f) => readFileSync(path.join(dir, 'otlp', f), 'utf8')).join('') : '');
      for (let i = 0; i < 300 && !/"cdn\.provider","value":\{"stringValue":"gcore"\}/.test(delivered()); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(delivered()).toMatch(/"cdn\.provider","value":\{"stringValue":"gcore"\}/);
      expect(delivered()).toContain(`"cdn.source","value":{"stringValue":"${selector.resource}"}`);
    } finally {
      await bridge.close(0);
      await emulators?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without --config, GET /api/v1/exporter says how to run one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'serve-config-'));
    const token = 'a-token-of-sixteen-chars';
    const { bridge } = await startServing(serveSettings(['--token', token, '--port', '0', '--cache-dir', dir], {})!, {});
    try {
      const res = await request(`${bridge.url}/api/v1/exporter`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(404);
      expect(await res.body.text()).toMatch(/serve --config FILE/);
    } finally {
      await bridge.close(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
