import Papa from 'papaparse';
import { hexCode, TERMINAL_UNSAFE, visibleText } from '../core/printable';
import type { CdnLogRecord } from '../core/record';

const TERMINAL_UNSAFE_ALL = new RegExp(TERMINAL_UNSAFE.source, 'g');

export const OUTPUT_FORMATS = ['ndjson', 'table', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Columns of `table` and `csv` when no --fields are given: access logs, and application logs (ELSA). */
export const DEFAULT_COLUMNS = ['timestamp', 'status', 'method', 'host', 'path', 'cacheStatus', 'bytesSent', 'clientIp', 'edgeLocation'] as const;
const APPLICATION_LOG_COLUMNS = ['timestamp', 'severity', 'source', 'message'] as const;

export function defaultColumns(provider: string): readonly string[] {
  return provider === 'naver-elsa' ? APPLICATION_LOG_COLUMNS : DEFAULT_COLUMNS;
}

/**
 * JSON text with the terminal-unsafe characters JSON.stringify leaves raw (DEL, C1, U+2028/U+2029,
 * bidi controls) as `\u0085`-style escapes. Outside strings JSON text has none of them, so each
 * one replaced sits inside a string, and JSON.parse gives back the same value.
 */
function terminalSafeJson(json: string): string {
  if (!TERMINAL_UNSAFE.test(json)) return json;
  return json.replace(TERMINAL_UNSAFE_ALL, (c) => `\\u${hexCode(c, 4)}`);
}

/**
 * A cell's value: text made visible, or a finite number left a number so that CSV keeps it one
 * (see `csvText`). A timestamp is ISO 8601; outside the Date range (1e300, NaN) `toISOString` would
 * throw, so it is shown as its number instead: a cell never throws.
 */
function cellValue(record: CdnLogRecord, field: string): string | number {
  const value = (record as unknown as Record<string, unknown>)[field];
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    const date = field === 'timestamp' ? new Date(value) : null;
    if (date !== null && !Number.isNaN(date.getTime())) return date.toISOString();
    return Number.isFinite(value) ? value : String(value);
  }
  return visibleText(typeof value === 'object' ? JSON.stringify(value) : String(value));
}

function cellText(record: CdnLogRecord, field: string): string {
  return String(cellValue(record, field));
}

/**
 * papaparse's `escapeFormulae` puts a `'` before a string cell starting with = + - @ tab or CR (and
 * quotes it), so a spreadsheet shows it as text instead of running it. Number primitives are left
 * alone: a negative bytesSent of -5 is written `-5` and stays a number (a number's text cannot hold a
 * formula), while the string "-5" from a provider field becomes `'-5`. The library's pattern
 * (`/^[=+\-@\t\r].*$/`, no `s` flag) only matches a single-line cell; cells reach it through
 * `visibleText`, which leaves no line breaks.
 */
function csvText(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  return Papa.unparse(rows as Array<Array<string | number>>, { newline: '\n', escapeFormulae: true }) + '\n';
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
      // An empty batch would be an empty line, which is not a JSON value.
      if (batch.length === 0) return true;
      return this.write(batch.map((r) => terminalSafeJson(JSON.stringify(project(r, this.fields)))).join('\n') + '\n') !== false;
    }
    if (this.format === 'csv') {
      if (batch.length === 0 && this.wroteHeader) return true;
      const rows = batch.map((r) => this.columns.map((c) => cellValue(r, c)));
      const text = csvText(this.wroteHeader ? rows : [[...this.columns], ...rows]);
      this.wroteHeader = true;
      return this.write(text) !== false;
    }
    this.tableRecords.push(...batch);
    return true;
  }

  end(): void {
    // A CSV of no records is still a CSV: the header says which columns there would have been.
    if (this.format === 'csv' && !this.wroteHeader) this.add([]);
    if (this.format !== 'table') return;
    // A table is read by a person: in time order (providers send a window's records in any order).
    const body = this.tableRecords.sort((a, b) => a.timestamp - b.timestamp).map((r) => this.columns.map((c) => cellText(r, c)));
    const header = this.columns.map(String);
    const widths = header.map((h, i) => body.reduce((w, row) => Math.max(w, row[i].length), h.length));
    const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
    this.write([line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n');
  }
}
