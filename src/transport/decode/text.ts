import { StringDecoder } from 'node:string_decoder';

/**
 * Decodes a byte stream as UTF-8 text chunk by chunk. A character whose bytes straddle two chunks
 * comes out whole (StringDecoder keeps the incomplete tail), and a leading byte-order mark is dropped
 * so that it never sticks to the first header name or record. String chunks pass through as they are.
 */
export async function* utf8Text(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let atStart = true;
  for await (const chunk of source) {
    // A string after bytes ends the byte run: flush what the decoder holds (as U+FFFD if incomplete).
    let text = typeof chunk === 'string' ? decoder.end() + chunk : decoder.write(chunk);
    if (text.length === 0) continue;
    if (atStart) {
      atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.length === 0) continue;
    }
    yield text;
  }
  const rest = decoder.end();
  if (rest.length > 0) yield atStart && rest.charCodeAt(0) === 0xfeff ? rest.slice(1) : rest;
}
