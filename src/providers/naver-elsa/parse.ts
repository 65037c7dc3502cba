import type { CdnLogRecord } from '../../core/record';
import { jsonDocumentTexts, parseCsv, unzipMembers } from '../../transport/decode';
import { noteSkipped, type ReadStats } from '../types';
import { isObject } from '../wire';
import { normalizeElsa } from './normalize';

export interface ElsaBodyOptions {
  /** The project key, the records' source. */
  project: string;
  maxMemberBytes: number;
  label: string;
  stats?: ReadStats;
}

/** A JSON member, an array or NDJSON (undocumented, provider-spec §5.4): each document with its own text. */
async function* jsonRecords(data: AsyncIterable<Uint8Array>, options: ElsaBodyOptions, skipped: { count: number }): AsyncIterable<CdnLogRecord[]> {
  for await (const texts of jsonDocumentTexts(data, { label: options.label })) {
    const records: CdnLogRecord[] = [];
    for (const text of texts) {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        skipped.count++;
        continue;
      }
      const record = isObject(doc) ? normalizeElsa(doc, options.project, text) : null;
      if (record) records.push(record);
      else skipped.count++;
    }
    if (records.length > 0) yield records;
  }
}

/** A CSV member: a header row of field names, RFC 4180 quoting; an empty cell is an absent field. */
async function* csvRecords(data: AsyncIterable<Uint8Array>, options: ElsaBodyOptions, skipped: { count: number }): AsyncIterable<CdnLogRecord[]> {
  let header: string[] | null = null;
  for await (const rows of parseCsv(data, { label: options.label })) {
    const records: CdnLogRecord[] = [];
    for (const row of rows) {
      if (header === null) {
        header = row;
        continue;
      }
      const doc: Record<string, string> = {};
      for (let i = 0; i < header.length; i++) if (row[i] !== undefined && row[i] !== '') doc[header[i]] = row[i];
      const record = normalizeElsa(doc, options.project, row.join('\u001f'));
      if (record) records.push(record);
      else skipped.count++;
    }
    if (records.length > 0) yield records;
  }
}

/** A download body: a zip holding a `.json` or `.csv` member (the name says which; JSON otherwise). */
export async function* decodeElsaZip(body: AsyncIterable<Uint8Array>, options: ElsaBodyOptions): AsyncIterable<CdnLogRecord[]> {
  const skipped = { count: 0 };
  for await (const member of unzipMembers(body, { maxMemberBytes: options.maxMemberBytes, label: options.label })) {
    yield* member.name.toLowerCase().endsWith('.csv') ? csvRecords(member.data, options, skipped) : jsonRecords(member.data, options, skipped);
  }
  noteSkipped(options.stats, skipped.count, `documents of ${options.label} that are not log documents with a usable logTime`);
}
