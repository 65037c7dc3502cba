import { createHmac } from 'node:crypto';
import { strFromU8, unzipSync } from 'fflate';
import Papa from 'papaparse';
import { openRequest, rawRequest, type RawResponse, watchStalledBody } from '../loopback-client';
import {
  ELSA_FIELDS,
  type ElsaLogDocument,
  elsaLogDocument,
  elsaProjects,
  type NaverElsaEmulator,
  naverElsaEmulator,
  startNaverElsaEmulator,
} from '.';
import { verifyNcpSignatureV2 } from './sign';
import type { TrafficEvent } from '../traffic';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const FROM = Date.UTC(2026, 10, 22, 10, 0, 0);
const TO = FROM + 30 * MINUTE;
const PATH = '/api/v1/logs/download';
const HOSTS = ['app-01', 'app-02', 'app-03'];

let elsa: NaverElsaEmulator;

beforeAll(async () => {
  elsa = await startNaverElsaEmulator({ now: () => NOW, seed: 7, rpm: 20, projects: 2 });
});
afterAll(() => elsa.close());
afterEach(() => {
  elsa.faults.clear();
  elsa.jsonShape = 'array';
});

/** The test's own signer, written from spec 5.2. */
function sign(method: string, uri: string, timestamp: string, accessKey: string, secretKey: string): string {
  return createHmac('sha256', secretKey).update(`${method} ${uri}\n${timestamp}\n${accessKey}`).digest('base64');
}

function signedHeaders(uri = PATH, timestampMs = NOW, emulator = elsa): Record<string, string> {
  const { accessKey, secretKey } = emulator.credentials;
  const timestamp = String(timestampMs);
  return {
    'Content-Type': 'application/json',
    'x-ncp-apigw-timestamp': timestamp,
    'x-ncp-iam-access-key': accessKey,
    'x-ncp-apigw-signature-v2': sign('POST', uri, timestamp, accessKey, secretKey),
  };
}

interface Call {
  uri?: string;
  method?: string;
  headers?: Record<string, string>;
  emulator?: NaverElsaEmulator;
  rawBody?: string;
}

function call(body: unknown, { uri = PATH, method = 'POST', emulator = elsa, headers, rawBody }: Call = {}): Promise<RawResponse> {
  return rawRequest(`${emulator.baseUrl}${uri}`, {
    method,
    headers: headers ?? signedHeaders(uri, NOW, emulator),
    body: rawBody ?? JSON.stringify(body),
  });
}

/** Projects are fixed by index, so test tables can name them before the emulator starts. */
const [FIRST] = elsaProjects(1);
const project = () => FIRST;

function window(extra: Record<string, unknown> = {}, fromMs = FROM, toMs = TO): Record<string, unknown> {
  return { projectKey: project().projectKey, projectId: project().projectId, from: fromMs, to: toMs, ...extra };
}

const errorOf = (response: RawResponse) => ({ status: response.status, body: JSON.parse(response.body.toString()) });

/** The single member of the zip. */
function member(response: RawResponse): { name: string; text: string } {
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe('application/zip');
  const members = Object.entries(unzipSync(response.body));
  expect(members).toHaveLength(1);
  return { name: members[0][0], text: strFromU8(members[0][1]) };
}

/** The oracle: the project's documents in [from, to), newest first (ties: ray id descending). */
function expectedDocuments(fromMs = FROM, toMs = TO, which = project()): ElsaLogDocument[] {
  return elsa.generator
    .events(`elsa:${which.projectKey}`, HOSTS, fromMs, toMs)
    .reverse()
    .map((event) => elsaLogDocument(event, which));
}

const asCells = (documents: ElsaLogDocument[], fields: readonly string[]) =>
  documents.map((document) => Object.fromEntries(fields.map((field) => [field, String(document[field] ?? '')])));

describe('NAVER ELSA emulator: signature v2 (spec 5.2)', () => {
  const vector = { timestamp: '1700000000000', accessKey: 'ncpAccessKeyEXAMPLE' };
  const secretKey = 'ncpSecretKeyEXAMPLE';
  const getUri = '/api/v1/fields?projectKey=Pbxxxxx_elsa-test&projectId=8171&from=1381190400000&to=1381190400000';

  it('verifies the worked POST and GET vectors', () => {
    expect(
      verifyNcpSignatureV2({ ...vector, method: 'POST', uri: PATH, signature: 'NwR/riL3uA9IJ++jXB38+LUNrjtQr87kfpMmASzZee0=' }, secretKey),
    ).toBe(true);
    expect(
      verifyNcpSignatureV2({ ...vector, method: 'GET', uri: getUri, signature: 'y3gM9cw+yzlWCa9eZbqbaR+fYad3T6lJe4Uau2QdQsc=' }, secretKey),
    ).toBe(true);
    expect(sign('POST', PATH, vector.timestamp, vector.accessKey, secretKey)).toBe('NwR/riL3uA9IJ++jXB38+LUNrjtQr87kfpMmASzZee0=');
  });

  it('rejects the vector with any input changed, a truncated signature or a non-canonical spelling', () => {
    const good = { ...vector, method: 'POST', uri: PATH, signature: 'NwR/riL3uA9IJ++jXB38+LUNrjtQr87kfpMmASzZee0=' };
    expect(verifyNcpSignatureV2(good, 'otherSecret')).toBe(false);
    expect(verifyNcpSignatureV2({ ...good, method: 'GET' }, secretKey)).toBe(false);
    expect(verifyNcpSignatureV2({ ...good, uri: `${PATH}?a=1` }, secretKey)).toBe(false);
    expect(verifyNcpSignatureV2({ ...good, timestamp: '1700000000001' }, secretKey)).toBe(false);
    expect(verifyNcpSignatureV2({ ...good, accessKey: 'ncpAccessKeyOTHER' }, secretKey)).toBe(false);
    expect(verifyNcpSignatureV2({ ...good, signature: good.signature.slice(0, 20) }, secretKey)).toBe(false);
    expect(verifyNcpSignatureV2({ ...good, signature: good.signature.replace('=', '') }, secretKey)).toBe(false);
    expect(verifyNcpSignatureV2({ ...good, signature: `${good.signature}!` }, secretKey)).toBe(false);
  });
});

describe('NAVER ELSA emulator: routing', () => {
  it('answers 404 errorCode 300 on another path', async () => {
    for (const uri of ['/api/v1/logs/search', `${PATH}/`, '/']) {
      expect(errorOf(await call(window(), { uri }))).toEqual({
        status: 404,
        body: { error: { errorCode: '300', message: 'Not Found Exception' } },
      });
    }
  });

  it('answers 404 errorCode 300 to another method, naming it (the gateway has no 405)', async () => {
    const response = await rawRequest(`${elsa.baseUrl}${PATH}`, { method: 'GET', headers: signedHeaders() });
    expect(errorOf(response)).toEqual({
      status: 404,
      body: { error: { errorCode: '300', message: 'Not Found Exception', details: `GET is not served on ${PATH}; use POST` } },
    });
  });
});

describe('NAVER ELSA emulator: auth (spec 5.1, 5.2, 5.5)', () => {
  const authFailure = (details: string) => ({
    status: 401,
    body: { error: { errorCode: '200', message: 'Authentication Failed', details } },
  });
  const without = (name: string) => Object.fromEntries(Object.entries(signedHeaders()).filter(([key]) => key !== name));

  it.each(['x-ncp-apigw-timestamp', 'x-ncp-iam-access-key', 'x-ncp-apigw-signature-v2'])('401 when %s is missing', async (name) => {
    expect(errorOf(await call(window(), { headers: without(name) }))).toEqual(authFailure(`missing header ${name}`));
  });

  it('names every missing header at once', async () => {
    const response = await call(window(), { headers: { 'Content-Type': 'application/json' } });
    expect(errorOf(response)).toEqual(
      authFailure('missing header x-ncp-apigw-timestamp, x-ncp-iam-access-key, x-ncp-apigw-signature-v2'),
    );
  });

  it('401 for an unknown access key, even when signed with it', async () => {
    const timestamp = String(NOW);
    const headers = {
      ...signedHeaders(),
      'x-ncp-iam-access-key': 'SOMEONEELSESKEY00001',
      'x-ncp-apigw-signature-v2': sign('POST', PATH, timestamp, 'SOMEONEELSESKEY00001', elsa.credentials.secretKey),
    };
    expect(errorOf(await call(window(), { headers }))).toEqual(
      authFailure('the access key in x-ncp-iam-access-key is not known to the gateway'),
    );
  });

  it('accepts a timestamp exactly 5 minutes off either way, and rejects 1 ms more', async () => {
    const limit = 5 * MINUTE;
    expect((await call(window(), { headers: signedHeaders(PATH, NOW - limit) })).status).toBe(200);
    expect((await call(window(), { headers: signedHeaders(PATH, NOW + limit) })).status).toBe(200);
    expect(errorOf(await call(window(), { headers: signedHeaders(PATH, NOW - limit - 1) }))).toEqual(
      authFailure('x-ncp-apigw-timestamp is 300001 ms behind the gateway clock; at most 300000 ms is allowed'),
    );
    expect(errorOf(await call(window(), { headers: signedHeaders(PATH, NOW + limit + 1) }))).toEqual(
      authFailure('x-ncp-apigw-timestamp is 300001 ms ahead of the gateway clock; at most 300000 ms is allowed'),
    );
  });

  it('says when the timestamp looks like seconds, and rejects one that is not a number', async () => {
    const seconds = errorOf(await call(window(), { headers: signedHeaders(PATH, Math.floor(NOW / 1000)) }));
    expect(seconds.status).toBe(401);
    expect(seconds.body.error.details).toMatch(/looks like seconds; the gateway wants milliseconds\)$/);
    const headers = { ...signedHeaders(), 'x-ncp-apigw-timestamp': new Date(NOW).toISOString() };
    expect(errorOf(await call(window(), { headers }))).toEqual(authFailure('x-ncp-apigw-timestamp must be epoch milliseconds (digits only)'));
  });

  it('401 for a wrong signature, naming what must be signed but never the expected signature', async () => {
    const attempts = [
      { ...signedHeaders(), 'x-ncp-apigw-signature-v2': sign('POST', PATH, String(NOW), elsa.credentials.accessKey, 'wrong-secret') },
      // Signed for GET, or without the query string the request carries.
      { ...signedHeaders(), 'x-ncp-apigw-signature-v2': sign('GET', PATH, String(NOW), elsa.credentials.accessKey, elsa.credentials.secretKey) },
    ];
    for (const headers of attempts) {
      expect(errorOf(await call(window(), { headers }))).toEqual(
        authFailure(`x-ncp-apigw-signature-v2 does not match: it must be base64 HMAC-SHA256 with the secret key of "POST ${PATH}\\n<timestamp>\\n<access key>"`),
      );
    }
    const withQuery = await call(window(), { uri: `${PATH}?trace=1`, headers: signedHeaders(PATH) });
    expect(errorOf(withQuery).body.error.details).toContain(`"POST ${PATH}?trace=1\\n`);
    const expected = signedHeaders(`${PATH}?trace=1`)['x-ncp-apigw-signature-v2'];
    expect(withQuery.body.toString()).not.toContain(expected);
    expect(withQuery.body.toString()).not.toContain(elsa.credentials.secretKey);
  });

  it('accepts a signature over the path with its query string, as sent', async () => {
    const uri = `${PATH}?trace=1&x=%20y`;
    expect((await call(window(), { uri, headers: signedHeaders(uri) })).status).toBe(200);
  });

  it('keeps headers, and credentials sent in the query, out of the request log', async () => {
    const { accessKey } = elsa.credentials;
    const headers = signedHeaders();
    const leakedSignature = headers['x-ncp-apigw-signature-v2'];
    // A client that puts the gateway credentials in the query as well: the URI it signs carries them.
    const uri = `${PATH}?trace=1&x-ncp-iam-access-key=${accessKey}&x-ncp-apigw-signature-v2=${encodeURIComponent(leakedSignature)}`;
    expect((await call(window(), { uri, headers: signedHeaders(uri) })).status).toBe(200);
    expect(elsa.requests[elsa.requests.length - 1]).toEqual({
      method: 'POST',
      path: PATH,
      query: { trace: '1', 'x-ncp-iam-access-key': 'redacted', 'x-ncp-apigw-signature-v2': 'redacted' },
      status: 200,
    });
    const log = JSON.stringify(elsa.requests);
    expect(log).not.toContain(accessKey);
    expect(log).not.toContain(leakedSignature);
  });
});

describe('NAVER ELSA emulator: quota (spec 5.5)', () => {
  it('answers 429 errorCode 420 past callsPerMinute in any 60 s, counting bad bodies but not failed auth', async () => {
    let nowMs = NOW;
    const limited = await startNaverElsaEmulator({ now: () => nowMs, rpm: 1, callsPerMinute: 3 });
    try {
      const send = (body: unknown, headers = signedHeaders(PATH, nowMs, limited)) => call(body, { emulator: limited, headers });
      expect((await send(window(), { ...signedHeaders(PATH, nowMs, limited), 'x-ncp-apigw-signature-v2': 'AAAA' })).status).toBe(401);
      const statuses = [(await send(window())).status, (await send({})).status, (await send(window())).status];
      expect(statuses).toEqual([200, 400, 200]);
      nowMs += 20_000;
      const limitedResponse = await send({});
      expect(errorOf(limitedResponse)).toEqual({ status: 429, body: { error: { errorCode: '420', message: 'Rate Limited' } } });
      expect(limitedResponse.headers['retry-after']).toBe('40');
      nowMs = NOW + MINUTE + 1;
      expect((await send(window())).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('NAVER ELSA emulator: body validation (spec 5.3)', () => {
  const badRequest = (details: string) => ({
    status: 400,
    body: { error: { errorCode: '100', message: 'Bad Request Exception', details } },
  });

  it.each<[string, unknown, string]>([
    ['an array body', [window()], 'the body must be a JSON object'],
    ['a JSON string body', 'from=1', 'the body must be a JSON object'],
    ['no projectKey', window({ projectKey: undefined }), 'projectKey is required'],
    ['an empty projectKey', window({ projectKey: '' }), 'projectKey must be a string of 1–53 characters, got ""'],
    ['a 54-character projectKey', window({ projectKey: 'P'.repeat(54) }), `projectKey must be a string of 1–53 characters, got "${'P'.repeat(54)}"`],
    ['a projectId as a string', window({ projectId: '8171' }), 'projectId must be an integer, got "8171"'],
    ['a fractional projectId', window({ projectId: 8171.5 }), 'projectId must be an integer, got 8171.5'],
    ['no from', window({ from: undefined }), 'from (epoch ms) is required'],
    ['from as an ISO string', window({ from: '2026-11-22T10:00:00Z' }), 'from (epoch ms) must be an integer, got "2026-11-22T10:00:00Z"'],
    ['a negative to', window({ to: -1 }), 'to (epoch ms) must be 0–9007199254740991, got -1'],
    ['from after to', window({}, TO, FROM), `from (${TO}) is after to (${FROM})`],
    ['from after now with to omitted', window({ to: undefined }, NOW + 1), `from (${NOW + 1}) is after to (${NOW}), which defaults to now`],
    [
      'a to more than a day after now',
      window({}, FROM, NOW + DAY + 1),
      `to (${NOW + DAY + 1}) is more than a day after now (${NOW}); send epoch milliseconds of a time that has passed`,
    ],
    [
      'a window after 2099, which no zip date can hold',
      window({}, Date.UTC(2100, 0, 1), Date.UTC(2100, 0, 2)),
      `from (${Date.UTC(2100, 0, 1)}) is more than a day after now (${NOW}); send epoch milliseconds of a time that has passed; ` +
        `to (${Date.UTC(2100, 0, 2)}) is more than a day after now (${NOW}); send epoch milliseconds of a time that has passed`,
    ],
    ['format XML', window({ format: 'XML' }), 'format must be JSON or CSV, got "XML"'],
    ['format as a number', window({ format: 1 }), 'format must be JSON or CSV, got 1'],
    ['limit 0', window({ limit: 0 }), 'limit must be 1–1000, got 0'],
    ['limit 1001', window({ limit: 1001 }), 'limit must be 1–1000, got 1001'],
    ['count 0', window({ count: 0 }), 'count must be 1–200000, got 0'],
    ['count 200001', window({ count: 200_001 }), 'count must be 1–200000, got 200001'],
    ['includeFields as a string', window({ includeFields: 'body' }), 'includeFields must be an array of field names, got "body"'],
    ['includeFields with a number', window({ includeFields: ['body', 3] }), 'includeFields must be an array of field names, got ["body",3]'],
    ['an unknown project', window({ projectId: 9999 }), 'unknown project: projectKey "Pbxxxxx_elsa-test" with projectId 9999 is not a project of this account'],
    ['a key and id of different projects', window({ projectId: 8172 }), 'unknown project: projectKey "Pbxxxxx_elsa-test" with projectId 8172 is not a project of this account'],
    ['two problems', window({ limit: 0, count: 0 }), 'limit must be 1–1000, got 0; count must be 1–200000, got 0'],
  ])('400 errorCode 100 for %s', async (_, body, details) => {
    expect(errorOf(await call(body))).toEqual(badRequest(details));
  });

  it('400 for a body that is not JSON or not declared application/json', async () => {
    expect(errorOf(await call(undefined, { rawBody: '{"from":' })).body.error.details).toMatch(/^the body is not JSON: /);
    const asForm = { ...signedHeaders(), 'Content-Type': 'application/x-www-form-urlencoded' };
    expect(errorOf(await call(window(), { headers: asForm }))).toEqual(
      badRequest('Content-Type must be application/json, got application/x-www-form-urlencoded'),
    );
    const withCharset = { ...signedHeaders(), 'Content-Type': 'Application/JSON; charset=utf-8' };
    expect((await call(window(), { headers: withCharset })).status).toBe(200);
  });

  it('413 errorCode 430 for a body over 64 KiB', async () => {
    expect(errorOf(await call(window({ includeFields: Array(10_000).fill('logTime') })))).toEqual({
      status: 413,
      body: { error: { errorCode: '430', message: 'Request Entity Too Large', details: 'the body is over 65536 bytes' } },
    });
  });

  it('takes format in any case, treats null as not sent, and ignores unknown keys', async () => {
    expect(member(await call(window({ format: 'csv', limit: null, count: null, sortBy: 'host' }))).name).toMatch(/\.csv$/);
    expect(member(await call(window({ format: 'Json', includeFields: null }))).name).toMatch(/\.json$/);
  });
});

describe('NAVER ELSA emulator: download (spec 5.4)', () => {
  it('names the one member <projectKey>_<from>_<to>.json, and defaults to to now', async () => {
    expect(member(await call(window())).name).toBe(`Pbxxxxx_elsa-test_${FROM}_${TO}.json`);
    const second = elsa.projects[1];
    const response = await call({ projectKey: second.projectKey, projectId: second.projectId, from: NOW - MINUTE, format: 'CSV' });
    expect(member(response).name).toBe(`Pbxxxxx_elsa-two_${NOW - MINUTE}_${NOW}.csv`);
  });

  it('JSON array member: exactly the window documents of that project, newest first', async () => {
    const documents = JSON.parse(member(await call(window())).text) as ElsaLogDocument[];
    const expected = expectedDocuments();
    expect(expected.length).toBeGreaterThan(300);
    expect(documents).toEqual(expected);
    expect(documents.every((document) => document.projectName === 'elsa-test')).toBe(true);
    const times = documents.map((document) => Number(document.logTime));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(FROM);
    expect(Math.max(...times)).toBeLessThan(TO);
  });

  it('serves the other project its own stream', async () => {
    const second = elsa.projects[1];
    const body = { projectKey: second.projectKey, projectId: second.projectId, from: FROM, to: TO };
    const documents = JSON.parse(member(await call(body)).text) as ElsaLogDocument[];
    expect(documents).toEqual(expectedDocuments(FROM, TO, second));
    expect(documents).not.toEqual(expectedDocuments());
  });

  it('NDJSON member when jsonShape is ndjson: one document per line', async () => {
    elsa.jsonShape = 'ndjson';
    const { text } = member(await call(window()));
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.slice(0, -1).split('\n').map((line) => JSON.parse(line))).toEqual(expectedDocuments());
  });

  it('CSV member: every field as the header, RFC 4180 quoting, empty cells for absent fields', async () => {
    const { text } = member(await call(window({ format: 'CSV' })));
    const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
    expect(parsed.errors).toEqual([]);
    expect(parsed.meta.fields).toEqual([
      'logTime', 'sendTime', 'projectName', 'projectVersion', 'logLevel', 'logType', 'logSource', 'body', 'host',
      'clientIp', 'userAgent', 'status', 'durationMs', 'ExceptionType',
    ]);
    const expected = expectedDocuments();
    expect(parsed.data).toEqual(asCells(expected, ELSA_FIELDS));
    expect(text.split('\r\n')).toHaveLength(expected.length + 2);
    // The data exercise the quoting: commas and a double quote in user agents, and rows without ExceptionType.
    const agents = expected.map((document) => String(document.userAgent));
    expect(agents.some((agent) => agent.includes('"'))).toBe(true);
    expect(agents.some((agent) => agent.includes(','))).toBe(true);
    expect(parsed.data.some((row) => row.ExceptionType === '')).toBe(true);
    expect(parsed.data.some((row) => row.ExceptionType !== '')).toBe(true);
  });

  it('includeFields: listed fields in listed order, unknown names absent (JSON) or empty (CSV)', async () => {
    const fields = ['body', 'ExceptionType', 'logTime', 'noSuchField', 'body'];
    const expected = expectedDocuments();
    const json = JSON.parse(member(await call(window({ includeFields: fields }))).text) as ElsaLogDocument[];
    expect(json).toEqual(
      expected.map((document) => ({ body: document.body, ...(document.ExceptionType ? { ExceptionType: document.ExceptionType } : {}), logTime: document.logTime })),
    );
    expect(Object.keys(json.find((document) => 'ExceptionType' in document)!)).toEqual(['body', 'ExceptionType', 'logTime']);

    const { text } = member(await call(window({ format: 'CSV', includeFields: fields })));
    const csv = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
    expect(csv.meta.fields).toEqual(['body', 'ExceptionType', 'logTime', 'noSuchField']);
    expect(csv.data).toEqual(asCells(expected, ['body', 'ExceptionType', 'logTime', 'noSuchField']));
  });

  it('includeFields naming Object.prototype members gives empty CSV cells and absent JSON fields', async () => {
    const fields = ['constructor', 'body', 'toString', 'hasOwnProperty'];
    const expected = expectedDocuments();
    const { text } = member(await call(window({ format: 'CSV', includeFields: fields })));
    const csv = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
    expect(csv.meta.fields).toEqual(fields);
    expect(csv.data).toEqual(expected.map((document) => ({ constructor: '', body: document.body, toString: '', hasOwnProperty: '' })));
    expect(text).not.toContain('[native code]');
    const json = JSON.parse(member(await call(window({ includeFields: fields }))).text) as ElsaLogDocument[];
    expect(json).toEqual(expected.map((document) => ({ body: document.body })));
  });

  it('an empty includeFields means every field', async () => {
    expect(JSON.parse(member(await call(window({ includeFields: [] }))).text)).toEqual(expectedDocuments());
  });

  it('caps the file at count, keeping the newest rows; the halves of the window return the rest', async () => {
    const all = expectedDocuments();
    const count = Math.floor(all.length * 0.6);
    const capped = JSON.parse(member(await call(window({ count }))).text) as ElsaLogDocument[];
    expect(capped).toEqual(all.slice(0, count));

    const middle = FROM + 15 * MINUTE;
    const newer = JSON.parse(member(await call(window({ count }, middle, TO))).text) as ElsaLogDocument[];
    const older = JSON.parse(member(await call(window({ count }, FROM, middle))).text) as ElsaLogDocument[];
    expect(newer.length).toBeLessThan(count);
    expect(older.length).toBeLessThan(count);
    expect([...newer, ...older]).toEqual(all);
  });

  it('an empty window gives an empty member (and a CSV header only)', async () => {
    expect(JSON.parse(member(await call(window({}, FROM, FROM))).text)).toEqual([]);
    expect(member(await call(window({ format: 'CSV', includeFields: ['body', 'host'] }, FROM, FROM))).text).toBe('body,host\r\n');
    elsa.jsonShape = 'ndjson';
    expect(member(await call(window({}, FROM, FROM))).text).toBe('');
  });

  it('serves a window that ends up to a day after now, and one from before 1980 (zip dates clamped)', async () => {
    const documents = JSON.parse(member(await call(window({}, NOW - 5 * MINUTE, NOW + DAY))).text) as ElsaLogDocument[];
    expect(documents).toEqual(expectedDocuments(NOW - 5 * MINUTE, NOW));
    expect(JSON.parse(member(await call(window({}, 0, 1000))).text)).toEqual([]);
  });

  it('serves nothing newer than now', async () => {
    const documents = JSON.parse(member(await call(window({}, NOW - 5 * MINUTE, NOW + 60 * MINUTE))).text) as ElsaLogDocument[];
    expect(documents).toEqual(expectedDocuments(NOW - 5 * MINUTE, NOW));
    expect(documents.length).toBeGreaterThan(0);
  });

  it('answers the same bytes for the same request', async () => {
    const [a, b] = [await call(window({ format: 'CSV' })), await call(window({ format: 'CSV' }))];
    expect(a.body.equals(b.body)).toBe(true);
  });
});

describe('NAVER ELSA emulator: log documents (spec 5.4)', () => {
  const events = () => elsa.generator.events('elsa:Pbxxxxx_elsa-test', HOSTS, FROM, FROM + 120 * MINUTE);
  const find = (predicate: (event: TrafficEvent) => boolean) => events().find(predicate)!;

  it('renders an event as an application log document', () => {
    const event = find((e) => e.method === 'GET' && e.query !== null && e.status < 400);
    const document = elsaLogDocument(event, project());
    expect(document).toEqual({
      logTime: event.timestampMs,
      sendTime: document.sendTime,
      projectName: 'elsa-test',
      projectVersion: '1.4.2',
      logLevel: document.logLevel,
      logType: 'access',
      logSource: 'nginx',
      body: `GET ${event.path}?${event.query} ${event.status} ${event.durationMs}ms`,
      host: event.host,
      clientIp: event.clientIp,
      userAgent: event.userAgent,
      status: event.status,
      durationMs: event.durationMs,
    });
    expect(['INFO', 'DEBUG']).toContain(document.logLevel);
    expect(HOSTS).toContain(document.host);
  });

  it('sets level, type, source and ExceptionType from the event', () => {
    const post = elsaLogDocument(find((e) => e.method === 'POST' && e.query === null), project());
    expect([post.logType, post.logSource]).toEqual(['app', 'api-server']);
    expect(post.body).not.toContain('?');
    const serverError = elsaLogDocument(find((e) => e.status >= 500), project());
    expect(serverError.logLevel).toBe('ERROR');
    expect(String(serverError.ExceptionType)).toMatch(/^(java|org)\.[\w.]+Exception$/);
    const clientError = elsaLogDocument(find((e) => e.status >= 400 && e.status < 500), project());
    expect(clientError.logLevel).toBe('WARN');
    expect(clientError).not.toHaveProperty('ExceptionType');
  });

  it('sends each document 0–2000 ms after logTime, and logs about 5 % of the rest at DEBUG', () => {
    const documents = events().map((event) => elsaLogDocument(event, project()));
    const delays = documents.map((document) => Number(document.sendTime) - Number(document.logTime));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2000);
    const ordinary = documents.filter((document) => Number(document.status) < 400);
    const debugShare = ordinary.filter((document) => document.logLevel === 'DEBUG').length / ordinary.length;
    expect(debugShare).toBeGreaterThan(0.02);
    expect(debugShare).toBeLessThan(0.09);
    // Keyed by ray id alone: rendering the same events again gives the same documents.
    expect(events().map((event) => elsaLogDocument(event, project()))).toEqual(documents);
  });
});

describe('NAVER ELSA emulator: faults', () => {
  it('rateLimit: 429 errorCode 410 Throttle Limited; serverError: 503 (or the given status) errorCode 500', async () => {
    elsa.faults.inject({ kind: 'rateLimit', count: 1, retryAfterSeconds: 3 });
    elsa.faults.inject({ kind: 'serverError', count: 1 });
    elsa.faults.inject({ kind: 'serverError', count: 1, status: 502 });
    // A request failing auth or validation does not consume a fault.
    expect((await call(window(), { headers: { 'Content-Type': 'application/json' } })).status).toBe(401);
    expect((await call({})).status).toBe(400);
    const responses = [await call(window()), await call(window()), await call(window()), await call(window())];
    expect(responses.slice(0, 3).map(errorOf)).toEqual([
      { status: 429, body: { error: { errorCode: '410', message: 'Throttle Limited' } } },
      { status: 503, body: { error: { errorCode: '500', message: 'Endpoint Error' } } },
      { status: 502, body: { error: { errorCode: '500', message: 'Endpoint Error' } } },
    ]);
    expect(responses[0].headers['retry-after']).toBe('3');
    expect(responses[3].status).toBe(200);
  });

  it('corruptZip: 200 and a zip whose member cannot be inflated', async () => {
    elsa.faults.inject({ kind: 'corruptZip', count: 1 });
    const response = await call(window());
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/zip');
    expect(() => unzipSync(response.body)).toThrow();
    expect(JSON.parse(member(await call(window())).text)).toEqual(expectedDocuments());
  });

  it('truncatedBody: the connection is cut before the zip is complete', async () => {
    elsa.faults.inject({ kind: 'truncatedBody', count: 1 });
    await expect(call(window())).rejects.toThrow();
  });

  it('slowBody: headers and part of the zip arrive, then a client read timeout fires', async () => {
    elsa.faults.inject({ kind: 'slowBody', count: 1, delayMs: 10_000 });
    const response = await openRequest(`${elsa.baseUrl}${PATH}`, { method: 'POST', headers: signedHeaders(), body: JSON.stringify(window()) });
    expect(await watchStalledBody(response)).toEqual({ status: 200, stalled: true, partial: true });
  });

  it('refuses faults this emulator cannot produce', () => {
    expect(() => elsa.faults.inject({ kind: 'streamError', count: 1 })).toThrow(/streamError/);
  });
});

describe('NAVER ELSA emulator: registry definition', () => {
  it('describes the base URL, demo credentials and the projects as sources', () => {
    expect(naverElsaEmulator.provider).toBe('naver-elsa');
    expect(naverElsaEmulator.describe(elsa)).toEqual({
      provider: 'naver-elsa',
      baseUrl: elsa.baseUrl,
      credentials: { accessKey: elsa.credentials.accessKey, secretKey: elsa.credentials.secretKey },
      sources: [
        { projectId: 8171, projectKey: 'Pbxxxxx_elsa-test' },
        { projectId: 8172, projectKey: 'Pbxxxxx_elsa-two' },
      ],
    });
  });

  it('starts from the common options on the given seed and rate', async () => {
    const started = await naverElsaEmulator.start({ port: 0, seed: 3, rpm: 5 });
    try {
      expect([started.generator.seed, started.generator.rpm, started.projects.length, started.jsonShape]).toEqual([3, 5, 1, 'array']);
      expect(started.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await started.close();
    }
  });
});
