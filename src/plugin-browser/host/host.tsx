/**
 * A Grafana stand-in for the browser test: what Grafana's frontend gives a data source plugin, and no
 * more. It bundles the shared dependencies (esbuild, once per Grafana version: build-host.ts), and
 * when SystemJS has loaded (after this bundle, as the page's script order says) registers each under
 * `package:<name>` with an import map from the bare name, as Grafana's loader does
 * (public/app/features/plugins/loader/sharedDependencies.ts and buildImportMap() in loader/utils.ts),
 * then imports /dist/module.js. `getBackendSrv()` is a real one: `fetch()` sends the request with the
 * browser's fetch to the data proxy (/api/datasources/proxy/uid/<uid>/<route>/...) of the test's
 * server. The test drives the page through `window.cdnLogsHost`.
 */

import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import {
  createTheme,
  type DataFrame,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceInstanceSettings,
  type DataSourcePluginMeta,
  type DataSourceSettings,
  dateTime,
  type PanelData,
  LoadingState,
  ThemeContext,
} from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import { type BackendSrv, type BackendSrvRequest, type FetchError, type FetchResponse, setBackendSrv, setTemplateSrv, type TemplateSrv } from '@grafana/runtime';
import * as grafanaUIraw from '@grafana/ui';
import { Alert, Button, GlobalStyles } from '@grafana/ui';
import * as lodash from 'lodash';
import * as moment from 'moment';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import * as ReactDOMClient from 'react-dom/client';
import * as reactInlineSvg from 'react-inlinesvg';
import * as jsxDevRuntime from 'react/jsx-dev-runtime';
import * as jsxRuntime from 'react/jsx-runtime';
import * as rxjs from 'rxjs';
import { lastValueFrom, Observable } from 'rxjs';
import * as rxjsOperators from 'rxjs/operators';

declare const System: {
  set(id: string, module: object): void;
  addImportMap(map: { imports: Record<string, string> }): void;
  import(id: string): Promise<Record<string, unknown>>;
};

/** Grafana's SHARED_DEPENDENCY_PREFIX (loader/constants.ts). */
const SHARED_DEPENDENCY_PREFIX = 'package';

// Grafana exposes the data plugin classes on @grafana/ui too (the 6.4 → 6.5 migration in sharedDependencies.ts).
const grafanaUI: Record<string, unknown> = { ...grafanaUIraw };
grafanaUI.PanelPlugin = grafanaData.PanelPlugin;
grafanaUI.DataSourcePlugin = grafanaData.DataSourcePlugin;
grafanaUI.AppPlugin = grafanaData.AppPlugin;
grafanaUI.DataSourceApi = grafanaData.DataSourceApi;

/** The CommonJS module behind an ES namespace (what `import('lodash')` resolves `default` to). */
function defaultOf(namespace: object): unknown {
  return (namespace as { default?: unknown }).default ?? namespace;
}

/**
 * The entries of Grafana's sharedDependenciesMap that a plugin built with @grafana/create-plugin's
 * externals can ask for and that exist outside Grafana's own source tree (jquery + flot, d3, slate,
 * prismjs, redux, react-router, monaco-kusto and the `app/*` modules are left out; the test checks
 * that the plugin asks for none of those).
 */
export const SHARED_DEPENDENCIES: Record<string, object> = {
  '@emotion/css': emotionCss,
  '@emotion/react': emotionReact,
  '@grafana/data': grafanaData,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/ui': grafanaUI,
  'app/core/utils/datemath': grafanaData.dateMath,
  emotion: emotionCss,
  // Grafana: `import('lodash').then((module) => ({ ...module, move: arrayMove, __useDefault: true }))`, the same for moment.
  lodash: { ...lodash, default: defaultOf(lodash), __useDefault: true },
  moment: { ...moment, default: defaultOf(moment), __useDefault: true },
  react: React,
  'react/jsx-runtime': jsxRuntime,
  'react/jsx-dev-runtime': jsxDevRuntime,
  'react-dom': ReactDOM,
  'react-dom/client': ReactDOMClient,
  'react-inlinesvg': reactInlineSvg,
  rxjs,
  'rxjs/operators': rxjsOperators,
};

// ---------------------------------------------------------------------------------------------
// Grafana's services, as plugins reach them through @grafana/runtime.

interface ProxyCall {
  method: string;
  url: string;
  status: number;
}

/** Every request the plugin made through getBackendSrv(), in order. */
const calls: ProxyCall[] = [];

function withParams(url: string, params: Record<string, unknown> | undefined): string {
  const u = new URL(url, window.location.origin);
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) u.searchParams.append(key, String(v));
  }
  return u.pathname + u.search;
}

/** Grafana's backend_srv in what a data source uses: fetch() with params, a JSON body, errors as FetchError, abort on unsubscribe. */
class HostBackendSrv implements BackendSrv {
  fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
    return new Observable<FetchResponse<T>>((subscriber) => {
      const controller = new AbortController();
      const method = (options.method ?? 'GET').toUpperCase();
      const url = withParams(options.url, options.params);
      const headers = new Headers(options.headers ?? {});
      headers.set('X-Grafana-Org-Id', '1');
      let body: BodyInit | undefined;
      if (options.data !== undefined && method !== 'GET') {
        if (typeof options.data === 'string') body = options.data;
        else {
          body = JSON.stringify(options.data);
          if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
        }
      }
      const call: ProxyCall = { method, url, status: -1 };
      calls.push(call);
      fetch(url, { method, headers, body, signal: controller.signal, credentials: 'same-origin' }).then(
        async (res) => {
          call.status = res.status;
          const text = await res.text();
          let data: unknown = text;
          if (options.responseType !== 'text' && text !== '') {
            try {
              data = JSON.parse(text);
            } catch {
              data = text;
            }
          }
          if (!res.ok) {
            const err: FetchError = { status: res.status, statusText: res.statusText, data, config: options };
            subscriber.error(err);
            return;
          }
          subscriber.next({ data: data as T, status: res.status, statusText: res.statusText, ok: res.ok, headers: res.headers, redirected: res.redirected, type: res.type, url: res.url, config: options });
          subscriber.complete();
        },
        (err: unknown) => {
          if (controller.signal.aborted) return;
          call.status = 0;
          const fetchError: FetchError = { status: 0, statusText: String(err), data: { message: String(err) }, config: options };
          subscriber.error(fetchError);
        },
      );
      return () => controller.abort();
    });
  }

  request<T = unknown>(options: BackendSrvRequest): Promise<T> {
    return lastValueFrom(this.fetch<T>(options)).then((r) => r.data);
  }

  datasourceRequest<T = unknown>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
    return lastValueFrom(this.fetch<T>(options));
  }

  get<T = unknown>(url: string, params?: Record<string, unknown>, requestId?: string, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, url, params, requestId, method: 'GET' });
  }

  delete<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, url, data, method: 'DELETE' });
  }

  post<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, url, data, method: 'POST' });
  }

  patch<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, url, data, method: 'PATCH' });
  }

  put<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, url, data, method: 'PUT' });
  }

  chunked(): Observable<FetchResponse<Uint8Array | undefined>> {
    return rxjs.throwError(() => new Error('chunked requests are not part of this host'));
  }
}

/** A dashboard with no variables: `$name` and `${name}` come from the scoped vars only. */
const templateSrv: TemplateSrv = {
  getVariables: () => [],
  replace: (target?: string, scopedVars?: Record<string, { value?: unknown } | undefined>) =>
    (target ?? '').replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
      const value = scopedVars?.[braced ?? bare ?? '']?.value;
      return value === undefined ? whole : String(value);
    }),
  containsTemplate: (target?: string) => /\$\w|\$\{/.test(target ?? ''),
  updateTimeRange: () => undefined,
} as unknown as TemplateSrv;

setBackendSrv(new HostBackendSrv());
setTemplateSrv(templateSrv);

// ---------------------------------------------------------------------------------------------
// The plugin, loaded as Grafana loads it.

interface PluginModule {
  DataSourceClass: new (settings: DataSourceInstanceSettings<Record<string, unknown>>) => DataSourceLike;
  components: {
    ConfigEditor?: React.ComponentType<{ options: DataSourceSettings; onOptionsChange: (o: DataSourceSettings) => void }>;
    QueryEditor?: React.ComponentType<Record<string, unknown>>;
  };
}

interface DataSourceLike {
  query(request: DataQueryRequest): Observable<DataQueryResponse>;
  testDatasource(): Promise<{ status: string; message: string }>;
  livePollMs?: number;
  pollMs?: number;
}

/** What the test's server keeps of a data source (GET/PUT /api/datasources/uid/<uid>). */
interface SavedDataSource {
  uid: string;
  name: string;
  jsonData: Record<string, unknown>;
  secureJsonFields: Record<string, boolean>;
}

let plugin: PluginModule | null = null;
let meta: DataSourcePluginMeta | null = null;
let registeredNames: string[] = [];

const theme = createTheme({ colors: { mode: 'dark' } });

async function loadPlugin(): Promise<{ shared: string[]; reactVersion: string; grafanaVersion: string }> {
  const imports: Record<string, string> = {};
  for (const [name, module] of Object.entries(SHARED_DEPENDENCIES)) {
    const id = `${SHARED_DEPENDENCY_PREFIX}:${name}`;
    System.set(id, module);
    imports[name] = id;
  }
  System.addImportMap({ imports });
  registeredNames = Object.keys(imports);
  // Grafana's import hook: a module with __useDefault stands for its default export.
  const module = await System.import('/dist/module.js');
  plugin = ((module.__useDefault ? module.default : module) as { plugin: PluginModule }).plugin;
  meta = (await (await fetch('/dist/plugin.json')).json()) as DataSourcePluginMeta;
  return { shared: registeredNames, reactVersion: React.version, grafanaVersion: String(window.grafanaBootData?.settings?.buildInfo?.version ?? '') };
}

function requirePlugin(): PluginModule {
  if (!plugin || !meta) throw new Error('loadPlugin() first');
  return plugin;
}

function instanceSettings(saved: SavedDataSource): DataSourceInstanceSettings<Record<string, unknown>> {
  return {
    id: 1,
    uid: saved.uid,
    type: meta!.id,
    name: saved.name,
    meta: meta!,
    url: `/api/datasources/proxy/uid/${saved.uid}`,
    access: 'proxy',
    jsonData: saved.jsonData,
    readOnly: false,
  } as DataSourceInstanceSettings<Record<string, unknown>>;
}

async function getSaved(uid: string): Promise<SavedDataSource> {
  return (await (await fetch(`/api/datasources/uid/${uid}`)).json()) as SavedDataSource;
}

function settingsOf(saved: SavedDataSource): DataSourceSettings {
  return {
    id: 1,
    uid: saved.uid,
    orgId: 1,
    name: saved.name,
    type: meta!.id,
    typeName: meta!.name,
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData: saved.jsonData,
    secureJsonFields: saved.secureJsonFields,
    readOnly: false,
    withCredentials: false,
  } as DataSourceSettings;
}

const root = () => ReactDOMClient.createRoot(document.getElementById('root')!);
let mounted: ReactDOMClient.Root | null = null;

function mount(element: React.ReactElement): void {
  mounted?.unmount();
  mounted = root();
  mounted.render(
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <div className="host-page" style={{ padding: 16, maxWidth: 960 }}>
        {element}
      </div>
    </ThemeContext.Provider>,
  );
}

// ---------------------------------------------------------------------------------------------
// The data source settings page: the plugin's ConfigEditor and Grafana's "Save & test".

interface TestResult {
  status: string;
  message: string;
}

let lastTest: TestResult | null = null;

function ConfigPage({ initial }: { initial: DataSourceSettings }) {
  const { ConfigEditor } = requirePlugin().components;
  const [options, setOptions] = React.useState<DataSourceSettings>(initial);
  const [result, setResult] = React.useState<TestResult | null>(null);
  const [busy, setBusy] = React.useState(false);

  // As Grafana's data source page: save (secrets go to the server and come back as secureJsonFields), then test a fresh instance.
  const saveAndTest = async () => {
    setBusy(true);
    setResult(null);
    try {
      const res = await fetch(`/api/datasources/uid/${options.uid}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: options.name, jsonData: options.jsonData, secureJsonData: options.secureJsonData ?? {} }),
      });
      const saved = (await res.json()) as SavedDataSource;
      setOptions(settingsOf(saved));
      const ds = new (requirePlugin().DataSourceClass)(instanceSettings(saved));
      const tested = await ds.testDatasource();
      lastTest = { status: tested.status, message: tested.message };
    } catch (err) {
      lastTest = { status: 'error', message: `host: ${String(err)}` };
    }
    setResult(lastTest);
    setBusy(false);
  };

  if (!ConfigEditor) return <Alert title="The plugin has no ConfigEditor" severity="error" />;
  return (
    <div data-testid="host-config-page">
      <h2>Data source settings: {options.name}</h2>
      <ConfigEditor options={options} onOptionsChange={setOptions} />
      <div style={{ marginTop: 16 }}>
        <Button onClick={saveAndTest} disabled={busy} data-testid="host-save-and-test">
          Save &amp; test
        </Button>
      </div>
      {result && (
        <div style={{ marginTop: 16 }} data-testid="host-test-result" data-status={result.status}>
          <Alert severity={result.status === 'success' ? 'success' : 'error'} title={result.message} />
        </div>
      )}
    </div>
  );
}

async function renderConfigEditor(uid: string): Promise<void> {
  requirePlugin();
  lastTest = null;
  mount(<ConfigPage initial={settingsOf(await getSaved(uid))} />);
}

// ---------------------------------------------------------------------------------------------
// Queries: the plugin's QueryEditor with the panel's data, and query() as Grafana's query runner calls it.

interface RequestSpec {
  uid: string;
  targets: Array<Record<string, unknown>>;
  fromMs: number;
  toMs: number;
  intervalMs?: number;
  liveStreaming?: boolean;
  app?: string;
  /** Stop after this many responses (a live query never completes). */
  maxEmissions?: number;
  /** Stop after this long. */
  maxMs?: number;
  /** Data source instance fields to set first (the live tail's poll period). */
  instance?: { livePollMs?: number; pollMs?: number };
}

let requestCount = 0;

function buildRequest(spec: RequestSpec): DataQueryRequest {
  const from = dateTime(spec.fromMs);
  const to = dateTime(spec.toMs);
  const intervalMs = spec.intervalMs ?? 60_000;
  return {
    requestId: `host-${++requestCount}`,
    interval: `${intervalMs / 1000}s`,
    intervalMs,
    range: { from, to, raw: { from, to } },
    scopedVars: {},
    targets: spec.targets,
    timezone: 'utc',
    app: spec.app ?? 'explore',
    startTime: Date.now(),
    liveStreaming: spec.liveStreaming,
  } as unknown as DataQueryRequest;
}

export interface FieldSummary {
  name: string;
  type: string;
  labels?: Record<string, string>;
  first: unknown[];
  length: number;
}

export interface FrameSummary {
  refId?: string;
  name?: string;
  length: number;
  meta: { type?: string; preferredVisualisationType?: string; stats?: unknown; notices?: unknown; custom?: Record<string, unknown>; executedQueryString?: string };
  fields: FieldSummary[];
  ids?: string[];
}

export interface ResponseSummary {
  atMs: number;
  state?: string;
  key?: string;
  errors: string[];
  frames: FrameSummary[];
}

function jsonSafe(value: unknown): unknown {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value));
  } catch {
    return String(value);
  }
}

function summarizeFrame(frame: DataFrame): FrameSummary {
  const values = (f: DataFrame['fields'][number]) => Array.from(f.values as ArrayLike<unknown>);
  const idField = frame.fields.find((f) => f.name === 'id');
  return {
    refId: frame.refId,
    name: frame.name,
    length: frame.length,
    meta: {
      type: frame.meta?.type,
      preferredVisualisationType: frame.meta?.preferredVisualisationType,
      stats: jsonSafe(frame.meta?.stats),
      notices: jsonSafe(frame.meta?.notices),
      custom: frame.meta?.custom ? Object.fromEntries(Object.keys(frame.meta.custom).map((k) => [k, k === 'bridge' ? '[bridge meta]' : jsonSafe(frame.meta!.custom![k])])) : undefined,
      executedQueryString: frame.meta?.executedQueryString,
    },
    fields: frame.fields.map((f) => ({ name: f.name, type: f.type, labels: f.labels, first: values(f).slice(0, 3).map(jsonSafe), length: values(f).length })),
    ids: idField ? values(idField).map(String) : undefined,
  };
}

function summarize(response: DataQueryResponse, startedMs: number): ResponseSummary {
  const errors = [...(response.errors ?? []), ...(response.error && !response.errors ? [response.error] : [])].map((e) => e.message ?? JSON.stringify(e));
  return { atMs: Date.now() - startedMs, state: response.state, key: response.key, errors, frames: (response.data as DataFrame[]).map(summarizeFrame) };
}

async function dataSource(uid: string): Promise<DataSourceLike> {
  return new (requirePlugin().DataSourceClass)(instanceSettings(await getSaved(uid)));
}

/** Runs query() and collects its responses until it completes, maxEmissions, or maxMs; then unsubscribes (a panel going away). */
async function runQuery(spec: RequestSpec): Promise<{ responses: ResponseSummary[]; completed: boolean; error?: string; calls: ProxyCall[] }> {
  const ds = await dataSource(spec.uid);
  Object.assign(ds, spec.instance ?? {});
  const first = calls.length;
  const started = Date.now();
  const responses: ResponseSummary[] = [];
  return new Promise((resolve) => {
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (completed: boolean, error?: string) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      subscription?.unsubscribe();
      // Let an unsubscribe's cancel request (DELETE) leave before the calls are read.
      setTimeout(() => resolve({ responses, completed, error, calls: calls.slice(first) }), 300);
    };
    // eslint-disable-next-line prefer-const
    let subscription: rxjs.Subscription | undefined;
    subscription = ds.query(buildRequest(spec)).subscribe({
      next: (response) => {
        responses.push(summarize(response, started));
        if (spec.maxEmissions !== undefined && responses.length >= spec.maxEmissions) finish(false);
      },
      error: (err: unknown) => finish(false, String((err as Error)?.message ?? err)),
      complete: () => finish(true),
    });
    if (done) subscription.unsubscribe();
    timer = setTimeout(() => finish(false), spec.maxMs ?? 60_000);
  });
}

function QueryPage({ ds, initial, spec }: { ds: DataSourceLike; initial: Record<string, unknown>; spec: RequestSpec }) {
  const { QueryEditor } = requirePlugin().components;
  const [query, setQuery] = React.useState(initial);
  const [data, setData] = React.useState<PanelData | undefined>(undefined);
  const queryRef = React.useRef(query);
  queryRef.current = query;
  const subscription = React.useRef<rxjs.Subscription | null>(null);
  const range = React.useMemo(() => {
    const from = dateTime(spec.fromMs);
    const to = dateTime(spec.toMs);
    return { from, to, raw: { from, to } };
  }, [spec.fromMs, spec.toMs]);

  const run = React.useCallback(() => {
    subscription.current?.unsubscribe();
    const request = buildRequest({ ...spec, targets: [queryRef.current] });
    subscription.current = ds.query(request).subscribe((response) =>
      setData({ state: response.state ?? LoadingState.Done, series: response.data as DataFrame[], timeRange: request.range, errors: response.errors } as PanelData),
    );
  }, [ds, spec]);

  React.useEffect(() => {
    run();
    return () => subscription.current?.unsubscribe();
  }, [run]);

  if (!QueryEditor) return <Alert title="The plugin has no QueryEditor" severity="error" />;
  const rows = data?.series.reduce((n, f) => n + f.length, 0) ?? 0;
  return (
    <div data-testid="host-query-page">
      <h2>Explore: {String(query.refId)}</h2>
      <QueryEditor query={query} onChange={setQuery} onRunQuery={run} datasource={ds} data={data} range={range} app="explore" />
      <div style={{ marginTop: 16 }} data-testid="host-query-state" data-state={data?.state ?? ''} data-rows={rows}>
        {data ? `${data.state}: ${data.series.length} frame(s), ${rows} row(s)` : 'running'}
      </div>
    </div>
  );
}

async function renderQueryEditor(spec: RequestSpec): Promise<void> {
  const ds = await dataSource(spec.uid);
  mount(<QueryPage ds={ds} initial={spec.targets[0]} spec={spec} />);
}

declare global {
  interface Window {
    grafanaBootData?: { settings?: { buildInfo?: { version?: string } } };
    cdnLogsHost: typeof host;
  }
}

const host = {
  loadPlugin,
  renderConfigEditor,
  renderQueryEditor,
  runQuery,
  lastTest: () => lastTest,
  calls: () => calls.slice(),
};

window.cdnLogsHost = host;
