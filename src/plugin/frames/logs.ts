/**
 * Log records as Grafana's data-plane logs frame (DataFrameType.LogLines): `timestamp`, `body`,
 * `severity`, `id`, `labels`, then every record field the answer has a value for, provider
 * attributes flattened to `attributes.<name>` so that "filter for" in log details names a field the
 * bridge can filter on.
 */

import { createDataFrame, DataFrameType, type DataFrame, type Field, FieldType, type QueryResultMeta } from '@grafana/data';
import type { LogsColumns } from '../types';

export interface LogRow {
  timestamp: number;
  body: string;
  severity: string;
  id: string;
  labels: Record<string, string>;
  /** Record fields besides the five above, attributes flattened. */
  fields: Record<string, unknown>;
}

const FRAME_FIELDS = new Set(['timestamp', 'body', 'severity', 'id', 'labels']);

/** The bridge's columns as rows (live tail and log context merge rows by id). */
export function logRows(logs: LogsColumns | undefined): LogRow[] {
  if (!logs) return [];
  const extra = logs.fields.filter((f) => !FRAME_FIELDS.has(f));
  const rows: LogRow[] = [];
  for (let i = 0; i < logs.length; i++) {
    const fields: Record<string, unknown> = {};
    for (const name of extra) {
      const value = logs.values[name]?.[i];
      if (name === 'attributes' && value !== null && typeof value === 'object') {
        for (const [key, attr] of Object.entries(value as Record<string, unknown>)) fields[`attributes.${key}`] = attr;
      } else {
        fields[name] = value;
      }
    }
    rows.push({
      timestamp: Number(logs.values.timestamp?.[i]),
      body: String(logs.values.body?.[i] ?? ''),
      severity: String(logs.values.severity?.[i] ?? 'info'),
      id: String(logs.values.id?.[i] ?? ''),
      labels: (logs.values.labels?.[i] as Record<string, string> | undefined) ?? {},
      fields,
    });
  }
  return rows;
}

function fieldType(values: unknown[]): FieldType {
  const first = values.find((v) => v !== null && v !== undefined);
  return typeof first === 'number' ? FieldType.number : typeof first === 'boolean' ? FieldType.boolean : FieldType.string;
}

/** Objects (nested provider attributes) as JSON text: log details show text. */
function cell(value: unknown): unknown {
  if (value === undefined) return null;
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
}

export interface LogsFrameOptions {
  refId: string;
  meta?: QueryResultMeta;
  /** Words Explore highlights in the lines (the search). */
  searchWords?: string[];
  limit?: number;
}

export function logsFrame(rows: readonly LogRow[], options: LogsFrameOptions): DataFrame {
  // Columns in first-seen order; a column with no value in any row is left out of log details.
  const names: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row.fields)) {
      if (value === null || value === undefined || seen.has(name)) continue;
      seen.add(name);
      names.push(name);
    }
  }
  const extra: Field[] = names.map((name) => {
    const values = rows.map((r) => cell(r.fields[name]));
    return { name, type: fieldType(values), config: {}, values };
  });
  const meta: QueryResultMeta = {
    ...options.meta,
    type: DataFrameType.LogLines,
    typeVersion: [0, 0],
    preferredVisualisationType: 'logs',
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    custom: { ...options.meta?.custom, ...(options.searchWords?.length ? { searchWords: options.searchWords } : {}), ...(options.limit !== undefined ? { limit: options.limit } : {}) },
  };
  return createDataFrame({
    refId: options.refId,
    meta,
    fields: [
      { name: 'timestamp', type: FieldType.time, config: {}, values: rows.map((r) => r.timestamp) },
      { name: 'body', type: FieldType.string, config: {}, values: rows.map((r) => r.body) },
      { name: 'severity', type: FieldType.string, config: {}, values: rows.map((r) => r.severity) },
      { name: 'id', type: FieldType.string, config: {}, values: rows.map((r) => r.id) },
      { name: 'labels', type: FieldType.other, config: {}, values: rows.map((r) => r.labels) },
      ...extra,
    ],
  });
}
