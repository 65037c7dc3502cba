import * as Papa from 'papaparse';
import { CdnLogError } from '../../core/errors';
import { utf8Text } from './text';

export interface CsvOptions {
  /** Names the download in error messages, e.g. "gcore resource 42 10:00Z..16:00Z". */
  label?: string;
}

type Row = string[];

/**
 * Parses RFC 4180 CSV (comma, double quotes, `""` for a quote, line breaks inside quoted fields)
 * into batches of rows, one batch per input chunk that completes a row. The header row is the first
 * row; the caller interprets it. Empty lines are dropped. The line ending (`\n` or `\r\n`) is taken
 * from the first line break outside quotes, so the result is the same for every chunking.
 * An unterminated quoted field at the end is a ProviderError.
 */
export async function* parseCsv(
  source: AsyncIterable<Uint8Array | string>,
  options: CsvOptions = {},
): AsyncGenerator<Row[]> {
  const label = options.label ?? 'download';
  let parser: Papa.Parser | undefined;
  // The incomplete last row of what has arrived so far; it is parsed again with the next chunk.
  let pending = '';
  let rowsBefore = 0;
  for await (const text of utf8Text(source)) {
    pending += text;
    if (parser === undefined) {
      const newline = firstLineBreak(pending);
      if (newline === undefined) continue;
      parser = csvParser(newline);
    } else if (text.indexOf('\n') === -1) {
      continue; // no row can have ended: don't parse a long row again for every chunk
    }
    const result = parser.parse(pending, 0, true) as PapaResult;
    // Errors of a chunk parse concern the held-back row only and are re-judged when it completes.
    pending = pending.slice(result.meta.cursor);
    const rows = withoutEmptyRows(result.data);
    rowsBefore += result.data.length;
    if (rows.length > 0) yield rows;
  }
  if (pending.length === 0) return;
  parser ??= csvParser(firstLineBreak(pending) ?? '\n');
  const result = parser.parse(pending, 0, false) as PapaResult;
  const unterminated = result.errors.find((e) => e.code === 'MissingQuotes');
  if (unterminated !== undefined) {
    throw new CdnLogError(
      'ProviderError',
      `${label}: row ${rowsBefore + (unterminated.row ?? 0) + 1} opens a quoted field that never closes; the CSV is malformed or cut short`,
    );
  }
  const rows = withoutEmptyRows(result.data);
  if (rows.length > 0) yield rows;
}

interface PapaResult {
  data: Row[];
  errors: Papa.ParseError[];
  meta: { cursor: number };
}

function csvParser(newline: '\n' | '\r\n'): Papa.Parser {
  return new Papa.Parser({ delimiter: ',', newline, quoteChar: '"', escapeChar: '"' });
}

/**
 * The line ending of the first line break outside quotes (quotes pair up, `""` included, so a
 * newline is outside quotes when an even number of quotes precede it); undefined until one arrives.
 */
function firstLineBreak(text: string): '\n' | '\r\n' | undefined {
  let quotes = 0;
  let from = 0;
  for (let lf = text.indexOf('\n'); lf !== -1; lf = text.indexOf('\n', lf + 1)) {
    for (let q = text.indexOf('"', from); q !== -1 && q < lf; q = text.indexOf('"', q + 1)) quotes++;
    from = lf;
    if (quotes % 2 === 0) return lf > 0 && text.charCodeAt(lf - 1) === 13 ? '\r\n' : '\n';
  }
  return undefined;
}

/** Drops the rows papaparse makes of empty lines (a single empty field), as `skipEmptyLines: true` does. */
function withoutEmptyRows(rows: Row[]): Row[] {
  let empty = 0;
  for (const row of rows) if (row.length === 1 && row[0] === '') empty++;
  if (empty === 0) return rows;
  return rows.filter((row) => !(row.length === 1 && row[0] === ''));
}
