/**
 * Template variables (CustomVariableSupport): the distinct values of a field over the dashboard's
 * range (the bridge's /values, e.g. `cacheStatus` or `edgeLocation`), or the field names.
 */

import { createDataFrame, CustomVariableSupport, type DataQueryRequest, type DataQueryResponse, FieldType } from '@grafana/data';
import { from, map, type Observable } from 'rxjs';
import { toBridgeError } from './bridge/client';
import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { DataSource } from './datasource';
import type { CdnLogsVariableQuery } from './types';

export class CdnLogsVariableSupport extends CustomVariableSupport<DataSource, CdnLogsVariableQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  query(request: DataQueryRequest<CdnLogsVariableQuery>): Observable<DataQueryResponse> {
    const query = request.targets[0];
    return from(this.texts(query, request)).pipe(
      map((texts): DataQueryResponse => ({ data: [createDataFrame({ refId: query?.refId, fields: [{ name: 'text', type: FieldType.string, values: texts }] })] })),
    );
  }

  private async texts(query: CdnLogsVariableQuery | undefined, request: DataQueryRequest<CdnLogsVariableQuery>): Promise<string[]> {
    if (!query) return [];
    try {
      if (query.kind === 'fields') return (await this.datasource.getFields()).map((f) => f.name);
      if (!query.field) return [];
      const replace = (text: string) => this.datasource.replaceText(text, request.scopedVars);
      const source = query.source ? Object.fromEntries(Object.entries(query.source).map(([k, v]) => [k, replace(v)])) : undefined;
      const values = await this.datasource.getValues(replace(query.field), request.range.from.valueOf(), request.range.to.valueOf(), source);
      return values.map((v) => v.value);
    } catch (err) {
      throw toBridgeError(err);
    }
  }
}
