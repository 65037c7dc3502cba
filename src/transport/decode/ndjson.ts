import { CdnLogError } from '../../core/errors';
import { splitLines } from './lines';

/** Cloudflare ends a 200 response with this line when it failed part-way through (provider-spec §3.4). */
const STREAM_FAILED_MARKER = 'Error streaming data.';

export interface NdjsonOptions {
  /** Names the download in error messages, e.g. "cloudflare zone abc 10:00Z..11:00Z". */
  label?: string;
}

/**
 * Parses newline-delimited JSON into batches of values, one batch per input chunk.
 * Tolerates `\r\n`, blank lines and a missing final newline. The trailing
 * `Error streaming data.` line is a Transient error (retry the window); any other line that is not
 * JSON is a ProviderError naming the line (counted among non-empty lines, from 1).
 */
export async function* parseNdjson(
  source: AsyncIterable<Uint8Array | string>,
  options: NdjsonOptions = {},
): AsyncGenerator<unknown[]> {
  const label = options.label ?? 'download';
  let lineNumber = 0;
  for await (const lines of splitLines(source, { label })) {
    const values: unknown[] = [];
    for (const line of lines) {
      lineNumber++;
      try {
        values.push(JSON.parse(line));
      } catch {
        throw notJson(label, line, lineNumber);
      }
    }
    yield values;
  }
}

function notJson(label: string, line: string, lineNumber: number): CdnLogError {
  if (line.trim() === STREAM_FAILED_MARKER) {
    return new CdnLogError(
      'Transient',
      `${label}: the response ended with "${STREAM_FAILED_MARKER}": the provider failed part-way through; retry the window`,
    );
  }
  return new CdnLogError('ProviderError', `${label}: line ${lineNumber} is not JSON: ${line.slice(0, 80)}`);
}
