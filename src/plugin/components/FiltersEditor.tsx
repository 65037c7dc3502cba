/**
 * The filter builder: field, operator, value. Fields come from the bridge's /fields (plus
 * `attributes.<name>` typed by hand), values from its /values over the panel's range; any text
 * (a `$variable`, `a,b` for in / not in) may be typed instead.
 */

import React, { useState } from 'react';
import type { SelectableValue } from '@grafana/data';
import { Button, IconButton, InlineField, InlineFieldRow, Select } from '@grafana/ui';
import { FILTER_OPERATORS, type FilterOperator } from '../../core/filter';
import type { BridgeField, QueryFilter } from '../types';

interface Props {
  filters: QueryFilter[];
  fields: BridgeField[];
  onChange: (filters: QueryFilter[]) => void;
  /** Distinct values of a field, most frequent first. */
  loadValues: (field: string) => Promise<string[]>;
}

const OPERATOR_OPTIONS: Array<SelectableValue<FilterOperator>> = FILTER_OPERATORS.map((op) => ({ label: op, value: op }));

function FilterRow({ filter, index, fields, onChange, onRemove, loadValues }: { filter: QueryFilter; index: number; fields: BridgeField[]; onChange: (f: QueryFilter) => void; onRemove: () => void; loadValues: Props['loadValues'] }) {
  const [values, setValues] = useState<Array<SelectableValue<string>>>([]);
  const [loading, setLoading] = useState(false);
  const [valuesError, setValuesError] = useState<string | null>(null);
  const fieldOptions = fields.map((f) => ({ label: f.name, value: f.name, description: f.description }));
  const known = fields.find((f) => f.name === filter.field);

  const openValues = async () => {
    if (!filter.field) return;
    // Enumerated fields have their values in the catalogue; others are asked of the bridge.
    if (known?.values) {
      setValues(known.values.map((v) => ({ label: v, value: v })));
      return;
    }
    setLoading(true);
    setValuesError(null);
    try {
      setValues((await loadValues(filter.field)).map((v) => ({ label: v, value: v })));
    } catch (err) {
      setValuesError(err instanceof Error ? err.message : String(err));
      setValues([]);
    } finally {
      setLoading(false);
    }
  };

  return (
    <InlineFieldRow>
      <InlineField label={index === 0 ? 'Filter' : 'and'} labelWidth={10}>
        <Select
          aria-label={`Filter ${index + 1} field`}
          width={24}
          options={fieldOptions}
          value={filter.field ? { label: filter.field, value: filter.field } : null}
          allowCustomValue
          placeholder="field"
          onChange={(v) => onChange({ ...filter, field: v.value ?? '' })}
        />
      </InlineField>
      <Select aria-label={`Filter ${index + 1} operator`} width={12} options={OPERATOR_OPTIONS} value={filter.op} onChange={(v) => onChange({ ...filter, op: v.value ?? '=' })} />
      <InlineField invalid={valuesError !== null} error={valuesError}>
        <Select
          aria-label={`Filter ${index + 1} value`}
          width={32}
          options={values}
          isLoading={loading}
          value={filter.value !== '' ? { label: filter.value, value: filter.value } : null}
          allowCustomValue
          placeholder={filter.op === 'in' || filter.op === 'not in' ? 'a,b,c' : 'value'}
          onOpenMenu={openValues}
          onChange={(v) => onChange({ ...filter, value: v.value ?? '' })}
        />
      </InlineField>
      <IconButton name="trash-alt" tooltip={`Remove filter ${index + 1}`} onClick={onRemove} />
    </InlineFieldRow>
  );
}

export function FiltersEditor({ filters, fields, onChange, loadValues }: Props) {
  return (
    <>
      {filters.map((filter, i) => (
        <FilterRow
          key={i}
          index={i}
          filter={filter}
          fields={fields}
          loadValues={loadValues}
          onChange={(f) => onChange(filters.map((old, j) => (j === i ? f : old)))}
          onRemove={() => onChange(filters.filter((_, j) => j !== i))}
        />
      ))}
      {/* In a div: the editor's column would otherwise stretch the button across the panel. */}
      <div>
        <Button variant="secondary" size="sm" icon="plus" onClick={() => onChange([...filters, { field: '', op: '=', value: '' }])}>
          Add filter
        </Button>
      </div>
    </>
  );
}
