/**
 * The editor of a query variable: the distinct values of a field (over the dashboard's range, in
 * the data source's default source) or the list of field names.
 */

import React, { useEffect, useState } from 'react';
import type { QueryEditorProps } from '@grafana/data';
import { InlineField, InlineFieldRow, RadioButtonGroup, Select } from '@grafana/ui';
import type { DataSource } from '../datasource';
import type { CdnLogsOptions, CdnLogsQuery, CdnLogsVariableQuery } from '../types';

type Props = QueryEditorProps<DataSource, CdnLogsQuery, CdnLogsOptions, CdnLogsVariableQuery>;

const KINDS = [
  { label: 'Values of a field', value: 'values' as const },
  { label: 'Field names', value: 'fields' as const },
];

export function VariableQueryEditor({ query, onChange, datasource }: Props) {
  const [fields, setFields] = useState<string[]>([]);
  useEffect(() => {
    let live = true;
    datasource.getFields().then(
      (f) => live && setFields(['statusClass', ...f.map((x) => x.name)]),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [datasource]);
  const kind = query.kind ?? 'values';
  return (
    <InlineFieldRow>
      <InlineField label="Variable of" labelWidth={14}>
        <RadioButtonGroup options={KINDS} value={kind} onChange={(k) => onChange({ ...query, kind: k })} />
      </InlineField>
      {kind === 'values' && (
        <InlineField label="Field" labelWidth={10}>
          <Select
            aria-label="Variable field"
            width={30}
            allowCustomValue
            options={fields.map((f) => ({ label: f, value: f }))}
            value={query.field ? { label: query.field, value: query.field } : null}
            onChange={(v) => onChange({ ...query, kind, field: v.value ?? '' })}
          />
        </InlineField>
      )}
    </InlineFieldRow>
  );
}
