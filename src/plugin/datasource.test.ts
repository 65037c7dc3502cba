import {
  type DataFrame,
  DataFrameType,
  type DataQueryRequest,
  type DataQueryResponse,
  dateTime,
  FieldType,
  LoadingState,
  LogRowContextQueryDirection,
  type LogRowModel,
  SupplementaryQueryType,
} from '@grafana/data';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { DataSource } from './datasource';
import { FakeBridge, logsAnswer, meta, statsAnswer } from './testing/fake-bridge';
import { testSettings } from './testing/settings';
import { fakeTemplateSrv } from './testing/template-srv';
import type { BridgeQueryBody, CdnLogsOptions, CdnLogsQuery } from './types';
import type { CdnLogsVariableSupport } from './variables';

let mockBridge = new FakeBridge();
let mockTemplateSrv = fakeTemplateSrv({});
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ fetch: mockBridge.fetch }),
  getTemplateSrv: () => mockTemplateSrv,
}));

const FROM = Date.parse('2026-12-01T10:00:00Z');
const TO = Date.parse('2026-12-01T12:00:00Z');

function datasource(jsonData: Partial<CdnLogsOptions> = {}): DataSource {
  const ds = new DataSource(testSettings(jsonData));
  ds.pollMs = 1;
  ds.livePollMs = 5;
  return ds;
}

function request(targets: CdnLogsQuery[], patch: Partial<DataQueryRequest<CdnLogsQuery>> = {}): DataQueryRequest<CdnLogsQuery> {
  const from = dateTime(FROM);
  const to = dateTime(TO);
  return {
    requestId: 'Q100',
    interval: '1m',
    intervalMs: 60_000,
    range: { from, to, raw: { from, to } },
    scopedVars: {},
    targets,
    timezone: 'utc',
    app: 'explore',
    startTime: 0,
    ...patch,
  } as DataQueryRequest<CdnLogsQuery>;
}

function field(frame: DataFrame, name: string) {
  const f = frame.fields.find((x) => x.name === name);
  if (!f) throw new Error(`no field ${name} in ${frame.fields.map((x) => x.name).join(', ')}`);
  return f;
}

function sentBodies(): BridgeQueryBody[] {
  return mockBridge.calls('POST', '/api/v1/query').map((r) => r.data as BridgeQueryBody);
}

beforeEach(() => {
  mockBridge = new FakeBridge();
  mockTemplateSrv = fakeTemplateSrv({});
});

describe('logs queries', () => {
  const records = [
    { id: 'r2', timestamp: FROM + 2_000, status: 502, path: '/video/1.ts', cacheStatus: 'MISS', attributes: { tcpinfo_rtt: 84762 } },
    { id: 'r1', timestamp: FROM + 1_000, status: 200, path: '/', attributes: { tcpinfo_rtt: 1000, nested: { a: 1 } } },
  ];

  it('sends the query, range, default source, filters, search, fields, limit and order to POST /api/v1/query', async () => {
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => logsAnswer(records));
    const ds = datasource();
    await lastValueFrom(
      ds.query(
        request([
          {
            refId: 'A',
            mode: 'logs',
            filters: [
              { field: 'status', op: '>=', value: '500' },
              { field: 'method', op: 'in', value: 'GET, HEAD' },
            ],
            search: ' video ',
            fields: ['path', 'status'],
            limit: 20,
            sort: 'asc',
          },
        ]),
      ),
    );
    expect(sentBodies()).toEqual([
      {
        provider: 'gcore',
        source: { resource: '100001' },
        fromMs: FROM,
        toMs: TO,
        mode: 'logs',
        waitMs: 5_000,
        filters: [
          { field: 'status', op: '>=', value: '500' },
          { field: 'method', op: 'in', value: ['GET', 'HEAD'] },
        ],
        search: 'video',
        limit: 20,
        sort: 'asc',
        fields: ['path', 'status'],
      },
    ]);
  });

  it('answers a data-plane logs frame: timestamp, body, severity, id, labels, then every record field with a value, attributes flattened', async () => {
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => logsAnswer(records));
    const response = await lastValueFrom(datasource().query(request([{ refId: 'A', search: 'video' }])));
    expect(response.state).toBe(LoadingState.Done);
    expect(response.data).toHaveLength(1);
    const frame: DataFrame = response.data[0];
    expect(frame.refId).toBe('A');
    expect(frame.meta?.type).toBe(DataFrameType.LogLines);
    expect(frame.meta?.preferredVisualisationType).toBe('logs');
    expect(frame.meta?.custom?.searchWords).toEqual(['video']);
    expect(frame.fields.map((f) => f.name)).toEqual(['timestamp', 'body', 'severity', 'id', 'labels', 'provider', 'source', 'method', 'host', 'path', 'status', 'bytesSent', 'cacheStatus', 'attributes.tcpinfo_rtt', 'attributes.nested']);
    expect(field(frame, 'timestamp').type).toBe(FieldType.time);
    expect(field(frame, 'timestamp').values).toEqual([FROM + 2_000, FROM + 1_000]);
    expect(field(frame, 'body').values[0]).toBe('GET cdn.example.com/video/1.ts 502 100B MISS');
    expect(field(frame, 'severity').values).toEqual(['error', 'info']);
    expect(field(frame, 'id').values).toEqual(['r2', 'r1']);
    expect(field(frame, 'labels').type).toBe(FieldType.other);
    expect(field(frame, 'labels').values[0]).toEqual({ provider: 'gcore', source: '100001', status: '502', cacheStatus: 'MISS' });
    expect(field(frame, 'status').type).toBe(FieldType.number);
    expect(field(frame, 'attributes.tcpinfo_rtt').values).toEqual([84762, 1000]);
    expect(field(frame, 'attributes.nested').values).toEqual([null, '{"a":1}']);
  });

  it("carries the bridge's meta as stats for the query inspector and notices for clamps, truncation, sampling and notes", async () => {
    mockBridge.on('POST', /^\/api\/v1\/query$/, () =>
      logsAnswer(records, {
        meta: meta({
          clamps: [{ side: 'from', requestedMs: FROM - 30 * 86_400_000, effectiveMs: FROM, reason: 'Cloudflare serves the last 7 d only' }],
          truncated: true,
          truncatedReason: 'stopped at the limit of 2 records; every record from 2026-12-01T10:00:01Z is in',
          sampled: 0.1,
          notes: ['budget of 4 GiB reached'],
        }),
      }),
    );
    const frame: DataFrame = (await lastValueFrom(datasource().query(request([{ refId: 'A' }])))).data[0];
    const stats = Object.fromEntries((frame.meta?.stats ?? []).map((s) => [s.displayName, s.value]));
    expect(stats).toMatchObject({ 'Windows planned': 2, 'Windows from cache': 1, 'Provider requests': 3, 'Bytes downloaded': 21191, 'Records scanned': 545, 'Bridge time': 149 });
    expect(frame.meta?.notices?.map((n) => [n.severity, n.text])).toEqual([
      ['warning', 'Range start moved from 2026-11-01T10:00Z to 2026-12-01T10:00Z: Cloudflare serves the last 7 d only'],
      ['warning', 'Truncated: stopped at the limit of 2 records; every record from 2026-12-01T10:00:01Z is in'],
      ['warning', 'Sampled: the provider returned 10 % of the records; counts and bytes are scaled back'],
      ['info', 'budget of 4 GiB reached'],
    ]);
    expect(JSON.parse(frame.meta?.executedQueryString ?? '{}').provider).toBe('gcore');
  });

  it("shows the bridge's error message, not a generic one", async () => {
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => ({
      status: 400,
      data: { error: { kind: 'BadInput', message: 'filter: unknown field "bogus"; known fields: timestamp, provider', field: 'filter' } },
    }));
    const response = await lastValueFrom(datasource().query(request([{ refId: 'A', filters: [{ field: 'bogus', op: '=', value: '1' }] }])));
    expect(response.state).toBe(LoadingState.Error);
    expect(response.errors).toEqual([{ refId: 'A', message: 'filter: unknown field "bogus"; known fields: timestamp, provider' }]);
  });

  it('says when Grafana cannot reach the bridge, and when no provider is configured', async () => {
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => ({ status: 502, data: { message: 'Bad Gateway' } }));
    const unreachable = await lastValueFrom(datasource().query(request([{ refId: 'A' }])));
    expect(unreachable.errors?.[0].message).toMatch(/^Grafana could not reach the bridge \(HTTP 502: Bad Gateway\): check the bridge URL/);
    const unconfigured = await lastValueFrom(datasource({ provider: undefined }).query(request([{ refId: 'A' }])));
    expect(unconfigured.errors?.[0].message).toMatch(/choose the provider of this data source/);
    expect(mockBridge.requests).toHaveLength(1);
  });

  it('skips hidden queries', async () => {
    const response = await lastValueFrom(datasource().query(request([{ refId: 'A', hide: true }])));
    expect(response.data).toEqual([]);
    expect(mockBridge.requests).toEqual([]);
  });
});

describe('variables and ad-hoc filters', () => {
  it('replaces $variables in every query field, lists as csv for in / not in and list selectors, regexes as alternations', async () => {
    mockTemplateSrv = fakeTemplateSrv({ hosts: ['a.example.com', 'b.example.com'], code: '503', methods: ['GET', 'HEAD'], paths: ['/a', '/b'], word: 'img', by: 'edgeLocation', f: 'path' });
    mockBridge.on('POST', /^\/api\/v1\/query$/, (r) => ((r.data as BridgeQueryBody).mode === 'stats' ? statsAnswer({ fromMs: FROM, intervalMs: 60_000, times: [], series: [], approximate: false, recordsCounted: 0 }) : logsAnswer([])));
    const ds = datasource({ provider: 'tencent-dsa', defaultSource: {} });
    await lastValueFrom(
      ds.query(
        request([
          {
            refId: 'A',
            source: { host: '$hosts' },
            filters: [
              { field: 'status', op: '=', value: '$code' },
              { field: 'method', op: 'not in', value: '$methods' },
              { field: 'path', op: '=~', value: '^$paths' },
            ],
            search: '${word}',
            fields: ['$f', 'status'],
          },
          { refId: 'B', mode: 'stats', source: { host: 'c.example.com' }, groupBy: '$by', interval: '$__interval' },
        ], { scopedVars: { __interval: { text: '5m', value: '5m' } } }),
      ),
    );
    const [logs, stats] = sentBodies();
    expect(logs.source).toEqual({ host: 'a.example.com,b.example.com' });
    expect(logs.filters).toEqual([
      { field: 'status', op: '=', value: '503' },
      { field: 'method', op: 'not in', value: ['GET', 'HEAD'] },
      { field: 'path', op: '=~', value: '^(/a|/b)' },
    ]);
    expect(logs.search).toBe('img');
    expect(logs.fields).toEqual(['path', 'status']);
    expect(stats.groupBy).toBe('edgeLocation');
    expect(stats.intervalMs).toBe(300_000);
  });

  it("adds the dashboard's ad-hoc filters (request.filters) to every query", async () => {
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => logsAnswer([]));
    await lastValueFrom(
      datasource().query(
        request([{ refId: 'A', filters: [{ field: 'status', op: '>=', value: '400' }] }], {
          filters: [
            { key: 'cacheStatus', operator: '=', value: 'MISS' },
            { key: 'method', operator: '=|', value: 'GET', values: ['GET', 'POST'] },
            { key: 'host', operator: '!~', value: '^static' },
          ],
        }),
      ),
    );
    expect(sentBodies()[0].filters).toEqual([
      { field: 'status', op: '>=', value: '400' },
      { field: 'cacheStatus', op: '=', value: 'MISS' },
      { field: 'method', op: 'in', value: ['GET', 'POST'] },
      { field: 'host', op: '!~', value: '^static' },
    ]);
  });

  it('offers the fields of /api/v1/fields as ad-hoc keys and the values of /api/v1/values over the range as ad-hoc values', async () => {
    mockBridge.on('GET', /^\/api\/v1\/fields$/, () => ({ fields: [{ name: 'timestamp' }, { name: 'status' }, { name: 'cacheStatus' }, { name: 'id' }] }));
    mockBridge.on('GET', /^\/api\/v1\/values$/, () => ({ field: 'cacheStatus', complete: true, values: [{ value: 'HIT', count: 9 }, { value: 'MISS', count: 2 }], other: 0 }));
    const ds = datasource();
    expect(await ds.getTagKeys()).toEqual([{ text: 'status' }, { text: 'cacheStatus' }]);
    expect(mockBridge.calls('GET', '/api/v1/fields')[0].params).toEqual({ provider: 'gcore' });
    const range = { from: dateTime(FROM), to: dateTime(TO), raw: { from: dateTime(FROM), to: dateTime(TO) } };
    expect(await ds.getTagValues({ key: 'cacheStatus', filters: [], timeRange: range })).toEqual([{ text: 'HIT' }, { text: 'MISS' }]);
    expect(mockBridge.calls('GET', '/api/v1/values')[0].params).toEqual({ provider: 'gcore', field: 'cacheStatus', from: '2026-12-01T10:00:00.000Z', to: '2026-12-01T12:00:00.000Z', resource: '100001' });
  });

  it('answers a query variable with the values of a field, and with the field names', async () => {
    mockBridge.on('GET', /^\/api\/v1\/values$/, () => ({ field: 'edgeLocation', complete: true, values: [{ value: 'Frankfurt', count: 9 }, { value: 'Tokyo', count: 2 }], other: 0 }));
    mockBridge.on('GET', /^\/api\/v1\/fields$/, () => ({ fields: [{ name: 'status' }, { name: 'host' }] }));
    mockTemplateSrv = fakeTemplateSrv({ loc: 'edgeLocation' });
    const ds = datasource();
    const variables = ds.variables as CdnLogsVariableSupport;
    const values = await lastValueFrom(variables.query(request([{ refId: 'V', kind: 'values', field: '$loc' } as never]) as never));
    expect((values.data[0] as DataFrame).fields[0].values).toEqual(['Frankfurt', 'Tokyo']);
    expect(mockBridge.calls('GET', '/api/v1/values')[0].params.field).toBe('edgeLocation');
    const names = await lastValueFrom(variables.query(request([{ refId: 'V', kind: 'fields' } as never]) as never));
    expect((names.data[0] as DataFrame).fields[0].values).toEqual(['status', 'host']);
  });
});

describe('stats queries', () => {
  const stats = {
    fromMs: FROM,
    intervalMs: 3_600_000,
    times: [FROM, FROM + 3_600_000],
    series: [
      { group: '2xx', other: false, values: [2951, 3227], total: 6178 },
      { group: '5xx', other: false, values: [38, 47], total: 85 },
      { group: '(other)', other: true, values: [1, 0], total: 1 },
    ],
    approximate: true,
    recordsCounted: 6264,
  };

  it('sends group by, metric, top K and the panel interval in whole seconds', async () => {
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => statsAnswer(stats));
    await lastValueFrom(datasource().query(request([{ refId: 'A', mode: 'stats', groupBy: 'statusClass', metric: 'bytes', topK: 5 }], { intervalMs: 61_500 })));
    expect(sentBodies()[0]).toEqual({ provider: 'gcore', source: { resource: '100001' }, fromMs: FROM, toMs: TO, mode: 'stats', waitMs: 5_000, groupBy: 'statusClass', metric: 'bytes', topK: 5, intervalMs: 62_000 });
  });

  it('widens an interval that would make more than 10,000 buckets', async () => {
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => statsAnswer(stats));
    await lastValueFrom(datasource().query(request([{ refId: 'A', mode: 'stats', interval: '100ms' }])));
    expect(sentBodies()[0].intervalMs).toBe(1_000);
    expect(sentBodies()[0].groupBy).toBeNull();
  });

  it('answers one time series frame per group, the group in the labels and display name, the unit of the metric', async () => {
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => statsAnswer(stats));
    const response = await lastValueFrom(datasource().query(request([{ refId: 'A', mode: 'stats', groupBy: 'statusClass', metric: 'bytes' }])));
    expect(response.data.map((f: DataFrame) => f.name)).toEqual(['2xx', '5xx', '(other)']);
    const frame: DataFrame = response.data[1];
    expect(frame.refId).toBe('A');
    expect(frame.meta?.type).toBe(DataFrameType.TimeSeriesMulti);
    expect(frame.fields.map((f) => [f.name, f.type])).toEqual([
      ['Time', FieldType.time],
      ['Value', FieldType.number],
    ]);
    expect(frame.fields[0].values).toEqual([FROM, FROM + 3_600_000]);
    expect(frame.fields[1].values).toEqual([38, 47]);
    expect(frame.fields[1].labels).toEqual({ statusClass: '5xx' });
    expect(frame.fields[1].config).toMatchObject({ displayNameFromDS: '5xx', unit: 'decbytes' });
    expect(frame.meta?.notices?.map((n) => n.text)).toContainEqual(expect.stringMatching(/^Approximate groups/));
  });

  it('names the one series of an ungrouped query after its metric', async () => {
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => statsAnswer({ ...stats, series: [{ group: '(all)', other: false, values: [5, 6], total: 11 }] }));
    const response = await lastValueFrom(datasource().query(request([{ refId: 'A', mode: 'stats', metric: 'durationP95' }])));
    expect(response.data[0].name).toBe('duration p95');
    expect(response.data[0].fields[1].labels).toBeUndefined();
    expect(response.data[0].fields[1].config.unit).toBe('ms');
  });
});

describe('long queries', () => {
  const running = (records: Array<{ id: string; timestamp: number }>, done: number) =>
    logsAnswer(records, { queryId: 'q-long', state: 'running', progress: { windowsDone: done, windows: 3, records: records.length, bytes: 10 } });

  it('emits partial frames while the bridge says running (Streaming), polls GET /api/v1/query/{id}, then Done', async () => {
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => running([], 0));
    mockBridge.on('GET', /^\/api\/v1\/query\/q-long$/, () => running([{ id: 'a', timestamp: FROM + 5 }], 1), 1);
    mockBridge.on('GET', /^\/api\/v1\/query\/q-long$/, () => logsAnswer([{ id: 'a', timestamp: FROM + 5 }, { id: 'b', timestamp: FROM + 4 }], { queryId: 'q-long' }));
    const responses = await lastValueFrom(datasource().query(request([{ refId: 'A' }])).pipe(toArray()));
    expect(responses.map((r) => [r.state, r.data[0].length])).toEqual([
      [LoadingState.Streaming, 0],
      [LoadingState.Streaming, 1],
      [LoadingState.Done, 2],
    ]);
    expect(responses.every((r) => r.key === 'Q100')).toBe(true);
    expect(responses[1].data[0].meta.notices[0].text).toBe('Still running: 1 of 3 windows read, 1 records so far; partial results shown');
    expect(mockBridge.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v1/query', 'GET /api/v1/query/q-long', 'GET /api/v1/query/q-long']);
    expect(mockBridge.calls('DELETE')).toEqual([]);
  });

  it('DELETEs a running query when the panel unsubscribes, and not a finished one', async () => {
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => running([], 0));
    mockBridge.on('GET', /^\/api\/v1\/query\/q-long$/, () => running([], 1));
    mockBridge.on('DELETE', /^\/api\/v1\/query\/q-long$/, () => logsAnswer([], { queryId: 'q-long', state: 'cancelled' }));
    const first: DataQueryResponse = await firstValueFrom(datasource().query(request([{ refId: 'A' }])));
    expect(first.state).toBe(LoadingState.Streaming);
    expect(mockBridge.calls('DELETE').map((r) => r.path)).toEqual(['/api/v1/query/q-long']);
  });

  it('combines several queries: Streaming until the slowest is done', async () => {
    mockBridge.on('POST', /^\/api\/v1\/query$/, (r) => ((r.data as BridgeQueryBody).limit === 1 ? running([], 0) : logsAnswer([{ id: 'x', timestamp: FROM }])));
    mockBridge.on('GET', /^\/api\/v1\/query\/q-long$/, () => logsAnswer([{ id: 'y', timestamp: FROM }], { queryId: 'q-long' }));
    const responses = await lastValueFrom(datasource().query(request([{ refId: 'A', limit: 1 }, { refId: 'B' }])).pipe(toArray()));
    expect(responses.map((r) => [r.state, r.data.map((f: DataFrame) => `${f.refId}:${f.length}`).join(' ')])).toEqual([
      [LoadingState.Streaming, 'A:0 B:1'],
      [LoadingState.Done, 'A:1 B:1'],
    ]);
  });
});

describe('Explore logs features', () => {
  it('asks for the logs volume as counts by severity, refId log-volume-<refId>, and answers one frame per level labelled level', async () => {
    const ds = datasource();
    expect(ds.getSupportedSupplementaryQueryTypes()).toEqual([SupplementaryQueryType.LogsVolume]);
    const original = request([{ refId: 'A', filters: [{ field: 'host', op: '=', value: 'cdn.example.com' }], fields: ['path'], limit: 10 }, { refId: 'S', mode: 'stats' }]);
    const volume = ds.getSupplementaryRequest(SupplementaryQueryType.LogsVolume, original)!;
    expect(volume.targets.map((t) => t.refId)).toEqual(['log-volume-A']);
    mockBridge.on('POST', /^\/api\/v1\/query$/, () =>
      statsAnswer({
        fromMs: FROM,
        intervalMs: 60_000,
        times: [FROM, FROM + 60_000],
        series: [
          { group: 'info', other: false, values: [90, 80], total: 170 },
          { group: 'error', other: false, values: [3, 0], total: 3 },
        ],
        approximate: false,
        recordsCounted: 173,
      }),
    );
    const response = await lastValueFrom(ds.query(volume));
    expect(sentBodies()[0]).toMatchObject({ mode: 'stats', groupBy: 'severity', metric: 'count', intervalMs: 60_000, filters: [{ field: 'host', op: '=', value: 'cdn.example.com' }] });
    expect(sentBodies()[0].fields).toBeUndefined();
    expect(response.data.map((f: DataFrame) => [f.refId, f.name, f.fields[1].labels, f.fields[1].values])).toEqual([
      ['log-volume-A', 'info', { level: 'info' }, [90, 80]],
      ['log-volume-A', 'error', { level: 'error' }, [3, 0]],
    ]);
    expect(response.data[0].meta.custom).toMatchObject({ logsVolumeType: 'FullRange', absoluteRange: { from: FROM, to: TO }, datasourceName: 'CDN logs', sourceQuery: { refId: 'A', mode: 'logs' } });
    expect(ds.getSupplementaryRequest(SupplementaryQueryType.LogsSample, original)).toBeUndefined();
  });

  it('toggles "filter for" and "filter out" from log details, and says which filter is on', () => {
    const ds = datasource();
    const q: CdnLogsQuery = { refId: 'A', filters: [{ field: 'status', op: '>=', value: '400' }] };
    const forMiss = ds.toggleQueryFilter(q, { type: 'FILTER_FOR', options: { key: 'cacheStatus', value: 'MISS' } });
    expect(forMiss.filters).toEqual([
      { field: 'status', op: '>=', value: '400' },
      { field: 'cacheStatus', op: '=', value: 'MISS' },
    ]);
    expect(ds.queryHasFilter(forMiss, { key: 'cacheStatus', value: 'MISS' })).toBe(true);
    expect(ds.queryHasFilter(q, { key: 'cacheStatus', value: 'MISS' })).toBe(false);
    // The opposite replaces it; the same again removes it.
    const outMiss = ds.toggleQueryFilter(forMiss, { type: 'FILTER_OUT', options: { key: 'cacheStatus', value: 'MISS' } });
    expect(outMiss.filters).toEqual([
      { field: 'status', op: '>=', value: '400' },
      { field: 'cacheStatus', op: '!=', value: 'MISS' },
    ]);
    expect(ds.toggleQueryFilter(outMiss, { type: 'FILTER_OUT', options: { key: 'cacheStatus', value: 'MISS' } }).filters).toEqual([{ field: 'status', op: '>=', value: '400' }]);
  });

  it('applies ADD_FILTER, ADD_FILTER_OUT and ADD_STRING_FILTER, and lists them as supported', () => {
    const ds = datasource();
    expect(ds.getSupportedQueryModifications()).toEqual(['ADD_FILTER', 'ADD_FILTER_OUT', 'ADD_STRING_FILTER']);
    const q: CdnLogsQuery = { refId: 'A' };
    const added = ds.modifyQuery(q, { type: 'ADD_FILTER', options: { key: 'attributes.tcpinfo_rtt', value: '84762' } });
    expect(added.filters).toEqual([{ field: 'attributes.tcpinfo_rtt', op: '=', value: '84762' }]);
    expect(ds.modifyQuery(added, { type: 'ADD_FILTER_OUT', options: { key: 'attributes.tcpinfo_rtt', value: '84762' } }).filters).toEqual([{ field: 'attributes.tcpinfo_rtt', op: '!=', value: '84762' }]);
    expect(ds.modifyQuery(q, { type: 'ADD_STRING_FILTER', options: { value: '/video' } }).search).toBe('/video');
    expect(ds.modifyQuery(q, { type: 'ADD_STRING_FILTER_OUT', options: { value: '/video' } })).toBe(q);
  });

  it("reads a row's context: the same source before (newest first) or after (oldest first) it, without the query's filters, the row left out", async () => {
    const at = FROM + 30 * 60_000;
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => logsAnswer([{ id: 'row', timestamp: at }, { id: 'before-1', timestamp: at - 1_000 }, { id: 'before-2', timestamp: at - 2_000 }]));
    const ds = datasource();
    const row = { timeEpochMs: at, rowId: 'row' } as LogRowModel;
    const query: CdnLogsQuery = { refId: 'A', source: { resource: '100002' }, filters: [{ field: 'status', op: '>=', value: '500' }], search: 'x' };
    const backward = await ds.getLogRowContext(row, { direction: LogRowContextQueryDirection.Backward, limit: 2 }, query);
    expect(sentBodies()[0]).toEqual({ provider: 'gcore', source: { resource: '100002' }, fromMs: at - 3_600_000, toMs: at + 1, mode: 'logs', waitMs: 5_000, limit: 3, sort: 'desc' });
    expect(backward.data[0].fields.find((f: { name: string }) => f.name === 'id').values).toEqual(['before-1', 'before-2']);
    await ds.getLogRowContext(row, { direction: LogRowContextQueryDirection.Forward, limit: 10, timeWindowMs: 60_000 }, query);
    expect(sentBodies()[1]).toMatchObject({ fromMs: at, toMs: at + 60_000, limit: 11, sort: 'asc' });
  });
});

describe('live tail', () => {
  it('polls the newest records, then those after the newest it has, appending only new ids; same key, Streaming', async () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    jest.spyOn(Date, 'now').mockReturnValue(now);
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => logsAnswer([{ id: 'b', timestamp: now - 2_000 }, { id: 'a', timestamp: now - 3_000 }]), 1);
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => logsAnswer([{ id: 'b', timestamp: now - 2_000 }, { id: 'c', timestamp: now - 1_000 }]), 1);
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => ({ status: 502, data: { error: { kind: 'Transient', message: 'Gcore failed to serve the window (HTTP 503)' } } }), 1);
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => logsAnswer([{ id: 'd', timestamp: now }]));
    const responses = await lastValueFrom(datasource().query(request([{ refId: 'A', filters: [{ field: 'status', op: '>=', value: '500' }] }], { liveStreaming: true })).pipe(take(4), toArray()));
    jest.restoreAllMocks();
    expect(responses.map((r) => r.key)).toEqual(['cdnlogs-live-A', 'cdnlogs-live-A', 'cdnlogs-live-A', 'cdnlogs-live-A']);
    expect(responses.map((r) => r.state)).toEqual([LoadingState.Streaming, LoadingState.Streaming, LoadingState.Streaming, LoadingState.Streaming]);
    const ids = (r: DataQueryResponse) => r.data[0].fields.find((f: { name: string }) => f.name === 'id').values;
    expect(responses.map(ids)).toEqual([['b', 'a'], ['c', 'b', 'a'], ['c', 'b', 'a'], ['d', 'c', 'b', 'a']]);
    expect(responses[2].errors).toEqual([{ refId: 'A', message: 'Gcore failed to serve the window (HTTP 503)' }]);
    const bodies = sentBodies();
    expect(bodies[0]).toMatchObject({ fromMs: now - 15 * 60_000, toMs: now, sort: 'desc', limit: 100, filters: [{ field: 'status', op: '>=', value: '500' }] });
    expect(bodies[1]).toMatchObject({ fromMs: now - 2_000, toMs: now, sort: 'asc', limit: 1_000 });
    expect(bodies[3]).toMatchObject({ fromMs: now - 1_000, sort: 'asc' });
  });
});

describe('Save & test', () => {
  it("calls /api/v1/health with the provider and default source and shows the bridge's message", async () => {
    mockBridge.on('GET', /^\/api\/v1\/health$/, () => ({ status: 'ok', message: 'Gcore accepted the API key for resource 100001' }));
    expect(await datasource().testDatasource()).toEqual({ status: 'success', message: 'Gcore accepted the API key for resource 100001' });
    expect(mockBridge.calls('GET', '/api/v1/health')[0].params).toEqual({ provider: 'gcore', resource: '100001' });
  });

  it("shows what to fix: the bridge's refusal, or a missing bridge URL", async () => {
    mockBridge.on('GET', /^\/api\/v1\/health$/, () => ({ status: 403, data: { error: { kind: 'AuthFailed', message: 'Gcore rejected the API key (HTTP 401): check GCORE_API_KEY' } } }));
    expect(await datasource().testDatasource()).toEqual({ status: 'error', message: 'Gcore rejected the API key (HTTP 401): check GCORE_API_KEY' });
    expect(await datasource({ bridgeUrl: '' }).testDatasource()).toMatchObject({ status: 'error', message: expect.stringMatching(/^Set the bridge URL/) });
    expect(mockBridge.requests).toHaveLength(1);
  });
});
