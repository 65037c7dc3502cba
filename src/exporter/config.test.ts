import { isCdnLogError } from '../core/errors';
import { CANARY, CANARY_FRAGMENTS } from '../testing/hostile-suite';
import { parseDuration, parseExporterConfig, parseKeyValueList } from './config';
import { exportSources } from './sources';

const ENV = { CF_TOKEN: CANARY.CLOUDFLARE_API_TOKEN, GCORE_KEY: CANARY.GCORE_API_KEY, OTLP_TOKEN: 'Bearer CANARYotlpTOKENz9y8x7w6' };

const GOOD = `
stateDir: /var/lib/cdn-log-bridge
serviceName: cdn-logs
resource:
  deployment.environment.name: prod
otlp:
  endpoint: http://collector:4318
  headers:
    Authorization: \${OTLP_TOKEN}
sources:
  - name: web
    provider: cloudflare
    credentials:
      CLOUDFLARE_API_TOKEN: \${CF_TOKEN}
    source: { zone: 023e105f4ecef8ad9ca31a8372d0c353 }
    fields: [ClientIP, RayID, EdgeStartTimestamp]
    start: -15m
    settle: 10m
    resource: { team: web }
  - name: cdn
    provider: gcore
    account: acme-gcore
    credentials: { GCORE_API_KEY: "\${env:GCORE_KEY}" }
    source: { resource: 12345 }
    start: 2026-11-20T00:00:00Z
  - name: edge
    provider: tencent-edgeone
    credentials: { TENCENTCLOUD_SECRET_ID: AKIDexample0001, TENCENTCLOUD_SECRET_KEY: "literal-secret-$\${notvar}" }
    source: { zone: zone-2abc, layer: l4 }
`;

function parse(text: string, env: Record<string, string | undefined> = ENV) {
  return parseExporterConfig(text, 'exporter.yaml', env);
}

function failure(text: string, env: Record<string, string | undefined> = ENV): string {
  try {
    parse(text, env);
  } catch (err) {
    expect(isCdnLogError(err, 'BadInput')).toBe(true);
    const message = (err as Error).message;
    for (const fragment of CANARY_FRAGMENTS) expect(message).not.toContain(fragment);
    return message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('parseExporterConfig', () => {
  it('reads sources of several providers, substituting ${ENV} into values', () => {
    const config = parse(GOOD);
    expect(config.stateDir).toBe('/var/lib/cdn-log-bridge');
    expect(config.serviceName).toBe('cdn-logs');
    expect(config.resource).toEqual({ 'deployment.environment.name': 'prod' });
    expect(config.target).toEqual({ kind: 'otlp', endpoint: 'http://collector:4318/v1/logs', protocol: 'http/protobuf', headers: { Authorization: ENV.OTLP_TOKEN }, compression: 'gzip', timeoutMs: 10_000, encoder: 'fast' });
    expect(config.sources.map((s) => [s.name, s.provider, s.line])).toEqual([
      ['web', 'cloudflare', 11],
      ['cdn', 'gcore', 20],
      ['edge', 'tencent-edgeone', 26],
    ]);
    expect(config.sources[0]).toMatchObject({ credentials: { CLOUDFLARE_API_TOKEN: CANARY.CLOUDFLARE_API_TOKEN }, options: { fieldSet: 'ClientIP,RayID,EdgeStartTimestamp' }, settleMs: 600_000, resource: { team: 'web' } });
    expect(config.sources[1].selector).toEqual({ resource: '12345' });
    expect(config.sources[2].credentials.TENCENTCLOUD_SECRET_KEY).toBe('literal-secret-${notvar}');
    expect(config.secrets).toEqual(expect.arrayContaining([CANARY.CLOUDFLARE_API_TOKEN, CANARY.GCORE_API_KEY, ENV.OTLP_TOKEN]));
  });

  it('resolves sources: identity by provider, account, source and dataset; start relative to now', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    const [web, cdn, edge] = exportSources(parse(GOOD), now);
    expect(web.identity).toMatchObject({ provider: 'cloudflare', source: '023e105f4ecef8ad9ca31a8372d0c353', dataset: 'http_requests' });
    expect(web.startMs).toBe(now - 15 * 60_000);
    expect(web.pacing.settleDelayMs).toBe(600_000);
    expect(web.resource).toEqual({ 'service.name': 'cdn-logs', 'deployment.environment.name': 'prod', team: 'web' });
    expect(cdn.startMs).toBe(Date.parse('2026-11-20T00:00:00Z'));
    expect(edge.identity.dataset).toBe('l4');
    // A label names the account: rotating the key keeps the cursor.
    const rotated = exportSources(parse(GOOD, { ...ENV, GCORE_KEY: 'another-key-value-123' }), now)[1];
    expect(rotated.identity).toEqual(cdn.identity);
    const rotatedWeb = exportSources(parse(GOOD, { ...ENV, CF_TOKEN: 'another-token-value-123' }), now)[0];
    expect(rotatedWeb.identity.account).not.toBe(web.identity.account);
    expect(JSON.stringify(web.identity)).not.toContain(CANARY.CLOUDFLARE_API_TOKEN.slice(0, 8));
  });

  it('follows the OpenTelemetry variables when the file says nothing, the file winning when it does', () => {
    const minimal = 'sources:\n  - { name: a, provider: gcore, source: { resource: 1 } }\n';
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com:4318/',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Basic%20dXNlcjpwYXNz,X-Scope-OrgID=tenant-1',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_SERVICE_NAME: 'edge-logs',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging,service.namespace=cdn',
      GCORE_API_KEY: 'k',
    };
    const config = parse(minimal, env);
    expect(config.target).toEqual({
      kind: 'otlp',
      endpoint: 'https://otlp.example.com:4318/v1/logs',
      protocol: 'http/json',
      headers: { Authorization: 'Basic dXNlcjpwYXNz', 'X-Scope-OrgID': 'tenant-1' },
      compression: 'none',
      timeoutMs: 2500,
      encoder: 'official',
    });
    expect(config.serviceName).toBe('edge-logs');
    expect(config.resource).toEqual({ 'deployment.environment.name': 'staging', 'service.namespace': 'cdn' });
    expect(config.sources[0].credentials).toEqual({ GCORE_API_KEY: 'k' });
    expect(parse(minimal, { ...env, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://loki:3100/otlp/v1/logs' }).target).toMatchObject({ endpoint: 'http://loki:3100/otlp/v1/logs' });
    expect(parse(`otlp: { endpoint: "http://c:4317", protocol: grpc, timeout: 5s }\n${minimal}`, env).target).toMatchObject({ endpoint: 'http://c:4317/', protocol: 'grpc', timeoutMs: 5000 });
  });

  it('writes http/protobuf with the fast encoder unless otlp.encoder or CDN_LOG_BRIDGE_OTLP_ENCODER asks for the official exporter', () => {
    const minimal = 'sources:\n  - { name: a, provider: gcore, source: { resource: 1 } }\n';
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(parse(minimal, env).target).toMatchObject({ protocol: 'http/protobuf', encoder: 'fast' });
    expect(parse(`otlp: { encoder: official }\n${minimal}`, env).target).toMatchObject({ protocol: 'http/protobuf', encoder: 'official' });
    expect(parse(minimal, { ...env, CDN_LOG_BRIDGE_OTLP_ENCODER: 'official' }).target).toMatchObject({ encoder: 'official' });
    // The file wins over the environment.
    expect(parse(`otlp: { encoder: fast }\n${minimal}`, { ...env, CDN_LOG_BRIDGE_OTLP_ENCODER: 'official' }).target).toMatchObject({ encoder: 'fast' });
    // Other protocols always go through the official exporters.
    expect(parse(`otlp: { protocol: grpc }\n${minimal}`, env).target).toMatchObject({ protocol: 'grpc', encoder: 'official' });
    expect(parse(`otlp: { protocol: http/json, encoder: official }\n${minimal}`, env).target).toMatchObject({ protocol: 'http/json', encoder: 'official' });
  });

  it('writes OTLP JSON lines to ./data/otlp when no endpoint is set anywhere', () => {
    expect(parse('sources:\n  - { name: a, provider: gcore, source: { resource: 1 } }\n', {}).target).toEqual({ kind: 'files', dir: './data/otlp', maxFileBytes: 100 * 1024 * 1024, maxFiles: 20 });
  });

  describe('refuses bad configuration, naming the line and the field', () => {
    it.each([
      ['an unknown provider', 'sources:\n  - name: a\n    provider: cloudfare\n', 'exporter.yaml:3: sources[0].provider: unknown provider; use one of: gcore, cloudflare, tencent-dsa, naver-elsa, tencent-edgeone'],
      ['a missing variable', 'sources:\n  - name: a\n    provider: gcore\n    credentials:\n      GCORE_API_KEY: ${NOPE}\n', 'exporter.yaml:5: sources[0].credentials.GCORE_API_KEY: the environment variable NOPE is not set'],
      ['a bad duration', 'sources:\n  - name: a\n    provider: gcore\n    source: { resource: 1 }\n    settle: 10 minutes\n', 'exporter.yaml:5: sources[0].settle: not a duration: write it as 90s, 10m, 2h or 1d'],
      ['a duplicate source name', 'sources:\n  - { name: a, provider: gcore, source: { resource: 1 } }\n  - { name: a, provider: gcore, source: { resource: 2 } }\n', 'exporter.yaml:3: sources[1].name: "a" is already the name of sources[0]; names must be unique'],
      ['an unknown field', 'sources:\n  - name: a\n    provider: gcore\n    source: { resource: 1 }\n    statr: -1h\n', 'exporter.yaml:5: sources[0].statr: unknown field'],
      ['an unknown top-level field', 'otlp: {}\nsauces: []\nsources:\n  - { name: a, provider: gcore, source: { resource: 1 } }\n', 'exporter.yaml:2: sauces: unknown field'],
      ['a bad start', 'sources:\n  - name: a\n    provider: gcore\n    source: { resource: 1 }\n    start: yesterday\n', 'exporter.yaml:5: sources[0].start: "yesterday" is not a time'],
      ['a source selector the provider refuses', 'sources:\n  - name: a\n    provider: tencent-edgeone\n    source: { zone: nope }\n', 'exporter.yaml:4: sources[0].source.zone: "nope" is not an EdgeOne zone ID'],
      ['a credential the provider does not read', 'sources:\n  - name: a\n    provider: gcore\n    source: { resource: 1 }\n    credentials:\n      GCORE_TOKEN: x\n', 'exporter.yaml:6: sources[0].credentials.GCORE_TOKEN: Gcore reads GCORE_API_KEY; not this'],
      ['sampling', 'sources:\n  - name: a\n    provider: cloudflare\n    source: { zone: 023e105f4ecef8ad9ca31a8372d0c353 }\n    options: { sample: 0.1 }\n', 'exporter.yaml:5: sources[0].options.sample: the exporter delivers every record'],
      ['no sources', 'stateDir: x\n', 'exporter.yaml:1: sources:'],
      ['a duplicate key', 'sources: []\nsources: []\n', 'exporter.yaml:2: yaml: Map keys must be unique'],
      ['YAML that does not parse', 'sources:\n  - name: [a\n', 'exporter.yaml:'],
      ['an endpoint that is not a URL', 'otlp: { endpoint: "collector:4318 x" }\nsources:\n  - { name: a, provider: gcore, source: { resource: 1 } }\n', 'exporter.yaml:1: otlp.endpoint: not an http:// or https:// URL'],
      ['an unknown encoder', 'otlp:\n  endpoint: http://c:4318\n  encoder: turbo\nsources:\n  - { name: a, provider: gcore, source: { resource: 1 } }\n', 'exporter.yaml:3: otlp.encoder:'],
      ['the fast encoder with gRPC', 'otlp:\n  endpoint: http://c:4317\n  protocol: grpc\n  encoder: fast\nsources:\n  - { name: a, provider: gcore, source: { resource: 1 } }\n', 'exporter.yaml:4: otlp.encoder: the fast encoder writes http/protobuf only; grpc always goes through the official exporter'],
    ])('%s', (_what, text, expected) => {
      expect(failure(text)).toContain(expected);
    });

    it('a bad OTEL variable is named', () => {
      const minimal = 'sources:\n  - { name: a, provider: gcore, source: { resource: 1 } }\n';
      expect(failure(minimal, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TIMEOUT: '10s' })).toContain('OTEL_EXPORTER_OTLP_TIMEOUT: milliseconds');
      expect(failure(minimal, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'udp' })).toContain('OTEL_EXPORTER_OTLP_PROTOCOL: use http/protobuf, http/json or grpc');
      expect(failure(minimal, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toContain('OTEL_EXPORTER_OTLP_HEADERS: every item must be key=value');
      expect(failure(minimal, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', CDN_LOG_BRIDGE_OTLP_ENCODER: 'turbo' })).toContain('CDN_LOG_BRIDGE_OTLP_ENCODER: use fast or official');
      expect(failure(minimal, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', CDN_LOG_BRIDGE_OTLP_ENCODER: 'fast' })).toContain(
        'CDN_LOG_BRIDGE_OTLP_ENCODER: the fast encoder writes http/protobuf only',
      );
    });
  });

  describe('hostile input', () => {
    it('never quotes a credential or header value in a message, from the file or the environment', () => {
      const texts = [
        // A secret in a field that is wrong for another reason.
        `otlp:\n  endpoint: http://c:4318\n  headers: { "bad header": "${ENV.OTLP_TOKEN}" }\nsources:\n  - { name: a, provider: gcore, source: { resource: 1 } }\n`,
        `sources:\n  - name: a\n    provider: cloudflare\n    credentials: { CLOUDFLARE_API_TOKEN: "\${CF_TOKEN}" }\n    source: { zone: "\${CF_TOKEN}" }\n`,
        `sources:\n  - name: "\${CF_TOKEN}"\n    provider: gcore\n    source: { resource: 1 }\n  - name: "\${CF_TOKEN}"\n    provider: gcore\n    source: { resource: 2 }\n`,
        `otlp: { endpoint: "http://user:${CANARY.GCORE_API_KEY}@c:4318" }\nsources:\n  - { name: a, provider: gcore, credentials: { GCORE_API_KEY: "${CANARY.GCORE_API_KEY}" }, source: { resource: 1 } }\n`,
      ];
      for (const text of texts) failure(text);
    });

    it('does not let a variable add YAML structure', () => {
      const config = parse('sources:\n  - name: "${X}"\n    provider: gcore\n    source: { resource: 1 }\n', { X: 'a", provider: "cloudflare' });
      expect(config.sources[0]).toMatchObject({ name: 'a", provider: "cloudflare', provider: 'gcore' });
    });

    it('refuses alias bombs, custom tags and oversize files', () => {
      const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`), 'sources: []'].join('\n');
      expect(failure(bomb)).toMatch(/exporter\.yaml(:\d+)?: /);
      expect(failure('sources: !!js/function "function () {}"\n')).toMatch(/exporter\.yaml:1: /);
      expect(failure(`# ${'x'.repeat(1024 * 1024)}\n`)).toContain('larger than 1048576 bytes');
      expect(failure('sources:\n  - name: "a\\u0007b"\n    provider: gcore\n    source: { resource: 1 }\n')).toContain('sources[0].name: no control characters');
    });
  });
});

describe('parseDuration and parseKeyValueList', () => {
  it('reads durations with a unit and nothing else', () => {
    expect([parseDuration('90s'), parseDuration('10m'), parseDuration('2h'), parseDuration('1d'), parseDuration('250ms')]).toEqual([90_000, 600_000, 7_200_000, 86_400_000, 250]);
    for (const bad of ['10', '-5m', '1.5h', '1e3s', 'm', '10 m', '9999999999s']) expect(parseDuration(bad)).toBeNull();
  });

  it('reads OTEL key=value lists with percent-encoding and refuses broken ones', () => {
    expect(parseKeyValueList('a=1, b = x%2Cy ,,c=', 'V')).toEqual({ a: '1', b: 'x,y', c: '' });
    expect(() => parseKeyValueList('a=%E0%A4%A', 'V')).toThrow('V: the value of "a" is not valid percent-encoding');
    expect(() => parseKeyValueList('=x', 'V')).toThrow('every item must be key=value');
  });
});
