import type { CdnLogRecord } from '../../core/record';
import { splitLines } from '../../transport/decode';
import type { LogPackage } from '../packages';
import { noteSkipped, type ReadStats } from '../types';
import type { EdgeOneLayer } from './limits';
import { isObject } from '../wire';
import { normalizeEdgeOneL4, normalizeEdgeOneL7 } from './normalize';

/**
 * The inflated text of one `.log.gz` package: one JSON object per line (provider-spec §6.5). A line
 * that is not a JSON record is skipped and counted in a note, so one bad line does not cost the hour.
 */
export async function* decodeEdgeOnePackage(
  inflated: AsyncIterable<Uint8Array>,
  pkg: LogPackage,
  layer: EdgeOneLayer,
  source: string,
  stats?: ReadStats,
): AsyncIterable<CdnLogRecord[]> {
  const normalize = layer === 'l7' ? normalizeEdgeOneL7 : normalizeEdgeOneL4;
  let malformed = 0;
  for await (const lines of splitLines(inflated)) {
    const records: CdnLogRecord[] = [];
    for (const line of lines) {
      let wire: unknown;
      try {
        wire = JSON.parse(line);
      } catch {
        malformed++;
        continue;
      }
      const record = isObject(wire) ? normalize(wire, source, line) : null;
      if (record) records.push(record);
      else malformed++;
    }
    if (records.length > 0) yield records;
  }
  noteSkipped(stats, malformed, `lines of the package ${pkg.label} that are not EdgeOne ${layer.toUpperCase()} records`);
}
