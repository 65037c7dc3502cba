/** The instance settings tests build a data source from: a Gcore account behind the fake data proxy. */
import type { DataSourceInstanceSettings } from '@grafana/data';
import type { CdnLogsOptions } from '../types';
import { PROXY_URL } from './fake-bridge';

export function testSettings(jsonData: Partial<CdnLogsOptions> = {}): DataSourceInstanceSettings<CdnLogsOptions> {
  return {
    id: 1,
    uid: 'cdnlogs-test',
    type: 'cdnlogbridge-cdnlogs-datasource',
    name: 'CDN logs',
    url: PROXY_URL,
    access: 'proxy',
    readOnly: false,
    jsonData: { bridgeUrl: 'http://bridge:8787', provider: 'gcore', defaultSource: { resource: '100001' }, ...jsonData },
    meta: { id: 'cdnlogbridge-cdnlogs-datasource' },
  } as unknown as DataSourceInstanceSettings<CdnLogsOptions>;
}
