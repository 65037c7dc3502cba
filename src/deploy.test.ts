/**
 * docker-compose.yml, .env.example and provisioning/ as Grafana and the bridge will read them
 * (docker compose cannot run here): every mounted path exists, every image is pinned to an exact
 * version, Grafana is 12.3 or later with this plugin allowed and mounted, the data sources use only
 * keys the plugin reads, and every dashboard query passes the plugin's own validation and, sent as
 * the plugin builds it, is answered by a bridge in demo mode for each of the five providers.
 */

import { mkdtempSync, readFileSync, rmSync, existsSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

// The plugin's validation reads rangeUtil from @grafana/data, whose package index pulls in
// ES-module-only packages this (node) project does not transform: hand it Grafana's own rangeUtil module.
jest.mock('@grafana/data', () => {
  const p = jest.requireActual<typeof import('node:path')>('node:path');
  const root = p.dirname(require.resolve('@grafana/data/package.json'));
  return { rangeUtil: jest.requireActual(p.join(root, 'dist/cjs/datetime/rangeutil.cjs')) };
});

import { startEmulators } from './emulators';
import { demoSelector } from './emulators/demo-client';
import { serveSettings } from './cli/serve';
import { DEFAULT_BRIDGE_PORT, startBridge } from './bridge/server';
import { PROVIDERS, providerSpec } from './plugin/providers';
import { interpolateQuery } from './plugin/query/interpolate';
import { bridgeBody } from './plugin/query/request';
import { intervalMs, validationError } from './plugin/query/validate';
import type { CdnLogsOptions, CdnLogsQuery } from './plugin/types';
import webpackConfig from '../webpack.config';

const ROOT = path.resolve(__dirname, '..');
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');
const pluginJson = JSON.parse(read('src/plugin/plugin.json')) as { id: string; type: string; routes: Array<{ url: string; headers: Array<{ name: string; content: string }> }> };
const PLUGIN_ID = pluginJson.id;

// ---------------------------------------------------------------------------------------------
// Helpers that read compose syntax (https://github.com/compose-spec/compose-spec/blob/main/spec.md)
// ---------------------------------------------------------------------------------------------

export interface ImageRef {
  name: string;
  tag: string | null;
  digest: string | null;
}

/** `[registry[:port]/]name[:tag][@digest]`: the tag is the part after the last `:` of the last path segment. */
export function parseImageRef(ref: string): ImageRef {
  if (typeof ref !== 'string' || ref.trim() !== ref || ref === '' || /\s/.test(ref)) throw new Error(`image: "${String(ref)}" is not an image reference`);
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : null;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > slash;
  const name = hasTag ? rest.slice(0, colon) : rest;
  const tag = hasTag ? rest.slice(colon + 1) : null;
  if (name === '' || name.endsWith('/') || tag === '' || (digest !== null && !/^sha256:[0-9a-f]{64}$/.test(digest))) throw new Error(`image: "${ref}" is not an image reference`);
  return { name, tag, digest };
}

/** An exact release: major.minor.patch, with an optional suffix (`20.20.2-bookworm-slim`); never `latest`, `20`, `12.4` or `lts`. */
export function isExactVersionTag(tag: string | null): boolean {
  return tag !== null && /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z][0-9A-Za-z.-]*)?$/.test(tag);
}

export function versionOf(tag: string): [number, number, number] {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(tag);
  if (!m) throw new Error(`"${tag}" has no version`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export function atLeast(v: [number, number, number], min: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i] > min[i];
  return true;
}

export interface Mount {
  kind: 'bind' | 'volume' | 'anonymous';
  source: string | null;
  target: string;
  readOnly: boolean;
}

/** A service's `volumes` entry, short (`SOURCE:TARGET[:MODE]`) or long (`{type, source, target, read_only}`) syntax. */
export function parseMount(entry: unknown): Mount {
  if (typeof entry === 'string') {
    if (entry === '' || /[\n\r\0]/.test(entry)) throw new Error(`volume: ${JSON.stringify(entry)} is not a volume`);
    const parts = entry.split(':');
    if (parts.length === 1) return { kind: 'anonymous', source: null, target: parts[0], readOnly: false };
    if (parts.length > 3 || parts.some((p) => p === '')) throw new Error(`volume: "${entry}" is not SOURCE:TARGET[:MODE]`);
    const [source, target, mode = 'rw'] = parts;
    if (!mode.split(',').every((m) => ['ro', 'rw', 'z', 'Z', 'cached', 'delegated', 'consistent', 'nocopy'].includes(m))) throw new Error(`volume: "${entry}" has an unknown mode "${mode}"`);
    const bind = /^[./~]/.test(source);
    return { kind: bind ? 'bind' : 'volume', source, target, readOnly: mode.split(',').includes('ro') };
  }
  if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
    const e = entry as Record<string, unknown>;
    if (typeof e.target !== 'string' || e.target === '') throw new Error(`volume: ${JSON.stringify(entry)} has no target`);
    const readOnly = e.read_only === true;
    if (e.type === 'bind') {
      if (typeof e.source !== 'string' || e.source === '') throw new Error(`volume: ${JSON.stringify(entry)} is a bind without a source`);
      return { kind: 'bind', source: e.source, target: e.target, readOnly };
    }
    if (e.type === 'volume') return { kind: typeof e.source === 'string' && e.source !== '' ? 'volume' : 'anonymous', source: (e.source as string) ?? null, target: e.target, readOnly };
    throw new Error(`volume: type ${JSON.stringify(e.type)} is not checked here (bind or volume)`);
  }
  throw new Error(`volume: ${JSON.stringify(entry)} is not a volume`);
}

/** A bind source as a path inside the repository; null when it leaves the repository (absolute, `~`, `..`). */
export function repoPath(source: string): string | null {
  if (source.startsWith('~') || path.isAbsolute(source) || source.includes('$')) return null;
  const resolved = path.resolve(ROOT, source);
  const rel = path.relative(ROOT, resolved);
  return rel.startsWith('..') || path.isAbsolute(rel) ? null : resolved;
}

/** The variables a compose string interpolates: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:?error}` (`$$` is a literal `$`). */
export function composeVariables(text: string): Array<{ name: string; required: boolean; hasDefault: boolean }> {
  const out: Array<{ name: string; required: boolean; hasDefault: boolean }> = [];
  const re = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])[^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
  for (const m of text.matchAll(re)) {
    if (m[0] === '$$') continue;
    const name = m[1] ?? m[3];
    const op = m[2] ?? '';
    out.push({ name, required: op.endsWith('?'), hasDefault: op.endsWith('-') });
  }
  return out;
}

/** `KEY=VALUE` lines of an env file (comments and blank lines skipped; no quotes or expansion used here). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`env file line ${i + 1}: "${line.slice(0, 40)}" is not KEY=VALUE`);
    env[m[1]] = m[2];
  }
  return env;
}

/** The words of a shell line, split on blanks (the compose command uses no quoting on the line read). */
function words(line: string): string[] {
  return line.trim().split(/\s+/).filter((w) => w !== '');
}

/** Every string in a JSON value, for variable references. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

// ---------------------------------------------------------------------------------------------
// The files
// ---------------------------------------------------------------------------------------------

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string> | string[];
  volumes?: unknown[];
  ports?: string[];
  depends_on?: unknown;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const composeText = read('docker-compose.yml');
const compose = parseYaml(composeText) as ComposeFile;
const envExample = parseEnvFile(read('.env.example'));
const datasourcesYaml = parseYaml(read('provisioning/datasources/cdn-log-bridge.yaml')) as {
  apiVersion: number;
  datasources: Array<{ name: string; uid: string; type: string; access?: string; jsonData: Record<string, unknown>; secureJsonData?: Record<string, unknown> }>;
};
const dashboardsYaml = parseYaml(read('provisioning/dashboards/dashboards.yaml')) as {
  apiVersion: number;
  providers: Array<{ name: string; type: string; options: { path: string } }>;
};

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Array<CdnLogsQuery & Record<string, unknown>>;
  panels?: Panel[];
}
interface Variable {
  type: string;
  name: string;
  query?: unknown;
  current?: { value?: unknown };
  datasource?: { type?: string; uid?: string };
}
interface Dashboard {
  uid: string;
  title: string;
  templating: { list: Variable[] };
  panels: Panel[];
}

function env(service: ComposeService): Record<string, string> {
  const e = service.environment ?? {};
  if (Array.isArray(e)) return Object.fromEntries(e.map((kv) => [kv.split('=')[0], kv.slice(kv.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)]));
}

function mounts(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map(parseMount);
}

/** The service that mounts the plugin: Grafana. */
function grafanaService(): [string, ComposeService] {
  const found = Object.entries(compose.services).filter(([, s]) => s.image !== undefined && parseImageRef(s.image).name.replace(/^docker\.io\//, '') === 'grafana/grafana');
  expect(found).toHaveLength(1);
  return found[0];
}

/** The service that runs `cdn-log-bridge serve`, and the arguments serve gets. */
function bridgeService(): { name: string; service: ComposeService; argv: string[] } {
  const found = Object.entries(compose.services).flatMap(([name, service]) => {
    const command = Array.isArray(service.command) ? service.command.join('\n') : (service.command ?? '');
    const line = command.split('\n').find((l) => /(bin\/cdn-log-bridge\.js|cdn-log-bridge)\s+serve\b/.test(l));
    if (!line) return [];
    const w = words(line);
    return [{ name, service, argv: w.slice(w.indexOf('serve') + 1) }];
  });
  expect(found).toHaveLength(1);
  return found[0];
}

const dashboardDir = path.join(ROOT, 'provisioning/dashboards');
const dashboards: Array<{ file: string; dashboard: Dashboard }> = readdirSync(dashboardDir)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, dashboard: JSON.parse(readFileSync(path.join(dashboardDir, file), 'utf8')) as Dashboard }));
const overview = dashboards.find((d) => d.dashboard.title === 'CDN overview')?.dashboard;

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** Panels that query this plugin (the exporter's Loki and Prometheus dashboards are not checked here). */
function pluginPanels(dashboard: Dashboard): Panel[] {
  return allPanels(dashboard.panels).filter((p) => p.type !== 'row' && p.type !== 'text' && (p.datasource?.type === PLUGIN_ID || (p.targets ?? []).some((t) => (t.datasource as { type?: string } | undefined)?.type === PLUGIN_ID)));
}

/** The keys a CdnLogsQuery has: Grafana's DataQuery and the members of the interface in src/plugin/types.ts. */
function queryKeys(): Set<string> {
  const types = read('src/plugin/types.ts');
  const body = /export interface CdnLogsQuery extends DataQuery \{([\s\S]*?)\n\}/.exec(types)?.[1];
  if (!body) throw new Error('src/plugin/types.ts has no CdnLogsQuery interface');
  const own = [...body.matchAll(/^\s+([A-Za-z]\w*)\??:/gm)].map((m) => m[1]);
  expect(own).toEqual(expect.arrayContaining(['mode', 'source', 'filters', 'groupBy', 'metric', 'topK', 'interval']));
  return new Set(['refId', 'hide', 'key', 'queryType', 'datasource', ...own]);
}

/** Grafana's `$var` / `${var}` / `${var:format}` replacement, for the dashboard's own variables and `$__interval`. */
function replacer(values: Record<string, string>) {
  return (text: string, _scoped?: unknown, format?: string): string =>
    text.replace(/\$\{(\w+)(?::(\w+))?\}|\$(\w+)/g, (whole, a: string | undefined, fmt: string | undefined, b: string | undefined) => {
      const name = (a ?? b)!;
      if (!(name in values)) return whole;
      const value = values[name];
      return (fmt ?? format) === 'regex' ? value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : value;
    });
}

/** Sources the dashboard's $source takes for each provider in the tests: empty (the data source's default) and another demo source. */
const SOURCE_VALUES: Record<string, string[]> = {
  cloudflare: ['', 'c0841dfd00a215ade51ad81a9c3f9059'],
  gcore: ['', '100002'],
  'tencent-dsa': ['', 'h02.dsa.example.com'],
  'tencent-edgeone': ['', 'zone-2mzegj4vln5f'],
  'naver-elsa': [''],
};

// ---------------------------------------------------------------------------------------------

describe('test helpers read hostile input as compose would, or refuse it', () => {
  it.each([
    ['grafana/grafana:12.4.10', { name: 'grafana/grafana', tag: '12.4.10', digest: null }],
    ['node:20.20.2-bookworm-slim', { name: 'node', tag: '20.20.2-bookworm-slim', digest: null }],
    ['localhost:5000/team/img:1.2.3', { name: 'localhost:5000/team/img', tag: '1.2.3', digest: null }],
    ['localhost:5000/team/img', { name: 'localhost:5000/team/img', tag: null, digest: null }],
    [`img:1.2.3@sha256:${'a'.repeat(64)}`, { name: 'img', tag: '1.2.3', digest: `sha256:${'a'.repeat(64)}` }],
  ])('image %s', (ref, want) => expect(parseImageRef(ref)).toEqual(want));

  it.each(['', ' node:20.20.2', 'node:', ':1.2.3', 'node:1.2.3 ', 'node@sha256:xyz', 'a/:1.2.3', 'no de:1.2.3', 'node:1.2.3\n'])('refuses the image reference %j', (ref) => {
    expect(() => parseImageRef(ref)).toThrow(/not an image reference/);
  });

  it.each([
    ['12.4.10', true],
    ['20.20.2-bookworm-slim', true],
    ['v3.4.0', true],
    ['latest', false],
    ['12', false],
    ['12.4', false],
    ['20-bookworm-slim', false],
    ['lts-slim', false],
    ['12.4.x', false],
    ['1.2.3-', false],
    ['1.2.3.latest', false],
    [null, false],
  ])('tag %j is an exact version: %s', (tag, pinned) => expect(isExactVersionTag(tag)).toBe(pinned));

  it('compares versions numerically', () => {
    expect(atLeast(versionOf('12.10.0'), [12, 3, 0])).toBe(true);
    expect(atLeast(versionOf('12.2.99'), [12, 3, 0])).toBe(false);
    expect(atLeast(versionOf('13.0.0'), [12, 3, 0])).toBe(true);
    expect(atLeast(versionOf('12.3.0'), [12, 3, 0])).toBe(true);
  });

  it.each([
    ['./dist:/x:ro', { kind: 'bind', source: './dist', target: '/x', readOnly: true }],
    ['../elsewhere:/x', { kind: 'bind', source: '../elsewhere', target: '/x', readOnly: false }],
    ['data:/var/lib/grafana', { kind: 'volume', source: 'data', target: '/var/lib/grafana', readOnly: false }],
    ['/just/a/target', { kind: 'anonymous', source: null, target: '/just/a/target', readOnly: false }],
    [{ type: 'bind', source: './src', target: '/app/src', read_only: true }, { kind: 'bind', source: './src', target: '/app/src', readOnly: true }],
  ])('volume %j', (entry, want) => expect(parseMount(entry)).toEqual(want));

  it.each([[''], ['a:b:c:d'], ['./x::ro'], ['./x:/y:rx'], [{ type: 'tmpfs', target: '/t' }], [{ type: 'bind', target: '/t' }], [{ source: './x' }], [42], [null], [['./x', '/y']], ['./x:/y\n']])(
    'refuses the volume %j',
    (entry) => expect(() => parseMount(entry)).toThrow(/volume/),
  );

  it.each([
    ['./dist', path.join(ROOT, 'dist')],
    ['provisioning/dashboards', path.join(ROOT, 'provisioning/dashboards')],
    ['./src/../bin', path.join(ROOT, 'bin')],
    ['../outside', null],
    ['./src/../../outside', null],
    ['/etc/passwd', null],
    ['~/.ssh', null],
    ['./${HOME}', null],
  ])('repoPath(%j)', (source, want) => expect(repoPath(source)).toBe(want));

  it('finds compose variables, and skips $$', () => {
    expect(composeVariables('a ${A:?set A} $B ${C:-x} $${D} $$E ${F} ${G-y}')).toEqual([
      { name: 'A', required: true, hasDefault: false },
      { name: 'B', required: false, hasDefault: false },
      { name: 'C', required: false, hasDefault: true },
      { name: 'F', required: false, hasDefault: false },
      { name: 'G', required: false, hasDefault: true },
    ]);
  });

  it('reads env files and refuses lines that are not KEY=VALUE', () => {
    expect(parseEnvFile('# c\n\nA=1\r\nB_2=x=y\n')).toEqual({ A: '1', B_2: 'x=y' });
    expect(() => parseEnvFile('A=1\nexport B=2\n')).toThrow(/line 2/);
    expect(() => parseEnvFile('1A=2')).toThrow(/line 1/);
  });
});

describe('docker-compose.yml', () => {
  it('pins every image to an exact version tag, and builds nothing', () => {
    const services = Object.entries(compose.services);
    expect(services.length).toBeGreaterThanOrEqual(2);
    for (const [name, service] of services) {
      expect({ name, build: service.build }).toEqual({ name, build: undefined });
      expect(typeof service.image).toBe('string');
      const ref = parseImageRef(service.image!);
      expect({ name, image: service.image, pinned: isExactVersionTag(ref.tag) }).toEqual({ name, image: service.image, pinned: true });
    }
  });

  it('runs Grafana 12.3 or later with this plugin allowed unsigned and dist/ mounted as its plugin directory', () => {
    const [, grafana] = grafanaService();
    const { tag } = parseImageRef(grafana.image!);
    expect(atLeast(versionOf(tag!), [12, 3, 0])).toBe(true);
    const allowed = (env(grafana).GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS ?? '').split(',').map((s) => s.trim());
    expect(allowed).toContain(PLUGIN_ID);
    const plugin = mounts(grafana).find((m) => m.target === `/var/lib/grafana/plugins/${PLUGIN_ID}`);
    expect(plugin).toMatchObject({ kind: 'bind', readOnly: true });
    // The mounted directory is where `npm run build` writes (webpack.config.ts output.path).
    expect(repoPath(plugin!.source!)).toBe(webpackConfig({}).output?.path);
  });

  it('mounts only paths that exist in the repository, and declares every named volume', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const distPath = webpackConfig({}).output?.path;
    for (const [name, service] of Object.entries(compose.services)) {
      for (const m of mounts(service)) {
        if (m.kind === 'volume') {
          expect({ name, volume: m.source, declared: declared.includes(m.source!) }).toEqual({ name, volume: m.source, declared: true });
          continue;
        }
        if (m.kind !== 'bind') continue;
        const local = repoPath(m.source!);
        expect({ name, source: m.source, insideRepo: local !== null }).toEqual({ name, source: m.source, insideRepo: true });
        if (local === distPath && !existsSync(local!)) {
          // dist/ is build output (git-ignored): `npm ci` and `npm run build` make it. Checked as the
          // build's output path above; its content is checked by the next test once it is built.
          console.warn(`${m.source} is not built yet (npm run build): its existence is not checked`);
          continue;
        }
        expect({ name, source: m.source, exists: existsSync(local!) }).toEqual({ name, source: m.source, exists: true });
      }
    }
  });

  it('mounts a built plugin whose plugin.json is this plugin', () => {
    const distPath = webpackConfig({}).output!.path!;
    if (!existsSync(distPath)) {
      console.warn('dist/ is not built (npm ci or npm run build builds it): the built plugin is not checked');
      return;
    }
    expect(existsSync(path.join(distPath, 'module.js'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(distPath, 'plugin.json'), 'utf8'))).toMatchObject({ id: PLUGIN_ID, type: 'datasource' });
  });

  it('mounts the provisioning directories where Grafana reads them, and the home dashboard exists', () => {
    const [, grafana] = grafanaService();
    const byTarget = new Map(mounts(grafana).map((m) => [m.target, m]));
    const datasources = byTarget.get('/etc/grafana/provisioning/datasources') ?? byTarget.get('/etc/grafana/provisioning');
    const dash = byTarget.get('/etc/grafana/provisioning/dashboards') ?? byTarget.get('/etc/grafana/provisioning');
    expect(datasources).toBeDefined();
    expect(dash).toBeDefined();
    const inContainer = (hostRel: string): string | null => {
      for (const m of mounts(grafana)) {
        if (m.kind !== 'bind') continue;
        const host = repoPath(m.source!)!;
        const rel = path.relative(host, path.join(ROOT, hostRel));
        if (!rel.startsWith('..') && !path.isAbsolute(rel)) return path.posix.join(m.target, rel.split(path.sep).join('/'));
      }
      return null;
    };
    expect(inContainer('provisioning/datasources/cdn-log-bridge.yaml')).toBe('/etc/grafana/provisioning/datasources/cdn-log-bridge.yaml');
    expect(inContainer('provisioning/dashboards/dashboards.yaml')).toBe('/etc/grafana/provisioning/dashboards/dashboards.yaml');
    // The dashboard provider reads the directory the JSON files are mounted in.
    const provider = dashboardsYaml.providers.find((p) => p.type === 'file');
    expect(provider?.options.path).toBe(inContainer('provisioning/dashboards'));
    const home = env(grafana).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    if (home !== undefined) expect(home).toBe(inContainer('provisioning/dashboards/cdn-overview.json'));
  });

  it('runs the bridge in demo mode on all interfaces with the token from CDN_LOG_BRIDGE_TOKEN, as `serve` reads its flags', () => {
    const { name, service, argv } = bridgeService();
    const image = parseImageRef(service.image!);
    expect(image.name).toBe('node'); // the official Node image
    expect(composeVariables(env(service).CDN_LOG_BRIDGE_TOKEN ?? '').map((v) => v.name)).toEqual(['CDN_LOG_BRIDGE_TOKEN']);
    const settings = serveSettings(argv, { CDN_LOG_BRIDGE_TOKEN: envExample.CDN_LOG_BRIDGE_TOKEN });
    expect(settings).toMatchObject({ demo: true, host: '0.0.0.0', tokenGenerated: false, token: envExample.CDN_LOG_BRIDGE_TOKEN });
    // The data sources reach it by its service name and port.
    for (const ds of datasourcesYaml.datasources) expect(ds.jsonData.bridgeUrl).toBe(`http://${name}:${settings!.port}`);
    expect(settings!.port).toBe(DEFAULT_BRIDGE_PORT);
    // The cache directory it is told to use is a volume of its own.
    expect(mounts(service).map((m) => m.target)).toContain(settings!.cacheDir);
  });

  it('gives Grafana the variable its provisioned data sources expand, and .env.example every required variable', () => {
    const [, grafana] = grafanaService();
    const provisioned = new Set(composeVariables(strings(datasourcesYaml).join('\n')).map((v) => v.name));
    expect([...provisioned]).toContain('CDN_LOG_BRIDGE_TOKEN');
    for (const name of provisioned) expect(Object.keys(env(grafana))).toContain(name);
    const used = composeVariables(strings(compose).join('\n'));
    for (const v of used) {
      expect({ variable: v.name, hasValue: v.hasDefault || v.name in envExample }).toEqual({ variable: v.name, hasValue: true });
    }
    expect(envExample.CDN_LOG_BRIDGE_TOKEN.length).toBeGreaterThanOrEqual(16);
  });
});

describe('provisioning/datasources', () => {
  const routeKeys = (kind: 'JsonData' | 'SecureJsonData') =>
    new Set(pluginJson.routes.flatMap((r) => [r.url, ...r.headers.map((h) => h.content)]).flatMap((t) => [...t.matchAll(new RegExp(`\\.${kind}\\.(\\w+)`, 'g'))].map((m) => m[1])));
  const configEditor = read('src/plugin/components/ConfigEditor.tsx');
  const editorJsonKeys = new Set([...configEditor.matchAll(/\bjsonData\.(\w+)/g)].map((m) => m[1]));

  it('has one data source of this plugin per provider', () => {
    expect(datasourcesYaml.apiVersion).toBe(1);
    const list = datasourcesYaml.datasources;
    expect(list.map((d) => d.type)).toEqual(list.map(() => PLUGIN_ID));
    expect(list.map((d) => d.jsonData.provider).sort()).toEqual(PROVIDERS.map((p) => p.id).sort());
    expect(new Set(list.map((d) => d.uid)).size).toBe(list.length);
    expect(new Set(list.map((d) => d.name)).size).toBe(list.length);
  });

  it('uses only the jsonData and secureJsonData keys the route templates and the config editor read', () => {
    const jsonAllowed = new Set([...routeKeys('JsonData'), ...editorJsonKeys]);
    const secureAllowed = routeKeys('SecureJsonData');
    // The sources were read: the route's bridgeUrl and the editor's provider, default source and timeout.
    expect([...jsonAllowed]).toEqual(expect.arrayContaining(['bridgeUrl', 'provider', 'defaultSource', 'timeout']));
    expect(secureAllowed.has('bridgeToken')).toBe(true);
    for (const ds of datasourcesYaml.datasources) {
      for (const key of Object.keys(ds.jsonData)) expect({ ds: ds.name, jsonData: key, known: jsonAllowed.has(key) }).toEqual({ ds: ds.name, jsonData: key, known: true });
      for (const key of Object.keys(ds.secureJsonData ?? {})) expect({ ds: ds.name, secureJsonData: key, known: secureAllowed.has(key) }).toEqual({ ds: ds.name, secureJsonData: key, known: true });
    }
  });

  it('sends the bridge token from the environment and no provider credential (the demo accounts serve them)', () => {
    for (const ds of datasourcesYaml.datasources) {
      expect(ds.secureJsonData).toEqual({ bridgeToken: expect.stringMatching(/^\$(CDN_LOG_BRIDGE_TOKEN|\{CDN_LOG_BRIDGE_TOKEN\})$/) });
      expect(typeof ds.jsonData.timeout).toBe('number');
      expect(ds.jsonData.timeout as number).toBeGreaterThan(5);
    }
  });

  it("defaults each data source to one of its emulator's demo sources, with the provider's selector keys as strings", async () => {
    const fleet = await startEmulators({ seed: 1 });
    try {
      const demo = new Map(fleet.describe().map((d) => [d.provider, d.sources.map((s) => demoSelector(s as Record<string, unknown>))]));
      for (const ds of datasourcesYaml.datasources) {
        const provider = ds.jsonData.provider as string;
        const spec = providerSpec(provider)!;
        const source = ds.jsonData.defaultSource as Record<string, unknown>;
        for (const [key, value] of Object.entries(source)) {
          expect({ provider, key, selector: spec.selectors.some((s) => s.key === key), string: typeof value === 'string' }).toEqual({ provider, key, selector: true, string: true });
        }
        expect(demo.get(provider)).toContainEqual(source);
      }
    } finally {
      await fleet.close();
    }
  });
});

describe('provisioning/dashboards', () => {
  it('provisions the directory of JSON dashboards, among them "CDN overview"', () => {
    expect(dashboardsYaml.apiVersion).toBe(1);
    expect(dashboardsYaml.providers.filter((p) => p.type === 'file')).toHaveLength(1);
    expect(overview).toBeDefined();
    expect(new Set(dashboards.map((d) => d.dashboard.uid)).size).toBe(dashboards.length);
  });

  it('picks the provider with a data source variable of this plugin, and has a source variable', () => {
    const vars = overview!.templating.list;
    const provider = vars.find((v) => v.type === 'datasource');
    expect(provider).toMatchObject({ name: 'provider', query: PLUGIN_ID });
    expect(datasourcesYaml.datasources.map((d) => d.uid)).toContain(provider!.current?.value);
    expect(vars.find((v) => v.name === 'source')).toBeDefined();
    for (const v of vars.filter((x) => x.datasource)) expect(v.datasource).toEqual({ type: PLUGIN_ID, uid: '${provider}' });
  });

  it('queries the selected provider in every panel, with only the query fields of types.ts', () => {
    const keys = queryKeys();
    const panels = pluginPanels(overview!);
    expect(panels.length).toBe(allPanels(overview!.panels).filter((p) => p.type !== 'row').length);
    for (const panel of panels) {
      expect({ panel: panel.title, ds: panel.datasource }).toEqual({ panel: panel.title, ds: { type: PLUGIN_ID, uid: '${provider}' } });
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const t of panel.targets!) {
        expect({ panel: panel.title, ds: t.datasource }).toEqual({ panel: panel.title, ds: { type: PLUGIN_ID, uid: '${provider}' } });
        for (const key of Object.keys(t)) expect({ panel: panel.title, key, known: keys.has(key) }).toEqual({ panel: panel.title, key, known: true });
        const usesSource = strings(t.source ?? {}).some((s) => /\$\{?source\b/.test(s));
        expect({ panel: panel.title, usesSource }).toEqual({ panel: panel.title, usesSource: true });
      }
    }
  });

  it('has the panels the overview promises, each with the query that draws it', () => {
    const panels = pluginPanels(overview!);
    const find = (what: string, ok: (p: Panel, t: CdnLogsQuery) => boolean) => {
      const hit = panels.find((p) => p.targets!.some((t) => ok(p, t)));
      expect({ what, found: hit !== undefined }).toEqual({ what, found: true });
    };
    find('requests by status class over time', (p, t) => p.type === 'timeseries' && t.mode === 'stats' && t.groupBy === 'statusClass' && (t.metric ?? 'count') === 'count');
    find('cache-hit ratio', (p, t) => ['piechart', 'stat'].includes(p.type) && t.mode === 'stats' && t.groupBy === 'cacheStatus');
    find('bytes by edge location', (p, t) => p.type === 'barchart' && t.mode === 'stats' && t.groupBy === 'edgeLocation' && t.metric === 'bytes');
    find('top paths', (p, t) => ['bargauge', 'table'].includes(p.type) && t.mode === 'stats' && t.groupBy === 'path' && t.topK === 10);
    find('top client IPs', (p, t) => ['bargauge', 'table', 'barchart'].includes(p.type) && t.mode === 'stats' && t.groupBy === 'clientIp');
    find('5xx logs', (p, t) => p.type === 'logs' && t.mode === 'logs' && (t.filters ?? []).some((f) => f.field === 'status' && f.op === '>=' && f.value === '500'));
  });

  it("passes the plugin's own query validation for every provisioned data source and source", () => {
    const toMs = Date.now();
    const fromMs = toMs - 6 * 3600_000;
    for (const ds of datasourcesYaml.datasources) {
      const settings = ds.jsonData as CdnLogsOptions;
      for (const source of SOURCE_VALUES[settings.provider!]) {
        for (const panel of pluginPanels(overview!)) {
          for (const target of panel.targets!) {
            const q = interpolateQuery(target, replacer({ source, provider: ds.uid, __interval: '1m' }));
            const error = validationError(q, settings, fromMs, toMs);
            expect({ provider: settings.provider, source, panel: panel.title, error }).toEqual({ provider: settings.provider, source, panel: panel.title, error: null });
          }
        }
      }
    }
  });

  it('is answered by the bridge in demo mode for every provider, as the plugin sends each query, and $source picks the source', async () => {
    const token = envExample.CDN_LOG_BRIDGE_TOKEN;
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'cdn-log-bridge-deploy-'));
    // As `serve --demo` starts it (startServing), with its log lines kept out of the test output.
    const emulators = await startEmulators();
    const bridge = await startBridge({ host: '127.0.0.1', port: 0, token, cacheDir, demo: emulators, logLevel: 'silent' });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    type Answer = { state?: string; queryId?: string; error?: { message: string }; meta?: { source: string; recordsScanned: number } };
    /** POST the body, then poll while it runs, as the data source does. */
    async function ask(body: unknown): Promise<{ status: number; answer: Answer }> {
      let res = await fetch(`${bridge.url}/api/v1/query`, { method: 'POST', headers, body: JSON.stringify(body) });
      let answer = (await res.json()) as Answer;
      for (let i = 0; res.ok && answer.state === 'running' && i < 240; i++) {
        await new Promise((r) => setTimeout(r, 500));
        res = await fetch(`${bridge.url}/api/v1/query/${answer.queryId}`, { headers });
        answer = (await res.json()) as Answer;
      }
      return { status: res.status, answer };
    }
    try {
      // The dashboard's default range.
      const toMs = Date.now();
      const fromMs = toMs - 6 * 3600_000;
      const failures: string[] = [];
      for (const ds of datasourcesYaml.datasources) {
        const dsSettings = ds.jsonData as CdnLogsOptions;
        const provider = dsSettings.provider!;
        for (const source of SOURCE_VALUES[provider]) {
          // Every panel with $source empty (the data source's default), as a dashboard loads them: together.
          // With another source, the first panel is enough to show the source is the one asked for.
          const targets = pluginPanels(overview!).flatMap((panel) => panel.targets!.map((target) => ({ panel, target })));
          const asked = source === '' ? targets : targets.slice(0, 1);
          const answers = await Promise.all(
            asked.map(async ({ panel, target }) => {
              const q = interpolateQuery(target, replacer({ source, provider: ds.uid }));
              const body = bridgeBody(q, { settings: dsSettings, fromMs, toMs, intervalMs: intervalMs(q.interval) ?? 60_000 });
              return { panel, ...(await ask(body)) };
            }),
          );
          for (const { panel, status, answer } of answers) {
            const where = `${provider} $source=${JSON.stringify(source)} "${panel.title}"`;
            if (status !== 200 || answer.state !== 'done') failures.push(`${where}: HTTP ${status} ${answer.state} ${answer.error?.message ?? ''}`);
            else if (source !== '' && answer.meta?.source !== source) failures.push(`${where}: read source ${answer.meta?.source}`);
            else if (answer.meta!.recordsScanned === 0) failures.push(`${where}: no record in the range`);
          }
        }
      }
      expect(failures).toEqual([]);
    } finally {
      await bridge.close();
      await emulators.close();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }, 300_000);
});

it("keeps a clearly marked place for the exporter's Collector and Loki in docker-compose.yml, until they are there", () => {
  const images = Object.values(compose.services).map((s) => parseImageRef(s.image!).name);
  const added = images.some((n) => /loki/.test(n)) && images.some((n) => /opentelemetry-collector/.test(n));
  if (!added) expect(composeText).toMatch(/Reserved for the exporter[\s\S]*OpenTelemetry Collector[\s\S]*Loki/);
  expect(statSync(path.join(ROOT, 'provisioning')).isDirectory()).toBe(true);
});
