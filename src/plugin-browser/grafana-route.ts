/**
 * What Grafana's data proxy does with a plugin.json route (pkg/api/pluginproxy: ds_proxy.go,
 * ds_auth_provider.go ApplyRoute, utils.go interpolateString), for the browser test's stand-in:
 *
 * - the route whose `path` prefixes the proxied path (and whose `method`, if any, matches) is used;
 * - its `url` and each header's `content` are Go templates executed over
 *   `{JsonData, SecureJsonData}` of the data source, with the `orEmpty` helper; a missing key
 *   prints Go's `<no value>`, and `| orEmpty` turns it into the empty string;
 * - the target is the templated URL's scheme and host, its path joined with the proxied path less
 *   the route's path (util.JoinURLFragments), the request's query string kept;
 * - each header is set (replacing what the browser sent) even when it comes out empty.
 *
 * Only the template forms plugin routes use are understood (`{{ .JsonData.x }}`,
 * `{{ .SecureJsonData.x }}`, each optionally `| orEmpty`); anything else throws, so that the test
 * fails rather than guess what Grafana would do.
 */

export interface PluginRoute {
  path: string;
  method?: string;
  url?: string;
  reqSignedIn?: boolean;
  reqRole?: string;
  headers?: Array<{ name: string; content: string }>;
}

export interface TemplateData {
  JsonData: Record<string, unknown>;
  SecureJsonData: Record<string, string>;
}

/** Go's text/template printing of a value: `<no value>` for a missing key, `<nil>` for null. */
function goPrint(value: unknown): string {
  if (value === undefined) return '<no value>';
  if (value === null) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(goPrint).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${k}:${goPrint((value as Record<string, unknown>)[k])}`);
    return `map[${entries.join(' ')}]`;
  }
  return String(value);
}

const ACTION = /\{\{-?\s*(.*?)\s*-?\}\}/g;
const PIPELINE = /^\.(JsonData|SecureJsonData)\.([A-Za-z_][A-Za-z0-9_]*)(\s*\|\s*orEmpty)?$/;

export function interpolateString(text: string, data: TemplateData): string {
  return text.replace(ACTION, (whole, pipeline: string) => {
    const m = PIPELINE.exec(pipeline);
    if (!m) throw new Error(`template action not understood by this stand-in: ${whole}`);
    const [, root, key, orEmpty] = m;
    const map = (root === 'JsonData' ? data.JsonData : data.SecureJsonData) as Record<string, unknown>;
    const value = Object.hasOwn(map, key) ? map[key] : undefined;
    // orEmpty: `if v == nil { return "" }`; a missing map key reaches it as nil.
    if (orEmpty && (value === undefined || value === null)) return '';
    return goPrint(value);
  });
}

/** Grafana's util.JoinURLFragments. */
export function joinURLFragments(a: string, b: string): string {
  if (b.length === 0) return a;
  const aSlash = a.endsWith('/');
  const bSlash = b.startsWith('/');
  if (aSlash && bSlash) return a + b.slice(1);
  if (!aSlash && !bSlash) return `${a}/${b}`;
  return a + b;
}

/** util.CleanRelativePath: a path without leading slash, `.` and `..` resolved. */
function cleanRelative(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

export function matchRoute(routes: readonly PluginRoute[], proxyPath: string, method: string): PluginRoute | undefined {
  const wanted = cleanRelative(proxyPath);
  return routes.find((route) => {
    if (route.method && route.method !== '*' && route.method.toUpperCase() !== method.toUpperCase()) return false;
    return wanted.startsWith(cleanRelative(route.path));
  });
}

export interface AppliedRoute {
  /** The URL the proxy requests. */
  url: string;
  /** The route's headers, templated. */
  headers: Record<string, string>;
}

/** The request Grafana's proxy sends for `proxyPath` (after /api/datasources/proxy/uid/<uid>/) and the query string. */
export function applyRoute(route: PluginRoute, proxyPath: string, search: string, data: TemplateData): AppliedRoute {
  const rest = cleanRelative(proxyPath).slice(cleanRelative(route.path).length);
  const interpolated = interpolateString(route.url ?? '', data);
  let target: URL;
  try {
    target = new URL(interpolated);
  } catch {
    throw new Error(`the route's URL ${JSON.stringify(route.url)} came out as ${JSON.stringify(interpolated)}, not a URL`);
  }
  const path = joinURLFragments(target.pathname === '/' && !interpolated.endsWith('/') ? '' : target.pathname, rest);
  const headers: Record<string, string> = {};
  for (const header of route.headers ?? []) headers[header.name] = interpolateString(header.content, data);
  return { url: `${target.protocol}//${target.host}${path.startsWith('/') ? path : `/${path}`}${search}`, headers };
}
