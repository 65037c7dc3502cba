import { CdnLogError } from '../../core/errors';
import { DEFAULT_MAX_LINE_CHARS, splitLines } from './lines';
import { utf8Text } from './text';

export interface JsonDocumentOptions {
  /** Longest single document held while waiting for its end (default 16 Mi characters). */
  maxDocumentChars?: number;
  label?: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * The elements of a JSON array of objects, each as its own text, as the bytes arrive: a download of
 * 200000 documents is never one string nor one parsed array. Brackets and braces inside strings
 * (escapes included) are skipped. Anything but an array of objects or arrays is a ProviderError.
 */
async function* splitJsonArray(text: AsyncIterable<string>, maxChars: number, label: string): AsyncGenerator<string[]> {
  let opened = false;
  let closed = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let carry = '';
  const malformed = (what: string) => new CdnLogError('ProviderError', `${label}: the JSON member is not an array of objects (${what})`);
  for await (const chunk of text) {
    const elements: string[] = [];
    let start = depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      if (inString) {
        if (escaped) {
          escaped = false;
          continue;
        }
        // Jump to the next quote; an odd run of backslashes right before it escapes it.
        const quote = chunk.indexOf('"', i);
        const stop = quote === -1 ? chunk.length : quote;
        let k = stop - 1;
        while (k >= i && chunk.charCodeAt(k) === BACKSLASH) k--;
        const oddRun = (stop - 1 - k) % 2 === 1;
        if (quote === -1) {
          escaped = oddRun;
          break;
        }
        i = quote;
        if (!oddRun) inString = false;
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (depth > 0) {
        if (c === QUOTE) inString = true;
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
        else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) {
          elements.push(carry + chunk.slice(start, i + 1));
          carry = '';
          start = -1;
        }
        continue;
      }
      if (isSpace(c)) continue;
      if (closed) throw malformed(`text after the closing bracket: ${chunk.slice(i, i + 20)}`);
      if (!opened) {
        if (c !== OPEN_BRACKET) throw malformed(`it starts with ${chunk.slice(i, i + 20)}`);
        opened = true;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth = 1;
        start = i;
      } else if (c === CLOSE_BRACKET) closed = true;
      else if (c !== COMMA) throw malformed(`an element that is not an object: ${chunk.slice(i, i + 20)}`);
    }
    if (depth > 0) {
      carry += chunk.slice(start);
      if (carry.length > maxChars) throw new CdnLogError('TooLarge', `${label}: a JSON document runs past ${maxChars} characters`);
    }
    if (elements.length > 0) yield elements;
  }
  if (depth > 0 || (opened && !closed)) throw new CdnLogError('Transient', `${label}: the JSON array ends before its closing bracket; the download was cut short`);
}

const JSON_SPACE_ONLY = /^[ \t\r\n]*$/;
const JSON_SPACE_PREFIX = /^[ \t\r\n]*/;

/** The stream again, with its first chunk put back after peeking at it. */
async function* prepend(first: string, rest: AsyncIterator<string>): AsyncGenerator<string> {
  yield first;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

/**
 * The documents of a JSON download member, as texts, whichever shape it has (NAVER ELSA's is
 * undocumented, provider-spec §5.4): a JSON array of objects, or one object per line (NDJSON).
 * The first character decides. Each document keeps its own text (the record id hashes it);
 * JSON.parse is the caller's.
 */
export async function* jsonDocumentTexts(source: AsyncIterable<Uint8Array | string>, options: JsonDocumentOptions = {}): AsyncGenerator<string[]> {
  const label = options.label ?? 'download';
  const maxChars = options.maxDocumentChars ?? DEFAULT_MAX_LINE_CHARS;
  const text = utf8Text(source)[Symbol.asyncIterator]();
  // Peek past JSON's own whitespace only (not String#trim's, which also drops U+00A0, U+2028...), and
  // keep what was peeked: the documents' texts must not depend on how the bytes were chunked.
  let head = '';
  let next = await text.next();
  while (!next.done && JSON_SPACE_ONLY.test(next.value)) {
    head += next.value;
    next = await text.next();
  }
  // Nothing but whitespace: no documents.
  if (next.done) return;
  const first = head + next.value;
  const stream = prepend(first, text);
  if (first.replace(JSON_SPACE_PREFIX, '').startsWith('[')) yield* splitJsonArray(stream, maxChars, label);
  else yield* splitLines(stream, { maxLineChars: maxChars, label });
}
