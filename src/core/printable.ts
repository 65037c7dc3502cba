/**
 * Characters a terminal acts on or that reorder or break what it shows: C0 controls (ESC starts the
 * sequences that retitle or clear a terminal), DEL, C1 controls (U+009B is a one-character CSI),
 * the line and paragraph separators, and the bidi embeddings, overrides and isolates. Provider
 * text (paths, user agents, ELSA messages, error bodies) is written by whoever sent the request.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is matched
export const TERMINAL_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const TERMINAL_UNSAFE_ALL = new RegExp(TERMINAL_UNSAFE.source, 'g');
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function hexCode(char: string, digits: number): string {
  return char.charCodeAt(0).toString(16).padStart(digits, '0');
}

/**
 * Text with every terminal-unsafe character written out (`\n`, `\x1b`, `\u202e`): safe to print,
 * and always one line. For table and CSV cells, and for messages that quote a provider.
 */
export function visibleText(text: string): string {
  // Most texts have none: the test is cheaper than the replace.
  if (!TERMINAL_UNSAFE.test(text)) return text;
  return text.replace(TERMINAL_UNSAFE_ALL, (c) => SHORT_ESCAPES[c] ?? (c.charCodeAt(0) <= 0xff ? `\\x${hexCode(c, 2)}` : `\\u${hexCode(c, 4)}`));
}
