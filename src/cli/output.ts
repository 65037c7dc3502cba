import Papa from 'papaparse';
import type { CdnLogRecord } from '../core/record';

export const OUTPUT_FORMATS = ['ndjson', 'table', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Columns of `table` and `csv` when no --fields are given: access logs, and application logs (ELSA). */
export const DEFAULT_COLUMNS = ['timestamp', 'status', 'method', 'host', 'path', 'cacheStatus', 'bytesSent', 'clientIp', 'edgeLocation'] as const;
const APPLICATION_LOG_COLUMNS = ['timestamp', 'severity', 'source', 'message'] as const;

export function defaultColumns(provider: string): readonly string[] {
  return provider === 'naver-elsa' ? APPLICATION_LOG_COLUMNS : DEFAULT_COLUMNS;
}

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
  private readonly tableRecords: CdnLogRecord[] = [];
  private wroteHeader = false;

  constructor(
    private readonly format: OutputFormat,
    private readonly fields: readonly string[] | undefined,
    /** Returns false when the destination wants the writer to wait (stream backpressure). */
    private readonly write: (text: string) => boolean | void,
    columns: readonly string[] = DEFAULT_COLUMNS,
  ) {
    this.columns = fields ?? columns;
  }

  /** Writes (or, for a table, keeps) a batch; false means: wait for the destination to drain. */
  add(batch: readonly CdnLogRecord[]): boolean {
    if (this.format === 'ndjson') {
      return this.write(batch.map((r) => JSON.stringify(project(r, this.fields))).join('\n') + '\n') !== false;
    }
    if (this.format === 'csv') {
      const rows = batch.map((r) => this.columns.map((c) => cellText(r, c)));
      const text = Papa.unparse(this.wroteHeader ? rows : [[...this.columns], ...rows], { newline: '\n' }) + '\n';
      this.wroteHeader = true;
      return this.write(text) !== false;
    }
    this.tableRecords.push(...batch);
    return true;
  }

  end(): void {
    if (this.format !== 'table') return;
    // A table is read by a person: in time order (providers send a window's records in any order).
    const body = this.tableRecords.sort((a, b) => a.timestamp - b.timestamp).map((r) => this.columns.map((c) => cellText(r, c)));
    const header = this.columns.map(String);
    const widths = header.map((h, i) => body.reduce((w, row) => Math.max(w, row[i].length), h.length));
    const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
    this.write([line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n');
  }
}
