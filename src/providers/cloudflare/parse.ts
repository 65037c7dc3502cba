import type { CdnLogRecord } from '../../core/record';
import { maybeGunzip, parseNdjson } from '../../transport/decode';
import { noteSkipped, type ReadStats } from '../types';
import { isObject } from '../wire';
import { normalizeCloudflare } from './normalize';

export interface CloudflareBodyOptions {
  /** Where lines that are not records are counted. */
  stats?: ReadStats;
  /** The response's Content-Encoding (gzip unless the client asked otherwise). */
  contentEncoding: string | undefined;
  zone: string;
  maxBytes: number;
  label: string;
}

/**
 * A `logs/received` body: NDJSON, gzip by default (provider-spec §3.4). A last line
 * `Error streaming data.` means the response failed part-way; the decoder raises it as Transient.
 */
export async function* decodeCloudflareBody(body: AsyncIterable<Uint8Array>, options: CloudflareBodyOptions): AsyncIterable<CdnLogRecord[]> {
  const decoded = maybeGunzip(body, options.contentEncoding, { maxBytes: options.maxBytes, label: options.label });
  let skipped = 0;
  for await (const values of parseNdjson(decoded, { label: options.label })) {
    const records: CdnLogRecord[] = [];
    for (const value of values) {
      // `null`, `[...]`, `"text"`, `12345`, or an object without a usable EdgeStartTimestamp: not a request.
      const record = isObject(value) ? normalizeCloudflare(value, options.zone) : null;
      if (record) records.push(record);
      else skipped++;
    }
    if (records.length > 0) yield records;
  }
  noteSkipped(options.stats, skipped, `lines of ${options.label} that are not Logpull records (not a JSON object, or no usable EdgeStartTimestamp)`);
}
