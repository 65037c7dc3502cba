import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { type CdnLogRecord, emptyRecord } from '../core/record';
import { bodyOf, isDoubleAttribute, MAPPING, mapRecord, msToUnixNano, resourceOf } from './mapping';

const T = Date.parse('2026-11-22T10:00:00.123Z');

function cloudflareRecord(): CdnLogRecord {
  return {
    ...emptyRecord('cloudflare', '023e105f4ecef8ad9ca31a8372d0c353', T + 0.456),
    id: '3a6050bcbe121a87',
    clientIp: '2001:db8::7',
    clientPort: 50211,
    country: 'DE',
    method: 'GET',
    scheme: 'https',
    host: 'example.com',
    path: '/img/a.png',
    query: 'v=2',
    protocol: '2',
    status: 503,
    bytesSent: 69045,
    bodyBytes: 68000,
    durationMs: 28.5,
    cacheStatus: 'MISS',
    edgeLocation: 'FRA',
    userAgent: 'curl/8.5.0',
    referer: 'https://example.org/',
    contentType: 'image/png',
    requestId: '3a6050bcbe121a87',
    severity: 'error',
    attributes: { ClientASN: 13335, WAFFlags: '0', SecurityActions: ['allow'], ClientTCPRTTMs: 1.5 },
  };
}

describe('mapRecord', () => {
  it('maps a Cloudflare record to semantic-convention and cdn.* attributes', () => {
    const log = mapRecord(cloudflareRecord(), T + 60_000);
    expect(log).toEqual({
      timeUnixNano: '1795341600123456000',
      observedTimeUnixNano: '1795341660123000000',
      severityNumber: 17,
      severityText: 'ERROR',
      body: 'GET example.com/img/a.png?v=2 503 MISS',
      attributes: {
        'log.record.uid': '3a6050bcbe121a87',
        'http.request.method': 'GET',
        'url.scheme': 'https',
        'server.address': 'example.com',
        'url.path': '/img/a.png',
        'url.query': 'v=2',
        'network.protocol.name': 'http',
        'network.protocol.version': '2',
        'http.response.status_code': 503,
        'http.response.size': 69045,
        'http.response.body.size': 68000,
        'client.address': '2001:db8::7',
        'client.port': 50211,
        'geo.country.iso_code': 'DE',
        'user_agent.original': 'curl/8.5.0',
        'http.request.header.referer': ['https://example.org/'],
        'http.response.header.content-type': ['image/png'],
        'cdn.cache.status': 'MISS',
        'cdn.edge.location': 'FRA',
        'cdn.request.id': '3a6050bcbe121a87',
        'cdn.request.duration_ms': 28.5,
        'cdn.attributes.ClientASN': 13335,
        'cdn.attributes.WAFFlags': '0',
        'cdn.attributes.SecurityActions': '["allow"]',
        'cdn.attributes.ClientTCPRTTMs': 1.5,
      },
    });
  });

  it('takes severity from the record: 4xx WARN (13), info INFO (9)', () => {
    expect(mapRecord({ ...cloudflareRecord(), severity: 'warning' }, T)).toMatchObject({ severityNumber: 13, severityText: 'WARN' });
    expect(mapRecord({ ...cloudflareRecord(), severity: 'info' }, T)).toMatchObject({ severityNumber: 9, severityText: 'INFO' });
  });

  it('leaves out empty fields and sends a non-standard method as _OTHER with the original kept', () => {
    const record = { ...emptyRecord('gcore', '42', T), id: 'abc', method: 'PURGE', status: 200, cacheStatus: 'HIT' as const };
    expect(mapRecord(record, T).attributes).toEqual({
      'log.record.uid': 'abc',
      'http.request.method': '_OTHER',
      'http.request.method_original': 'PURGE',
      'http.response.status_code': 200,
      'cdn.cache.status': 'HIT',
    });
  });

  it('gives an ELSA application log its message as body and its fields under cdn.attributes', () => {
    const record = { ...emptyRecord('naver-elsa', 'proj-key', T), id: 'h1', message: 'payment failed\nretrying', severity: 'error' as const, attributes: { logLevel: 'ERROR', host: 'app-1' } };
    const log = mapRecord(record, T);
    expect(log.body).toBe('payment failed\nretrying');
    expect(log.attributes).toEqual({ 'log.record.uid': 'h1', 'cdn.cache.status': 'UNKNOWN', 'cdn.attributes.logLevel': 'ERROR', 'cdn.attributes.host': 'app-1' });
  });

  it('writes an EdgeOne L4 connection record as a connection line', () => {
    const record = { ...emptyRecord('tencent-edgeone', 'sid-1', T), clientIp: '203.0.113.9', edgeLocation: '10.0.0.1', bytesSent: 5120, durationMs: 3000 };
    expect(bodyOf(record)).toBe('connection from 203.0.113.9 to 10.0.0.1 5120 bytes 3000 ms');
  });

  it('keeps a provider key named __proto__ as an ordinary attribute', () => {
    const attributes = Object.create(null);
    attributes.__proto__ = 'x';
    const log = mapRecord({ ...emptyRecord('cloudflare', 'z', T), attributes }, T);
    expect(Object.hasOwn(log.attributes, 'cdn.attributes.__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('marks durations and fractional numbers as doubles, whole counts as ints', () => {
    expect(isDoubleAttribute('cdn.request.duration_ms', 28)).toBe(true);
    expect(isDoubleAttribute('http.response.size', 69045)).toBe(false);
    expect(isDoubleAttribute('cdn.attributes.ClientTCPRTTMs', 1.5)).toBe(true);
  });
});

describe('msToUnixNano', () => {
  it('keeps µs where the provider gave them and is exact for whole ms', () => {
    expect(msToUnixNano(1_506_702_504_433.0002)).toBe('1506702504433000000');
    expect(msToUnixNano(1_506_702_504_433.456)).toBe('1506702504433456000');
    expect(msToUnixNano(0)).toBe('0');
  });

  it('round-trips every whole-µs time of the next centuries to the same ms', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.integer({ min: 0, max: 999 }), (ms, micros) => {
        const ns = BigInt(msToUnixNano(ms + micros / 1000));
        expect(ns / 1_000_000n).toBe(BigInt(ms));
        expect(Number((ns % 1_000_000n) / 1000n)).toBe(micros);
      }),
    );
  });
});

describe('resourceOf', () => {
  it('holds the service name, provider and source only (plus configured extras)', () => {
    expect(resourceOf(cloudflareRecord(), { 'service.name': 'cdn-logs', 'deployment.environment.name': 'prod' })).toEqual({
      'service.name': 'cdn-logs',
      'deployment.environment.name': 'prod',
      'cdn.provider': 'cloudflare',
      'cdn.source': '023e105f4ecef8ad9ca31a8372d0c353',
    });
  });
});

describe('README mapping table', () => {
  it('lists exactly the rows of MAPPING, in order, with their record fields', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## The exporter'));
    const lines = section.slice(section.indexOf('| OTLP attribute | Record field |')).split('\n');
    const end = lines.findIndex((line) => !line.startsWith('|'));
    const rows = lines.slice(2, end).map((line) => line.split('|').map((cell) => cell.trim()));
    expect(rows.map((cells) => [cells[1], cells[2]])).toEqual(MAPPING.map((m) => [`\`${m.attribute}\``, `\`${m.field}\``]));
  });
});
