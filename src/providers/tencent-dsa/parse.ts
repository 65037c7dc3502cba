import type { CdnLogRecord } from '../../core/record';
import { splitLines } from '../../transport/decode';
import type { LogPackage } from '../packages';
import { noteSkipped, type ReadStats } from '../types';
import { normalizeDsaLine } from './normalize';

/**
 * The inflated text of one hourly package (provider-spec §4.6): one request per line. A line that
 * is not a log line is skipped and counted in a note, so one bad line does not cost the hour.
 */
export async function* decodeDsaPackage(inflated: AsyncIterable<Uint8Array>, pkg: LogPackage, source: string, stats?: ReadStats): AsyncIterable<CdnLogRecord[]> {
  let malformed = 0;
  for await (const lines of splitLines(inflated)) {
    const records: CdnLogRecord[] = [];
    for (const line of lines) {
      if (line === '') continue;
      const record = normalizeDsaLine(line, source);
      if (record) records.push(record);
      else malformed++;
    }
    if (records.length > 0) yield records;
  }
  noteSkipped(stats, malformed, `lines of the package ${pkg.label} that are not DSA log lines`);
}
