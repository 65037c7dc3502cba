import Papa from 'papaparse';
import type { CdnLogRecord } from '../core/record';

export const OUTPUT_FORMATS = ['ndjson', 'table', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Columns of `table` and `csv` when no --fields are given. */
export const DEFAULT_COLUMNS = ['timestamp', 'status', 'method', 'host', 'path', 'cacheStatus', 'bytesSent', 'clientIp', 'edgeLocation'] as const;

function cellText(record: CdnLogRecord, field: string): string {
  const value = (record as unknown as Record<string, unknown>)[field];
  if (value === null || value === undefined) return '';
  if (field === 'timestamp' && typeof value === 'number') return new Date(value).toISOString();
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function project(record: CdnLogRecord, fields: readonly string[] | undefined): unknown {
  if (!fields) return record;
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = (record as unknown as Record<string, unknown>)[f];
  return out;
}

/**
 * Writes records as they come (ndjson, csv) or, for `table`, once all are in (column widths need
 * every row; the query's limit bounds them).
 */
export class RecordWriter {
  private readonly columns: readonly string[];
  private readonly tableRows: string[][] = [];
  private wroteHeader = false;

  constructor(
    private readonly format: OutputFormat,
    private readonly fields: readonly string[] | undefined,
    private readonly write: (text: string) => void,
  ) {
    this.columns = fields ?? DEFAULT_COLUMNS;
  }

  add(batch: readonly CdnLogRecord[]): void {
    if (this.format === 'ndjson') {
      this.write(batch.map((r) => JSON.stringify(project(r, this.fields))).join('\n') + '\n');
      return;
    }
    const rows = batch.map((r) => this.columns.map((c) => cellText(r, c)));
    if (this.format === 'csv') {
      this.write(Papa.unparse(this.wroteHeader ? rows : [[...this.columns], ...rows], { newline: '\n' }) + '\n');
      this.wroteHeader = true;
      return;
    }
    this.tableRows.push(...rows);
  }

  end(): void {
    if (this.format !== 'table') return;
    const rows = [this.columns.map(String), ...this.tableRows];
    const widths = this.columns.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
    this.write([line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...this.tableRows.map(line)].join('\n') + '\n');
  }
}
