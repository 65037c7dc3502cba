import { createHmac } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { constantTimeEqual } from '../constant-time';
import { openRequest, rawRequest, type RawResponse, watchStalledBody } from '../loopback-client';
import {
  DSA_DEMO_CREDENTIALS,
  dsaLogLine,
  dsaRegionCodes,
  startTencentDsaEmulator,
  type TencentDsaEmulator,
  type TencentDsaEmulatorOptions,
  tencentDsaEmulator,
} from '.';
import { DSA_ISP_CODES, DSA_PROVINCE_CODES } from './lines';
import { dsaSignature, dsaStringToSign } from './sign';
import type { TrafficEvent } from '../traffic';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BEIJING = 8 * HOUR;
/** 2026-11-22 12:00 UTC = 20:00 in Beijing: with the 2 h publish delay, today's hours 00–17 are listed. */
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const NOW_S = NOW / 1000;
const TODAY = '2026-11-22';
const beijingMidnight = (date: string) => Date.parse(`${date}T00:00:00Z`) - BEIJING;
const pad = (n: number) => String(n).padStart(2, '0');
const HOURS_00_TO_17 = Array.from({ length: 18 }, (_, h) => `${TODAY} ${pad(h)}:00:00`);

interface ApiBody {
  code: number;
  message: string;
  codeDesc: string;
  data?: Record<string, Array<{ datetime: string; url: string }>>;
}

let dsa: TencentDsaEmulator;
const started: TencentDsaEmulator[] = [];

/** An emulator closed after all tests; the quota is lifted unless a test asks for it. */
async function emulator(options: TencentDsaEmulatorOptions = {}): Promise<TencentDsaEmulator> {
  const running = await startTencentDsaEmulator({ now: () => NOW, seed: 7, callsPerMinute: 100_000, ...options });
  started.push(running);
  return running;
}

beforeAll(async () => {
  dsa = await emulator();
});
afterAll(() => Promise.all(started.map((running) => running.close())));
afterEach(() => dsa.faults.clear());

// ---- a test-local API 2.0 client: its own signer, written from §4.3 ----

let nextNonce = 1000;

function testSignature(method: string, host: string, params: Record<string, string>, secretKey: string): string {
  const joined = Object.entries(params)
    .filter(([name]) => name !== 'Signature')
    .map(([name, value]) => [name.replace(/_/g, '.'), value])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const hash = params.SignatureMethod === 'HmacSHA256' ? 'sha256' : 'sha1';
  return createHmac(hash, secretKey).update(`${method}${host}/v2/index.php?${joined}`).digest('base64');
}

type Encoding = 'query' | 'form' | 'multipart';

function send(target: TencentDsaEmulator, method: string, params: Record<string, string>, encoding: Encoding): Promise<RawResponse> {
  const url = `${target.baseUrl}/v2/index.php`;
  if (encoding === 'query') return rawRequest(`${url}?${new URLSearchParams(params)}`, { method });
  if (encoding === 'form') {
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
    return rawRequest(url, { method, headers, body: new URLSearchParams(params).toString() });
  }
  const boundary = '----dsa-test-boundary-7f3a';
  const parts = Object.entries(params).map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  const headers = { 'Content-Type': `multipart/form-data; boundary=${boundary}` };
  return rawRequest(url, { method, headers, body: `${parts.join('')}--${boundary}--\r\n` });
}

interface CallOptions {
  target?: TencentDsaEmulator;
  method?: 'GET' | 'POST';
  encoding?: Encoding;
  secretKey?: string;
  /** Host the signature is computed for; default the Host header node sends (127.0.0.1:PORT). */
  signedHost?: string;
  /** Changes made after signing. */
  tamper?: Record<string, string>;
}

function signedParams(extra: Record<string, string>, options: CallOptions = {}): Record<string, string> {
  const target = options.target ?? dsa;
  const method = options.method ?? 'POST';
  const params: Record<string, string> = {
    Action: 'GetDsaHostLogs',
    Timestamp: String(NOW_S),
    Nonce: String(nextNonce++),
    SecretId: target.credentials.secretId,
    ...extra,
  };
  const host = options.signedHost ?? new URL(target.baseUrl).host;
  params.Signature = testSignature(method, host, params, options.secretKey ?? target.credentials.secretKey);
  return { ...params, ...options.tamper };
}

async function call(extra: Record<string, string>, options: CallOptions = {}): Promise<ApiBody> {
  const method = options.method ?? 'POST';
  const encoding = options.encoding ?? (method === 'GET' ? 'query' : 'form');
  const response = await send(options.target ?? dsa, method, signedParams(extra, options), encoding);
  expect([response.status, response.headers['content-type']]).toEqual([200, 'application/json']);
  return JSON.parse(response.body.toString()) as ApiBody;
}

const hostsParam = (...hosts: string[]) => ({ hosts: JSON.stringify(hosts) });
const envelope = (body: ApiBody) => ({ code: body.code, codeDesc: body.codeDesc });
const invalid = (messagePart: string) => ({ code: 4000, message: expect.stringContaining(messagePart), codeDesc: 'InvalidParameter' });
const AUTH_FAILURE = {
  code: 4100,
  message: 'Authentication failed. For more information, please see the Authentication section in the document.',
  codeDesc: 'AuthFailure',
};

// ---- the ground truth, computed from the generator ----

function beijingDatetime(hourStartMs: number): string {
  const iso = new Date(hourStartMs + BEIJING).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 13)}:00:00`;
}

/** Datetimes of the published hours in [fromMs, toMs) with at least one request outside the quiet UTC hours. */
function expectedHours(target: TencentDsaEmulator, host: string, fromMs: number, toMs: number, quietHours: number[] = []): string[] {
  const hours: string[] = [];
  for (let h = fromMs; h < toMs && h + HOUR + 2 * HOUR <= NOW; h += HOUR) {
    if (quietHours.includes(new Date(h).getUTCHours())) continue;
    if (target.generator.events(host, [host], h, h + HOUR).length > 0) hours.push(beijingDatetime(h));
  }
  return hours;
}

/** §4.6 fields of one event, computed here rather than by the emulator's renderer. */
function expectedFields(event: TrafficEvent): string[] {
  const { province, isp } = dsaRegionCodes(event);
  const local = new Date(event.timestampMs + BEIJING);
  const stamp =
    `${local.getUTCFullYear()}${pad(local.getUTCMonth() + 1)}${pad(local.getUTCDate())}` +
    `${pad(local.getUTCHours())}${pad(local.getUTCMinutes())}${pad(local.getUTCSeconds())}`;
  return [
    stamp,
    event.clientIp,
    event.host,
    event.query === null ? event.path : `${event.path}?${event.query}`,
    String(event.bytesSent),
    String(province),
    String(isp),
    String(event.status),
    event.referer ?? '-',
    String(event.durationMs),
    event.userAgent,
    event.range ?? '-',
    event.method,
    event.protocol,
    event.cacheStatus === 'HIT' ? 'hit' : 'miss',
  ];
}

/** The robust rule of §4.6: fields 1–10 from the left, 12–15 from the right, the User-Agent in between. */
function parseLine(line: string): string[] {
  const parts = line.split(' ');
  return [...parts.slice(0, 10), parts.slice(10, -4).join(' '), ...parts.slice(-4)];
}

/** The listed package of `host` for the hour starting at `hourStartMs`. */
async function packageUrl(host: string, hourStartMs: number, target = dsa): Promise<string> {
  const day = new Date(hourStartMs + BEIJING).toISOString().slice(0, 10);
  const body = await call({ ...hostsParam(host), startDate: day, endDate: day }, { target });
  const entry = body.data![host].find((candidate) => candidate.datetime === beijingDatetime(hourStartMs));
  expect(entry).toBeDefined();
  return entry!.url;
}

/** Today 10:00 in Beijing (02:00 UTC), published and busy at 60 requests/min. */
const TEN_AM = beijingMidnight(TODAY) + 10 * HOUR;

// ---------------------------------------------------------------------------------------------------

describe('Tencent DSA emulator: v1 signature verifier (§4.3, §7)', () => {
  const EXAMPLE = { secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE', secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE' };
  const DSA_PARAMS: Array<[string, string]> = [
    ['Action', 'GetDsaHostLogs'],
    ['Nonce', '123456789'],
    ['SecretId', EXAMPLE.secretId],
    ['Timestamp', '1524096000'],
    ['hosts', '["a.dsa.qcloud.com","b.dsa.qcloud.com"]'],
    ['startDate', '2018-04-18'],
    ['endDate', '2018-04-18'],
  ];
  const dsaVector = (extra: Array<[string, string]>, method: 'HmacSHA1' | 'HmacSHA256') =>
    dsaSignature(EXAMPLE.secretKey, dsaStringToSign('POST', 'dsa.api.qcloud.com', '/v2/index.php', [...DSA_PARAMS, ...extra]), method);

  it('builds the §4.3 string to sign: byte order (Timestamp < endDate), raw JSON values, Signature left out', () => {
    expect(dsaStringToSign('POST', 'dsa.api.qcloud.com', '/v2/index.php', [...DSA_PARAMS, ['Signature', 'x']])).toBe(
      'POSTdsa.api.qcloud.com/v2/index.php?Action=GetDsaHostLogs&Nonce=123456789&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE' +
        '&Timestamp=1524096000&endDate=2018-04-18&hosts=["a.dsa.qcloud.com","b.dsa.qcloud.com"]&startDate=2018-04-18',
    );
  });

  it('turns _ into . in parameter names before sorting', () => {
    expect(dsaStringToSign('get', 'h', '/p', [['b', '2'], ['a_1', '1'], ['a.0', '0']])).toBe('GETh/p?a.0=0&a.1=1&b=2');
  });

  it('reproduces the §4.3 worked vectors (SHA1 and SHA256)', () => {
    expect(dsaVector([], 'HmacSHA1')).toBe('bYcBsf3zxISbVrQsfsXP/4qVDrA=');
    expect(dsaVector([['SignatureMethod', 'HmacSHA256']], 'HmacSHA256')).toBe('Egjsb7O1MyG2k/qv+vkI6a07BiAc//o+kiX3sRC8vkg=');
  });

  it('reproduces the official python SDK vectors (§7 rows 8–10)', () => {
    const params = (signatureMethod: string): Array<[string, string]> => [
      ['SecretId', 'secretIdFoo'],
      ['Region', 'ap-guangzhou'],
      ['Nonce', '1290303896666895346'],
      ['Timestamp', '1512393162'],
      ['Action', 'DescribeInstances'],
      ['Version', '2017-03-12'],
      ['SignatureMethod', signatureMethod],
    ];
    const sign = (method: string, signatureMethod: 'HmacSHA1' | 'HmacSHA256') =>
      dsaSignature('secretKeyBar', dsaStringToSign(method, 'cvm.api.qcloud.com', '/v2/index.php', params(signatureMethod)), signatureMethod);
    expect(sign('POST', 'HmacSHA1')).toBe('p3n+pxBqF5JGZtDSxoVn5tGngf0=');
    expect(sign('GET', 'HmacSHA1')).toBe('5HAq1BOKNLEE2/uauWnp6Zv9Z3c=');
    expect(sign('POST', 'HmacSHA256')).toBe('B2T37FRSP6Fk0/q/cdfrTE0p3zX5ooB/2BPWZUFpsj4=');
  });

  it('signs RequestClient and an empty Region like any parameter (§7 rows 11–13)', () => {
    const sdkParams: Array<[string, string]> = [['RequestClient', 'SDK_NODEJS_0.2.1'], ['Region', '']];
    expect(dsaVector(sdkParams, 'HmacSHA1')).toBe('BsWnbZorDyiz8Tp4oet6n9VFWUI=');
    expect(dsaVector([...sdkParams, ['SignatureMethod', 'HmacSHA256']], 'HmacSHA256')).toBe('69FoTDgHSLbPdEhP1z3OG4srS3YxvdzRUyRMR4/HRqE=');
    expect(dsaVector([['SignatureMethod', 'HmacSHA1']], 'HmacSHA1')).toBe('xhuDlmCvh7kTN+HpGKVPvhcdpsM=');
  });

  it('matches signatures only when every byte is equal', () => {
    expect(constantTimeEqual('bYcBsf3zxISbVrQsfsXP/4qVDrA=', 'bYcBsf3zxISbVrQsfsXP/4qVDrA=')).toBe(true);
    expect(constantTimeEqual('bYcBsf3zxISbVrQsfsXP/4qVDrB=', 'bYcBsf3zxISbVrQsfsXP/4qVDrA=')).toBe(false);
    expect(constantTimeEqual('bYcBsf3zxISbVrQsfsXP/4qVDrA', 'bYcBsf3zxISbVrQsfsXP/4qVDrA=')).toBe(false);
    expect(constantTimeEqual('', 'bYcBsf3zxISbVrQsfsXP/4qVDrA=')).toBe(false);
    expect(constantTimeEqual(Buffer.from([1, 2]), Buffer.from([1, 2]))).toBe(true);
  });

  describe('end to end with the spec example account (now = Timestamp 1524096000)', () => {
    const options = { now: () => 1_524_096_000_000, credentials: EXAMPLE, hostNames: ['a.dsa.qcloud.com', 'b.dsa.qcloud.com'] };
    const VECTOR_BODY =
      'Action=GetDsaHostLogs&Nonce=123456789&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&Timestamp=1524096000&endDate=2018-04-18' +
      '&hosts=%5B%22a.dsa.qcloud.com%22%2C%22b.dsa.qcloud.com%22%5D&startDate=2018-04-18';
    const post = (target: TencentDsaEmulator, body: string) =>
      rawRequest(`${target.baseUrl}/v2/index.php`, {
        method: 'POST',
        headers: { Host: 'dsa.api.qcloud.com', 'Content-Type': 'application/x-www-form-urlencoded' },
        body,
      }).then((response) => JSON.parse(response.body.toString()) as ApiBody);

    it('accepts the §4.3 form body exactly as printed, and lists all 24 hours of 2018-04-18 for both hosts', async () => {
      const body = await post(await emulator(options), `${VECTOR_BODY}&Signature=bYcBsf3zxISbVrQsfsXP%2F4qVDrA%3D`);
      expect(envelope(body)).toEqual({ code: 0, codeDesc: 'Success' });
      for (const host of ['a.dsa.qcloud.com', 'b.dsa.qcloud.com']) {
        expect(body.data![host].map((entry) => entry.datetime)).toEqual(Array.from({ length: 24 }, (_, h) => `2018-04-18 ${pad(h)}:00:00`));
      }
    });

    it('accepts the SHA256 vector, and refuses it as a replay where Nonce 123456789 was already used', async () => {
      const fresh = await emulator(options);
      const sha1 = `${VECTOR_BODY}&Signature=bYcBsf3zxISbVrQsfsXP%2F4qVDrA%3D`;
      const sha256 = `${VECTOR_BODY}&SignatureMethod=HmacSHA256&Signature=${encodeURIComponent('Egjsb7O1MyG2k/qv+vkI6a07BiAc//o+kiX3sRC8vkg=')}`;
      expect((await post(fresh, sha256)).code).toBe(0);
      expect(envelope(await post(fresh, sha1))).toEqual({ code: 4500, codeDesc: 'ReplayAttack' });
    });
  });
});

describe('Tencent DSA emulator: §9 item 1, parameters', () => {
  it.each(['Action', 'Timestamp', 'Nonce', 'SecretId', 'Signature'])('answers 4000 naming a missing %s', async (name) => {
    const params = signedParams(hostsParam(dsa.hosts[0]));
    delete params[name];
    const response = await send(dsa, 'POST', params, 'form');
    expect(JSON.parse(response.body.toString())).toEqual({
      code: 4000,
      message: `Missing required parameter: ${name}`,
      codeDesc: 'InvalidParameter',
    });
  });

  it('names every missing common parameter of an empty call', async () => {
    const response = await send(dsa, 'POST', {}, 'form');
    expect(JSON.parse(response.body.toString())).toEqual(invalid('Missing required parameters: Action, Timestamp, Nonce, SecretId, Signature'));
  });

  it.each<[string, Record<string, string>, string]>([
    ['another Action', { Action: 'DescribeInstances' }, 'Action "DescribeInstances" is not offered here'],
    ['a Timestamp that is not a number', { Timestamp: '2026-11-22T12:00:00Z' }, 'Timestamp must be Unix time in seconds'],
    ['a Nonce of 0', { Nonce: '0' }, 'Nonce must be a positive integer'],
    ['an unknown SignatureMethod', { SignatureMethod: 'HmacMD5' }, 'SignatureMethod must be HmacSHA1 or HmacSHA256, got "HmacMD5"'],
  ])('answers 4000 for %s, before looking at the signature', async (_, extra, message) => {
    expect(await call({ ...hostsParam(dsa.hosts[0]), ...extra }, { secretKey: 'not the key' })).toEqual(invalid(message));
  });

  it('refuses a JSON body, another method and a parameter given twice with 4000', async () => {
    const url = `${dsa.baseUrl}/v2/index.php`;
    const params = signedParams(hostsParam(dsa.hosts[0]));
    const json = await rawRequest(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(params) });
    expect(JSON.parse(json.body.toString())).toEqual(invalid('must be application/x-www-form-urlencoded or multipart/form-data, not application/json'));
    const put = await send(dsa, 'PUT', params, 'query');
    expect(JSON.parse(put.body.toString())).toEqual(invalid('GET or POST, not PUT'));
    const twice = await rawRequest(`${url}?hosts=${encodeURIComponent(params.hosts)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });
    expect(JSON.parse(twice.body.toString())).toEqual(invalid('Parameter hosts is given more than once'));
  });

  it('answers 404 outside /v2/index.php', async () => {
    const response = await rawRequest(`${dsa.baseUrl}/v3/index.php`);
    expect([response.status, response.body.toString()]).toEqual([404, 'Not Found']);
  });
});

describe('Tencent DSA emulator: §9 item 1, signature', () => {
  it.each<['GET' | 'POST', 'HmacSHA1' | 'HmacSHA256']>([
    ['GET', 'HmacSHA1'],
    ['GET', 'HmacSHA256'],
    ['POST', 'HmacSHA1'],
    ['POST', 'HmacSHA256'],
  ])('accepts %s signed with %s', async (method, signatureMethod) => {
    const extra = { ...hostsParam(dsa.hosts[0]), ...(signatureMethod === 'HmacSHA256' ? { SignatureMethod: signatureMethod } : {}) };
    const body = await call(extra, { method });
    expect(envelope(body)).toEqual({ code: 0, codeDesc: 'Success' });
  });

  it('accepts a multipart/form-data POST', async () => {
    expect((await call(hostsParam(dsa.hosts[0]), { encoding: 'multipart' })).code).toBe(0);
  });

  it('accepts signed extras (RequestClient, an empty Region) and refuses them when they were not signed', async () => {
    const extras = { RequestClient: 'SDK_NODEJS_0.2.1', Region: '' };
    expect((await call({ ...hostsParam(dsa.hosts[0]), ...extras })).code).toBe(0);
    expect(await call(hostsParam(dsa.hosts[0]), { tamper: extras })).toEqual(AUTH_FAILURE);
  });

  it.each<[string, Record<string, string>, CallOptions]>([
    ['the wrong SecretKey', {}, { secretKey: 'wrong-secret-key' }],
    ['an unknown SecretId', { SecretId: 'AKIDsomebodyElse' }, {}],
    ['a signature over another Host', {}, { signedHost: 'dsa.api.qcloud.com' }],
    ['a parameter changed after signing', {}, { tamper: { startDate: '2026-11-21' } }],
    ['a SHA1 signature sent as SHA256', {}, { tamper: { SignatureMethod: 'HmacSHA256' } }],
  ])('answers the documented 4100 for %s', async (_, extra, options) => {
    expect(await call({ ...hostsParam(dsa.hosts[0]), ...extra }, options)).toEqual(AUTH_FAILURE);
  });

  it('answers 4100 when a POST signature is sent with GET', async () => {
    const params = signedParams(hostsParam(dsa.hosts[0]), { method: 'POST' });
    const response = await send(dsa, 'GET', params, 'query');
    expect(JSON.parse(response.body.toString())).toEqual(AUTH_FAILURE);
  });

  it('keeps the signature out of the request log', async () => {
    const params = signedParams(hostsParam(dsa.hosts[0]), { method: 'GET' });
    await send(dsa, 'GET', params, 'query');
    const logged = dsa.requests[dsa.requests.length - 1];
    expect(logged.query.Signature).toBe('redacted');
    expect(JSON.stringify(dsa.requests)).not.toContain(params.Signature);
  });

  it('keeps an STS Token out of the request log, and other parameters in it', async () => {
    const token = 'sts-session-token-3f9c2a7e';
    const params = signedParams({ ...hostsParam(dsa.hosts[0]), Token: token }, { method: 'GET' });
    const response = await send(dsa, 'GET', params, 'query');
    expect(JSON.parse(response.body.toString()).code).toBe(0);
    const logged = dsa.requests[dsa.requests.length - 1];
    expect(logged.query).toMatchObject({ Token: 'redacted', Signature: 'redacted', Nonce: params.Nonce, hosts: params.hosts });
    expect(JSON.stringify(dsa.requests)).not.toContain(token);
  });
});

describe('Tencent DSA emulator: §9 item 2, Timestamp and Nonce', () => {
  const replay = (messagePart: string) => ({ code: 4500, message: expect.stringContaining(messagePart), codeDesc: 'ReplayAttack' });

  it('accepts a Timestamp exactly 2 h off and answers 4500 beyond', async () => {
    const host = hostsParam(dsa.hosts[0]);
    expect((await call({ ...host, Timestamp: String(NOW_S - 7200) })).code).toBe(0);
    expect((await call({ ...host, Timestamp: String(NOW_S + 7200) })).code).toBe(0);
    expect(await call({ ...host, Timestamp: String(NOW_S - 7201) })).toEqual(replay('more than 2 h from the server time'));
    expect(await call({ ...host, Timestamp: String(NOW_S + 7201) })).toEqual(replay('send the current Unix time in seconds'));
  });

  it('says so when the Timestamp looks like milliseconds (§10 #5)', async () => {
    expect(await call({ ...hostsParam(dsa.hosts[0]), Timestamp: String(NOW) })).toEqual(replay('(it looks like milliseconds)'));
  });

  it('answers 4500 to a reused Nonce, accepts it again after 2 h, and does not burn nonces of refused signatures', async () => {
    let clockMs = NOW;
    const clocked = await emulator({ now: () => clockMs, rpm: 1 });
    const at = (ms: number) => ({ ...hostsParam(clocked.hosts[0]), Nonce: '424242', Timestamp: String(ms / 1000) });
    expect(await call(at(NOW), { target: clocked, secretKey: 'wrong' })).toEqual(AUTH_FAILURE);
    expect((await call(at(NOW), { target: clocked })).code).toBe(0);
    expect(await call(at(NOW), { target: clocked, method: 'GET' })).toEqual(
      replay('Nonce 424242 was already used with this SecretId; send a fresh random Nonce with every call'),
    );
    clockMs = NOW + 2 * HOUR - 1000;
    expect((await call(at(clockMs), { target: clocked })).code).toBe(4500);
    clockMs = NOW + 2 * HOUR + 1000;
    expect((await call(at(clockMs), { target: clocked })).code).toBe(0);
  });
});

describe('Tencent DSA emulator: §9 item 3, 100 calls per minute', () => {
  it('answers 4400 to the 101st call in a minute, and takes calls again when the minute has passed', async () => {
    let clockMs = NOW;
    const limited = await emulator({ now: () => clockMs, rpm: 1, callsPerMinute: undefined });
    const host = hostsParam(limited.hosts[0]);
    const codes: number[] = [];
    for (let i = 0; i < 100; i++) codes.push((await call(host, { target: limited })).code);
    expect(codes).toEqual(Array(100).fill(0));
    expect(await call(host, { target: limited })).toEqual({
      code: 4400,
      message: 'GetDsaHostLogs allows 100 calls per minute per SecretId; retry in 60 s',
      codeDesc: 'RequestLimitExceeded',
    });
    clockMs = NOW + 60_001;
    expect((await call({ ...host, Timestamp: String(Math.floor(clockMs / 1000)) }, { target: limited })).code).toBe(0);
  });

  it('does not burn the Nonce of a call refused by the quota, and still refuses a replayed one before the quota', async () => {
    let clockMs = NOW;
    const limited = await emulator({ now: () => clockMs, rpm: 1, callsPerMinute: 1 });
    const host = hostsParam(limited.hosts[0]);
    expect((await call({ ...host, Nonce: '1111' }, { target: limited })).code).toBe(0);
    expect((await call({ ...host, Nonce: '2222' }, { target: limited })).code).toBe(4400);
    expect((await call({ ...host, Nonce: '1111' }, { target: limited })).code).toBe(4500);
    clockMs = NOW + 60_001;
    expect((await call({ ...host, Nonce: '2222' }, { target: limited })).code).toBe(0);
    clockMs = NOW + 120_002;
    expect((await call({ ...host, Nonce: '1111' }, { target: limited })).code).toBe(4500);
  });
});

describe('Tencent DSA emulator: §9 item 3, hosts and dates', () => {
  it('refuses 12 hosts in one call and accepts them as 10 + 2', async () => {
    expect(await call(hostsParam(...dsa.hosts))).toEqual(invalid('hosts names 12 hosts; GetDsaHostLogs takes at most 10 per call'));
    const first = await call(hostsParam(...dsa.hosts.slice(0, 10)));
    const second = await call(hostsParam(...dsa.hosts.slice(10)));
    expect(Object.keys(first.data!)).toEqual(dsa.hosts.slice(0, 10));
    expect(Object.keys(second.data!)).toEqual(dsa.hosts.slice(10));
    expect(second.data![dsa.hosts[11]].map((entry) => entry.datetime)).toEqual(HOURS_00_TO_17);
  });

  it.each<[string, Record<string, string>, string]>([
    ['no hosts', {}, 'hosts is required: a JSON array of 1 to 10 host names'],
    ['hosts that are not JSON', { hosts: 'h01.dsa.example.com' }, 'hosts must be a JSON array of host name strings'],
    ['hosts that are not strings', { hosts: '[1, 2]' }, 'hosts must be a JSON array of host name strings'],
    ['a JSON object', { hosts: '{"h01.dsa.example.com":true}' }, 'hosts must be a JSON array'],
    ['an empty array', { hosts: '[]' }, 'hosts is an empty array'],
    ['a host of another account', hostsParam('h01.dsa.example.com', 'dsatest.qcloud.com'), 'hosts: "dsatest.qcloud.com" is not a DSA host of this account'],
    ['a malformed startDate', { ...hostsParam('h01.dsa.example.com'), startDate: '2026/11/22' }, 'startDate must be a date YYYY-MM-DD'],
    ['an impossible endDate', { ...hostsParam('h01.dsa.example.com'), endDate: '2026-11-31' }, 'endDate must be a date YYYY-MM-DD (Beijing time), got "2026-11-31"'],
    ['startDate after endDate', { ...hostsParam('h01.dsa.example.com'), startDate: '2026-11-22', endDate: '2026-11-21' }, 'startDate 2026-11-22 is after endDate 2026-11-21'],
    ['a date 40 days back', { ...hostsParam('h01.dsa.example.com'), startDate: '2026-10-13', endDate: TODAY }, 'DSA keeps logs for 40 days, so the oldest date is 2026-10-14'],
  ])('answers 4000 for %s', async (_, extra, message) => {
    expect(await call(extra)).toEqual(invalid(message));
  });

  it('serves today (Beijing) when both dates are empty or missing', async () => {
    const host = dsa.hosts[2];
    const unset: Array<Record<string, string>> = [{}, { startDate: '', endDate: '' }];
    for (const dates of unset) {
      expect((await call({ ...hostsParam(host), ...dates })).data![host].map((entry) => entry.datetime)).toEqual(HOURS_00_TO_17);
    }
  });

  it('serves today when either date is empty (§4.4), and serves today − 39 days', async () => {
    const host = dsa.hosts[3];
    const days = async (dates: Record<string, string>) =>
      new Set((await call({ ...hostsParam(host), ...dates })).data![host].map((entry) => entry.datetime.slice(0, 10)));
    expect(await days({ startDate: '2026-11-20' })).toEqual(new Set([TODAY]));
    expect(await days({ endDate: '2026-11-19' })).toEqual(new Set([TODAY]));
    expect(await days({ startDate: '2026-11-20', endDate: '' })).toEqual(new Set([TODAY]));
    expect(await days({ startDate: '', endDate: '2026-11-19' })).toEqual(new Set([TODAY]));
    expect(await days({ startDate: '2026-11-20', endDate: '2026-11-20' })).toEqual(new Set(['2026-11-20']));
    expect(await days({ startDate: '2026-10-14', endDate: '2026-10-15' })).toEqual(new Set(['2026-10-14', '2026-10-15']));
  });
});

describe('Tencent DSA emulator: §9 item 4, listing', () => {
  it("lists exactly the generator's published hours that had requests; hours without any are absent, not empty", async () => {
    const sparse = await emulator({ rpm: 0.02, seed: 11 });
    const hosts = sparse.hosts.slice(0, 4);
    const body = await call({ ...hostsParam(...hosts), startDate: '2026-11-21', endDate: TODAY }, { target: sparse });
    const fromMs = beijingMidnight('2026-11-21');
    let absent = 0;
    for (const host of hosts) {
      const expected = expectedHours(sparse, host, fromMs, fromMs + 2 * DAY);
      expect(body.data![host].map((entry) => entry.datetime)).toEqual(expected);
      absent += 24 + 18 - expected.length;
    }
    expect(absent).toBeGreaterThan(5);
  });

  it('maps a host without published packages to []', async () => {
    const body = await call({ ...hostsParam(dsa.hosts[0], dsa.hosts[1]), startDate: '2026-11-23', endDate: '2026-11-23' });
    expect(body.data).toEqual({ [dsa.hosts[0]]: [], [dsa.hosts[1]]: [] });
  });

  it('lists an hour once now >= hour end + publishDelayMs', async () => {
    const host = dsa.hosts[0];
    const early = await emulator({ publishDelayMs: 30 * 60_000 });
    expect((await call(hostsParam(host), { target: early })).data![host].map((e) => e.datetime)).toEqual([...HOURS_00_TO_17, `${TODAY} 18:00:00`]);
    const prompt = await emulator({ publishDelayMs: 0 });
    expect((await call(hostsParam(host), { target: prompt })).data![host]).toHaveLength(20);
  });

  it('drops quietHours (UTC) from the listing', async () => {
    const quiet = await emulator({ quietHours: [3, 4] });
    const host = quiet.hosts[5];
    const datetimes = (await call(hostsParam(host), { target: quiet })).data![host].map((entry) => entry.datetime);
    // UTC 03:00 and 04:00 are 11:00 and 12:00 in Beijing.
    expect(datetimes).toEqual(HOURS_00_TO_17.filter((datetime) => !/ 1[12]:/.test(datetime)));
    expect(datetimes).toEqual(expectedHours(quiet, host, beijingMidnight(TODAY), beijingMidnight(TODAY) + DAY, [3, 4]));
  });

  it('builds URLs as <origin>/<YYYYMMDD>/<HH>/<YYYYMMDD>-<host>?st=<token>&e=<now + 24 h> (§4.5)', async () => {
    const host = dsa.hosts[4];
    const entries = (await call(hostsParam(host))).data![host];
    for (const { datetime, url } of entries) {
      const [date, time] = datetime.split(' ');
      const day = date.replace(/-/g, '');
      expect(url).toMatch(new RegExp(`^${dsa.baseUrl}/${day}/${time.slice(0, 2)}/${day}-${host.replace(/\./g, '\\.')}\\?st=[\\w-]{22}&e=${NOW_S + 86_400}$`));
    }
    expect(new Set(entries.map(({ url }) => new URL(url).searchParams.get('st'))).size).toBe(entries.length);
  });

  it('puts packageBaseUrl in the URLs', async () => {
    const elsewhere = await emulator();
    elsewhere.packageBaseUrl = 'http://packages.example.test:8080';
    const url = (await call(hostsParam(elsewhere.hosts[0]), { target: elsewhere })).data![elsewhere.hosts[0]][0].url;
    expect(url.startsWith(`http://packages.example.test:8080/20261122/00/20261122-${elsewhere.hosts[0]}?st=`)).toBe(true);
  });
});

describe('Tencent DSA emulator: §9 item 5, package download', () => {
  it('serves the hour as gzip, one 15-field line per request in time order, equal to the generator events', async () => {
    const host = dsa.hosts[6];
    const response = await rawRequest(await packageUrl(host, TEN_AM));
    expect([response.status, response.headers['content-type']]).toEqual([200, 'application/octet-stream']);
    const text = gunzipSync(response.body).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    const events = dsa.generator.events(host, [host], TEN_AM, TEN_AM + HOUR);
    expect(lines.length).toBe(events.length);
    const firstDifference = events.findIndex((event, i) => JSON.stringify(parseLine(lines[i])) !== JSON.stringify(expectedFields(event)));
    expect({ firstDifference, line: lines[firstDifference] }).toEqual({ firstDifference: -1, line: undefined });
    // The mix a parser has to survive: UAs with spaces, and both region kinds.
    expect(events.some((event) => event.userAgent.includes(' '))).toBe(true);
    expect(events.some((event) => event.country === 'CN')).toBe(true);
    expect(lines[0].startsWith('2026112210')).toBe(true);
  });

  it('renders the spec example line, with -1/-1 outside the mainland', () => {
    const base = dsa.generator.events(dsa.hosts[0], [dsa.hosts[0]], TEN_AM, TEN_AM + HOUR)[0];
    const event: TrafficEvent = {
      ...base,
      timestampMs: Date.UTC(2018, 3, 18, 2, 30, 15, 999),
      clientIp: '203.0.113.7',
      country: 'DE',
      host: 'a.dsa.qcloud.com',
      path: '/api/v1/items',
      query: 'id=3',
      bytesSent: 1532,
      status: 200,
      referer: null,
      durationMs: 37,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
      range: null,
      method: 'GET',
      protocol: 'HTTP/1.1',
      cacheStatus: 'EXPIRED',
    };
    expect(dsaLogLine(event)).toBe('20180418103015 203.0.113.7 a.dsa.qcloud.com /api/v1/items?id=3 1532 -1 -1 200 - 37 Mozilla/5.0 (X11; Linux x86_64) - GET HTTP/1.1 miss');
    expect(dsaLogLine({ ...event, cacheStatus: 'HIT', range: 'bytes=0-1023', referer: 'https://t.co/x', protocol: 'HTTP/3', query: null })).toBe(
      '20180418103015 203.0.113.7 a.dsa.qcloud.com /api/v1/items 1532 -1 -1 200 https://t.co/x 37 Mozilla/5.0 (X11; Linux x86_64) bytes=0-1023 GET HTTP/3 hit',
    );
  });

  it('gives mainland clients a documented province and ISP code, the same for the same IP', () => {
    const events = dsa.hosts.flatMap((host) => dsa.generator.events(host, [host], TEN_AM, TEN_AM + HOUR)).filter((event) => event.country === 'CN');
    expect(events.length).toBeGreaterThan(20);
    const codes = events.map(dsaRegionCodes);
    expect(new Set(codes.map((c) => c.province))).toEqual(new Set(Object.values(DSA_PROVINCE_CODES)));
    expect(new Set(codes.map((c) => c.isp))).toEqual(new Set(Object.values(DSA_ISP_CODES)));
    expect(dsaRegionCodes({ ...events[0], rayId: 'other' })).toEqual(codes[0]);
    expect(dsaRegionCodes({ ...events[0], country: 'HK' })).toEqual({ province: -1, isp: -1 });
  });

  it('answers 403 to a forged or edited URL', async () => {
    const host = dsa.hosts[0];
    const url = new URL(await packageUrl(host, TEN_AM));
    const st = url.searchParams.get('st')!;
    const variants = [
      `${url.origin}${url.pathname}?st=${st[0] === 'A' ? 'B' : 'A'}${st.slice(1)}&e=${url.searchParams.get('e')}`,
      `${url.origin}${url.pathname}?st=${st}&e=${NOW_S + 10 * 86_400}`,
      `${url.origin}${url.pathname}?e=${url.searchParams.get('e')}`,
      `${url.origin}${url.pathname}`,
      `${url.origin}${url.pathname.replace('/10/', '/09/')}${url.search}`,
      `${url.origin}${url.pathname.replace(host, dsa.hosts[1])}${url.search}`,
    ];
    for (const variant of variants) {
      const response = await rawRequest(variant);
      expect([response.status, response.body.toString()]).toEqual([403, 'Forbidden: the st token does not match this URL']);
    }
    expect(JSON.stringify(dsa.requests)).not.toContain(st);
  });

  it('answers 403 "Request has expired" once now > e', async () => {
    let clockMs = NOW;
    const clocked = await emulator({ now: () => clockMs });
    const url = await packageUrl(clocked.hosts[0], TEN_AM, clocked);
    clockMs = NOW + DAY;
    expect((await rawRequest(url)).status).toBe(200);
    clockMs = NOW + DAY + 1000;
    const response = await rawRequest(url);
    expect([response.status, response.body.toString()]).toEqual([403, 'Request has expired']);
  });

  it.each([
    ['an unknown host', '/20261122/10/20261122-dsatest.qcloud.com?st=x&e=1'],
    ['an impossible date', '/20261131/10/20261131-h01.dsa.example.com?st=x&e=1'],
    ['hour 24', '/20261122/24/20261122-h01.dsa.example.com?st=x&e=1'],
    ['two different dates', '/20261122/10/20261121-h01.dsa.example.com?st=x&e=1'],
    ['another path', '/logs/h01.dsa.example.com.gz'],
  ])('answers 404 for %s', async (_, path) => {
    expect((await rawRequest(`${dsa.baseUrl}${path}`)).status).toBe(404);
  });
});

describe('Tencent DSA emulator: faults', () => {
  const host = () => dsa.hosts[7];

  it('rateLimit answers 4400 and serverError the injected HTTP status, in order', async () => {
    dsa.faults.inject({ kind: 'rateLimit', count: 1, retryAfterSeconds: 5 });
    dsa.faults.inject({ kind: 'serverError', count: 1, status: 502 });
    expect(await call(hostsParam(host()))).toEqual({
      code: 4400,
      message: 'GetDsaHostLogs allows 100000 calls per minute per SecretId; retry in 5 s',
      codeDesc: 'RequestLimitExceeded',
    });
    const failed = await send(dsa, 'POST', signedParams(hostsParam(host())), 'form');
    expect([failed.status, JSON.parse(failed.body.toString())]).toEqual([502, { message: 'Internal Server Error' }]);
    expect((await call(hostsParam(host()))).code).toBe(0);
  });

  it('does not spend faults on calls that fail validation', async () => {
    dsa.faults.inject({ kind: 'rateLimit', count: 1 });
    expect((await call(hostsParam('nobody.example.com'))).code).toBe(4000);
    expect(dsa.faults.pending()).toHaveLength(1);
  });

  it('expiredUrl lists URLs whose e is past, which then answer 403', async () => {
    dsa.faults.inject({ kind: 'expiredUrl', count: 1 });
    const [entry] = (await call(hostsParam(host()))).data![host()];
    expect(Number(new URL(entry.url).searchParams.get('e'))).toBeLessThan(NOW_S);
    const response = await rawRequest(entry.url);
    expect([response.status, response.body.toString()]).toEqual([403, 'Request has expired']);
    const [next] = (await call(hostsParam(host()))).data![host()];
    expect((await rawRequest(next.url)).status).toBe(200);
  });

  it('duplicateListing lists every package twice', async () => {
    const normal = (await call(hostsParam(host(), dsa.hosts[8]))).data!;
    dsa.faults.inject({ kind: 'duplicateListing', count: 1 });
    const doubled = (await call(hostsParam(host(), dsa.hosts[8]))).data!;
    for (const name of [host(), dsa.hosts[8]]) {
      expect(doubled[name]).toEqual(normal[name].flatMap((entry) => [entry, entry]));
    }
  });

  it('corruptGzip serves a 200 gzip body that zlib refuses with a data error', async () => {
    const url = await packageUrl(host(), TEN_AM);
    dsa.faults.inject({ kind: 'corruptGzip', count: 1 });
    const response = await rawRequest(url);
    expect(response.status).toBe(200);
    expect([...response.body.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(() => gunzipSync(response.body)).toThrow(/invalid block type/);
    expect(gunzipSync((await rawRequest(url)).body).length).toBeGreaterThan(0);
  });

  it('package faults wait for a download; listing faults wait for a listing', async () => {
    const url = await packageUrl(host(), TEN_AM);
    dsa.faults.inject({ kind: 'expiredUrl', count: 1 });
    expect((await rawRequest(url)).status).toBe(200);
    expect(dsa.faults.pending()).toEqual([{ kind: 'expiredUrl', count: 1 }]);
    dsa.faults.clear();
    dsa.faults.inject({ kind: 'corruptGzip', count: 1 });
    expect((await call(hostsParam(host()))).code).toBe(0);
    expect(dsa.faults.pending()).toEqual([{ kind: 'corruptGzip', count: 1 }]);
  });

  it('truncatedBody cuts the connection before the gzip is complete', async () => {
    const url = await packageUrl(host(), TEN_AM);
    dsa.faults.inject({ kind: 'truncatedBody', count: 1 });
    await expect(rawRequest(url)).rejects.toThrow();
  });

  it('slowBody sends headers and part of the gzip, then stalls until a client read timeout fires', async () => {
    const url = await packageUrl(host(), TEN_AM);
    dsa.faults.inject({ kind: 'slowBody', count: 1, delayMs: 10_000 });
    const response = await openRequest(url);
    expect(await watchStalledBody(response)).toEqual({ status: 200, stalled: true, partial: true });
  });

  it('refuses faults this emulator cannot produce', () => {
    expect(() => dsa.faults.inject({ kind: 'corruptZip', count: 1 })).toThrow(/corruptZip/);
  });
});

describe('Tencent DSA emulator: registry definition', () => {
  it('describes the demo account: SecretId and key, and one source per host', () => {
    expect(DSA_DEMO_CREDENTIALS.secretId.startsWith('AKIDdemo')).toBe(true);
    expect(tencentDsaEmulator.describe(dsa)).toEqual({
      provider: 'tencent-dsa',
      baseUrl: dsa.baseUrl,
      credentials: { secretId: DSA_DEMO_CREDENTIALS.secretId, secretKey: DSA_DEMO_CREDENTIALS.secretKey },
      sources: Array.from({ length: 12 }, (_, i) => ({ host: `h${pad(i + 1)}.dsa.example.com` })),
    });
  });

  it('starts from the common options', async () => {
    const started = await tencentDsaEmulator.start({ port: 0, seed: 2, rpm: 5 });
    try {
      expect([started.generator.seed, started.generator.rpm, started.hosts.length]).toEqual([2, 5, 12]);
      expect(started.packageBaseUrl).toBe(started.baseUrl);
    } finally {
      await started.close();
    }
  });
});
