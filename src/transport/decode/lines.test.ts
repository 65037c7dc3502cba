import fc from 'fast-check';
import { splitLines } from './lines';
import { cutAt, cutsFor, flatten, sourceOf } from './testkit';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** The oracle: split the whole text at \n, drop one trailing \r per line, drop empty lines. */
function expectedLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    .filter((line) => line.length > 0);
}

/** Line content: ASCII, 2-, 3- and 4-byte UTF-8 characters and stray \r, but no \n. */
const lineContent = fc.string({
  unit: fc.constantFrom('a', 'Z', ' ', ',', '\t', '"', '\r', 'é', 'ß', '€', '中', '😀', '\u{10348}'),
  maxLength: 20,
});

const document = fc
  .record({
    lines: fc.array(fc.tuple(lineContent, fc.constantFrom('\n', '\r\n')), { maxLength: 30 }),
    finalNewline: fc.boolean(),
  })
  .map(({ lines, finalNewline }) => {
    const text = lines.map(([content, end]) => content + end).join('');
    return finalNewline || lines.length === 0 ? text : text.replace(/\r?\n$/, '');
  });

describe('splitLines', () => {
  it('gives the lines of the whole text for any chunking of its UTF-8 bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        document.chain((text) => fc.tuple(fc.constant(text), cutsFor(utf8(text).length))),
        async ([text, cuts]) => {
          const lines = await flatten(splitLines(sourceOf(cutAt(utf8(text), cuts))));
          expect(lines).toEqual(expectedLines(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the same lines when the source yields strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        document.chain((text) => fc.tuple(fc.constant(text), fc.array(fc.nat({ max: text.length }), { maxLength: 8 }))),
        async ([text, cuts]) => {
          const sorted = [...cuts, text.length].sort((a, b) => a - b);
          const pieces = sorted.map((end, i) => text.slice(i === 0 ? 0 : sorted[i - 1], end));
          expect(await flatten(splitLines(sourceOf(pieces)))).toEqual(expectedLines(text));
        },
      ),
    );
  });

  it('keeps a 4-byte character whole when every byte arrives in its own chunk', async () => {
    const bytes = utf8('a😀b\n€\n');
    const oneByteChunks = [...bytes].map((b) => Uint8Array.of(b));
    expect(await flatten(splitLines(sourceOf(oneByteChunks)))).toEqual(['a😀b', '€']);
  });

  it('strips \\r\\n, keeps the last line without a final newline and drops empty lines', async () => {
    const chunks = [utf8('first\r\n\r\n\nsec'), utf8('ond\r'), utf8('\nlast')];
    expect(await flatten(splitLines(sourceOf(chunks)))).toEqual(['first', 'second', 'last']);
  });

  it('drops a leading byte-order mark, even when it is split across chunks', async () => {
    const bytes = utf8('\uFEFFtimestamp,status\n1,200\n');
    expect(await flatten(splitLines(sourceOf([bytes.subarray(0, 2), bytes.subarray(2)])))).toEqual([
      'timestamp,status',
      '1,200',
    ]);
  });

  it('yields one batch per chunk that completes lines, not one per line', async () => {
    const batches: string[][] = [];
    for await (const batch of splitLines(sourceOf([utf8('a\nb\nc'), utf8('d\ne\n'), utf8('f')]))) batches.push(batch);
    expect(batches).toEqual([['a', 'b'], ['cd', 'e'], ['f']]);
  });

  it('yields nothing for an empty source or one of only line breaks', async () => {
    expect(await flatten(splitLines(sourceOf<Uint8Array>([])))).toEqual([]);
    expect(await flatten(splitLines(sourceOf([utf8('\r\n\n\r\n')])))).toEqual([]);
  });

  it('refuses a line that runs past the bound, whether chunks end it or not', async () => {
    const long = 'x'.repeat(100);
    await expect(flatten(splitLines(sourceOf([utf8(long.slice(0, 60)), utf8(long.slice(60))]), { maxLineChars: 80, label: 'zone z' }))).rejects.toThrow(
      'zone z: a line runs past 80 characters with no line break; the body is not line-delimited',
    );
    await expect(flatten(splitLines(sourceOf([utf8(`ok\n${long}`)]), { maxLineChars: 80 }))).rejects.toMatchObject({ kind: 'TooLarge' });
    expect(await flatten(splitLines(sourceOf([utf8(`${long.slice(0, 80)}\nok`)]), { maxLineChars: 80 }))).toEqual([long.slice(0, 80), 'ok']);
  });
});
