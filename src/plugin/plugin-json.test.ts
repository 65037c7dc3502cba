/**
 * @jest-environment node
 */

// plugin.json against Grafana's own schema, and its data proxy route against the bridge: every
// credential variable of every adapter travels in the header the bridge reads, from secureJsonData.

import Ajv from 'ajv';
import { credentialHeader } from '../bridge/credentials';
import { availableProviders, providerAdapter } from '../providers/registry';
import pluginJson from './plugin.json';
import { allCredentialEnvs, credentialHeaderName, PROVIDERS, secureKey } from './providers';
import schema from './schema/plugin.schema.json';

function validator() {
  // The schema's `email` and `uri` formats need ajv-formats (plugin.json fills neither); its patterns
  // escape `-`, which JSON Schema's ECMA-262 regexes allow but the `u` flag Ajv adds by default does not.
  const ajv = new Ajv({ strict: false, validateFormats: false, unicodeRegExp: false });
  return ajv.compile(schema);
}

describe('plugin.json', () => {
  it("passes Grafana's plugin.json schema", () => {
    const validate = validator();
    expect(validate(pluginJson) ? [] : validate.errors).toEqual([]);
  });

  it('would fail the schema with an unknown key or a malformed id (the check can fail)', () => {
    const validate = validator();
    expect(validate({ ...pluginJson, bridge: true })).toBe(false);
    expect(validate({ ...pluginJson, id: 'cdnlogs' })).toBe(false);
    expect(validate({ ...pluginJson, routes: [{ ...pluginJson.routes[0], secret: 'x' }] })).toBe(false);
  });

  it('is a frontend data source for logs, metrics and live tail, for Grafana 12.3 and later', () => {
    expect(pluginJson).toMatchObject({ type: 'datasource', id: 'cdnlogbridge-cdnlogs-datasource', logs: true, metrics: true, streaming: true, backend: false });
    expect(pluginJson.dependencies.grafanaDependency).toBe('>=12.3.0');
  });

  it('has one route to the bridge URL of jsonData, with the bridge token and every credential header from secureJsonData', () => {
    expect(pluginJson.routes).toHaveLength(1);
    const [route] = pluginJson.routes;
    expect(route.path).toBe('bridge');
    expect(route.url).toBe('{{ .JsonData.bridgeUrl }}');
    const headers = Object.fromEntries(route.headers.map((h) => [h.name.toLowerCase(), h.content]));
    expect(headers.authorization).toBe('Bearer {{ .SecureJsonData.bridgeToken | orEmpty }}');
    const expected = Object.fromEntries(allCredentialEnvs().map((env) => [credentialHeader(env), `{{ .SecureJsonData.${secureKey(env)} | orEmpty }}`]));
    expect(headers).toEqual({ authorization: headers.authorization, ...expected });
    // Credentials only ever come from secureJsonData (decrypted server-side, never sent to the browser).
    expect(JSON.stringify(route)).not.toMatch(/\.JsonData\.(?!bridgeUrl\b)/);
  });
});

describe('the provider table of the plugin', () => {
  it("lists each adapter's credential variables and nothing else", () => {
    expect(PROVIDERS.map((p) => p.id).sort()).toEqual([...availableProviders()].sort());
    for (const spec of PROVIDERS) expect(spec.credentials.map((c) => c.env)).toEqual(providerAdapter(spec.id).credentialEnv);
  });

  it('names the headers as the bridge reads them', () => {
    for (const env of allCredentialEnvs()) expect(credentialHeaderName(env).toLowerCase()).toBe(credentialHeader(env));
    expect(credentialHeaderName('CLOUDFLARE_API_TOKEN')).toBe('X-Cdn-Cloudflare-Api-Token');
    expect(secureKey('TENCENTCLOUD_SESSION_TOKEN')).toBe('tencentcloudSessionToken');
  });

  it("takes the selector keys each adapter's parseSource reads", () => {
    const samples: Record<string, Record<string, string>> = {
      cloudflare: { zone: '12e8f84e1814f15297720e076ecd38e3' },
      gcore: { resource: '100001' },
      'tencent-dsa': { host: 'h01.dsa.example.com,h02.dsa.example.com' },
      'naver-elsa': { projectId: '8171', projectKey: 'Pbxxxxx_elsa-test' },
      'tencent-edgeone': { zone: 'zone-2mzegj4vln5f', layer: 'l4', proxy: 'proxy-1,proxy-2' },
    };
    for (const spec of PROVIDERS) {
      const sample = samples[spec.id];
      for (const key of Object.keys(sample)) expect(spec.selectors.map((s) => s.key)).toContain(key);
      expect(() => providerAdapter(spec.id).parseSource(sample)).not.toThrow();
    }
    expect(providerAdapter('gcore').parseSource({ cname: 'cdn.example.com' })).toEqual({ cname: 'cdn.example.com' });
    expect(providerAdapter('tencent-edgeone').parseSource({ zone: 'zone-2mzegj4vln5f', layer: 'l7', domain: 'www.example.com' })).toEqual({ zone: 'zone-2mzegj4vln5f', layer: 'l7', ids: ['www.example.com'] });
  });
});
