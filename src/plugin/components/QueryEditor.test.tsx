import React, { useState } from 'react';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { dateTime, LoadingState, type PanelData } from '@grafana/data';
import { DataSource } from '../datasource';
import { FakeBridge, meta } from '../testing/fake-bridge';
import { testSettings } from '../testing/settings';
import { fakeTemplateSrv } from '../testing/template-srv';
import type { CdnLogsOptions, CdnLogsQuery } from '../types';
import { QueryEditor } from './QueryEditor';

let mockBridge = new FakeBridge();
let mockTemplateSrv = fakeTemplateSrv({});
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ fetch: mockBridge.fetch }),
  getTemplateSrv: () => mockTemplateSrv,
}));

const FROM = Date.parse('2026-12-01T10:00:00Z');
const TO = Date.parse('2026-12-01T12:00:00Z');
const RANGE = { from: dateTime(FROM), to: dateTime(TO), raw: { from: dateTime(FROM), to: dateTime(TO) } };

function datasource(jsonData: Partial<CdnLogsOptions> = {}): DataSource {
  return new DataSource(testSettings(jsonData));
}

/** Renders and lets the fields request (answered at once by the fake) settle. */
async function renderEditor(initial: CdnLogsQuery, ds = datasource(), data?: PanelData) {
  const changes: CdnLogsQuery[] = [];
  const onRunQuery = jest.fn();
  function Host() {
    const [query, setQuery] = useState(initial);
    return (
      <QueryEditor
        query={query}
        datasource={ds}
        range={RANGE}
        data={data}
        onRunQuery={onRunQuery}
        onChange={(q) => {
          changes.push(q);
          setQuery(q);
        }}
      />
    );
  }
  await act(async () => {
    render(<Host />);
  });
  return { changes, last: () => changes[changes.length - 1], onRunQuery };
}

async function choose(label: string, option: string) {
  fireEvent.keyDown(screen.getByLabelText(label), { key: 'ArrowDown' });
  fireEvent.click(await screen.findByText(option));
}

beforeEach(() => {
  mockBridge = new FakeBridge();
  mockTemplateSrv = fakeTemplateSrv({});
  mockBridge.on('GET', /^\/api\/v1\/fields$/, () => ({
    fields: [
      { name: 'status', type: 'number', description: 'HTTP response status' },
      { name: 'cacheStatus', type: 'enum', description: 'Cache status', values: ['HIT', 'MISS'] },
      { name: 'edgeLocation', type: 'string', description: 'Edge location' },
    ],
  }));
});

describe('QueryEditor', () => {
  it('switches to stats and shows group by, metric, top K and interval, running the query', async () => {
    const { last, onRunQuery } = await renderEditor({ refId: 'A', mode: 'logs' });
    expect(screen.getByLabelText('Fields')).toBeTruthy();
    fireEvent.click(screen.getByText('Stats'));
    expect(last()).toEqual({ refId: 'A', mode: 'stats' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    await choose('Group by', 'statusClass');
    await choose('Metric', 'Bytes sent');
    fireEvent.change(screen.getByLabelText(/Top K/), { target: { value: '5' } });
    fireEvent.change(screen.getByLabelText(/Interval/), { target: { value: '5m' } });
    fireEvent.blur(screen.getByLabelText(/Interval/));
    expect(last()).toEqual({ refId: 'A', mode: 'stats', groupBy: 'statusClass', metric: 'bytes', topK: 5, interval: '5m' });
    expect(onRunQuery).toHaveBeenCalledTimes(4);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it("edits the provider's source selector, the default source shown as placeholder", async () => {
    const { last, onRunQuery } = await renderEditor({ refId: 'A' });
    const resource = screen.getByLabelText('Resource ID') as HTMLInputElement;
    expect(resource.placeholder).toBe('100001');
    fireEvent.change(resource, { target: { value: '100002' } });
    fireEvent.blur(resource);
    expect(last().source).toEqual({ resource: '100002' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('offers EdgeOne zone, layer and domains or proxies', async () => {
    const { last } = await renderEditor({ refId: 'A' }, datasource({ provider: 'tencent-edgeone', defaultSource: { zone: 'zone-2mzegj4vln5f' } }));
    expect(screen.getByLabelText('Domains')).toBeTruthy();
    fireEvent.click(screen.getByText('L4 (proxy connections)'));
    fireEvent.change(screen.getByLabelText('Proxies'), { target: { value: 'proxy-1' } });
    expect(last().source).toEqual({ layer: 'l4', domain: '', proxy: 'proxy-1' });
  });

  it('builds a filter from the fields of /api/v1/fields and the values of /api/v1/values, then runs it', async () => {
    mockBridge.on('GET', /^\/api\/v1\/values$/, () => ({ field: 'edgeLocation', complete: true, values: [{ value: 'Frankfurt', count: 9 }, { value: 'Tokyo', count: 1 }], other: 0 }));
    const { last, onRunQuery } = await renderEditor({ refId: 'A', source: { resource: '100002' } });
    fireEvent.click(screen.getByText('Add filter'));
    expect(last().filters).toEqual([{ field: '', op: '=', value: '' }]);
    expect(onRunQuery).not.toHaveBeenCalled();
    await choose('Filter 1 field', 'edgeLocation');
    await choose('Filter 1 value', 'Tokyo');
    expect(last().filters).toEqual([{ field: 'edgeLocation', op: '=', value: 'Tokyo' }]);
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(mockBridge.calls('GET', '/api/v1/values')[0].params).toEqual({ provider: 'gcore', field: 'edgeLocation', from: '2026-12-01T10:00:00.000Z', to: '2026-12-01T12:00:00.000Z', resource: '100002' });
    await choose('Filter 1 operator', '!=');
    expect(last().filters).toEqual([{ field: 'edgeLocation', op: '!=', value: 'Tokyo' }]);
    fireEvent.click(screen.getByRole('button', { name: 'Remove filter 1' }));
    expect(last().filters).toEqual([]);
  });

  it("suggests an enumerated field's values from the catalogue without asking the bridge", async () => {
    await renderEditor({ refId: 'A', filters: [{ field: 'cacheStatus', op: '=', value: '' }] });
    await screen.findByText('Add filter');
    await waitFor(() => expect(mockBridge.calls('GET', '/api/v1/fields')).toHaveLength(1));
    fireEvent.keyDown(screen.getByLabelText('Filter 1 value'), { key: 'ArrowDown' });
    expect(await screen.findByText('MISS')).toBeTruthy();
    expect(mockBridge.calls('GET', '/api/v1/values')).toEqual([]);
  });

  it('shows the validation error of a query written by hand', async () => {
    await renderEditor({ refId: 'A', filters: [{ field: 'bogus', op: '=', value: '1' }] });
    expect((await screen.findByRole('alert')).textContent).toMatch(/filter: unknown field "bogus"/);
  });

  it('shows an invalid stats metric, operator, value or interval as the bridge would name it', async () => {
    const cases: Array<[CdnLogsQuery, RegExp]> = [
      [{ refId: 'A', mode: 'stats', metric: 'avg' as never }, /not validmetric: Invalid option/],
      [{ refId: 'A', filters: [{ field: 'status', op: '>=', value: 'abc' }] }, /status is a number; "abc" is not/],
      [{ refId: 'A', filters: [{ field: 'status', op: 'like' as never, value: '1' }] }, /filters.0.op: Invalid option: expected one of "="/],
      [{ refId: 'A', mode: 'stats', interval: 'often' }, /interval: "often" is not a duration/],
      [{ refId: 'A', limit: -1 }, /not validlimit: /],
      [{ refId: 'A', mode: 'graph' as never }, /mode: "graph" is not a mode/],
    ];
    for (const [query, message] of cases) {
      const { unmount } = await act(async () => render(<QueryEditor query={query} datasource={datasource()} range={RANGE} onChange={() => undefined} onRunQuery={() => undefined} />));
      expect(screen.getByRole('alert').textContent).toMatch(message);
      unmount();
    }
  });

  it('validates the query after replacing its variables', async () => {
    mockTemplateSrv = fakeTemplateSrv({ code: '500' });
    await renderEditor({ refId: 'A', filters: [{ field: 'status', op: '>=', value: '$code' }] });
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('says which filters the provider applies, and what it applied in the last run', async () => {
    const frame = { refId: 'A', fields: [], length: 0, meta: { custom: { bridge: meta({ pushedDown: [{ field: 'status', op: '>=', value: 400 as never }] }) } } };
    await renderEditor({ refId: 'A' }, datasource(), { state: LoadingState.Done, series: [frame], timeRange: RANGE } as PanelData);
    expect(screen.getByTestId('cdnlogs-pushdown').textContent).toBe(
      'Gcore applies filters on method, clientIp, status, bytesSent, host, source, cacheStatus and edgeLocation itself (one per field and operator); the search and every other filter run in the bridge. Last run: Gcore applied status >= 400.',
    );
  });

  it('asks for a provider when the data source has none', async () => {
    await renderEditor({ refId: 'A' }, datasource({ provider: undefined }));
    expect(screen.getByText(/Choose this data source's provider in its settings first/)).toBeTruthy();
    expect(mockBridge.requests).toEqual([]);
  });
});
