/**
 * The query editor: mode, source, filters, search, and per mode the logs options (fields, limit,
 * order) or the stats options (group by, metric, top K, interval). It says where filters run (at
 * the provider or in the bridge) and shows the bridge's validation error for a query written by hand.
 */

import React, { useEffect, useMemo, useState } from 'react';
import type { QueryEditorProps, SelectableValue } from '@grafana/data';
import { Alert, InlineField, InlineFieldRow, Input, MultiSelect, RadioButtonGroup, Select, Stack } from '@grafana/ui';
import { STATS_METRICS, type StatsMetric } from '../../core/stats';
import type { DataSource } from '../datasource';
import { providerSpec } from '../providers';
import { validationError } from '../query/validate';
import type { BridgeField, BridgeFilter, BridgeMeta, CdnLogsOptions, CdnLogsQuery, QueryFilter, QueryMode } from '../types';
import { FiltersEditor } from './FiltersEditor';
import { SourceEditor } from './SourceEditor';

export type Props = QueryEditorProps<DataSource, CdnLogsQuery, CdnLogsOptions>;

const MODES: Array<SelectableValue<QueryMode>> = [
  { label: 'Logs', value: 'logs' },
  { label: 'Stats', value: 'stats' },
];
const SORTS = [
  { label: 'Newest first', value: 'desc' as const },
  { label: 'Oldest first', value: 'asc' as const },
];
const METRIC_LABELS: Record<StatsMetric, string> = { count: 'Requests', bytes: 'Bytes sent', durationP50: 'Duration p50', durationP95: 'Duration p95' };
const METRICS = STATS_METRICS.map((m) => ({ label: METRIC_LABELS[m], value: m }));
const HOUR_MS = 60 * 60_000;

function describe(filter: BridgeFilter): string {
  return `${filter.field} ${filter.op} ${Array.isArray(filter.value) ? `(${filter.value.join(',')})` : filter.value}`;
}

/** Where the filters of the last run went, from the bridge's meta on the query's frames. */
function lastRun(data: Props['data'], refId: string): BridgeMeta | undefined {
  return data?.series.find((f) => f.refId === refId && f.meta?.custom?.bridge)?.meta?.custom?.bridge as BridgeMeta | undefined;
}

const complete = (f: QueryFilter) => f.field !== '' && f.value !== '';

export function QueryEditor({ query, onChange, onRunQuery, datasource, data, range }: Props) {
  const settings = datasource.settings;
  const spec = providerSpec(settings.provider);
  const mode = query.mode ?? 'logs';
  const [fields, setFields] = useState<BridgeField[]>([]);
  const [fieldsError, setFieldsError] = useState<string | null>(null);

  useEffect(() => {
    if (!spec) return;
    let live = true;
    datasource.getFields().then(
      (f) => live && setFields(f),
      (err: unknown) => live && setFieldsError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [datasource, spec]);

  const toMs = range ? range.to.valueOf() : Date.now();
  const fromMs = range ? range.from.valueOf() : toMs - HOUR_MS;
  const error = useMemo(() => validationError(datasource.interpolate(query), settings, fromMs, toMs), [datasource, query, settings, fromMs, toMs]);

  const change = (patch: Partial<CdnLogsQuery>, run = false) => {
    onChange({ ...query, ...patch });
    if (run) onRunQuery();
  };

  if (!spec) {
    return <Alert severity="warning" title="No provider">Choose this data source&apos;s provider in its settings first.</Alert>;
  }

  const fieldOptions = fields.map((f) => ({ label: f.name, value: f.name, description: f.description }));
  const groupOptions = [{ label: 'statusClass', value: 'statusClass', description: '2xx, 3xx, 4xx, 5xx' }, ...fieldOptions];
  const meta = lastRun(data, query.refId);
  const loadValues = async (field: string) =>
    (await datasource.getValues(datasource.replaceText(field), fromMs, toMs, datasource.interpolate(query).source)).map((v) => v.value);

  return (
    <Stack direction="column" gap={1}>
      <InlineFieldRow>
        <InlineField label="Mode" labelWidth={10}>
          <RadioButtonGroup options={MODES} value={mode} onChange={(m) => change({ mode: m }, true)} />
        </InlineField>
        <InlineField label="Search" labelWidth={10} grow tooltip="Text in host, path, query, user agent, referer, client IP or message (case-insensitive)" htmlFor={`cdnlogs-search-${query.refId}`}>
          <Input id={`cdnlogs-search-${query.refId}`} value={query.search ?? ''} placeholder="text to find" onChange={(e) => change({ search: e.currentTarget.value })} onBlur={onRunQuery} />
        </InlineField>
      </InlineFieldRow>

      <SourceEditor idPrefix={`cdnlogs-${query.refId}`} provider={spec.id} value={query.source} placeholders={settings.defaultSource} onChange={(source) => change({ source })} onBlur={onRunQuery} />

      <FiltersEditor
        filters={query.filters ?? []}
        fields={fields}
        loadValues={loadValues}
        onChange={(filters) => change({ filters }, filters.every(complete))}
      />

      {mode === 'logs' ? (
        <InlineFieldRow>
          <InlineField label="Fields" labelWidth={10} tooltip="Record fields in log details (all when empty)">
            <MultiSelect aria-label="Fields" width={40} options={fieldOptions} value={query.fields ?? []} placeholder="all" onChange={(v) => change({ fields: v.map((o) => o.value!).filter(Boolean) }, true)} />
          </InlineField>
          <InlineField label="Limit" labelWidth={8} htmlFor={`cdnlogs-limit-${query.refId}`}>
            <Input
              id={`cdnlogs-limit-${query.refId}`}
              type="number"
              width={10}
              value={query.limit ?? ''}
              placeholder="1000"
              onChange={(e) => change({ limit: e.currentTarget.value === '' ? undefined : Number(e.currentTarget.value) })}
              onBlur={onRunQuery}
            />
          </InlineField>
          <InlineField label="Order" labelWidth={8}>
            <RadioButtonGroup options={SORTS} value={query.sort ?? 'desc'} onChange={(sort) => change({ sort }, true)} />
          </InlineField>
        </InlineFieldRow>
      ) : (
        <InlineFieldRow>
          <InlineField label="Group by" labelWidth={10}>
            <Select aria-label="Group by" width={24} options={groupOptions} value={query.groupBy || null} allowCustomValue isClearable placeholder="one series" onChange={(v) => change({ groupBy: v?.value ?? '' }, true)} />
          </InlineField>
          <InlineField label="Metric" labelWidth={8}>
            <Select aria-label="Metric" width={18} options={METRICS} value={query.metric ?? 'count'} onChange={(v) => change({ metric: v.value ?? 'count' }, true)} />
          </InlineField>
          <InlineField label="Top K" labelWidth={8} tooltip="Groups drawn (1-100); the rest are summed as (other)" htmlFor={`cdnlogs-topk-${query.refId}`}>
            <Input id={`cdnlogs-topk-${query.refId}`} type="number" width={8} value={query.topK ?? ''} placeholder="10" onChange={(e) => change({ topK: e.currentTarget.value === '' ? undefined : Number(e.currentTarget.value) })} onBlur={onRunQuery} />
          </InlineField>
          <InlineField label="Interval" labelWidth={10} tooltip="Bucket width, e.g. 1m or $__interval; empty: the panel's" htmlFor={`cdnlogs-interval-${query.refId}`}>
            <Input id={`cdnlogs-interval-${query.refId}`} width={10} value={query.interval ?? ''} placeholder="auto" onChange={(e) => change({ interval: e.currentTarget.value })} onBlur={onRunQuery} />
          </InlineField>
        </InlineFieldRow>
      )}

      <div data-testid="cdnlogs-pushdown">
        {spec.pushDown}
        {meta && (meta.pushedDown.length > 0 ? ` Last run: ${spec.name} applied ${meta.pushedDown.map(describe).join(', ')}.` : ' Last run: no filter ran at the provider.')}
      </div>
      {fieldsError && <Alert severity="warning" title="Fields unavailable">{fieldsError}</Alert>}
      {error && (
        <Alert severity="error" title="This query is not valid">
          {error}
        </Alert>
      )}
    </Stack>
  );
}
