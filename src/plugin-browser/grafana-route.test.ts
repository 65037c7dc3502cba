/**
 * The browser test's data proxy stand-in templates routes as Grafana's Go code does: `<no value>`
 * for a missing key unless `| orEmpty`, the route's path replaced by the URL's path, the query
 * string kept, and template forms it does not know refused rather than guessed.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyRoute, interpolateString, joinURLFragments, matchRoute, type PluginRoute } from './grafana-route';

const pluginJson = JSON.parse(readFileSync(path.resolve(__dirname, '../plugin/plugin.json'), 'utf8')) as { routes: PluginRoute[] };

describe('interpolateString (Go text/template over JsonData and SecureJsonData)', () => {
  const data = { JsonData: { bridgeUrl: 'http://b:8787', timeout: 5, nothing: null }, SecureJsonData: { bridgeToken: 'tok' } };

  it('prints values, Go placeholders for missing keys and null, and orEmpty turns those into nothing', () => {
    expect(interpolateString('{{ .JsonData.bridgeUrl }}/x', data)).toBe('http://b:8787/x');
    expect(interpolateString('{{.JsonData.timeout}}s', data)).toBe('5s');
    expect(interpolateString('Bearer {{ .SecureJsonData.bridgeToken | orEmpty }}', data)).toBe('Bearer tok');
    expect(interpolateString('{{ .SecureJsonData.gcoreApiKey }}', data)).toBe('<no value>');
    expect(interpolateString('{{ .SecureJsonData.gcoreApiKey | orEmpty }}', data)).toBe('');
    expect(interpolateString('{{ .JsonData.nothing }}', data)).toBe('<nil>');
    expect(interpolateString('{{ .JsonData.nothing | orEmpty }}', data)).toBe('');
  });

  it('refuses what it does not implement', () => {
    expect(() => interpolateString('{{ .JsonData.a | upper }}', data)).toThrow(/not understood/);
    expect(() => interpolateString('{{ if .JsonData.a }}x{{ end }}', data)).toThrow(/not understood/);
  });
});

describe('applyRoute with the plugin.json route', () => {
  const [route] = pluginJson.routes;
  const data = { JsonData: { bridgeUrl: 'http://127.0.0.1:8787' }, SecureJsonData: { bridgeToken: 'tok', gcoreApiKey: 'key' } };

  it('matches by path prefix and sends the rest of the path, with the query, to the templated URL', () => {
    expect(matchRoute(pluginJson.routes, 'bridge/api/v1/health', 'GET')).toBe(route);
    expect(matchRoute(pluginJson.routes, 'other/api', 'GET')).toBeUndefined();
    const applied = applyRoute(route, 'bridge/api/v1/health', '?provider=gcore&resource=1', data);
    expect(applied.url).toBe('http://127.0.0.1:8787/api/v1/health?provider=gcore&resource=1');
    expect(applied.headers.Authorization).toBe('Bearer tok');
    expect(applied.headers['X-Cdn-Gcore-Api-Key']).toBe('key');
    expect(applied.headers['X-Cdn-Ncloud-Secret-Key']).toBe('');
  });

  it("keeps a path in the route's URL, as util.JoinURLFragments joins it", () => {
    const applied = applyRoute(route, 'bridge/api/v1/query/q-1', '', { ...data, JsonData: { bridgeUrl: 'http://127.0.0.1:8787/cdn/' } });
    expect(applied.url).toBe('http://127.0.0.1:8787/cdn/api/v1/query/q-1');
    expect(joinURLFragments('/a', 'b')).toBe('/a/b');
    expect(joinURLFragments('/a/', '/b')).toBe('/a/b');
    expect(joinURLFragments('/a', '')).toBe('/a');
  });

  it('fails loudly when the bridge URL is not set (Grafana would proxy to "<no value>")', () => {
    expect(() => applyRoute(route, 'bridge/api/v1/health', '', { JsonData: {}, SecureJsonData: {} })).toThrow(/<no value>/);
  });
});
