import type { CdnLogRecord } from '../../core/record';
import { maybeGunzip, parseNdjson } from '../../transport/decode';
import { normalizeCloudflare } from './normalize';

export interface CloudflareBodyOptions {
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
  for await (const objects of parseNdjson(decoded, { label: options.label })) {
    yield (objects as Record<string, unknown>[]).map((o) => normalizeCloudflare(o, options.zone));
  }
}
