import { strFromU8, unzipSync } from 'fflate';
import Papa from 'papaparse';
import { GCORE_FIELDS, type GcoreRow } from './columns';
import { type GcoreEmulator, gcoreWireRow, startGcoreEmulator } from '.';
import { openRequest, rawRequest, type RawResponse, watchStalledBody } from '../loopback-client';
import type { TrafficEvent } from '../traffic';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const FROM = Date.UTC(2026, 10, 22, 10, 0, 0);
const MINUTE = 60_000;
const TO = FROM + 30 * MINUTE;
const iso = (ms: number) => new Date(ms).toISOString();
const PATH = '/cdn/advanced/v1/logs/download';

let gcore: GcoreEmulator;
/** accountStream() of the default window, computed once. */
let defaultStream: Sample[];

beforeAll(async () => {
  gcore = await startGcoreEmulator({ now: () => NOW, seed: 6, rpm: 10 });
  defaultStream = accountStream();
});
afterAll(() => gcore.close());
afterEach(() => gcore.faults.clear());

const apiKey = (emulator = gcore) => ({ Authorization: `APIKey ${emulator.credentials.apiKey}` });

function download(query: Record<string, string>, headers: Record<string, string> = apiKey(), emulator = gcore): Promise<RawResponse> {
  return rawRequest(`${emulator.baseUrl}${PATH}?${new URLSearchParams(query)}`, { headers });
}

function window(extra: Record<string, string> = {}, fromMs = FROM, toMs = TO): Record<string, string> {
  return { from: iso(fromMs), to: iso(toMs), format: 'csv', ...extra };
}

/** The single member of the zip, parsed with papaparse (CSV) or split on tabs (TSV). */
function table(response: RawResponse): { name: string; header: string[]; rows: string[][] } {
  expect(response.status).toBe(200);
  const members = Object.entries(unzipSync(response.body));
  expect(members).toHaveLength(1);
  const [name, bytes] = members[0];
  const text = strFromU8(bytes);
  expect(text.endsWith('\n')).toBe(true);
  const lines = name.endsWith('.tsv')
    ? text.slice(0, -1).split('\n').map((line) => line.split('\t'))
    : Papa.parse<string[]>(text, { skipEmptyLines: true }).data;
  return { name, header: lines[0], rows: lines.slice(1) };
}

interface Sample {
  event: TrafficEvent;
  row: GcoreRow;
}

/** The account's stream as the oracle sees it: every resource, in time then ray id order. */
function accountStream(fromMs = FROM, toMs = TO): Sample[] {
  return gcore.resources
    .flatMap((resource) =>
      gcore.generator.events(String(resource.id), [resource.cname], fromMs, toMs).map((event) => ({ event, row: gcoreWireRow(event, resource) })),
    )
    .sort((a, b) => a.event.timestampMs - b.event.timestampMs || (a.event.rayId < b.event.rayId ? -1 : 1));
}

const asCells = (row: GcoreRow, fields: readonly string[] = GCORE_FIELDS) => fields.map((f) => String(row[f as keyof GcoreRow]));

/** Row-by-row comparison that stays fast on thousands of rows and still points at the first difference. */
function expectRows(actual: string[][], expected: string[][]): void {
  const firstDifference = expected.findIndex((row, i) => JSON.stringify(row) !== JSON.stringify(actual[i]));
  expect({ rows: actual.length, firstDifference, row: actual[firstDifference] }).toEqual({
    rows: expected.length,
    firstDifference: -1,
    row: undefined,
  });
}

describe('Gcore emulator: auth', () => {
  it.each(['apikey', 'APIKey', 'ApiKey', 'APIKEY'])('accepts the API key with the scheme spelled %s', async (scheme) => {
    const response = await download(window(), { Authorization: `${scheme} ${gcore.credentials.apiKey}` });
    expect(response.status).toBe(200);
  });

  it('accepts the demo JWT as a Bearer token', async () => {
    expect((await download(window(), { Authorization: `Bearer ${gcore.credentials.bearerToken}` })).status).toBe(200);
  });

  it('answers 401 {"message":"Invalid API key"} otherwise, and keeps credentials out of the request log', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { Authorization: 'APIKey wrong' },
      { Authorization: `Token ${gcore.credentials.apiKey}` },
      { Authorization: gcore.credentials.apiKey },
    ];
    for (const headers of attempts) {
      const response = await download(window(), headers);
      expect([response.status, response.body.toString()]).toEqual([401, '{"message":"Invalid API key"}']);
    }
    expect(JSON.stringify(gcore.requests)).not.toContain(gcore.credentials.apiKey);
    expect(gcore.requests[gcore.requests.length - 1]).toEqual({ method: 'GET', path: PATH, query: window(), status: 401 });
  });
});

describe('Gcore emulator: validation', () => {
  const errorsOf = async (query: Record<string, string>) => {
    const response = await download(query);
    expect(response.status).toBe(400);
    return JSON.parse(response.body.toString()).errors as Record<string, string[]>;
  };

  it('requires from, to and format, reporting all three at once', async () => {
    expect(await errorsOf({})).toEqual({
      from: ['This field is required.'],
      to: ['This field is required.'],
      format: ['This field is required.'],
    });
  });

  it('answers the documented body for a window over 6 hours, and accepts exactly 6 hours', async () => {
    const response = await download(window({}, FROM - 4 * 3_600_000, FROM + 2 * 3_600_000 + 1000));
    expect(response.body.toString()).toBe('{"errors":{"to":["Difference between \\"from\\" and \\"to\\" cannot exceed 6 hours."]}}');
    expect((await download(window({ limit: '1' }, FROM - 4 * 3_600_000, FROM + 2 * 3_600_000))).status).toBe(200);
  });

  it('serves from the start of the day two days ago (UTC), not before', async () => {
    const oldest = Date.UTC(2026, 10, 20);
    expect((await download(window({ limit: '1' }, oldest, oldest + MINUTE))).status).toBe(200);
    expect(Object.keys(await errorsOf(window({}, oldest - 1000, oldest + MINUTE)))).toEqual(['from']);
  });

  it.each<[string, Record<string, string>, string, string]>([
    ['a malformed from', window({ from: '22/11/2026 10:00' }), 'from', 'Datetime has wrong format'],
    ['to before from', window({}, TO, FROM), 'to', 'must be later than "from"'],
    ['another format', window({ format: 'json' }), 'format', '"json" is not a valid choice.'],
    ['limit 0', window({ limit: '0' }), 'limit', 'greater than or equal to 1'],
    ['limit over 10000', window({ limit: '10001' }), 'limit', 'less than or equal to 10000'],
    ['a limit that is not a number', window({ limit: 'all' }), 'limit', 'A valid integer is required.'],
    ['a negative offset', window({ offset: '-1' }), 'offset', 'greater than or equal to 0'],
    ['an unknown field', window({ fields: 'timestamp,bogus_field' }), 'fields', 'bogus_field'],
    ['an unknown sort key', window({ sort: '-bogus_key' }), 'sort', 'bogus_key'],
    ['an operator the family does not have', window({ method__gt: 'GET' }), 'method__gt', 'method supports eq, ne, in, not_in'],
    ['contains on a family without it', window({ datacenter__contains: 'Par' }), 'datacenter__contains', 'Unknown filter'],
    ['an unknown family', window({ country__eq: 'DE' }), 'country__eq', 'Unknown filter'],
    ['cname contains shorter than 3 characters', window({ cname__contains: 'cd' }), 'cname__contains', 'at least 3 characters'],
    ['a number filter with text', window({ status__in: '200,ok' }), 'status__in', 'A valid integer is required.'],
    ['a method outside the list', window({ method__eq: 'FETCH' }), 'method__eq', '"FETCH" is not a valid choice.'],
    ['a cache status outside the list', window({ cache_status__in: 'HIT,DYNAMIC' }), 'cache_status__in', '"DYNAMIC" is not a valid choice.'],
  ])('answers 400 naming the parameter for %s', async (_, query, param, message) => {
    const errors = await errorsOf(query);
    expect(Object.keys(errors)).toEqual([param]);
    expect(errors[param][0]).toContain(message);
  });
});

describe('Gcore emulator: download', () => {
  it('names the file and the member after the window in RFC 5545 stamps', async () => {
    const response = await download({ from: '2026-11-22T10:00:00Z', to: '2026-11-22T13:30:00.000+02:00', format: 'tsv' });
    expect(response.headers['content-type']).toBe('application/zip');
    expect(response.headers['content-disposition']).toBe('attachment; filename=20261122T100000_20261122T113000_tsv.zip');
    expect(table(response).name).toBe('20261122T100000_20261122T113000_tsv.tsv');
  });

  it('serves the whole account stream of [from, to) with the default columns in time order', async () => {
    const { header, rows } = table(await download(window({}, FROM + 500, TO - 500)));
    const expected = accountStream(FROM + 500, TO - 500);
    expect(header).toEqual(['timestamp', 'path', 'method', 'referer', 'user_agent', 'client_ip', 'status', 'size', 'cname', 'resource_id', 'cache_status', 'datacenter']);
    expectRows(rows, expected.map(({ row }) => asCells(row, header)));
    expect(new Set(rows.map((r) => r[9]))).toEqual(new Set(gcore.resources.map((r) => String(r.id))));
  });

  it('round-trips quotes, commas and spaces through RFC 4180 CSV, and the same values through TSV', async () => {
    const fields = ['user_agent', 'referer', 'path', 'datacenter', 'sent_http_content_type', 'tcpinfo_rtt', 'timestamp'];
    const csv = table(await download(window({ fields: fields.join(',') })));
    const tsv = table(await download(window({ fields: fields.join(','), format: 'tsv' })));
    const expected = defaultStream.map(({ row }) => asCells(row, fields));
    expect(csv.header).toEqual(fields);
    expectRows(csv.rows, expected);
    expectRows(tsv.rows, expected);
    const cells = expected.flat();
    expect(cells.some((cell) => cell.includes('"'))).toBe(true);
    expect(cells.some((cell) => cell.includes(', '))).toBe(true);
    expect(cells).toContain('-');
  });

  it('renders path with its query, referer "-" when absent, the Gcore cache status and data-centre name', () => {
    const event = defaultStream.find(({ event }) => event.query !== null && event.referer === null && event.cacheStatus === 'DYNAMIC')!.event;
    const row = gcoreWireRow(event, { id: 7, cname: 'cdn.example.com' });
    expect(row).toMatchObject({
      path: `${event.path}?${event.query}`,
      referer: '-',
      cache_status: '-',
      datacenter: event.pop.gcoreDatacenter,
      size: event.bytesSent,
      resource_id: 7,
      tcpinfo_rtt: event.tcpRttUs,
    });
    expect(gcoreWireRow(event, { id: 7, cname: 'x' }, 'seconds').timestamp).toBe(Math.floor(event.timestampMs / 1000));
    expect(gcoreWireRow(event, { id: 7, cname: 'x' }, 'ms').timestamp).toBe(event.timestampMs);
    expect(gcoreWireRow(event, { id: 7, cname: 'x' }, 'iso').timestamp).toBe(new Date(event.timestampMs).toISOString());
  });

  it('writes ISO timestamps when started with timestampFormat iso', async () => {
    const isoGcore = await startGcoreEmulator({ now: () => NOW, seed: 6, rpm: 10, timestampFormat: 'iso' });
    try {
      const { rows } = table(await download(window({ fields: 'timestamp', limit: '3' }), apiKey(isoGcore), isoGcore));
      expect(rows.map((r) => r[0])).toEqual(defaultStream.slice(0, 3).map(({ event }) => iso(event.timestampMs)));
    } finally {
      await isoGcore.close();
    }
  });
});

describe('Gcore emulator: filters', () => {
  const some = (pick: (s: Sample) => string | number, index = 3) => String(pick(defaultStream[index]));
  const holds: Record<string, (value: string, argument: string) => boolean> = {
    eq: (v, a) => v === a,
    ne: (v, a) => v !== a,
    in: (v, a) => a.split(',').includes(v),
    not_in: (v, a) => !a.split(',').includes(v),
    gt: (v, a) => Number(v) > Number(a),
    gte: (v, a) => Number(v) >= Number(a),
    lt: (v, a) => Number(v) < Number(a),
    lte: (v, a) => Number(v) <= Number(a),
    contains: (v, a) => v.includes(a),
  };

  const cases: Array<[string, () => string]> = [
    ['method__eq', () => 'GET'],
    ['method__ne', () => 'GET'],
    ['method__in', () => 'HEAD,POST'],
    ['method__not_in', () => 'GET,HEAD'],
    ['client_ip__eq', () => some((s) => s.row.client_ip)],
    ['client_ip__ne', () => some((s) => s.row.client_ip)],
    ['client_ip__in', () => `${some((s) => s.row.client_ip, 1)},${some((s) => s.row.client_ip, 2)}`],
    ['client_ip__not_in', () => `${some((s) => s.row.client_ip, 1)},${some((s) => s.row.client_ip, 2)}`],
    ['status__gt', () => '299'],
    ['status__gte', () => '400'],
    ['status__lt', () => '300'],
    ['status__lte', () => '206'],
    ['status__eq', () => '404'],
    ['status__ne', () => '200'],
    ['status__in', () => '301,302,304'],
    ['status__not_in', () => '200,206'],
    ['size__gt', () => '50000'],
    ['size__gte', () => some((s) => s.row.size)],
    ['size__lt', () => '2000'],
    ['size__lte', () => some((s) => s.row.size)],
    ['size__eq', () => some((s) => s.row.size)],
    ['size__ne', () => some((s) => s.row.size)],
    ['size__in', () => `${some((s) => s.row.size, 1)},${some((s) => s.row.size, 2)}`],
    ['size__not_in', () => `${some((s) => s.row.size, 1)},${some((s) => s.row.size, 2)}`],
    ['cname__eq', () => 'cdn.example.com'],
    ['cname__ne', () => 'cdn.example.com'],
    ['cname__in', () => 'static.example.net,nothing.example.org'],
    ['cname__not_in', () => 'static.example.net'],
    ['cname__contains', () => 'static'],
    ['resource_id__gt', () => '100001'],
    ['resource_id__gte', () => '100002'],
    ['resource_id__lt', () => '100002'],
    ['resource_id__lte', () => '100001'],
    ['resource_id__eq', () => '100002'],
    ['resource_id__ne', () => '100002'],
    ['resource_id__in', () => '100001,100003'],
    ['resource_id__not_in', () => '100001'],
    ['cache_status__eq', () => '-'],
    ['cache_status__ne', () => 'HIT'],
    ['cache_status__in', () => 'MISS,EXPIRED'],
    ['cache_status__not_in', () => 'HIT,-'],
    ['datacenter__eq', () => 'Sao Paulo'],
    ['datacenter__ne', () => 'Frankfurt'],
    ['datacenter__in', () => 'Hong Kong,Tokyo'],
    ['datacenter__not_in', () => 'Frankfurt,Ashburn'],
  ];

  it.each(cases)('%s returns exactly the rows the filter holds for', async (param, argumentOf) => {
    const argument = argumentOf();
    const [family, operator] = [param.slice(0, param.lastIndexOf('__')), param.slice(param.lastIndexOf('__') + 2)];
    const expected = defaultStream.filter(({ row }) => holds[operator](String(row[family as keyof GcoreRow]), argument));
    expect(expected.length).toBeGreaterThan(0);
    const { rows } = table(await download(window({ [param]: argument, fields: GCORE_FIELDS.join(',') })));
    expectRows(rows, expected.map(({ row }) => asCells(row)));
  });

  it('combines filters with AND', async () => {
    const expected = defaultStream.filter(({ row }) => Number(row.status) >= 400 && row.method === 'GET' && row.cname !== 'cdn.example.com');
    const { rows } = table(await download(window({ status__gte: '400', method__eq: 'GET', cname__ne: 'cdn.example.com', fields: GCORE_FIELDS.join(',') })));
    expect(expected.length).toBeGreaterThan(0);
    expectRows(rows, expected.map(({ row }) => asCells(row)));
  });
});

describe('Gcore emulator: sort and paging', () => {
  const fields = GCORE_FIELDS.join(',');
  const sorted = (keys: Array<[keyof GcoreRow, boolean]>) =>
    [...defaultStream].sort((a, b) => {
      for (const [key, descending] of keys) {
        const [x, y] = key === 'timestamp' ? [a.event.timestampMs, b.event.timestampMs] : [a.row[key], b.row[key]];
        if (x !== y) return (x < y ? -1 : 1) * (descending ? -1 : 1);
      }
      return a.event.timestampMs - b.event.timestampMs || (a.event.rayId < b.event.rayId ? -1 : 1);
    });

  it('sorts by several keys, - meaning descending', async () => {
    const { rows } = table(await download(window({ sort: '-status,datacenter', fields })));
    expectRows(rows, sorted([['status', true], ['datacenter', false]]).map(({ row }) => asCells(row)));
    const newestFirst = table(await download(window({ sort: '-timestamp', fields }))).rows;
    expectRows(newestFirst, sorted([['timestamp', true]]).map(({ row }) => asCells(row)));
  });

  it('pages with offset and limit without repeating or skipping rows, even where sort keys tie', async () => {
    const query = { sort: 'cache_status,-method', fields };
    const whole = table(await download(window(query))).rows;
    const pages: string[][] = [];
    for (let offset = 0; offset < whole.length; offset += 97) {
      pages.push(...table(await download(window({ ...query, offset: String(offset), limit: '97' }))).rows);
    }
    expect(whole.length).toBeGreaterThan(300);
    expectRows(pages, whole);
    const beyond = table(await download(window({ ...query, offset: String(whole.length + 5) })));
    expect([beyond.header.length, beyond.rows]).toEqual([GCORE_FIELDS.length, []]);
  });
});

describe('Gcore emulator: rate limit and faults', () => {
  it('answers 429 {"message":"Too many requests"} over the per-credential limit', async () => {
    const limited = await startGcoreEmulator({ now: () => NOW, rpm: 1, rpmLimit: 2 });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push(await download(window(), apiKey(limited), limited));
      expect(statuses.map((r) => r.status)).toEqual([200, 200, 429]);
      expect(statuses[2].body.toString()).toBe('{"message":"Too many requests"}');
      expect(statuses[2].headers['retry-after']).toBe('60');
    } finally {
      await limited.close();
    }
  });

  it('rateLimit and serverError faults hit the next data requests in order', async () => {
    gcore.faults.inject({ kind: 'rateLimit', count: 1, retryAfterSeconds: 3 });
    gcore.faults.inject({ kind: 'serverError', count: 1, status: 502 });
    const responses = [await download(window()), await download(window()), await download(window())];
    expect(responses.map((r) => r.status)).toEqual([429, 502, 200]);
    expect(responses[0].headers['retry-after']).toBe('3');
    expect(responses[0].body.toString()).toBe('{"message":"Too many requests"}');
  });

  it('corruptZip: 200 and a zip whose member cannot be inflated', async () => {
    gcore.faults.inject({ kind: 'corruptZip', count: 1 });
    const response = await download(window());
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/zip');
    expect(() => unzipSync(response.body)).toThrow();
    const next = await download(window());
    expect(() => unzipSync(next.body)).not.toThrow();
  });

  it('truncatedBody: the connection is cut before the zip is complete', async () => {
    gcore.faults.inject({ kind: 'truncatedBody', count: 1 });
    await expect(download(window())).rejects.toThrow();
  });

  it('slowBody: headers and part of the zip arrive, then a client read timeout fires', async () => {
    gcore.faults.inject({ kind: 'slowBody', count: 1, delayMs: 10_000 });
    const response = await openRequest(`${gcore.baseUrl}${PATH}?${new URLSearchParams(window())}`, { headers: apiKey() });
    expect(await watchStalledBody(response)).toEqual({ status: 200, stalled: true, partial: true });
  });

  it('refuses faults this emulator cannot produce', () => {
    expect(() => gcore.faults.inject({ kind: 'streamError', count: 1 })).toThrow(/streamError/);
  });
});
