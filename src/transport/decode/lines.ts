import { CdnLogError } from '../../core/errors';
import { utf8Text } from './text';

const LF = '\n';
const CR = 13;

export interface LineOptions {
  /** Longest line held while waiting for its newline (default 16 Mi characters). */
  maxLineChars?: number;
  label?: string;
}

export const DEFAULT_MAX_LINE_CHARS = 16 * 1024 * 1024;

/** The length of a held partial line, less a final `\r` whose `\n` has not arrived yet. */
function heldChars(partial: string): number {
  return partial.length > 0 && partial.charCodeAt(partial.length - 1) === CR ? partial.length - 1 : partial.length;
}

function lineTooLong(label: string | undefined, maxLineChars: number): CdnLogError {
  return new CdnLogError('TooLarge', `${label ?? 'download'}: a line runs past ${maxLineChars} characters with no line break; the body is not line-delimited`);
}

/**
 * Splits a UTF-8 byte (or text) stream into lines, one batch per input chunk that completes at
 * least one line. Accepts `\n` and `\r\n`, a missing final newline, and characters split across
 * chunks; empty lines are dropped. A line that spans chunks is held until its newline arrives, up to
 * maxLineChars: a body with no newline in sight is a TooLarge error, not a string that eats memory.
 */
export async function* splitLines(source: AsyncIterable<Uint8Array | string>, options: LineOptions = {}): AsyncGenerator<string[]> {
  const maxLineChars = options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  let partial = '';
  for await (const text of utf8Text(source)) {
    let newline = text.indexOf(LF);
    if (newline === -1) {
      partial += text;
      if (heldChars(partial) > maxLineChars) throw lineTooLong(options.label, maxLineChars);
      continue;
    }
    const batch: string[] = [];
    let line = partial + text.slice(0, newline);
    let start = newline + 1;
    for (;;) {
      let end = line.length;
      if (end > 0 && line.charCodeAt(end - 1) === CR) end--;
      if (end > 0) batch.push(end === line.length ? line : line.slice(0, end));
      newline = text.indexOf(LF, start);
      if (newline === -1) break;
      line = text.slice(start, newline);
      start = newline + 1;
    }
    partial = text.slice(start);
    if (heldChars(partial) > maxLineChars) throw lineTooLong(options.label, maxLineChars);
    if (batch.length > 0) yield batch;
  }
  let end = partial.length;
  if (end > 0 && partial.charCodeAt(end - 1) === CR) end--;
  if (end > 0) yield [partial.slice(0, end)];
}
