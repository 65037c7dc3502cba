/** The plugin's entry point: Grafana's SystemJS loader imports dist/module.js and reads `plugin`. */

import { DataSourcePlugin } from '@grafana/data';
import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import type { CdnLogsOptions, CdnLogsQuery, CdnLogsSecureData } from './types';

export const plugin = new DataSourcePlugin<DataSource, CdnLogsQuery, CdnLogsOptions, CdnLogsSecureData>(DataSource).setConfigEditor(ConfigEditor).setQueryEditor(QueryEditor);
