import { gunzipSync } from 'node:zlib';
import { type CloudflareEmulator, cloudflareWireRecord, startCloudflareEmulator } from '.';
import { CLOUDFLARE_DEFAULT_FIELDS, CLOUDFLARE_FIELDS } from './fields';
import { openRequest, type RawResponse, rawRequest } from '../loopback-client';
import type { TrafficEvent } from '../traffic';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const T10 = Date.UTC(2026, 10, 22, 10, 0, 0);
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

let cf: CloudflareEmulator;

beforeAll(async () => {
  cf = await startCloudflareEmulator({ now: () => NOW, seed: 4, rpm: 40, perZoneRpmLimit: 10_000, perUserRpmLimit: 10_000 });
});
afterAll(() => cf.close());
afterEach(() => {
  cf.faults.clear();
  cf.faults.retentionEnabled = true;
});

function bearer(emulator = cf): Record<string, string> {
  return { Authorization: `Bearer ${emulator.credentials.apiToken}` };
}

function received(query: Record<string, string>, headers = bearer(), zone = cf.zones[0].id, emulator = cf): Promise<RawResponse> {
  return rawRequest(`${emulator.baseUrl}/zones/${zone}/logs/received?${new URLSearchParams(query)}`, { headers });
}

function window(fromMs: number, toMs: number, extra: Record<string, string> = {}): Record<string, string> {
  return { start: iso(fromMs), end: iso(toMs), ...extra };
}

function ndjson(body: Buffer): Array<Record<string, unknown>> {
  return body
    .toString()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function zoneEvents(fromMs: number, toMs: number): TrafficEvent[] {
  const zone = cf.zones[0];
  return cf.generator.events(zone.id, zone.hosts, fromMs, toMs);
}

const AUTH_ERROR = '{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null}';

describe('Cloudflare emulator: auth', () => {
  it('answers 403 with the v4 envelope without credentials, with a wrong token or a wrong email/key pair', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { Authorization: 'Bearer wrong-token' },
      { Authorization: `bearer ${cf.credentials.apiToken}` },
      { 'X-Auth-Email': cf.credentials.email, 'X-Auth-Key': 'wrong-key' },
      { 'X-Auth-Email': cf.credentials.email },
    ];
    for (const headers of attempts) {
      const response = await received(window(T10, T10 + MINUTE), headers);
      expect([response.status, response.headers['content-type'], response.body.toString()]).toEqual([403, 'application/json', AUTH_ERROR]);
    }
  });

  it('accepts a bearer token and an email + global key pair', async () => {
    const byToken = await received(window(T10, T10 + MINUTE));
    const byKey = await received(window(T10, T10 + MINUTE), {
      'X-Auth-Email': cf.credentials.email,
      'X-Auth-Key': cf.credentials.apiKey,
    });
    expect([byToken.status, byKey.status]).toEqual([200, 200]);
    expect(byKey.body.length).toBeGreaterThan(0);
  });

  it('answers 404 with a v4 envelope for a zone the account does not have', async () => {
    const response = await received(window(T10, T10 + MINUTE), bearer(), 'f'.repeat(32));
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body.toString())).toMatchObject({ success: false, errors: [{ code: 7003 }], result: null });
  });

  it('logs requests without their credentials', async () => {
    await received(window(T10, T10 + MINUTE, { fields: 'RayID' }));
    const entry = cf.requests[cf.requests.length - 1];
    expect(entry).toEqual({
      method: 'GET',
      path: `/client/v4/zones/${cf.zones[0].id}/logs/received`,
      query: { start: iso(T10), end: iso(T10 + MINUTE), fields: 'RayID' },
      status: 200,
    });
    expect(JSON.stringify(cf.requests)).not.toContain(cf.credentials.apiToken);
  });
});

describe('Cloudflare emulator: query validation', () => {
  const tooOld = NOW - 169 * 3_600_000;
  const cases: Array<[string, Record<string, string>, string]> = [
    ['malformed start', { start: 'yesterday', end: 'also-bad' }, 'bad query: error parsing start time: must be unix timestamp or rfc3339 string'],
    ['missing start', { end: iso(T10) }, 'bad query: error parsing start time: must be unix timestamp or rfc3339 string'],
    ['malformed end', { start: iso(T10), end: '2026-11-22 10:01' }, 'bad query: error parsing end time: must be unix timestamp or rfc3339 string'],
    ['start equal to end, also too early', { start: iso(tooOld), end: iso(tooOld) }, 'bad query: error parsing time: invalid time range: start not before end'],
    ['too early, also too recent and too long', { start: iso(tooOld), end: iso(NOW) }, 'bad query: error parsing time: invalid time range: too early: logs older than 168h0m0s are not available'],
    ['too recent, also too long', { start: iso(NOW - 2 * 3_600_000), end: iso(NOW - 30_000) }, 'bad query: error parsing time: invalid time range: too recent: minimum delay in serving logs is 1m0s'],
    ['too long', { start: iso(T10 - 1), end: iso(T10 + 3_600_000) }, 'bad query: error parsing time: invalid time range: too long: maximum range is 1h0m0s'],
  ];

  it.each(cases)('answers 400 in plain text for %s', async (_, query, body) => {
    const response = await received(query);
    expect([response.status, response.body.toString()]).toEqual([400, body]);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('accepts unix seconds, unix nanoseconds and RFC 3339 with an encoded offset for the same window', async () => {
    const forms = [
      { start: String(T10 / 1000), end: String(T10 / 1000 + 60) },
      { start: `${T10}000000`, end: `${T10 + MINUTE}000000` },
      { start: '2026-11-22T18:00:00+08:00', end: '2026-11-22T10:01:00.000000000Z' },
    ];
    const bodies = await Promise.all(forms.map((query) => received({ ...query, fields: 'RayID' })));
    const rayIds = bodies.map((response) => ndjson(response.body).map((r) => r.RayID).sort());
    expect(rayIds[0].length).toBeGreaterThan(0);
    expect(rayIds[1]).toEqual(rayIds[0]);
    expect(rayIds[2]).toEqual(rayIds[0]);
  });

  it('rejects an offset whose + was not URL-encoded (it arrives as a space)', async () => {
    const url = `${cf.baseUrl}/zones/${cf.zones[0].id}/logs/received?start=2026-11-22T18:00:00+08:00&end=${iso(T10 + MINUTE)}`;
    const response = await rawRequest(url, { headers: bearer() });
    expect([response.status, response.body.toString()]).toEqual([400, 'bad query: error parsing start time: must be unix timestamp or rfc3339 string']);
  });

  it('accepts a window of exactly 1 h ending exactly a minute ago', async () => {
    const response = await received({ ...window(NOW - 61 * MINUTE, NOW - MINUTE), fields: 'RayID', count: '1' });
    expect(response.status).toBe(200);
  });

  it('names an unknown field, and treats a field with whitespace as unknown', async () => {
    const unknown = await received(window(T10, T10 + MINUTE, { fields: 'RayID,Bogus' }));
    const spaced = await received(window(T10, T10 + MINUTE, { fields: 'RayID, ClientIP' }));
    expect([unknown.status, unknown.body.toString()]).toEqual([400, 'bad query: error parsing fields: unknown field "Bogus"']);
    expect([spaced.status, spaced.body.toString()]).toEqual([400, 'bad query: error parsing fields: unknown field " ClientIP"']);
  });

  it('rejects a bad count, sample or timestamps value', async () => {
    const invalid: Array<Record<string, string>> = [{ count: '0' }, { count: 'ten' }, { sample: '0' }, { sample: '1.5' }, { timestamps: 'iso' }];
    for (const extra of invalid) {
      const response = await received(window(T10, T10 + MINUTE, extra));
      expect(response.status).toBe(400);
      expect(response.body.toString()).toContain(Object.values(extra)[0]);
    }
  });

  it('answers 400 when retention is off, before looking at the times', async () => {
    cf.faults.retentionEnabled = false;
    const response = await received({ start: 'bad', end: 'bad' });
    expect([response.status, response.body.toString()]).toEqual([400, 'Retention is not turned on. Please enable log retention']);
  });
});

describe('Cloudflare emulator: records', () => {
  it('returns exactly the zone events of [start, end) with the default fields', async () => {
    const response = await received(window(T10 + 500, T10 + 5 * MINUTE + 500));
    const records = ndjson(response.body);
    const expected = zoneEvents(T10 + 500, T10 + 5 * MINUTE + 500);
    expect(records.length).toBe(expected.length);
    expect(Object.keys(records[0]).sort()).toEqual([...CLOUDFLARE_DEFAULT_FIELDS].sort());
    const byRayId = new Map(records.map((r) => [r.RayID, r]));
    for (const event of expected) {
      expect(byRayId.get(event.rayId)).toEqual({
        ClientIP: event.clientIp,
        ClientRequestHost: event.host,
        ClientRequestMethod: event.method,
        ClientRequestURI: event.query === null ? event.path : `${event.path}?${event.query}`,
        EdgeEndTimestamp: expect.any(Number),
        EdgeResponseBytes: event.bytesSent,
        EdgeResponseStatus: event.status,
        EdgeStartTimestamp: expect.any(Number),
        RayID: event.rayId,
      });
    }
  });

  it('writes nanosecond timestamps as exact integer digits (unixnano is the default)', async () => {
    const event = zoneEvents(T10, T10 + MINUTE)[0];
    const text = (await received(window(T10, T10 + MINUTE, { fields: 'RayID,EdgeStartTimestamp,EdgeEndTimestamp' }))).body.toString();
    const line = text.split('\n').find((l) => l.includes(event.rayId));
    expect(line).toBe(
      `{"RayID":"${event.rayId}","EdgeStartTimestamp":${event.timestampMs}000000,"EdgeEndTimestamp":${event.timestampMs + event.durationMs}000000}`,
    );
  });

  it('renders timestamps=unix as whole seconds and timestamps=rfc3339 as strings with ms', async () => {
    const event = zoneEvents(T10, T10 + MINUTE)[0];
    const find = async (timestamps: string) =>
      ndjson((await received(window(T10, T10 + MINUTE, { fields: 'RayID,EdgeStartTimestamp', timestamps }))).body).find(
        (r) => r.RayID === event.rayId,
      );
    expect((await find('unix'))?.EdgeStartTimestamp).toBe(Math.floor(event.timestampMs / 1000));
    expect((await find('rfc3339'))?.EdgeStartTimestamp).toBe(new Date(event.timestampMs).toISOString());
  });

  it('serves every catalogue field with its JSON type when all are asked for', async () => {
    const response = await received(window(T10, T10 + 10 * MINUTE, { fields: CLOUDFLARE_FIELDS.join(',') }));
    const records = ndjson(response.body);
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) expect(Object.keys(record)).toEqual([...CLOUDFLARE_FIELDS]);
    const first = records[0];
    expect(first.ClientCountry).toMatch(/^[a-z]{2}$/);
    expect(first.CacheCacheStatus).toMatch(/^(hit|miss|expired|stale|updating|revalidated|bypass|dynamic)$/);
    expect(Array.isArray(first.SecurityActions)).toBe(true);
    expect(typeof first.RequestHeaders).toBe('object');
    expect(records.some((r) => r.ClientRequestReferer === '')).toBe(true);
    expect(records.every((r) => r.ZoneName === cf.zones[0].name)).toBe(true);
  });

  it('exports the same full record the server renders', async () => {
    const event = zoneEvents(T10, T10 + MINUTE)[0];
    const record = cloudflareWireRecord(event, cf.zones[0], 'rfc3339');
    const served = ndjson((await received(window(T10, T10 + MINUTE, { fields: CLOUDFLARE_FIELDS.join(','), timestamps: 'rfc3339' }))).body);
    expect(served.find((r) => r.RayID === event.rayId)).toEqual(record);
    expect(cloudflareWireRecord(event, cf.zones[0]).EdgeStartTimestamp).toBe(BigInt(event.timestampMs) * 1_000_000n);
  });

  it('gives the same records in the same shuffled order for the same window, and windows that tile give the union', async () => {
    const query = window(T10, T10 + 20 * MINUTE, { fields: 'RayID' });
    const [a, b] = await Promise.all([received(query), received(query)]);
    expect(a.body.equals(b.body)).toBe(true);
    const order = ndjson(a.body).map((r) => r.RayID as string);
    const sortedByTime = zoneEvents(T10, T10 + 20 * MINUTE).map((e) => e.rayId);
    expect(order).not.toEqual(sortedByTime);
    expect([...order].sort()).toEqual([...sortedByTime].sort());

    const halves = await Promise.all([
      received(window(T10, T10 + 7 * MINUTE + 123, { fields: 'RayID' })),
      received(window(T10 + 7 * MINUTE + 123, T10 + 20 * MINUTE, { fields: 'RayID' })),
    ]);
    const union = halves.flatMap((response) => ndjson(response.body).map((r) => r.RayID as string));
    expect(union.sort()).toEqual([...sortedByTime].sort());
  });

  it('caps records with count, and samples a stable subset with sample', async () => {
    const all = ndjson((await received(window(T10, T10 + 30 * MINUTE, { fields: 'RayID' }))).body).map((r) => r.RayID);
    const capped = ndjson((await received(window(T10, T10 + 30 * MINUTE, { fields: 'RayID', count: '7' }))).body);
    expect(capped.length).toBe(7);
    const tenth = ndjson((await received(window(T10, T10 + 30 * MINUTE, { fields: 'RayID', sample: '0.1' }))).body).map((r) => r.RayID);
    const half = ndjson((await received(window(T10, T10 + 30 * MINUTE, { fields: 'RayID', sample: '0.5' }))).body).map((r) => r.RayID);
    expect(tenth.length / all.length).toBeGreaterThan(0.04);
    expect(tenth.length / all.length).toBeLessThan(0.18);
    expect(half.length / all.length).toBeGreaterThan(0.4);
    expect(half.length / all.length).toBeLessThan(0.6);
    expect(tenth.every((id) => half.includes(id))).toBe(true);
    const sampledAndCapped = ndjson((await received(window(T10, T10 + 30 * MINUTE, { fields: 'RayID', sample: '0.5', count: '3' }))).body);
    expect(sampledAndCapped.map((r) => r.RayID)).toEqual(half.slice(0, 3));
  });

  it('replaces ${ with x{ only when CVE-2021-44228=true', async () => {
    const probeWindow = findWindowWith((e) => e.userAgent.includes('${'));
    const plain = (await received(window(probeWindow, probeWindow + MINUTE, { fields: 'ClientRequestUserAgent' }))).body.toString();
    const redacted = (await received(window(probeWindow, probeWindow + MINUTE, { fields: 'ClientRequestUserAgent', 'CVE-2021-44228': 'true' }))).body.toString();
    expect(plain).toContain('${jndi:');
    expect(redacted).not.toContain('${');
    expect(redacted).toBe(plain.replaceAll('${', 'x{'));
  });

  it('gzips the body only when Accept-Encoding allows gzip', async () => {
    const query = window(T10, T10 + 5 * MINUTE);
    const plain = await received(query);
    const gzipped = await received(query, { ...bearer(), 'Accept-Encoding': 'gzip, deflate' });
    const refused = await received(query, { ...bearer(), 'Accept-Encoding': 'gzip;q=0' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-type']).toBe('application/json');
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
    expect(refused.headers['content-encoding']).toBeUndefined();
  });

  it('answers an empty window with 200 and an empty body', async () => {
    const quiet = await startCloudflareEmulator({ now: () => NOW, rpm: 0 });
    try {
      const plain = await received(window(T10, T10 + MINUTE), bearer(quiet), quiet.zones[0].id, quiet);
      const gzipped = await received(window(T10, T10 + MINUTE), { ...bearer(quiet), 'Accept-Encoding': 'gzip' }, quiet.zones[0].id, quiet);
      expect([plain.status, plain.body.length]).toEqual([200, 0]);
      expect([gzipped.status, gunzipSync(gzipped.body).length]).toEqual([200, 0]);
    } finally {
      await quiet.close();
    }
  });
});

describe('Cloudflare emulator: other endpoints', () => {
  it('serves the field catalogue as a bare object of descriptions', async () => {
    const response = await rawRequest(`${cf.baseUrl}/zones/${cf.zones[0].id}/logs/received/fields`, { headers: bearer() });
    const catalogue = JSON.parse(response.body.toString()) as Record<string, string>;
    expect(Object.keys(catalogue)).toEqual([...CLOUDFLARE_FIELDS]);
    expect(catalogue).not.toHaveProperty('success');
    expect(Object.values(catalogue).every((description) => typeof description === 'string' && description !== '')).toBe(true);
    expect(catalogue).toHaveProperty('RayID');
    expect(catalogue).toHaveProperty('ClientRequestURI');
    expect(Object.keys(catalogue)).toHaveLength(108);
  });

  it('finds a record by ray id, with or without the colo suffix, and nothing for an unknown id', async () => {
    const event = zoneEvents(T10, T10 + MINUTE)[2];
    const byId = (id: string) =>
      rawRequest(`${cf.baseUrl}/zones/${cf.zones[0].id}/logs/rayids/${id}?fields=RayID,ClientIP&timestamps=unix`, { headers: bearer() });
    expect(ndjson((await byId(event.rayId)).body)).toEqual([{ RayID: event.rayId, ClientIP: event.clientIp }]);
    expect(ndjson((await byId(`${event.rayId}-${event.pop.iata}`)).body)).toEqual([{ RayID: event.rayId, ClientIP: event.clientIp }]);
    const unknown = await byId('0123456789abcdef');
    expect([unknown.status, unknown.body.length]).toEqual([200, 0]);
  });

  it('reads and sets the retention flag in a v4 envelope, and logs/received follows it', async () => {
    const flagUrl = `${cf.baseUrl}/zones/${cf.zones[0].id}/logs/control/retention/flag`;
    const get = await rawRequest(flagUrl, { headers: bearer() });
    expect(JSON.parse(get.body.toString())).toEqual({ success: true, errors: [], messages: [], result: { flag: true } });

    const off = await rawRequest(flagUrl, { method: 'POST', headers: { ...bearer(), 'Content-Type': 'application/json' }, body: '{"flag":false}' });
    expect(JSON.parse(off.body.toString()).result).toEqual({ flag: false });
    expect((await received(window(T10, T10 + MINUTE))).status).toBe(400);

    const bad = await rawRequest(flagUrl, { method: 'POST', headers: bearer(), body: 'flag=yes' });
    expect(bad.status).toBe(400);
    await rawRequest(flagUrl, { method: 'POST', headers: bearer(), body: '{"flag":true}' });
    expect((await received(window(T10, T10 + MINUTE))).status).toBe(200);
  });
});

describe('Cloudflare emulator: rate limits', () => {
  let clockMs = NOW;
  let limited: CloudflareEmulator;
  beforeAll(async () => {
    limited = await startCloudflareEmulator({ now: () => clockMs, rpm: 2, perZoneRpmLimit: 3, perUserRpmLimit: 5, zones: 3 });
  });
  afterAll(() => limited.close());

  const ask = (zoneIndex: number, headers = bearer(limited)) =>
    received(window(T10, T10 + MINUTE), headers, limited.zones[zoneIndex].id, limited);

  it('limits each zone and each user over a sliding minute with 429 code 971 and Retry-After', async () => {
    const statuses = async (zoneIndex: number, times: number, headers = bearer(limited)) => {
      const out: number[] = [];
      for (let i = 0; i < times; i++) out.push((await ask(zoneIndex, headers)).status);
      return out;
    };
    expect(await statuses(0, 4)).toEqual([200, 200, 200, 429]); // zone limit 3
    expect(await statuses(1, 3)).toEqual([200, 200, 429]); // the user's 4th and 5th, then the user limit

    const refused = await ask(2);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('60');
    expect(JSON.parse(refused.body.toString())).toEqual({
      success: false,
      errors: [{ code: 971, message: 'Please wait and consider throttling your request speed' }],
      messages: [],
      result: null,
    });

    // Another user (email + key) has its own quota, but not its own zone quota.
    const other = { 'X-Auth-Email': limited.credentials.email, 'X-Auth-Key': limited.credentials.apiKey };
    expect(await statuses(2, 1, other)).toEqual([200]);
    expect(await statuses(0, 1, other)).toEqual([429]);

    clockMs += 61_000; // the window slides past every admitted request
    expect(await statuses(0, 1)).toEqual([200]);
  });
});

describe('Cloudflare emulator: faults', () => {
  const query = () => window(T10, T10 + 10 * MINUTE, { fields: 'RayID,ClientIP' });

  it('hits the next data requests in order, each fault for its count', async () => {
    cf.faults.inject({ kind: 'rateLimit', count: 2, retryAfterSeconds: 7 });
    cf.faults.inject({ kind: 'serverError', count: 1, status: 503 });
    const responses = [];
    for (let i = 0; i < 4; i++) responses.push(await received(query()));
    expect(responses.map((r) => r.status)).toEqual([429, 429, 503, 200]);
    expect(responses[0].headers['retry-after']).toBe('7');
    expect(JSON.parse(responses[2].body.toString()).success).toBe(false);
  });

  it('does not spend a fault on a request that fails validation', async () => {
    cf.faults.inject({ kind: 'serverError', count: 1 });
    expect((await received({ start: 'bad', end: 'bad' })).status).toBe(400);
    expect((await received(query())).status).toBe(500);
  });

  it('streamError: 200, about half the records, then the line "Error streaming data." (inside the gzip)', async () => {
    const complete = ndjson((await received(query())).body);
    cf.faults.inject({ kind: 'streamError', count: 2 });
    for (const headers of [bearer(), { ...bearer(), 'Accept-Encoding': 'gzip' }]) {
      const response = await received(query(), headers);
      expect(response.status).toBe(200);
      const text = (headers['Accept-Encoding'] ? gunzipSync(response.body) : response.body).toString();
      const lines = text.split('\n').filter((line) => line !== '');
      expect(lines[lines.length - 1]).toBe('Error streaming data.');
      expect(lines.length - 1).toBe(Math.floor(complete.length / 2));
    }
  });

  it('slowBody: status, headers and part of the body arrive, then the body stalls past a client read timeout', async () => {
    cf.faults.inject({ kind: 'slowBody', count: 1, delayMs: 10_000 });
    const response = await openRequest(`${cf.baseUrl}/zones/${cf.zones[0].id}/logs/received?${new URLSearchParams(query())}`, {
      headers: bearer(),
    });
    const outcome = await new Promise<{ bytes: number; ended: boolean; timedOut: boolean }>((resolve) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => resolve({ bytes, ended: true, timedOut: false }));
      response.socket.setTimeout(150, () => resolve({ bytes, ended: false, timedOut: true }));
    });
    response.destroy();
    expect(response.statusCode).toBe(200);
    expect(outcome.timedOut).toBe(true);
    expect(outcome.ended).toBe(false);
    expect(outcome.bytes).toBeGreaterThan(0);
  });

  it('slowBody shorter than the client timeout still delivers the whole body', async () => {
    const complete = await received(query());
    cf.faults.inject({ kind: 'slowBody', count: 1, delayMs: 50 });
    const slow = await received(query());
    expect(slow.body.equals(complete.body)).toBe(true);
  });

  it('truncatedBody: part of the body, then the connection is cut', async () => {
    cf.faults.inject({ kind: 'truncatedBody', count: 1 });
    await expect(received(query())).rejects.toThrow();
    expect((await received(query())).status).toBe(200);
  });

  it('refuses faults this emulator cannot produce', () => {
    expect(() => cf.faults.inject({ kind: 'corruptZip', count: 1 })).toThrow(/corruptZip/);
  });
});

function findWindowWith(predicate: (event: TrafficEvent) => boolean): number {
  for (let start = T10; start < T10 + 24 * 3_600_000; start += MINUTE) {
    if (zoneEvents(start, start + MINUTE).some(predicate)) return start;
  }
  throw new Error('no window with such an event');
}

