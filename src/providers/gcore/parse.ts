import type { CdnLogRecord } from '../../core/record';
import { parseCsv, splitLines, unzipMembers } from '../../transport/decode';
import { noteSkipped, type ReadStats } from '../types';
import { type GcoreColumns, gcoreColumns, normalizeGcore } from './normalize';

export interface GcoreBodyOptions {
  /** `csv` or `tsv`: what was asked for; a member's own extension wins. */
  format: string;
  /** The queried resource, for records whose rows lack `resource_id`. */
  source: string;
  maxMemberBytes: number;
  label: string;
  /** Where rows that are not records (no usable timestamp) are counted. */
  stats?: ReadStats;
}

/** Rows without a usable timestamp, counted per body. */
interface Skipped {
  count: number;
}

function keep(records: CdnLogRecord[], record: CdnLogRecord | null, skipped: Skipped): void {
  if (record) records.push(record);
  else skipped.count++;
}

/**
 * TSV (IANA text/tab-separated-values: no quoting, no tabs or line breaks in fields). Split here
 * rather than by a generic decoder because the record id hashes the raw line, and rebuilding it
 * from the split row cost a third of the normalisation time (bench/).
 */
async function* tsvRecords(data: AsyncIterable<Uint8Array>, source: string, skipped: Skipped): AsyncIterable<CdnLogRecord[]> {
  let cols: GcoreColumns | null = null;
  for await (const lines of splitLines(data)) {
    const records: CdnLogRecord[] = [];
    for (const line of lines) {
      const row = line.split('\t');
      if (cols === null) cols = gcoreColumns(row);
      else keep(records, normalizeGcore(row, cols, source, line), skipped);
    }
    if (records.length > 0) yield records;
  }
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes and line breaks. */
async function* csvRecords(data: AsyncIterable<Uint8Array>, source: string, label: string, skipped: Skipped): AsyncIterable<CdnLogRecord[]> {
  let cols: GcoreColumns | null = null;
  for await (const rows of parseCsv(data, { label })) {
    const records: CdnLogRecord[] = [];
    for (const row of rows) {
      if (cols === null) cols = gcoreColumns(row);
      else keep(records, normalizeGcore(row, cols, source, row.join('\t')), skipped);
    }
    if (records.length > 0) yield records;
  }
}

/**
 * A logs-download body: a zip holding one CSV or TSV member whose first row names the columns
 * (provider-spec §2.3; the member layout is undocumented, so read whatever members come).
 */
export async function* decodeGcoreZip(body: AsyncIterable<Uint8Array>, options: GcoreBodyOptions): AsyncIterable<CdnLogRecord[]> {
  const skipped: Skipped = { count: 0 };
  for await (const member of unzipMembers(body, { maxMemberBytes: options.maxMemberBytes, label: options.label })) {
    const csv = member.name.endsWith('.csv') || (options.format === 'csv' && !member.name.endsWith('.tsv'));
    yield* csv ? csvRecords(member.data, options.source, options.label, skipped) : tsvRecords(member.data, options.source, skipped);
  }
  noteSkipped(options.stats, skipped.count, `rows of ${options.label} without a usable timestamp`);
}
