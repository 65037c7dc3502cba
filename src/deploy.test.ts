/**
 * docker-compose.yml, .env.example, deploy/ and provisioning/ as Grafana, the bridge, the Collector,
 * Loki and Prometheus will read them (docker compose cannot run here): every mounted path exists,
 * every image is pinned to an exact version, Grafana is 12.3 or later with this plugin allowed and
 * mounted, the data sources use only keys the plugin reads, and every dashboard query passes the
 * plugin's own validation and, sent as the plugin builds it, is answered by a bridge in demo mode for
 * each of the five providers. For the exporter's side: the bridge's exporter configuration passes the
 * exporter's own loader and reaches the Collector, the Collector's logs pipeline ends at Loki's OTLP
 * endpoint, Loki promotes the resource attributes the mapping writes, and the "Exporter health"
 * (PromQL) and "CDN overview (stored)" (LogQL) dashboards name only metrics the exporter registers,
 * labels Loki indexes and attributes the mapping writes.
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

import { Registry } from 'prom-client';
import { startEmulators } from './emulators';
import { demoSelector } from './emulators/demo-client';
import { serveSettings, withDemoSources } from './cli/serve';
import { CACHE_STATUSES, emptyRecord } from './core/record';
import { MAPPING, mapRecord, PASSTHROUGH_PREFIX, RESOURCE_KEYS, resourceOf } from './exporter/mapping';
import { registerExporterMetrics } from './exporter/metrics';
import { loadExporterConfig } from './exporter/run-exporter';
import { exportSources } from './exporter/sources';
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

/**
 * A compose value with its variables replaced as compose does: `${VAR}`, `${VAR:-default}` (default
 * when unset or empty), `${VAR-default}` (when unset), `${VAR:?error}`, `$VAR`, and `$$` for `$`.
 */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    if (whole === '$$') return '$';
    const value = env[(braced ?? bare)!];
    const unset = op?.startsWith(':') ? value === undefined || value === '' : value === undefined;
    if (op?.endsWith('-')) return unset ? arg! : value!;
    if (op?.endsWith('?') && unset) throw new Error(`${braced}: ${arg}`);
    if (op?.endsWith('+')) return unset ? '' : arg!;
    return value ?? '';
  });
}

/**
 * The name Loki gives an OTLP attribute as an index label or structured metadata: characters other
 * than letters, digits and `_` become `_`, runs of `_` collapse to one, a leading digit gets `key_`
 * (Loki's pkg/loghttp/push/otlp.go through prometheus/otlptranslator's LabelNamer, Loki 3.x).
 */
export function lokiName(attribute: string): string {
  const name = attribute.replace(/[^A-Za-z0-9_]/g, '_').replace(/_{2,}/g, '_');
  return /^[0-9]/.test(name) ? `key_${name}` : name;
}

/**
 * The names a LogQL query uses: labels of its stream selectors; labels it filters, groups, unwraps or
 * reads in a template; and labels its label_format creates. Values (quoted strings) are never names.
 */
export function logqlNames(expr: string): { selectors: string[]; labels: string[]; created: string[] } {
  const templates: string[] = [];
  const text = expr.replace(/`([^`]*)`|"((?:[^"\\]|\\.)*)"/g, (_whole, raw: string | undefined, quoted: string | undefined) => {
    templates.push(raw ?? quoted!);
    return '""';
  });
  const selectors = [...text.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1].matchAll(/([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((x) => x[1]));
  const labels = [
    ...[...text.matchAll(/\|\s*([A-Za-z_]\w*)\s*(?:=~|!~|!=|==|>=|<=|=|>|<)/g)].map((m) => m[1]),
    ...[...text.matchAll(/\bunwrap\s+(?:[a-z_]+\(\s*)?([A-Za-z_]\w*)/g)].map((m) => m[1]),
    ...[...text.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => m[1].split(',').map((l) => l.trim()).filter((l) => l !== '')),
    ...templates.filter((t) => t.includes('{{')).flatMap((t) => [...t.matchAll(/\{\{([\s\S]*?)\}\}/g)].flatMap((b) => [...b[1].matchAll(/(?:^|[\s(])\.([A-Za-z_]\w*)/g)].map((x) => x[1]))),
  ];
  const created: string[] = [];
  for (const m of text.matchAll(/\blabel_format\s+([^|]*)/g)) {
    for (const a of m[1].matchAll(/([A-Za-z_]\w*)\s*=\s*(""|[A-Za-z_]\w*)/g)) {
      created.push(a[1]);
      if (a[2] !== '""') labels.push(a[2]);
    }
  }
  return { selectors: [...new Set(selectors)], labels: [...new Set(labels)], created: [...new Set(created)] };
}

/** Words of PromQL that are neither metrics nor functions. */
const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'atan2']);

/** The metric names and label names a PromQL expression uses (functions and aggregations are the words followed by `(`). */
export function promqlNames(expr: string): { metrics: string[]; labels: string[] } {
  const labels = new Set<string>();
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{([^}]*)\}/g, (_whole, body: string) => {
      for (const m of body.matchAll(/([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)/g)) labels.add(m[1]);
      return ' ';
    })
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_whole, body: string) => {
      for (const l of body.split(',').map((x) => x.trim())) if (l !== '') labels.add(l);
      return ' ';
    })
    .replace(/\[[^\]]*\]/g, ' ');
  const metrics = [...text.matchAll(/(?<![\w$.])([A-Za-z_:][A-Za-z0-9_:]*)(?![\w:])(?!\s*\()/g)].map((m) => m[1]).filter((w) => !PROMQL_KEYWORDS.has(w));
  return { metrics: [...new Set(metrics)], labels: [...labels] };
}

/** The value of `--flag=value`, `--flag value`, `-flag=value` in a command's arguments. */
function flagValue(args: string[], flag: string): string | undefined {
  for (const [i, a] of args.entries()) {
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
    if (a === flag) return args[i + 1];
  }
  return undefined;
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

/** The one service whose image (without registry) matches `name`. */
function serviceOfImage(name: RegExp): [string, ComposeService] {
  const found = Object.entries(compose.services).filter(([, s]) => s.image !== undefined && name.test(parseImageRef(s.image).name.replace(/^docker\.io\//, '')));
  expect({ image: String(name), services: found.map(([n]) => n) }).toEqual({ image: String(name), services: [expect.any(String)] });
  return found[0];
}

/** The arguments of a service's command (a list, or one line split on blanks). */
function commandArgs(service: ComposeService): string[] {
  return Array.isArray(service.command) ? service.command.map(String) : words(service.command ?? '');
}

/** The repository file (relative, `/`-separated) a service reads at `target`: a read-only bind mount of exactly that path. */
function mountedRepoFile(service: ComposeService, target: string | undefined): string | null {
  const m = mounts(service).find((x) => x.target === target);
  if (!m || m.kind !== 'bind' || !m.readOnly) return null;
  const local = repoPath(m.source!);
  return local === null ? null : path.relative(ROOT, local).split(path.sep).join('/');
}

/** The port of a `host:port` listen address. */
function portOf(address: string): number {
  const m = /:(\d+)$/.exec(address);
  if (!m) throw new Error(`"${address}" names no port`);
  return Number(m[1]);
}

type ProvisionedDatasource = { name: string; uid: string; type: string; url?: string; jsonData?: Record<string, unknown> };
const datasourceDir = path.join(ROOT, 'provisioning/datasources');
const provisionedDatasources: Array<ProvisionedDatasource & { file: string }> = readdirSync(datasourceDir)
  .filter((f) => /\.ya?ml$/.test(f))
  .flatMap((file) => ((parseYaml(readFileSync(path.join(datasourceDir, file), 'utf8')) as { datasources?: ProvisionedDatasource[] }).datasources ?? []).map((d) => ({ ...d, file })));

const dashboardDir = path.join(ROOT, 'provisioning/dashboards');
const dashboards: Array<{ file: string; dashboard: Dashboard }> = readdirSync(dashboardDir)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, dashboard: JSON.parse(readFileSync(path.join(dashboardDir, file), 'utf8')) as Dashboard }));
const overview = dashboards.find((d) => d.dashboard.title === 'CDN overview')?.dashboard;

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** Panels that query this plugin (the exporter's Loki and Prometheus dashboards are checked at the end of this file). */
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

  it('interpolates compose variables as compose does', () => {
    const env = { A: 'a', EMPTY: '' };
    expect(interpolate('${A} $A ${B:-b} ${EMPTY:-d} ${EMPTY-d} ${B-x} $${A} ${A:+set} ${B:+set}', env)).toBe('a a b d  x ${A} set ');
    expect(() => interpolate('${B:?set B}', env)).toThrow(/B: set B/);
  });

  it('names OTLP attributes as Loki stores them', () => {
    expect(['cdn.provider', 'http.response.status_code', 'http.response.header.content-type', 'cdn.request.duration_ms', 'a..b', '1st.x'].map(lokiName)).toEqual([
      'cdn_provider',
      'http_response_status_code',
      'http_response_header_content_type',
      'cdn_request_duration_ms',
      'a_b',
      'key_1st_x',
    ]);
  });

  it('reads the names a LogQL query uses, and never a quoted value as a name', () => {
    const q =
      'sum by (status_class, cdn_source) (rate({cdn_provider=~"$provider", cdn_source!="a=b"} |= "x | y=1" | url_path != "" | json | label_format status_class=`{{ substr 0 1 .http_response_status_code }}xx`, moved=url_query | unwrap duration(cdn_request_duration_ms) | __error__="" [$__auto]))';
    expect(logqlNames(q)).toEqual({
      selectors: ['cdn_provider', 'cdn_source'],
      labels: expect.arrayContaining(['url_path', 'cdn_request_duration_ms', '__error__', 'status_class', 'cdn_source', 'http_response_status_code', 'url_query']),
      created: ['status_class', 'moved'],
    });
    expect(logqlNames(q).labels).not.toContain('y');
    expect(logqlNames(q).labels).toHaveLength(7);
  });

  it('reads the metrics and labels a PromQL query uses, and not its functions', () => {
    expect(promqlNames('sum by (source) (rate(cdn_exporter_records_total{source=~"$source", lane="live"}[$__rate_interval])) / on (source) group_left time() - max(up{job="x"}) > bool 1')).toEqual({
      metrics: ['cdn_exporter_records_total', 'up'],
      labels: ['source', 'lane', 'job'],
    });
    expect(promqlNames('rate(nope_total[5m])').metrics).toEqual(['nope_total']);
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

describe('the exporter, the Collector, Loki and Prometheus (docker-compose.yml and deploy/)', () => {
  /** The bridge's environment as compose gives it, with .env.example's values. */
  function bridgeEnv(): Record<string, string> {
    const { service } = bridgeService();
    return Object.fromEntries(Object.entries(env(service)).map(([k, v]) => [k, interpolate(v, envExample)]));
  }
  const collector = () => serviceOfImage(/^otel\/opentelemetry-collector(-contrib)?$/);
  const loki = () => serviceOfImage(/^grafana\/loki$/);
  const prometheus = () => serviceOfImage(/^prom\/prometheus$/);

  /**
   * The configuration a service is told to read (`flag`), mounted read-only from a file of deploy/,
   * parsed. Typed loosely: these are the Collector's, Loki's and Prometheus's formats, and each test
   * reads only the keys it checks.
   */
  function configOf(service: ComposeService, flag: string, file: string): Record<string, any> {
    const target = flagValue(commandArgs(service), flag);
    expect({ flag, target: typeof target }).toEqual({ flag, target: 'string' });
    expect({ target, file: mountedRepoFile(service, target) }).toEqual({ target, file });
    return parseYaml(read(file), { uniqueKeys: true }) as Record<string, any>;
  }
  const collectorConfig = () => configOf(collector()[1], '--config', 'deploy/otel-collector.yaml');
  const lokiConfig = () => configOf(loki()[1], '-config.file', 'deploy/loki.yaml');
  const prometheusConfig = () => configOf(prometheus()[1], '--config.file', 'deploy/prometheus.yaml');
  const lokiPort = () => Number(lokiConfig().server?.http_listen_port ?? 3100);

  /** Index labels of a record the exporter sends: Loki's defaults that it writes (service.name) and the promoted attributes. */
  function lokiIndexLabels(): string[] {
    const resource = lokiConfig().limits_config?.otlp_config?.resource_attributes ?? {};
    const promoted = (resource.attributes_config ?? []).filter((c: { action?: string }) => c.action === 'index_label').flatMap((c: { attributes?: string[] }) => c.attributes ?? []);
    // Loki's distributor.otlp_config.default_resource_attributes_as_index_labels holds service.name
    // (and k8s, cloud and deployment names the exporter does not write), unless ignore_defaults.
    const defaults = resource.ignore_defaults === true ? [] : (lokiConfig().distributor?.otlp_config?.default_resource_attributes_as_index_labels ?? ['service.name']);
    return [...new Set([...defaults, ...promoted].map(lokiName))];
  }

  /** Attribute names of a record the exporter sends, as Loki stores them (structured metadata). */
  function lokiMetadataNames(): string[] {
    const record = {
      ...emptyRecord('cloudflare', 'zone', Date.parse('2026-11-22T10:00:00Z')),
      ...Object.fromEntries(MAPPING.map((row) => [row.field, row.type === 'int' || row.type === 'double' ? 200 : 'x'])),
      method: 'PURGE',
      cacheStatus: 'HIT' as const,
    };
    const attributes = Object.keys(mapRecord(record, record.timestamp).attributes);
    expect(attributes).toEqual(expect.arrayContaining(MAPPING.map((row) => row.attribute)));
    return attributes.map(lokiName);
  }

  it('runs the exporter in the bridge from deploy/exporter.yaml, mounted where --config points, checkpoints in a volume, delivering to the Collector', async () => {
    const { service, argv } = bridgeService();
    const settings = serveSettings(argv, bridgeEnv())!;
    expect(settings).toMatchObject({ demo: true, config: expect.any(String) });
    expect(mountedRepoFile(service, settings.config)).toBe('deploy/exporter.yaml');
    // The exporter's own loader, with the environment compose gives the bridge.
    const config = await loadExporterConfig(path.join(ROOT, 'deploy/exporter.yaml'), bridgeEnv());
    // Checkpoints (--state-dir, else the file's stateDir) in a volume: a restart or a new container resumes.
    const stateDir = settings.stateDir ?? config.stateDir;
    expect({ stateDir, mount: mounts(service).find((m) => m.target === stateDir) }).toEqual({ stateDir, mount: expect.objectContaining({ kind: 'volume', readOnly: false }) });
    const [collectorName] = collector();
    const httpPort = portOf(collectorConfig().receivers.otlp.protocols.http.endpoint);
    expect(config.target).toMatchObject({ kind: 'otlp', protocol: 'http/protobuf', endpoint: `http://${collectorName}:${httpPort}/v1/logs` });
    expect(config.sources.map((s) => s.provider).sort()).toEqual(PROVIDERS.map((p) => p.id).sort());
  });

  it("exports each emulator's demo sources: serve --demo gives every source its emulator and demo account", async () => {
    const config = await loadExporterConfig(path.join(ROOT, 'deploy/exporter.yaml'), bridgeEnv());
    const fleet = await startEmulators({ seed: 1 });
    try {
      const demo = new Map(fleet.describe().map((d) => [d.provider, d]));
      for (const source of config.sources) {
        const selectors = demo.get(source.provider)!.sources.map((s) => demoSelector(s as Record<string, unknown>));
        expect({ source: source.name, demoSource: selectors.some((d) => JSON.stringify(d) === JSON.stringify(source.selector)) }).toEqual({ source: source.name, demoSource: true });
      }
      const resolved = withDemoSources(config, fleet);
      expect(resolved.sources.map((s) => s.baseUrl)).toEqual(config.sources.map((s) => demo.get(s.provider)!.baseUrl));
      // Credentials are read as the exporter reads them: missing ones would throw AuthFailed here.
      expect(exportSources(resolved, Date.now())).toHaveLength(config.sources.length);
    } finally {
      await fleet.close();
    }
  });

  it("runs the Collector on deploy/otel-collector.yaml: OTLP in on gRPC and HTTP, a logs pipeline to Loki's OTLP endpoint that answers only once Loki has", () => {
    const config = collectorConfig();
    expect(config.receivers.otlp.protocols.grpc.endpoint).toMatch(/^0\.0\.0\.0:\d+$/);
    expect(config.receivers.otlp.protocols.http.endpoint).toMatch(/^0\.0\.0\.0:\d+$/);
    const logs = config.service.pipelines.logs as { receivers: string[]; processors?: string[]; exporters: string[] };
    expect(logs.receivers).toEqual(['otlp']);
    const type = (id: string) => id.split('/')[0];
    for (const [kind, ids] of [['receivers', logs.receivers], ['processors', logs.processors ?? []], ['exporters', logs.exporters]] as const) {
      for (const id of ids) expect({ kind, id, defined: Object.hasOwn(config[kind] ?? {}, id) }).toEqual({ kind, id, defined: true });
    }
    // A batch processor (or a sending queue) acknowledges the bridge before Loki does, and the checkpoint would move past records not stored.
    expect((logs.processors ?? []).map(type)).not.toContain('batch');
    expect(logs.exporters.length).toBeGreaterThan(0);
    const [lokiService] = loki();
    for (const id of logs.exporters) {
      expect({ id, type: ['otlp_http', 'otlphttp'].includes(type(id)) }).toEqual({ id, type: true });
      const exporter = config.exporters[id];
      expect({ id, sendingQueue: exporter.sending_queue?.enabled }).toEqual({ id, sendingQueue: false });
      const url = new URL(exporter.logs_endpoint ?? `${String(exporter.endpoint).replace(/\/+$/, '')}/v1/logs`);
      expect({ id, host: url.hostname, port: Number(url.port), path: url.pathname }).toEqual({ id, host: lokiService, port: lokiPort(), path: '/otlp/v1/logs' });
    }
  });

  it('runs Loki on deploy/loki.yaml with structured metadata, and promotes to index labels the resource attributes the exporter writes for provider and source', () => {
    const config = lokiConfig();
    expect(config.limits_config.allow_structured_metadata).toBe(true);
    // The names the exporter writes: renaming one in mapping.ts fails here until deploy/loki.yaml follows.
    const resource = resourceOf({ provider: 'gcore', source: '100001' }, {});
    expect(resource).toEqual({ [RESOURCE_KEYS.provider]: 'gcore', [RESOURCE_KEYS.source]: '100001' });
    const promoted = (config.limits_config.otlp_config?.resource_attributes?.attributes_config ?? []).filter((c: { action?: string }) => c.action === 'index_label').flatMap((c: { attributes?: string[] }) => c.attributes ?? []);
    expect(promoted.sort()).toEqual(Object.keys(resource).sort());
    expect(lokiIndexLabels()).toEqual(expect.arrayContaining(['service_name', 'cdn_provider', 'cdn_source']));
    // Windows are hours late and not in time order: without time sharding Loki refuses entries more than max_chunk_age / 2 behind a stream's newest.
    expect(config.limits_config.shard_streams?.time_sharding_enabled).toBe(true);
    // Its data is a volume of its own.
    expect(mounts(loki()[1]).find((m) => m.target === config.common.path_prefix)).toMatchObject({ kind: 'volume', readOnly: false });
  });

  it("runs Prometheus on deploy/prometheus.yaml, scraping the bridge's /metrics on the port serve listens on", () => {
    const { name, argv } = bridgeService();
    const settings = serveSettings(argv, bridgeEnv())!;
    const jobs = prometheusConfig().scrape_configs as Array<{ metrics_path?: string; scheme?: string; static_configs?: Array<{ targets: string[] }> }>;
    const bridgeJobs = jobs.filter((j) => (j.static_configs ?? []).some((c) => c.targets.includes(`${name}:${settings.port}`)));
    expect(bridgeJobs).toHaveLength(1);
    expect(bridgeJobs[0].metrics_path ?? '/metrics').toBe('/metrics');
    expect(bridgeJobs[0].scheme ?? 'http').toBe('http');
  });

  it('provisions Loki and Prometheus data sources at the compose services, with fixed uids; every uid is unique', () => {
    const byType = (type: string) => provisionedDatasources.filter((d) => d.type === type);
    expect(byType('loki')).toHaveLength(1);
    expect(byType('prometheus')).toHaveLength(1);
    expect(byType('loki')[0].url).toBe(`http://${loki()[0]}:${lokiPort()}`);
    const promPort = portOf(flagValue(commandArgs(prometheus()[1]), '--web.listen-address') ?? ':9090');
    expect(byType('prometheus')[0].url).toBe(`http://${prometheus()[0]}:${promPort}`);
    const uids = provisionedDatasources.map((d) => d.uid);
    expect(uids.every((u) => typeof u === 'string' && u !== '')).toBe(true);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('names in every dashboard only provisioned data sources (by uid and type) or its own data source variables', () => {
    const known = new Map(provisionedDatasources.map((d) => [d.uid, d.type]));
    const problems: string[] = [];
    for (const { file, dashboard } of dashboards) {
      const dsVariables = new Map(dashboard.templating.list.filter((v) => v.type === 'datasource').map((v) => [v.name, v.query]));
      const visit = (value: unknown, where: string): void => {
        if (Array.isArray(value)) return value.forEach((v, i) => visit(v, `${where}[${i}]`));
        if (!value || typeof value !== 'object') return;
        for (const [key, v] of Object.entries(value)) {
          if (key === 'datasource' && v && typeof v === 'object' && typeof (v as { uid?: unknown }).uid === 'string') {
            const { uid, type } = v as { uid: string; type?: string };
            const variable = /^\$\{?(\w+)\}?$/.exec(uid)?.[1];
            if (uid === '-- Grafana --') continue;
            if (variable !== undefined) {
              if (dsVariables.get(variable) !== type) problems.push(`${file} ${where}: ${uid} is not a data source variable of type ${type}`);
            } else if (known.get(uid) !== type) problems.push(`${file} ${where}: ${type}/${uid} is not provisioned`);
          }
          visit(v, `${where}.${key}`);
        }
      };
      visit(dashboard, '');
    }
    expect(problems).toEqual([]);
  });

  describe('"Exporter health"', () => {
    const health = () => {
      const found = dashboards.find((d) => d.dashboard.title === 'Exporter health')?.dashboard;
      expect(found).toBeDefined();
      return found!;
    };
    const queries = () => allPanels(health().panels).flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: String(t.expr ?? '') })));

    it('queries only metrics registerExporterMetrics registers, by labels they have', () => {
      const registry = registerExporterMetrics(() => [], new Registry());
      const registered = new Map(registry.getMetricsAsArray().map((m) => [m.name, (m as unknown as { labelNames: string[] }).labelNames]));
      expect(registered.size).toBeGreaterThan(5);
      for (const { panel, expr } of queries()) {
        const { metrics, labels } = promqlNames(expr);
        expect({ panel, metrics: metrics.length > 0 }).toEqual({ panel, metrics: true });
        for (const metric of metrics) expect({ panel, metric, registered: registered.has(metric) }).toEqual({ panel, metric, registered: true });
        // Prometheus adds job and instance to every scraped series.
        const allowed = new Set(['job', 'instance', ...metrics.flatMap((m) => registered.get(m) ?? [])]);
        for (const label of labels) expect({ panel, label, known: allowed.has(label) }).toEqual({ panel, label, known: true });
      }
      for (const v of health().templating.list.filter((x) => x.type === 'query')) {
        const { metrics, labels } = promqlNames(String(v.query).replace(/^label_values\((.*)\)$/, (_w, args: string) => args.replace(/,\s*(\w+)\s*$/, '{$1=""}')));
        for (const metric of metrics) expect({ variable: v.name, metric, registered: registered.has(metric) }).toEqual({ variable: v.name, metric, registered: true });
        for (const label of labels) expect({ variable: v.name, label, known: (registered.get(metrics[0]) ?? []).includes(label) }).toEqual({ variable: v.name, label, known: true });
      }
    });

    it('shows records/s, bytes/s, batches, retries, windows, lag and the state of each source', () => {
      const used = new Set(queries().flatMap((q) => promqlNames(q.expr).metrics));
      for (const metric of ['cdn_exporter_records_total', 'cdn_exporter_bytes_total', 'cdn_exporter_batches_total', 'cdn_exporter_retries_total', 'cdn_exporter_windows_total', 'cdn_exporter_lag_seconds', 'cdn_exporter_source_state']) {
        expect({ metric, shown: used.has(metric) }).toEqual({ metric, shown: true });
      }
      expect(queries().every((q) => /source=~"\$source"/.test(q.expr))).toBe(true);
    });
  });

  describe('"CDN overview (stored)"', () => {
    const stored = () => {
      const found = dashboards.find((d) => d.dashboard.title === 'CDN overview (stored)')?.dashboard;
      expect(found).toBeDefined();
      return found!;
    };
    const targets = () => allPanels(stored().panels).flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, expr: String(t.expr ?? ''), instant: t.queryType === 'instant' })));

    it('selects streams only by labels Loki indexes, and filters and groups only by attributes the exporter writes', () => {
      const index = new Set(lokiIndexLabels());
      const metadata = new Set(lokiMetadataNames());
      const passthrough = lokiName(PASSTHROUGH_PREFIX);
      expect(targets().length).toBeGreaterThan(0);
      for (const { panel, expr } of targets()) {
        const { selectors, labels, created } = logqlNames(expr);
        expect({ panel: panel.title, selectors: selectors.length > 0 }).toEqual({ panel: panel.title, selectors: true });
        for (const label of selectors) expect({ panel: panel.title, label, indexed: index.has(label) }).toEqual({ panel: panel.title, label, indexed: true });
        for (const label of labels) {
          const known = index.has(label) || metadata.has(label) || label.startsWith(passthrough) || created.includes(label) || label === '__error__';
          expect({ panel: panel.title, label, known }).toEqual({ panel: panel.title, label, known: true });
        }
        // Cache statuses are the record's enum.
        for (const m of expr.matchAll(/cdn_cache_status\s*(?:=~|!~|!=|=)\s*"([^"]*)"/g)) {
          for (const value of m[1].split('|').filter((v) => v !== '')) expect({ panel: panel.title, value, status: (CACHE_STATUSES as readonly string[]).includes(value) }).toEqual({ panel: panel.title, value, status: true });
        }
        expect({ panel: panel.title, variables: /cdn_provider=~"\$provider"/.test(expr) && /cdn_source=~"\$source"/.test(expr) }).toEqual({ panel: panel.title, variables: true });
      }
    });

    it('has provider and source variables of the index labels, from label_values', () => {
      const index = new Set(lokiIndexLabels());
      const vars = new Map(stored().templating.list.map((v) => [v.name, v]));
      for (const name of ['provider', 'source']) {
        const v = vars.get(name);
        expect(v).toMatchObject({ type: 'query', datasource: { type: 'loki' } });
        const m = /^label_values\((?:(\{[^}]*\})\s*,\s*)?(\w+)\)$/.exec(String(v!.query));
        expect({ name, labelValues: m !== null }).toEqual({ name, labelValues: true });
        for (const label of [m![2], ...logqlNames(m![1] ?? '{}').selectors]) expect({ name, label, indexed: index.has(label) }).toEqual({ name, label, indexed: true });
      }
      expect(String(vars.get('provider')!.query)).toContain(lokiName(RESOURCE_KEYS.provider));
      expect(String(vars.get('source')!.query)).toContain(lokiName(RESOURCE_KEYS.source));
    });

    it('has the panels the issue promises: status-class rate, cache-hit ratio, top paths, logs', () => {
      const find = (what: string, ok: (t: ReturnType<typeof targets>[number]) => boolean) => expect({ what, found: targets().some(ok) }).toEqual({ what, found: true });
      const status = lokiName(MAPPING.find((r) => r.field === 'status')!.attribute);
      const cache = lokiName(MAPPING.find((r) => r.field === 'cacheStatus')!.attribute);
      const urlPath = lokiName(MAPPING.find((r) => r.field === 'path')!.attribute);
      find('requests by status class, per second', (t) => t.panel.type === 'timeseries' && /\brate\(/.test(t.expr) && t.expr.includes(status) && /by \(status_class\)/.test(t.expr));
      find('cache-hit ratio', (t) => t.panel.type === 'stat' && t.expr.includes(cache) && t.expr.includes(' / '));
      find('top paths', (t) => ['bargauge', 'table'].includes(t.panel.type) && new RegExp(`topk\\(10, sum by \\(${urlPath}\\)`).test(t.expr) && t.instant);
      find('logs', (t) => t.panel.type === 'logs' && !/_over_time|rate\(/.test(t.expr));
    });
  });
});
