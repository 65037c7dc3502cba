import React from 'react';
import { act, fireEvent, render, screen } from '@testing-library/react';
import type { DataSourceInstanceSettings } from '@grafana/data';
import { DataSource } from '../datasource';
import { FakeBridge, PROXY_URL } from '../testing/fake-bridge';
import type { CdnLogsOptions, CdnLogsVariableQuery } from '../types';
import { VariableQueryEditor } from './VariableQueryEditor';

const mockBridge = new FakeBridge().on('GET', /^\/api\/v1\/fields$/, () => ({ fields: [{ name: 'edgeLocation' }, { name: 'host' }] }));
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ fetch: mockBridge.fetch }),
}));

const ds = new DataSource({ id: 1, uid: 'cdnlogs', type: 'cdnlogbridge-cdnlogs-datasource', name: 'CDN', url: PROXY_URL, jsonData: { provider: 'gcore' }, meta: {} } as unknown as DataSourceInstanceSettings<CdnLogsOptions>);

describe('VariableQueryEditor', () => {
  it('picks the field whose values the variable lists, from /api/v1/fields plus statusClass, or lists field names', async () => {
    const onChange = jest.fn();
    const query: CdnLogsVariableQuery = { refId: 'V', kind: 'values' };
    const { rerender } = await act(async () => render(<VariableQueryEditor query={query as never} datasource={ds} onChange={onChange} onRunQuery={() => undefined} />));
    fireEvent.keyDown(screen.getByLabelText('Variable field'), { key: 'ArrowDown' });
    expect(screen.getByText('statusClass')).toBeTruthy();
    fireEvent.click(screen.getByText('edgeLocation'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'V', kind: 'values', field: 'edgeLocation' });
    fireEvent.click(screen.getByText('Field names'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'V', kind: 'fields' });
    rerender(<VariableQueryEditor query={{ refId: 'V', kind: 'fields' } as never} datasource={ds} onChange={onChange} onRunQuery={() => undefined} />);
    expect(screen.queryByLabelText('Variable field')).toBeNull();
  });
});
