import { createHash, createHmac } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import Sign from 'tencentcloud-sdk-nodejs-common/tencentcloud/common/sign';
import { openRequest, rawRequest, watchStalledBody } from '../loopback-client';
import {
  EDGEONE_DEMO_CREDENTIALS,
  edgeOneL4Record,
  edgeOneL7Record,
  edgeOneZones,
  startTencentEdgeOneEmulator,
  type TencentEdgeOneEmulator,
  tencentEdgeOneEmulator,
} from '.';
import { edgeOneArea, edgeOneCacheStatus } from './records';
import { canonicalRequest, parseTc3Authorization, type ReceivedRequest, verifyTc3 } from './tc3';
import type { TrafficEvent } from '../traffic';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 12:10 UTC: hour 10 is published (ended 11:00, +30 min), hour 11 is not (ends 12:00, published 12:30). */
const NOW = Date.UTC(2026, 10, 22, 12, 10, 0);
const NOW_S = NOW / 1000;
const ZONE = 'zone-2mzegj4vln5f';
const iso = (ms: number) => new Date(ms).toISOString();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let clockMs = NOW;
let edgeone: TencentEdgeOneEmulator;

beforeAll(async () => {
  edgeone = await startTencentEdgeOneEmulator({ now: () => clockMs, seed: 5, rpm: 3, requestsPerSecond: 1_000_000 });
});
afterAll(() => edgeone.close());
afterEach(() => {
  edgeone.faults.clear();
  clockMs = NOW;
});

// ---------------------------------------------------------------------------------------------------
// A test-local TC3 signer (provider-spec §6.2), independent of the emulator's verifier
// ---------------------------------------------------------------------------------------------------

interface SigningOptions {
  action?: string;
  version?: string;
  contentType?: string;
  timestampS?: number;
  secretId?: string;
  secretKey?: string;
  service?: string;
  /** Overrides the UTC date of the timestamp in the credential scope. */
  date?: string;
  /** Lower-case names, in the order listed. */
  signedHeaders?: string[];
  /** The bytes the signature covers, when a test sends other bytes than it signed. */
  signedBody?: string;
}

function signedHeaders(emulator: TencentEdgeOneEmulator, body: string, options: SigningOptions = {}): Record<string, string> {
  const timestampS = options.timestampS ?? Math.floor(clockMs / 1000);
  const headers: Record<string, string> = {
    host: new URL(emulator.baseUrl).host,
    'content-type': options.contentType ?? 'application/json',
    'x-tc-action': options.action ?? 'DownloadL7Logs',
    'x-tc-version': options.version ?? '2022-09-01',
    'x-tc-timestamp': String(timestampS),
  };
  const names = options.signedHeaders ?? ['content-type', 'host'];
  const service = options.service ?? 'teo';
  const date = options.date ?? new Date(timestampS * 1000).toISOString().slice(0, 10);
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const canonicalHeaders = names.map((n) => `${n}:${(headers[n] ?? '').trim().toLowerCase()}\n`).join('');
  const canonical = ['POST', '/', '', canonicalHeaders, names.join(';'), sha256(options.signedBody ?? body)].join('\n');
  const scope = `${date}/${service}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(timestampS), scope, sha256(canonical)].join('\n');
  const secretDate = hmac(`TC3${options.secretKey ?? EDGEONE_DEMO_CREDENTIALS.secretKey}`, date);
  const secretSigning = hmac(hmac(secretDate, service), 'tc3_request');
  const signature = createHmac('sha256', secretSigning).update(stringToSign).digest('hex');
  const secretId = options.secretId ?? EDGEONE_DEMO_CREDENTIALS.secretId;
  headers.authorization = `TC3-HMAC-SHA256 Credential=${secretId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return headers;
}

interface ApiResponse {
  status: number;
  response: Record<string, unknown> & { RequestId: string };
}

async function call(body: string | object, options: SigningOptions = {}, emulator = edgeone, edit?: (h: Record<string, string>) => void): Promise<ApiResponse> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers = signedHeaders(emulator, text, options);
  edit?.(headers);
  const raw = await rawRequest(`${emulator.baseUrl}/`, { method: 'POST', headers, body: text });
  return { status: raw.status, response: JSON.parse(raw.body.toString()).Response };
}

async function errorOf(body: string | object, options: SigningOptions = {}, edit?: (h: Record<string, string>) => void) {
  const { status, response } = await call(body, options, edgeone, edit);
  expect(status).toBe(200);
  expect(response.RequestId).toMatch(UUID);
  return response.Error as { Code: string; Message: string } | undefined;
}

interface Listing {
  TotalCount: number;
  Data: Array<Record<string, string | number>>;
}

async function list(params: object, options: SigningOptions = {}, emulator = edgeone): Promise<Listing> {
  const { status, response } = await call(params, options, emulator);
  expect([status, response.Error]).toEqual([200, undefined]);
  expect(Object.keys(response)).toEqual(['TotalCount', 'Data', 'RequestId']);
  return response as unknown as Listing;
}

/** Midnight UTC of NOW's day plus `hour` hours. */
const atHour = (hour: number) => Date.UTC(2026, 10, 22) + hour * HOUR;
const window = (fromMs: number, toMs: number, extra: object = {}) => ({ StartTime: iso(fromMs), EndTime: iso(toMs), ZoneIds: [ZONE], ...extra });

// ---------------------------------------------------------------------------------------------------
// The oracle: packages straight from the traffic generator
// ---------------------------------------------------------------------------------------------------

interface ExpectedPackage {
  source: string;
  area: 'mainland' | 'overseas';
  hourStartMs: number;
  records: Array<Record<string, string | number>>;
}

function expectedPackages(emulator: TencentEdgeOneEmulator, kind: 'L7' | 'L4', sources: string[], fromMs: number, toMs: number): ExpectedPackage[] {
  const out: ExpectedPackage[] = [];
  for (let hour = Math.floor(fromMs / HOUR) * HOUR; hour < toMs && hour + HOUR + 30 * 60_000 <= NOW; hour += HOUR) {
    for (const source of [...sources].sort()) {
      const events = emulator.generator.events(`${ZONE}/${source}`, kind === 'L7' ? [source] : ['l4'], hour, hour + HOUR);
      for (const area of ['mainland', 'overseas'] as const) {
        const inArea = events.filter((e) => (e.country === 'CN') === (area === 'mainland'));
        if (inArea.length === 0) continue;
        out.push({ source, area, hourStartMs: hour, records: inArea.map((e) => (kind === 'L7' ? edgeOneL7Record(e) : edgeOneL4Record(e, source))) });
      }
    }
  }
  return out;
}

const packetName = (p: ExpectedPackage) =>
  `${iso(p.hourStartMs).slice(0, 10).replaceAll('-', '')}-${iso(p.hourStartMs).slice(11, 13)}-${p.source}-${p.area}`;

/** A listed item without Url and Size, as the oracle predicts it. */
function expectedItem(p: ExpectedPackage, sourceKey: 'Domain' | 'ProxyId') {
  const beijing = (ms: number) => `${iso(ms + 8 * HOUR).slice(0, 19)}+08:00`;
  return {
    [sourceKey]: p.source,
    Area: p.area,
    LogPacketName: packetName(p),
    LogTime: p.hourStartMs / 1000,
    LogStartTime: beijing(p.hourStartMs),
    LogEndTime: beijing(p.hourStartMs + HOUR),
  };
}

const withoutUrlAndSize = ({ Url: _url, Size: _size, ...rest }: Record<string, string | number>) => rest;

function linesOf(gz: Buffer): Array<Record<string, string | number>> {
  const text = gunzipSync(gz).toString();
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n').map((line) => JSON.parse(line));
}

const download = (url: string) => rawRequest(url);

// ---------------------------------------------------------------------------------------------------

describe('TC3 verification (pure)', () => {
  const VECTOR_BODY = '{"StartTime":"2023-11-13T00:00:00Z","EndTime":"2023-11-14T00:00:00Z","ZoneIds":["zone-2mzegj4vln5f"],"Limit":300,"Offset":0}';
  const vector: ReceivedRequest = {
    method: 'POST',
    path: '/',
    query: '',
    headers: {
      host: 'teo.tencentcloudapi.com',
      'content-type': 'application/json',
      'x-tc-action': 'DownloadL4Logs',
      'x-tc-timestamp': '1700000000',
      'x-tc-version': '2022-09-01',
      authorization:
        'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2023-11-14/teo/tc3_request, SignedHeaders=content-type;host, Signature=1e8f0c6b5ed43fe0404bf42ebd900c4e645ba695d6fc3490e051a8e77d12f088',
    },
    body: Buffer.from(VECTOR_BODY),
  };
  const exampleKeys = (id: string) => (id === 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE' ? 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE' : undefined);

  it('rebuilds the canonical request of the §6.2 worked vector and accepts its signature', () => {
    const canonical = canonicalRequest(vector, ['content-type', 'host']);
    expect(canonical).toBe(
      'POST\n/\n\ncontent-type:application/json\nhost:teo.tencentcloudapi.com\n\ncontent-type;host\nfd3801588c1c713da5cc54a358ebde4a303d3510399b917dc1dea9063daeb9c1',
    );
    expect(createHash('sha256').update(canonical!).digest('hex')).toBe('b8dcd80b967494d178c0c6656eb939acb590ba06e9dec129292a7054023d793e');
    expect(verifyTc3(vector, { service: 'teo', secretKeyOf: exampleKeys, nowMs: 1_700_000_000_000 })).toEqual({
      ok: true,
      secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
    });
  });

  it('rejects the worked vector with one byte of the body changed, or another key', () => {
    const changed = { ...vector, body: Buffer.from(VECTOR_BODY.replace('"Limit":300', '"Limit":301')) };
    expect(verifyTc3(changed, { service: 'teo', secretKeyOf: exampleKeys, nowMs: 1_700_000_000_000 })).toMatchObject({ ok: false, code: 'AuthFailure.SignatureFailure' });
    expect(verifyTc3(vector, { service: 'teo', secretKeyOf: () => 'another-key', nowMs: 1_700_000_000_000 })).toMatchObject({ ok: false, code: 'AuthFailure.SignatureFailure' });
  });

  it('reproduces §7 rows 6 and 7: the Tencent doc example, with and without x-tc-action signed (values lower-cased)', () => {
    const body = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}';
    expect(createHash('sha256').update(body).digest('hex')).toBe('35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064');
    const request = (signedHeaderList: string, signature: string): ReceivedRequest => ({
      method: 'POST',
      path: '/',
      query: '',
      headers: {
        host: 'cvm.tencentcloudapi.com',
        'content-type': 'application/json; charset=utf-8',
        'x-tc-action': 'DescribeInstances',
        'x-tc-timestamp': '1551113065',
        authorization: `TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=${signedHeaderList}, Signature=${signature}`,
      },
      body: Buffer.from(body),
    });
    const withAction = request('content-type;host;x-tc-action', '644be983de9a8a3f00db8eadaba61467c3b429e2215758ba897b738ca469fd26');
    const canonical = canonicalRequest(withAction, ['content-type', 'host', 'x-tc-action'])!;
    expect(canonical).toContain('x-tc-action:describeinstances\n');
    expect(createHash('sha256').update(canonical).digest('hex')).toBe('7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84');
    const expectations = { service: 'cvm', secretKeyOf: exampleKeys, nowMs: 1_551_113_065_000 };
    expect(verifyTc3(withAction, expectations).ok).toBe(true);
    expect(verifyTc3(request('content-type;host', '72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168'), expectations).ok).toBe(true);
  });

  it('parses the Authorization header and refuses other shapes', () => {
    expect(parseTc3Authorization(vector.headers.authorization as string)).toEqual({
      secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
      date: '2023-11-14',
      service: 'teo',
      signedHeaders: ['content-type', 'host'],
      signature: '1e8f0c6b5ed43fe0404bf42ebd900c4e645ba695d6fc3490e051a8e77d12f088',
    });
    for (const bad of [undefined, '', 'Bearer x', 'TC3-HMAC-SHA256 Credential=a/2023-11-14/teo/tc3_request, Signature=ab', 'TC3-HMAC-SHA256 Credential=a/20231114/teo/tc3_request, SignedHeaders=host, Signature=ab']) {
      expect(parseTc3Authorization(bad)).toBeNull();
    }
  });
});

describe('EdgeOne emulator: header and signature checks (always HTTP 200 with the envelope)', () => {
  const body = window(atHour(9), atHour(10));

  it('accepts a request signed with content-type;host, and the official SDK signer (hostname without port)', async () => {
    expect(await errorOf(body)).toBeUndefined();
    const timestamp = NOW_S;
    const authorization = Sign.sign3({
      method: 'POST',
      url: `${edgeone.baseUrl}/`,
      payload: body,
      timestamp,
      service: 'teo',
      secretId: EDGEONE_DEMO_CREDENTIALS.secretId,
      secretKey: EDGEONE_DEMO_CREDENTIALS.secretKey,
      multipart: false,
      boundary: '',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(await errorOf(body, {}, (h) => (h.authorization = authorization))).toBeUndefined();
  });

  it('accepts extra signed headers (x-tc-action, x-tc-timestamp) with values lower-cased', async () => {
    expect(await errorOf(body, { signedHeaders: ['content-type', 'host', 'x-tc-action'] })).toBeUndefined();
    expect(await errorOf(body, { signedHeaders: ['content-type', 'host', 'x-tc-action', 'x-tc-timestamp', 'x-tc-version'] })).toBeUndefined();
  });

  it('hashes the raw body: spacing the client signed is accepted, a whitespace change after signing is not', async () => {
    const spaced = JSON.stringify(body, null, 2);
    expect(await errorOf(spaced)).toBeUndefined();
    const compact = JSON.stringify(body);
    expect(await errorOf(`${compact} `, { signedBody: compact })).toEqual({
      Code: 'AuthFailure.SignatureFailure',
      Message: 'The provided credentials could not be validated. Please ensure your signature is correct.',
    });
  });

  it.each<[string, string, SigningOptions, ((h: Record<string, string>) => void) | undefined, RegExp]>([
    ['a missing action', 'InvalidAction', {}, (h) => delete h['x-tc-action'], /DownloadL7Logs and DownloadL4Logs/],
    ['another action', 'InvalidAction', { action: 'DescribeZones' }, undefined, /`DescribeZones` is not supported/],
    ['the legacy version', 'NoSuchVersion', { version: '2022-01-06' }, undefined, /`2022-01-06`.*use X-TC-Version: 2022-09-01/],
    ['a form body', 'InvalidRequest', { contentType: 'application/x-www-form-urlencoded' }, undefined, /application\/json/],
    ['no content type', 'InvalidRequest', {}, (h) => delete h['content-type'], /application\/json/],
    ['no timestamp', 'MissingParameter', {}, (h) => delete h['x-tc-timestamp'], /X-TC-Timestamp/],
    ['a timestamp in ms', 'InvalidParameterValue', {}, (h) => (h['x-tc-timestamp'] = String(NOW)), /unix seconds/],
    ['no Authorization', 'AuthFailure.InvalidAuthorization', {}, (h) => delete h.authorization, /TC3-HMAC-SHA256 Credential=/],
    ['another scheme', 'AuthFailure.InvalidAuthorization', {}, (h) => (h.authorization = `Bearer ${EDGEONE_DEMO_CREDENTIALS.secretKey}`), /malformed/],
    ['an unknown SecretId', 'AuthFailure.SecretIdNotFound', { secretId: 'AKIDunknown' }, undefined, /SecretId is not found/],
    ['another service', 'AuthFailure.SignatureFailure', { service: 'cvm' }, undefined, /2026-11-22\/teo\/tc3_request/],
    ['a local date in the scope', 'AuthFailure.SignatureFailure', { date: '2026-11-23' }, undefined, /UTC date of X-TC-Timestamp/],
    ['host not signed', 'AuthFailure.SignatureFailure', { signedHeaders: ['content-type', 'x-tc-action'] }, undefined, /host missing/],
    ['content-type not signed', 'AuthFailure.SignatureFailure', { signedHeaders: ['host'] }, undefined, /content-type missing/],
    ['a signed header that was not sent', 'AuthFailure.SignatureFailure', { signedHeaders: ['content-type', 'host', 'x-tc-region'] }, undefined, /could not be validated/],
    ['the wrong key', 'AuthFailure.SignatureFailure', { secretKey: 'not-the-key' }, undefined, /could not be validated/],
    ['a header changed after signing', 'AuthFailure.SignatureFailure', {}, (h) => (h['content-type'] = 'application/json; charset=utf-8'), /could not be validated/],
    ['a timestamp 301 s old', 'AuthFailure.SignatureExpire', { timestampS: NOW_S - 301 }, undefined, /301 s from the server time/],
    ['a timestamp 301 s ahead', 'AuthFailure.SignatureExpire', { timestampS: NOW_S + 301 }, undefined, /at most 300 s/],
    ['a stale timestamp and the wrong key (expiry is checked first)', 'AuthFailure.SignatureExpire', { timestampS: NOW_S - 3600, secretKey: 'x' }, undefined, /Signature expired/],
  ])('%s → %s', async (_, code, options, edit, message) => {
    const error = await errorOf(body, options, edit);
    expect(error?.Code).toBe(code);
    expect(error?.Message).toMatch(message);
    expect(error?.Message).not.toContain(EDGEONE_DEMO_CREDENTIALS.secretKey);
  });

  it('accepts a charset on the content type and a timestamp 300 s away', async () => {
    expect(await errorOf(body, { contentType: 'application/json; charset=utf-8' })).toBeUndefined();
    expect(await errorOf(body, { timestampS: NOW_S - 300 })).toBeUndefined();
    expect(await errorOf(body, { timestampS: NOW_S + 300 })).toBeUndefined();
  });

  it('answers another method with InvalidRequest and another path with 404', async () => {
    const get = await rawRequest(`${edgeone.baseUrl}/`);
    expect(get.status).toBe(200);
    expect(JSON.parse(get.body.toString()).Response.Error.Code).toBe('InvalidRequest');
    expect((await rawRequest(`${edgeone.baseUrl}/v2/index.php`, { method: 'POST' })).status).toBe(404);
  });
});

describe('EdgeOne emulator: request parameters (§6.3)', () => {
  const ok = window(atHour(9), atHour(10));

  it.each<[string, string, string | object, RegExp]>([
    ['a body that is not JSON', 'InvalidParameter', 'StartTime=2026-11-22', /JSON object/],
    ['a JSON array', 'InvalidParameter', '[]', /JSON object/],
    ['ProxyIds on L7', 'UnknownParameter', { ...ok, ProxyIds: ['proxy-1'] }, /`ProxyIds` is not recognized by DownloadL7Logs/],
    ['the legacy PageSize', 'UnknownParameter', { ...ok, PageSize: 10 }, /`PageSize`/],
    ['no StartTime', 'MissingParameter', { EndTime: ok.EndTime, ZoneIds: [ZONE] }, /`StartTime`/],
    ['no EndTime', 'MissingParameter', { StartTime: ok.StartTime, ZoneIds: [ZONE] }, /`EndTime`/],
    ['a StartTime that is not RFC 3339', 'InvalidParameterValue', { ...ok, StartTime: '2026/11/22 09:00' }, /StartTime must be an RFC 3339/],
    ['an EndTime in unix seconds', 'InvalidParameterValue', { ...ok, EndTime: NOW_S }, /EndTime must be an RFC 3339/],
    ['StartTime equal to EndTime', 'InvalidParameter', { ...ok, EndTime: ok.StartTime }, /must be before EndTime/],
    ['StartTime after EndTime', 'InvalidParameter', window(atHour(10), atHour(9)), /must be before EndTime/],
    ['a StartTime older than 30 days', 'InvalidParameter', window(NOW - 30 * DAY - 1000, NOW - 29 * DAY), /retention of 30 days/],
    ['no ZoneIds', 'MissingParameter', { StartTime: ok.StartTime, EndTime: ok.EndTime }, /`ZoneIds`/],
    ['empty ZoneIds', 'MissingParameter', { ...ok, ZoneIds: [] }, /`ZoneIds`/],
    ['ZoneIds as a string', 'InvalidParameterValue', { ...ok, ZoneIds: ZONE }, /ZoneIds must be an array/],
    ['an unknown zone', 'ResourceUnavailable', { ...ok, ZoneIds: [ZONE, 'zone-other'] }, /`zone-other` is not a zone/],
    ['Limit 0', 'InvalidParameterValue', { ...ok, Limit: 0 }, /Limit must be an integer from 1 to 300; got 0/],
    ['Limit 301', 'InvalidParameterValue', { ...ok, Limit: 301 }, /got 301/],
    ['Limit 2.5', 'InvalidParameterValue', { ...ok, Limit: 2.5 }, /Limit/],
    ['Limit as a string', 'InvalidParameterValue', { ...ok, Limit: '20' }, /Limit/],
    ['a negative Offset', 'InvalidParameterValue', { ...ok, Offset: -1 }, /Offset must be an integer >= 0/],
    ['a domain of another zone', 'InvalidParameterValue', { ...ok, Domains: ['www.example.com', 'shop.example.org'] }, /`shop\.example\.org` does not belong to zone zone-2mzegj4vln5f/],
  ])('%s → %s', async (_, code, body, message) => {
    const error = await errorOf(body);
    expect(error?.Code).toBe(code);
    expect(error?.Message).toMatch(message);
  });

  it.each<[string, string, object, RegExp]>([
    ['Domains on L4', 'UnknownParameter', { ...ok, Domains: ['www.example.com'] }, /`Domains` is not recognized by DownloadL4Logs/],
    ['an unknown proxy', 'InvalidParameterValue', { ...ok, ProxyIds: ['proxy-0000'] }, /ProxyIds: Proxy `proxy-0000` does not belong to zone/],
  ])('DownloadL4Logs with %s → %s', async (_, code, body, message) => {
    const error = await errorOf(body, { action: 'DownloadL4Logs' });
    expect(error?.Code).toBe(code);
    expect(error?.Message).toMatch(message);
  });

  it('accepts Limit 300, a StartTime exactly 30 days old, and offsets in other time zones', async () => {
    expect(await errorOf({ ...ok, Limit: 300 })).toBeUndefined();
    expect(await errorOf(window(NOW - 30 * DAY, NOW - 29 * DAY))).toBeUndefined();
    const beijing = await list({ StartTime: '2026-11-22T17:00:00+08:00', EndTime: '2026-11-22T18:00:00+08:00', ZoneIds: [ZONE] });
    expect(beijing.Data).toEqual((await list(ok)).Data);
  });
});

describe('EdgeOne emulator: listing (§6.4)', () => {
  const domains = ['static.example.com', 'www.example.com'];

  it('lists one package per domain, UTC hour and area with records, sorted by hour, domain, area', async () => {
    const listing = await list(window(atHour(4), atHour(10), { Limit: 300 }));
    const expected = expectedPackages(edgeone, 'L7', domains, atHour(4), atHour(10));
    expect(listing.TotalCount).toBe(expected.length);
    expect(listing.Data.map(withoutUrlAndSize)).toEqual(expected.map((p) => expectedItem(p, 'Domain')));
    expect(Object.keys(listing.Data[0])).toEqual(['Domain', 'Area', 'LogPacketName', 'Url', 'LogTime', 'LogStartTime', 'LogEndTime', 'Size']);
    expect(expected.some((p) => p.area === 'mainland')).toBe(true);
    expect(expected.some((p, i) => i > 0 && p.hourStartMs === expected[i - 1].hourStartMs && p.source === expected[i - 1].source)).toBe(true);
    expect(new Set(listing.Data.map((item) => item.LogPacketName)).size).toBe(listing.Data.length);
  });

  it('writes the documented shapes: packet name, +08:00 times, signed URL a day ahead', async () => {
    const [item] = (await list(window(atHour(10), atHour(10) + 1, { Domains: ['www.example.com'], Limit: 1 }))).Data;
    expect(item).toMatchObject({
      Domain: 'www.example.com',
      LogPacketName: '20261122-10-www.example.com-mainland',
      LogTime: atHour(10) / 1000,
      LogStartTime: '2026-11-22T18:00:00+08:00',
      LogEndTime: '2026-11-22T19:00:00+08:00',
    });
    const url = new URL(item.Url as string);
    expect(url.origin).toBe(edgeone.baseUrl);
    expect(url.pathname).toBe('/packages/20261122-10-www.example.com-mainland.log.gz');
    expect(url.searchParams.get('t')).toBe(String(NOW_S + 86_400));
    expect(url.searchParams.get('sign')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('lists an hour that overlaps [StartTime, EndTime) only: EndTime is exclusive, StartTime anywhere in the hour counts', async () => {
    const hours = async (fromMs: number, toMs: number) => [...new Set((await list(window(fromMs, toMs, { Limit: 300 }))).Data.map((i) => i.LogTime))];
    expect(await hours(atHour(8) + 30 * 60_000, atHour(9))).toEqual([atHour(8) / 1000]);
    expect(await hours(atHour(8) + HOUR - 1, atHour(9) + 1)).toEqual([atHour(8) / 1000, atHour(9) / 1000]);
  });

  it('lists an hour only once it is published (30 min after its end)', async () => {
    const hours = async () => [...new Set((await list(window(atHour(9), atHour(13), { Limit: 300 }))).Data.map((i) => i.LogTime))];
    expect(await hours()).toEqual([atHour(9) / 1000, atHour(10) / 1000]);
    clockMs = atHour(12) + 30 * 60_000;
    expect(await hours()).toEqual([atHour(9) / 1000, atHour(10) / 1000, atHour(11) / 1000]);
  });

  it('filters to the requested domains', async () => {
    const listing = await list(window(atHour(6), atHour(9), { Domains: ['static.example.com'] }));
    expect(listing.TotalCount).toBe(expectedPackages(edgeone, 'L7', ['static.example.com'], atHour(6), atHour(9)).length);
    expect(new Set(listing.Data.map((i) => i.Domain))).toEqual(new Set(['static.example.com']));
  });

  it('lists L4 packages per proxy with ProxyId in place of Domain', async () => {
    const proxies = edgeone.zones[0].proxies;
    const listing = await list(window(atHour(7), atHour(10)), { action: 'DownloadL4Logs' });
    const expected = expectedPackages(edgeone, 'L4', proxies, atHour(7), atHour(10));
    expect(listing.TotalCount).toBe(expected.length);
    expect(listing.Data.map(withoutUrlAndSize)).toEqual(expected.slice(0, 20).map((p) => expectedItem(p, 'ProxyId')));
    expect(Object.keys(listing.Data[0])[0]).toBe('ProxyId');
    const one = await list(window(atHour(7), atHour(10), { ProxyIds: [proxies[1]] }), { action: 'DownloadL4Logs' });
    expect(new Set(one.Data.map((i) => i.ProxyId))).toEqual(new Set([proxies[1]]));
  });

  it('pages with Offset and Limit: a day over 14 domains holds more than 300 packages', async () => {
    const big = await startTencentEdgeOneEmulator({ now: () => NOW, seed: 5, rpm: 1, domains: 14, requestsPerSecond: 1_000_000 });
    try {
      const request = window(atHour(-13), atHour(11));
      const expected = expectedPackages(big, 'L7', big.zones[0].domains, atHour(-13), atHour(11)).map((p) => expectedItem(p, 'Domain'));
      expect(expected.length).toBeGreaterThan(300);
      const first = await list({ ...request, Offset: 0, Limit: 300 }, {}, big);
      const second = await list({ ...request, Offset: 300, Limit: 300 }, {}, big);
      const beyond = await list({ ...request, Offset: expected.length, Limit: 300 }, {}, big);
      expect([first.TotalCount, second.TotalCount, beyond.TotalCount]).toEqual([expected.length, expected.length, expected.length]);
      expect([first.Data.length, second.Data.length, beyond.Data.length]).toEqual([300, expected.length - 300, 0]);
      expect([...first.Data, ...second.Data].map(withoutUrlAndSize)).toEqual(expected);
      expect((await list(request, {}, big)).Data).toHaveLength(20);
      expect(big.zones[0].domains.slice(0, 4)).toEqual(['www.example.com', 'static.example.com', 'd03.example.com', 'd04.example.com']);
    } finally {
      await big.close();
    }
  });
});

describe('EdgeOne emulator: packages (§6.5)', () => {
  it('each L7 package holds exactly its events as JSON lines, and Size is their "original log size", before gzip (§6.4)', async () => {
    const listing = await list(window(atHour(8), atHour(10), { Limit: 300 }));
    const expected = expectedPackages(edgeone, 'L7', ['static.example.com', 'www.example.com'], atHour(8), atHour(10));
    expect(listing.Data).toHaveLength(expected.length);
    for (const [index, item] of listing.Data.entries()) {
      const response = await download(item.Url as string);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('application/octet-stream');
      expect(gunzipSync(response.body).length).toBe(item.Size);
      expect(response.body.length).toBeLessThan(item.Size as number);
      expect(response.body.readUInt32LE(4)).toBe(0); // gzip mtime 0: the same bytes every time
      expect(linesOf(response.body)).toEqual(expected[index].records);
    }
  });

  it('lists an L4 package with Size the length of the gz served (§6.4)', async () => {
    const listing = await list(window(atHour(8), atHour(10), { Limit: 300 }), { action: 'DownloadL4Logs' });
    expect(listing.Data.length).toBeGreaterThan(2);
    for (const item of listing.Data) {
      const response = await download(item.Url as string);
      expect([response.status, response.body.length]).toEqual([200, item.Size]);
    }
  });

  it('serves L4 packages whose records carry the proxy id', async () => {
    const proxy = edgeone.zones[0].proxies[0];
    const [item] = (await list(window(atHour(9), atHour(10), { ProxyIds: [proxy], Limit: 300 }), { action: 'DownloadL4Logs' })).Data.filter((i) => i.Area === 'overseas');
    const records = linesOf((await download(item.Url as string)).body);
    const events = edgeone.generator.events(`${ZONE}/${proxy}`, ['l4'], atHour(9), atHour(10)).filter((e) => e.country !== 'CN');
    expect(records).toEqual(events.map((e) => edgeOneL4Record(e, proxy)));
    expect(new Set(records.map((r) => r.ServiceID))).toEqual(new Set([proxy]));
  });

  it('answers 403 to a forged, altered or unsigned URL, and to an expired one', async () => {
    const [item] = (await list(window(atHour(9), atHour(10), { Limit: 1 }))).Data;
    const url = new URL(item.Url as string);
    const forged = new URL(url);
    forged.searchParams.set('sign', `${url.searchParams.get('sign')!.slice(0, -1)}A`);
    const later = new URL(url);
    later.searchParams.set('t', String(Number(url.searchParams.get('t')) + 86_400));
    const otherPackage = new URL(url);
    otherPackage.pathname = url.pathname.replace('20261122-09-', '20261122-08-');
    expect(otherPackage.pathname).not.toBe(url.pathname);
    const unsigned = new URL(url.pathname, url.origin);
    for (const bad of [forged, later, otherPackage, unsigned]) {
      const response = await download(bad.href);
      expect([response.status, response.body.toString()]).toEqual([403, expect.stringContaining('not signed by this service')]);
    }
    clockMs = NOW + 86_400_000 + 1000;
    const expired = await download(url.href);
    expect([expired.status, expired.body.toString()]).toEqual([403, expect.stringContaining('expired at 2026-11-23T12:10:00.000Z')]);
    const log = edgeone.requests.filter((entry) => entry.path.startsWith('/packages/'));
    expect(log.length).toBeGreaterThan(0);
    expect(JSON.stringify(log)).not.toContain(url.searchParams.get('sign'));
  });

  it('answers 404 to a correctly signed URL of a package this emulator does not have; packageBaseUrl points listings elsewhere', async () => {
    const big = await startTencentEdgeOneEmulator({ now: () => NOW, seed: 5, rpm: 3, domains: 14 });
    try {
      expect(big.packageBaseUrl).toBe(big.baseUrl);
      big.packageBaseUrl = edgeone.baseUrl;
      const items = (await list(window(atHour(9), atHour(10), { Domains: ['d14.example.com', 'www.example.com'], Limit: 300 }), {}, big)).Data;
      expect(items.every((i) => (i.Url as string).startsWith(`${edgeone.baseUrl}/packages/`))).toBe(true);
      const d14 = items.find((i) => i.Domain === 'd14.example.com')!;
      expect((await download(d14.Url as string)).status).toBe(404);
      const www = items.find((i) => i.Domain === 'www.example.com')!;
      const served = await download(www.Url as string);
      expect([served.status, gunzipSync(served.body).length]).toEqual([200, www.Size]);
    } finally {
      await big.close();
    }
    expect((await rawRequest(`${edgeone.baseUrl}/packages/nothing.log.gz?t=1&sign=x`)).status).toBe(403);
  });
});

describe('EdgeOne wire records (§6.5)', () => {
  const events = () => edgeone.generator.events(`${ZONE}/www.example.com`, ['www.example.com'], atHour(0), atHour(10));
  const find = (predicate: (e: TrafficEvent) => boolean) => {
    const event = events().find(predicate);
    expect(event).toBeDefined();
    return event!;
  };

  it('writes an L7 record field by field in the order of the spec table', () => {
    const event = find((e) => e.query !== null && e.referer === null && e.protocol === 'HTTP/2' && e.cacheStatus === 'MISS');
    expect(edgeOneL7Record(event)).toStrictEqual({
      RequestID: event.rayId,
      ClientIP: event.clientIp,
      ClientRegion: event.country,
      RequestTime: `${iso(event.timestampMs).slice(0, 19)}Z`,
      RequestStatus: 1,
      RequestHost: 'www.example.com',
      RequestBytes: 200 + event.path.length + event.query!.length,
      RequestMethod: event.method,
      RequestUrl: event.path,
      RequestUrlQueryString: event.query,
      RequestUA: event.userAgent,
      RequestRange: event.range ?? '-',
      RequestReferer: '-',
      RequestProtocol: 'HTTP/2.0',
      RemotePort: event.clientPort,
      EdgeCacheStatus: 'MISS',
      EdgeResponseStatusCode: event.status,
      EdgeResponseBytes: event.bytesSent,
      EdgeResponseTime: event.durationMs,
      EdgeInternalTime: Math.floor((event.durationMs * 3) / 4),
      EdgeServerIP: expect.stringMatching(/^198\.51\.100\.\d{1,3}$/),
      EdgeServerID: `eo-${event.pop.iata.toLowerCase()}-1`,
      SecurityAction: '-',
      SecurityRuleID: '-',
      SecurityUserNote: '-',
      SecurityModule: '-',
    });
    expect(Object.keys(edgeOneL7Record(event)).join(',')).toBe(
      'RequestID,ClientIP,ClientRegion,RequestTime,RequestStatus,RequestHost,RequestBytes,RequestMethod,RequestUrl,RequestUrlQueryString,RequestUA,RequestRange,RequestReferer,RequestProtocol,RemotePort,EdgeCacheStatus,EdgeResponseStatusCode,EdgeResponseBytes,EdgeResponseTime,EdgeInternalTime,EdgeServerIP,EdgeServerID,SecurityAction,SecurityRuleID,SecurityUserNote,SecurityModule',
    );
  });

  it('maps hits, uncacheable requests and the rest to HIT, Dynamic and MISS; "-" and -1 for what is missing', () => {
    const all = events();
    for (const e of all) {
      const record = edgeOneL7Record(e);
      expect(record.EdgeCacheStatus).toBe(e.cacheStatus === 'HIT' ? 'HIT' : e.cacheStatus === 'DYNAMIC' || e.cacheStatus === 'BYPASS' ? 'Dynamic' : 'MISS');
      if (e.cacheStatus === 'HIT') expect(record.EdgeInternalTime).toBe(-1);
      expect(record.RequestProtocol).toBe({ 'HTTP/1.0': 'HTTP/1.0', 'HTTP/1.1': 'HTTP/1.1', 'HTTP/2': 'HTTP/2.0', 'HTTP/3': 'HTTP/3' }[e.protocol]);
      expect(record.RequestUrlQueryString).toBe(e.query ?? '-');
      expect(record.RequestRange).toBe(e.range ?? '-');
      expect(record.RequestReferer).toBe(e.referer ?? '-');
      expect(edgeOneArea(e)).toBe(e.country === 'CN' ? 'mainland' : 'overseas');
    }
    expect(new Set(all.map(edgeOneCacheStatus))).toEqual(new Set(['HIT', 'MISS', 'Dynamic']));
    const sameIp = all.filter((e) => e.pop.iata === all[0].pop.iata).map((e) => edgeOneL7Record(e).EdgeServerIP);
    expect(new Set(sameIp).size).toBe(1);
  });

  it('writes L4 records with the vendor spelling Disconnet*, and "-" for connections still open', () => {
    const proxy = edgeone.zones[0].proxies[0];
    const all = edgeone.generator.events(`${ZONE}/${proxy}`, ['l4'], atHour(0), atHour(10));
    const records = all.map((e) => edgeOneL4Record(e, proxy));
    expect(Object.keys(records[0]).join(',')).toBe(
      'ServiceID,SessionID,ConnectTimeStamp,DisconnetTimeStamp,DisconnetReason,ClientRealIP,ClientRegion,EdgeIP,ForwardProtocol,ForwardPort,SentBytes,ReceivedBytes,LogTimeStamp',
    );
    const open = records.filter((r) => r.DisconnetTimeStamp === '-');
    expect(open.length / records.length).toBeGreaterThan(0.02);
    expect(open.length / records.length).toBeLessThan(0.09);
    expect(open.every((r) => r.DisconnetReason === '-')).toBe(true);
    for (const [index, e] of all.entries()) {
      const r = records[index];
      const connect = `${iso(e.timestampMs).slice(0, 19)}Z`;
      expect(r).toMatchObject({
        ServiceID: proxy,
        SessionID: e.rayId,
        ConnectTimeStamp: connect,
        LogTimeStamp: connect,
        ClientRealIP: e.clientIp,
        ClientRegion: e.country,
        EdgeIP: expect.stringMatching(/^203\.0\.113\.\d{1,3}$/),
        ForwardProtocol: e.protocol === 'HTTP/3' ? 'UDP' : 'TCP',
        ForwardPort: e.scheme === 'https' ? 443 : 80,
        SentBytes: e.bodyBytes,
        ReceivedBytes: e.bytesSent,
      });
      if (r.DisconnetTimeStamp !== '-') {
        const seconds = Math.max(1, Math.ceil(e.durationMs / 1000));
        expect(r.DisconnetTimeStamp).toBe(`${iso(Math.floor(e.timestampMs / 1000) * 1000 + seconds * 1000).slice(0, 19)}Z`);
        expect(r.DisconnetReason).toMatch(/^(up|down):(net_exception_peer_error|net_exception_peer_close|create_peer_channel_exception|channel_eof_exception|net_exception_closed|net_exception_timeout)$/);
      }
    }
    expect(new Set(records.map((r) => r.ForwardProtocol))).toEqual(new Set(['TCP', 'UDP']));
  });
});

describe('EdgeOne emulator: quota and faults', () => {
  const body = window(atHour(9), atHour(10));

  it('answers RequestLimitExceeded to the 101st request in one second, and serves again the next second', async () => {
    let nowMs = NOW;
    const limited = await startTencentEdgeOneEmulator({ now: () => nowMs, rpm: 1 });
    try {
      const codes: Array<string | undefined> = [];
      for (let i = 0; i < 101; i++) codes.push(((await call(body, { timestampS: NOW_S }, limited)).response.Error as { Code: string } | undefined)?.Code);
      expect(codes.slice(0, 100).every((code) => code === undefined)).toBe(true);
      expect(codes[100]).toBe('RequestLimitExceeded');
      expect(((await call(body, { timestampS: NOW_S }, limited)).response.Error as { Message: string }).Message).toMatch(/more than 100 requests in one second/);
      nowMs = NOW + 1000;
      expect((await call(body, { timestampS: NOW_S }, limited)).response.Error).toBeUndefined();
    } finally {
      await limited.close();
    }
  });

  it('rateLimit fault: the RequestLimitExceeded envelope, then service again', async () => {
    edgeone.faults.inject({ kind: 'rateLimit', count: 1 });
    expect((await errorOf(body))?.Code).toBe('RequestLimitExceeded');
    expect(await errorOf(body)).toBeUndefined();
  });

  it('serverError fault: a gateway failure with a short body, not the envelope', async () => {
    edgeone.faults.inject({ kind: 'serverError', count: 1, status: 502 });
    edgeone.faults.inject({ kind: 'serverError', count: 1 });
    const send = async () => {
      const text = JSON.stringify(body);
      return rawRequest(`${edgeone.baseUrl}/`, { method: 'POST', headers: signedHeaders(edgeone, text), body: text });
    };
    const [first, second] = [await send(), await send()];
    expect([first.status, first.body.toString()]).toEqual([502, '502 Bad Gateway']);
    expect([second.status, second.body.toString()]).toEqual([500, '500 Internal Server Error']);
    expect((await send()).status).toBe(200);
  });

  it('faults are not consumed by requests that fail auth or validation', async () => {
    edgeone.faults.inject({ kind: 'rateLimit', count: 1 });
    expect((await errorOf(body, { secretKey: 'wrong' }))?.Code).toBe('AuthFailure.SignatureFailure');
    expect((await errorOf({ ...body, Limit: 0 }))?.Code).toBe('InvalidParameterValue');
    expect((await errorOf(body))?.Code).toBe('RequestLimitExceeded');
  });

  it('expiredUrl fault: that listing\'s URLs have expired and answer 403; the next listing is fresh', async () => {
    edgeone.faults.inject({ kind: 'expiredUrl', count: 1 });
    const [stale] = (await list(body)).Data;
    expect(Number(new URL(stale.Url as string).searchParams.get('t')) * 1000).toBeLessThan(NOW);
    expect((await download(stale.Url as string)).status).toBe(403);
    const [fresh] = (await list(body)).Data;
    expect((await download(fresh.Url as string)).status).toBe(200);
  });

  it('duplicateListing fault: every package twice, adjacent, and TotalCount counts both', async () => {
    const once = await list({ ...body, Limit: 300 });
    edgeone.faults.inject({ kind: 'duplicateListing', count: 1 });
    const twice = await list({ ...body, Limit: 300 });
    expect(twice.TotalCount).toBe(2 * once.TotalCount);
    expect(twice.Data.map(withoutUrlAndSize)).toEqual(once.Data.flatMap((item) => [withoutUrlAndSize(item), withoutUrlAndSize(item)]));
    edgeone.faults.inject({ kind: 'duplicateListing', count: 1 });
    const paged = await list({ ...body, Offset: 1, Limit: 2 });
    expect(paged.Data.map((i) => i.LogPacketName)).toEqual([once.Data[0].LogPacketName, once.Data[1].LogPacketName]);
  });

  it('corruptGzip fault waits for a download, which zlib then rejects with a data error; the next is whole', async () => {
    edgeone.faults.inject({ kind: 'corruptGzip', count: 1 });
    const [item] = (await list(body)).Data; // a listing does not take a download fault
    const corrupt = await download(item.Url as string);
    expect([corrupt.status, corrupt.body.length]).toEqual([200, Number(corrupt.headers['content-length'])]);
    let error: unknown;
    try {
      gunzipSync(corrupt.body);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'Z_DATA_ERROR' });
    const whole = await download(item.Url as string);
    expect(linesOf(whole.body).length).toBeGreaterThan(0);
  });

  it('truncatedBody fault: the connection is cut before the package is complete', async () => {
    const [item] = (await list(body)).Data;
    edgeone.faults.inject({ kind: 'truncatedBody', count: 1 });
    await expect(download(item.Url as string)).rejects.toThrow();
  });

  it('slowBody fault: status, headers and part of the package arrive, then a client read timeout fires', async () => {
    const [item] = (await list({ ...body, Domains: ['www.example.com'] })).Data.filter((i) => i.Area === 'overseas');
    edgeone.faults.inject({ kind: 'slowBody', count: 1, delayMs: 10_000 });
    const response = await openRequest(item.Url as string);
    expect(await watchStalledBody(response)).toEqual({ status: 200, stalled: true, partial: true });
  });

  it('refuses faults this emulator cannot produce', () => {
    expect(() => edgeone.faults.inject({ kind: 'corruptZip', count: 1 })).toThrow(/corruptZip/);
  });
});

describe('EdgeOne emulator: registry', () => {
  it('describes its credentials and its one zone with domains and proxies fixed by index', () => {
    const description = tencentEdgeOneEmulator.describe(edgeone);
    expect(description).toEqual({
      provider: 'tencent-edgeone',
      baseUrl: edgeone.baseUrl,
      credentials: { secretId: EDGEONE_DEMO_CREDENTIALS.secretId, secretKey: EDGEONE_DEMO_CREDENTIALS.secretKey },
      sources: [{ zone: ZONE, domains: ['www.example.com', 'static.example.com'], proxies: edgeone.zones[0].proxies }],
    });
    expect(edgeone.zones[0].proxies).toHaveLength(2);
    for (const proxy of edgeone.zones[0].proxies) expect(proxy).toMatch(/^proxy-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(edgeOneZones(3, 3)[0].proxies.slice(0, 2)).toEqual(edgeone.zones[0].proxies);
    expect(edgeOneZones(3, 0)[0].domains[2]).toBe('d03.example.com');
  });
});
