/**
 * The plugin in a real browser, as Grafana loads it: dist/module.js imported by SystemJS in headless
 * Chromium (Debian's chromium, driven by playwright-core), with the shared dependencies registered
 * under their package names by a host page (host/host.tsx, bundled by build-host.ts). The editors
 * render in Grafana's ThemeContext; "Save & test" and the queries go through the host's real
 * getBackendSrv() to a data proxy (host-server.ts) that applies the plugin's own plugin.json route
 * (grafana-route.ts) to a live bridge in demo mode, in front of the five provider emulators.
 *
 * Twice: with the shared dependencies of Grafana 12.4 (@grafana/* 12.4.10, React 18) and of
 * Grafana 13 (@grafana/* 13.2.x, React 19). Screenshots of both editors go to a temporary folder, or,
 * with UPDATE_SCREENSHOTS=1, to docs/screenshots/ (the README's pictures: a test run leaves the tree clean).
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type RunningBridge, startBridge } from '../bridge/server';
import { type EmulatorDescription, type EmulatorFleet, startEmulators } from '../emulators';
import { buildHost, bundledVersion, GRAFANA_12, GRAFANA_13, type GrafanaHostVersion, packageDir, REPO_ROOT, topPackages } from './build-host';
import type { PluginRoute } from './grafana-route';
import { HostServer } from './host-server';

const CHROMIUM = '/usr/bin/chromium';
const DIST = path.join(REPO_ROOT, 'dist');
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(REPO_ROOT, 'docs/screenshots') : path.join(tmpdir(), 'cdn-log-bridge-screenshots');
const TOKEN = 'browser-test-token-0123456789abcdef';
const UID = 'cdnlogs-gcore';
/** The same account with jsonData.timeout 5 s: the plugin then asks the bridge for a first answer at once (waitMs 0). */
const UID_LONG = 'cdnlogs-gcore-short-proxy-timeout';
const MINUTE = 60_000;

/** Names in Grafana's sharedDependenciesMap (public/app/features/plugins/loader/sharedDependencies.ts, grafana main 2026-11). */
const GRAFANA_SHARED_NAMES = [
  '@emotion/css', '@emotion/react', '@grafana/data', '@grafana/data/unstable', '@grafana/runtime', '@grafana/runtime/unstable',
  '@grafana/slate-react', '@grafana/ui', '@grafana/ui/unstable', '@kusto/monaco-kusto', 'app/core/app_events', 'app/core/config',
  'app/core/core', 'app/core/services/backend_srv', 'app/core/table_model', 'app/core/time_series', 'app/core/time_series2',
  'app/core/utils/datemath', 'app/core/utils/flatten', 'app/core/utils/kbn', 'app/core/utils/ticks', 'app/features/dashboard/impression_store',
  'd3', 'emotion', 'i18next', 'jquery', 'lodash', 'moment', 'prismjs', 'react', 'react/jsx-runtime', 'react/jsx-dev-runtime',
  'react-dom', 'react-dom/client', 'react-dom/server', 'react-inlinesvg', 'react-redux', 'react-router-dom', 'react-router', 'redux',
  'rxjs', 'rxjs/operators', 'slate', 'slate-plain-serializer', 'slate-react',
];

// What the host page answers (host/host.tsx); the test runs in node, so only the shapes it reads.
interface FieldSummary {
  name: string;
  type: string;
  labels?: Record<string, string>;
  first: unknown[];
  length: number;
}
interface FrameSummary {
  refId?: string;
  name?: string;
  length: number;
  meta: { type?: string; preferredVisualisationType?: string; stats?: Array<{ displayName: string; value: number }>; notices?: Array<{ severity: string; text: string }>; custom?: Record<string, unknown>; executedQueryString?: string };
  fields: FieldSummary[];
  ids?: string[];
}
interface ResponseSummary {
  atMs: number;
  state?: string;
  key?: string;
  errors: string[];
  frames: FrameSummary[];
}
interface QueryRun {
  responses: ResponseSummary[];
  completed: boolean;
  error?: string;
  calls: Array<{ method: string; url: string; status: number }>;
}
interface RequestSpec {
  uid: string;
  targets: Array<Record<string, unknown>>;
  fromMs: number;
  toMs: number;
  intervalMs?: number;
  liveStreaming?: boolean;
  maxEmissions?: number;
  maxMs?: number;
  instance?: { livePollMs?: number; pollMs?: number };
}
interface HostApi {
  loadPlugin(): Promise<{ shared: string[]; reactVersion: string; grafanaVersion: string }>;
  renderConfigEditor(uid: string): Promise<void>;
  renderQueryEditor(spec: RequestSpec): Promise<void>;
  runQuery(spec: RequestSpec): Promise<QueryRun>;
}
type HostWindow = { cdnLogsHost: HostApi };

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** dist/ as `npm run build` leaves it, rebuilt when a source of the bundle is newer. */
function ensureDist(): void {
  const module = path.join(DIST, 'module.js');
  const sources = Math.max(newestMtime(path.join(REPO_ROOT, 'src/plugin')), newestMtime(path.join(REPO_ROOT, 'src/core')), statSync(path.join(REPO_ROOT, 'webpack.config.ts')).mtimeMs);
  if (existsSync(module) && statSync(module).mtimeMs >= sources) return;
  const cli = require.resolve('webpack-cli/bin/cli.js', { paths: [REPO_ROOT] });
  const result = spawnSync(process.execPath, [cli, '-c', 'webpack.config.ts'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}\n${result.stderr}`);
  // webpack leaves a file whose content did not change as it was: mark it built now.
  const now = new Date();
  utimesSync(module, now, now);
}

/** The dependencies dist/module.js asks SystemJS for: its AMD define() list. */
async function amdDependencies(): Promise<string[]> {
  const source = await readFile(path.join(DIST, 'module.js'), 'utf8');
  const match = /define\((\[[^\]]*\])/.exec(source);
  if (!match) throw new Error('dist/module.js is not an AMD module');
  return JSON.parse(match[1]) as string[];
}

const quiet = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

let browser: Browser;
let fleet: EmulatorFleet;
let gcore: EmulatorDescription;
let routes: PluginRoute[];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the browser test needs Debian's Chromium. Install it with: apt-get update && apt-get install -y chromium (CI's .ci/run does)`);
  }
  ensureDist();
  routes = (JSON.parse(await readFile(path.join(DIST, 'plugin.json'), 'utf8')) as { routes: PluginRoute[] }).routes;
  fleet = await startEmulators();
  gcore = fleet.describe().find((d) => d.provider === 'gcore')!;
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await fleet?.close();
});

describe.each([GRAFANA_12, GRAFANA_13])('dist/module.js in Chromium with the shared dependencies of Grafana $label', (version: GrafanaHostVersion) => {
  let workDir: string;
  let bundled: Set<string>;
  let bridge: RunningBridge;
  let server: HostServer;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  const grafanaVersion = bundledVersion(version, '@grafana/data');
  const reactVersion = bundledVersion(version, 'react');
  const shot = (name: string) => path.join(SCREENSHOTS, `grafana-${version.label}-${name}.png`);
  /** Calls the host page's API (host/host.tsx `window.cdnLogsHost`). */
  const host = <K extends keyof HostApi>(method: K, arg?: Parameters<HostApi[K]>[0]): ReturnType<HostApi[K]> =>
    page.evaluate(([m, a]) => ((globalThis as unknown as HostWindow).cdnLogsHost[m] as (x: unknown) => unknown)(a), [method, arg] as const) as ReturnType<HostApi[K]>;
  const resource = () => String(gcore.sources[0].resource);

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), `cdnlogs-browser-${version.label}-`));
    const hostScript = path.join(workDir, 'host.js');
    bundled = topPackages((await buildHost(version, hostScript)).inputs);
    // One bridge per run: nothing the other run asked is in its answer cache, so the long query starts cold.
    bridge = await startBridge({ port: 0, token: TOKEN, demo: fleet, logDestination: quiet() });
    server = new HostServer(
      {
        hostScript,
        distDir: DIST,
        iconsDir: path.join(packageDir(version, '@grafana/ui'), 'dist/public/img/icons'),
        systemjsDir: path.join(path.dirname(require.resolve('systemjs/package.json', { paths: [REPO_ROOT] })), 'dist'),
        bootData: { assets: { dark: '', light: '' }, settings: { buildInfo: { version: grafanaVersion }, appSubUrl: '', featureToggles: {} }, user: { theme: 'dark', lightTheme: false, orgId: 1 }, navTree: [] },
        title: `CDN Logs in a Grafana ${version.label} host`,
      },
      routes,
    );
    server.dataSources.set(UID, { uid: UID, name: 'CDN Logs (Gcore)', jsonData: {}, secureJsonData: {} });
    await server.start();
    context = await browser.newContext({ viewport: { width: 1000, height: 720 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(`${msg.text()} (${msg.location().url})`);
    });
    page.setDefaultTimeout(20_000);
    await page.goto(server.url);
    const started = await page.evaluate(() => typeof (globalThis as unknown as Partial<HostWindow>).cdnLogsHost === 'object');
    if (!started) throw new Error(`the host page did not start:\n${[...pageErrors, ...consoleErrors].join('\n')}`);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    await bridge?.close(1_000);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('bundles the shared dependencies of this Grafana version, and no other', () => {
    expect(grafanaVersion.startsWith(version.label === '13' ? '13.' : '12.4.')).toBe(true);
    const mine = version.label === '13' ? ['grafana13-data', 'grafana13-ui', 'grafana13-runtime', 'react19', 'react-dom19'] : ['@grafana/data', '@grafana/ui', '@grafana/runtime', 'react', 'react-dom'];
    const other = version.label === '13' ? ['@grafana/data', '@grafana/ui', '@grafana/runtime', '@grafana/i18n', '@grafana/schema', 'react', 'react-dom'] : ['grafana13-data', 'grafana13-ui', 'grafana13-runtime', 'react19', 'react-dom19'];
    for (const name of mine) expect(bundled).toContain(name);
    for (const name of other) expect(bundled).not.toContain(name);
  });

  it('SystemJS imports dist/module.js with every dependency it asks for registered under its Grafana name', async () => {
    const wanted = await amdDependencies();
    const loaded = await host('loadPlugin');
    expect(loaded.reactVersion).toBe(reactVersion);
    expect(reactVersion.split('.')[0]).toBe(version.label === '13' ? '19' : '18');
    for (const dependency of wanted) {
      expect(GRAFANA_SHARED_NAMES).toContain(dependency);
      expect(loaded.shared).toContain(dependency);
    }
    expect(pageErrors).toEqual([]);
  });

  it('config editor: Save & test reports what the bridge says, through the route with the token and the key from secureJsonData', async () => {
    await host('renderConfigEditor', UID);
    await page.fill('#cdnlogs-bridge-url', bridge.url);
    await page.fill('#cdnlogs-bridge-token', TOKEN);
    await page.click('#cdnlogs-provider');
    await page.keyboard.type('Gcore');
    await page.keyboard.press('Enter');
    await page.fill('#cdnlogs-secret-gcoreApiKey', 'not-the-demo-key-0123456789');
    await page.fill('#cdnlogs-default-source-resource', resource());

    // A wrong key: the bridge's actionable message, as an error.
    await page.click('[data-testid="host-save-and-test"]');
    const result = page.locator('[data-testid="host-test-result"]');
    await result.waitFor();
    expect(await result.getAttribute('data-status')).toBe('error');
    expect(await result.innerText()).toMatch(/Gcore rejected the API key.*check GCORE_API_KEY/s);

    // Saved: the secrets stay on the server; the editor has them as configured, with a Reset that works.
    expect(server.dataSources.get(UID)).toMatchObject({
      jsonData: { bridgeUrl: bridge.url, provider: 'gcore', defaultSource: { resource: resource() } },
      secureJsonData: { bridgeToken: TOKEN, gcoreApiKey: 'not-the-demo-key-0123456789' },
    });
    expect(await page.content()).not.toContain(TOKEN);
    expect(await page.inputValue('#cdnlogs-secret-gcoreApiKey')).toBe('configured');
    await page.click('xpath=//input[@id="cdnlogs-secret-gcoreApiKey"]/ancestor::*[.//button[normalize-space()="Reset"]][1]//button[normalize-space()="Reset"]');
    await page.fill('#cdnlogs-secret-gcoreApiKey', gcore.credentials.apiKey);

    await page.click('[data-testid="host-save-and-test"]');
    await page.locator('[data-testid="host-test-result"][data-status="success"]').waitFor();
    expect(await page.locator('[data-testid="host-test-result"]').innerText()).toContain(`Gcore accepted the API key for resource ${resource()}`);
    expect(server.dataSources.get(UID)!.secureJsonData).toEqual({ bridgeToken: TOKEN, gcoreApiKey: gcore.credentials.apiKey });

    // What the data proxy sent: the route's URL from jsonData, its headers from secureJsonData (`| orEmpty` for the rest).
    const health = server.proxied.filter((r) => r.uid === UID && r.proxyPath.startsWith('bridge/api/v1/health'));
    expect(health).toHaveLength(2);
    const last = health[1];
    expect(last.target).toBe(`${bridge.url}/api/v1/health?provider=gcore&resource=${resource()}`);
    expect(last.status).toBe(200);
    expect(last.headers.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(last.headers['X-Cdn-Gcore-Api-Key']).toBe(gcore.credentials.apiKey);
    expect(last.headers['X-Cdn-Cloudflare-Api-Token']).toBe('');
    expect(Object.keys(last.headers).sort()).toEqual(routes[0].headers!.map((h) => h.name).sort());
    expect(health[0].status).toBe(403);
    await page.screenshot({ path: shot('config-editor'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('query editor: fields from the bridge, the query run, and which filter Gcore applied', async () => {
    const toMs = Date.now();
    await host('renderQueryEditor', {
      uid: UID,
      targets: [{ refId: 'A', mode: 'logs', limit: 100, sort: 'desc', filters: [{ field: 'cacheStatus', op: '=', value: 'HIT' }] }],
      fromMs: toMs - 60 * MINUTE,
      toMs,
    } satisfies RequestSpec);
    const state = page.locator('[data-testid="host-query-state"][data-state="Done"]');
    await state.waitFor();
    expect(Number(await state.getAttribute('data-rows'))).toBeGreaterThan(0);
    await expect(page.locator('[data-testid="cdnlogs-pushdown"]').innerText()).resolves.toContain('Last run: Gcore applied cacheStatus = HIT.');
    expect(await page.inputValue('#cdnlogs-A-source-resource')).toBe('');
    expect(await page.getAttribute('#cdnlogs-A-source-resource', 'placeholder')).toBe(resource());

    // The Fields list comes from the bridge (GET /api/v1/fields through the proxy).
    await page.getByLabel('Fields').click();
    await page.getByRole('option', { name: /^edgeLocation/ }).first().waitFor();
    await page.keyboard.press('Escape');
    await page.locator('h2').click();
    expect(server.proxied.some((r) => r.proxyPath === 'bridge/api/v1/fields?provider=gcore' && r.status === 200)).toBe(true);
    await page.screenshot({ path: shot('query-editor'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('a logs query: one data-plane logs frame, newest first, at most the limit', async () => {
    const toMs = Date.now();
    const run = await host('runQuery', { uid: UID, targets: [{ refId: 'A', mode: 'logs', limit: 50 }], fromMs: toMs - 60 * MINUTE, toMs } satisfies RequestSpec);
    expect(run.error).toBeUndefined();
    expect(run.completed).toBe(true);
    const last = run.responses[run.responses.length - 1];
    expect(last.state).toBe('Done');
    expect(last.errors).toEqual([]);
    expect(last.frames).toHaveLength(1);
    const [frame] = last.frames;
    expect(frame.refId).toBe('A');
    expect(frame.meta.type).toBe('log-lines');
    expect(frame.meta.preferredVisualisationType).toBe('logs');
    expect(frame.fields.slice(0, 5).map((f) => [f.name, f.type])).toEqual([
      ['timestamp', 'time'],
      ['body', 'string'],
      ['severity', 'string'],
      ['id', 'string'],
      ['labels', 'other'],
    ]);
    expect(frame.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['status', 'cacheStatus', 'edgeLocation']));
    expect(frame.length).toBe(50);
    expect(new Set(frame.ids).size).toBe(50);
    const times = frame.fields[0].first as number[];
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(frame.fields[1].first[0]).toMatch(/^[A-Z]+ \S+/);
    expect(frame.meta.stats?.find((s) => s.displayName === 'Records returned')?.value).toBe(50);
    expect(frame.meta.notices?.some((n) => n.text.startsWith('Truncated'))).toBe(true);
  });

  it('a stats query: one time series frame per status class', async () => {
    const toMs = Math.floor(Date.now() / MINUTE) * MINUTE;
    const run = await host('runQuery', {
      uid: UID,
      targets: [{ refId: 'B', mode: 'stats', groupBy: 'statusClass', metric: 'count', interval: '5m' }],
      fromMs: toMs - 60 * MINUTE,
      toMs,
    } satisfies RequestSpec);
    expect(run.completed).toBe(true);
    const last = run.responses[run.responses.length - 1];
    expect(last.state).toBe('Done');
    expect(last.errors).toEqual([]);
    expect(last.frames.length).toBeGreaterThan(1);
    for (const frame of last.frames) {
      expect(frame.meta.type).toBe('timeseries-multi');
      expect(frame.fields.map((f) => [f.name, f.type])).toEqual([
        ['Time', 'time'],
        ['Value', 'number'],
      ]);
      expect(frame.length).toBe(12);
      expect(frame.fields[1].labels?.statusClass).toBe(frame.name);
    }
    expect(last.frames.map((f) => f.name)).toContain('2xx');
    const total = last.frames.reduce((n, f) => n + (f.fields[1].first as number[]).reduce((a, b) => a + (b ?? 0), 0), 0);
    expect(total).toBeGreaterThan(0);
  });

  it('a long query: partial answers while the bridge works (Streaming), then Done', async () => {
    const saved = server.dataSources.get(UID)!;
    server.dataSources.set(UID_LONG, { ...saved, uid: UID_LONG, jsonData: { ...saved.jsonData, timeout: 5 }, secureJsonData: { ...saved.secureJsonData } });
    const toMs = Math.floor(Date.now() / MINUTE) * MINUTE;
    const run = await host('runQuery', {
      uid: UID_LONG,
      targets: [{ refId: 'C', mode: 'stats', groupBy: 'cacheStatus', metric: 'bytes', interval: '10m' }],
      fromMs: toMs - 6 * 60 * MINUTE,
      toMs,
      instance: { pollMs: 300 },
    } satisfies RequestSpec);
    expect(run.completed).toBe(true);
    const states = run.responses.map((r) => r.state);
    expect(states[0]).toBe('Streaming');
    expect(states[states.length - 1]).toBe('Done');
    expect(states.filter((s) => s !== 'Streaming' && s !== 'Done')).toEqual([]);
    expect(states.indexOf('Done')).toBe(states.length - 1);
    const done = run.responses[run.responses.length - 1];
    expect(done.frames.length).toBeGreaterThan(0);
    expect(done.frames.every((f) => f.length === 36 && f.meta.custom?.state === 'done')).toBe(true);
    // Started with waitMs 0 (the proxy timeout less 5 s), then polled: POST, then GETs of that query.
    const proxied = server.proxied.filter((r) => r.uid === UID_LONG);
    expect(proxied[0].method).toBe('POST');
    expect(proxied[0].target).toBe(`${bridge.url}/api/v1/query`);
    expect(proxied.length).toBeGreaterThan(1);
    expect(proxied.slice(1).every((r) => r.method === 'GET' && r.proxyPath.startsWith('bridge/api/v1/query/') && r.status === 200)).toBe(true);
  });

  it('a long query that the panel leaves is cancelled at the bridge', async () => {
    const toMs = Math.floor(Date.now() / MINUTE) * MINUTE - 7 * 60 * MINUTE;
    const before = server.proxied.length;
    const run = await host('runQuery', {
      uid: UID_LONG,
      targets: [{ refId: 'D', mode: 'stats', groupBy: 'edgeLocation', metric: 'count', interval: '10m' }],
      fromMs: toMs - 6 * 60 * MINUTE,
      toMs,
      maxEmissions: 1,
      instance: { pollMs: 5_000 },
    } satisfies RequestSpec);
    expect(run.completed).toBe(false);
    expect(run.responses.map((r) => r.state)).toEqual(['Streaming']);
    const requests = server.proxied.slice(before);
    const started = requests.find((r) => r.method === 'POST');
    expect(started?.answer?.state).toBe('running');
    const queryId = started!.answer!.queryId!;
    const cancel = requests.find((r) => r.method === 'DELETE');
    expect(cancel?.proxyPath).toBe(`bridge/api/v1/query/${encodeURIComponent(queryId)}`);
    expect(cancel?.status).toBe(200);
    const res = await fetch(`${bridge.url}/api/v1/query/${encodeURIComponent(queryId)}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(((await res.json()) as { state: string }).state).toBe('cancelled');
  });

  it('a live query: the accumulated frame again and again with one key, until unsubscribed', async () => {
    const toMs = Date.now();
    const run = await host('runQuery', {
      uid: UID,
      targets: [{ refId: 'E', mode: 'logs' }],
      fromMs: toMs - 60 * MINUTE,
      toMs,
      liveStreaming: true,
      maxEmissions: 3,
      maxMs: 30_000,
      instance: { livePollMs: 700 },
    } satisfies RequestSpec);
    expect(run.error).toBeUndefined();
    expect(run.responses).toHaveLength(3);
    expect(new Set(run.responses.map((r) => r.key)).size).toBe(1);
    expect(run.responses[0].key).toBe('cdnlogs-live-E');
    let previous = 0;
    for (const response of run.responses) {
      expect(response.state).toBe('Streaming');
      expect(response.errors).toEqual([]);
      expect(response.frames).toHaveLength(1);
      const [frame] = response.frames;
      expect(frame.meta.type).toBe('log-lines');
      expect(frame.length).toBeGreaterThan(0);
      expect(frame.length).toBeGreaterThanOrEqual(previous);
      expect(new Set(frame.ids).size).toBe(frame.length);
      previous = frame.length;
    }
    // One bridge query per poll.
    expect(run.calls.filter((c) => c.method === 'POST' && c.url.endsWith('/bridge/api/v1/query')).length).toBeGreaterThanOrEqual(3);
    // Unsubscribed: no poll after it.
    const polls = server.proxied.length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(server.proxied.length).toBe(polls);
    expect(pageErrors).toEqual([]);
  });

  it("the page logged no error but the wrong key's 403", () => {
    expect(pageErrors).toEqual([]);
    const expected = /status of 403 .*\/api\/datasources\/proxy\/uid\/cdnlogs-gcore\/bridge\/api\/v1\/health\?/;
    expect(consoleErrors.filter((e) => expected.test(e))).toHaveLength(1);
    expect(consoleErrors.filter((e) => !expected.test(e))).toEqual([]);
  });
});
