import fc from 'fast-check';
import * as Papa from 'papaparse';
import { parseCsv } from './csv';
import { cutAt, cutsFor, flatten, rejection, sourceOf } from './testkit';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** Field text with everything RFC 4180 quoting exists for: commas, quotes, line breaks, plus multibyte characters. */
const field = fc.string({
  unit: fc.constantFrom('a', '1', ' ', ',', '"', '\n', '\r\n', '-', '/', 'é', '€', '😀', '中'),
  maxLength: 12,
});

/** A CSV document as papaparse writes it (quoting only where needed), with \n or \r\n line endings. */
const csvDocument = fc
  .record({
    columns: fc.integer({ min: 1, max: 5 }),
    rowCount: fc.integer({ min: 0, max: 12 }),
    newline: fc.constantFrom('\n', '\r\n'),
    finalNewline: fc.boolean(),
    quotes: fc.constantFrom<boolean | 'all'>(false, 'all'),
  })
  .chain((shape) =>
    fc
      .array(fc.array(field, { minLength: shape.columns, maxLength: shape.columns }), {
        minLength: shape.rowCount,
        maxLength: shape.rowCount,
      })
      .map((rows) => {
        const text = rows.length === 0 ? '' : Papa.unparse(rows, { newline: shape.newline, quotes: shape.quotes === 'all' });
        return text + (shape.finalNewline && rows.length > 0 ? shape.newline : '');
      }),
  );

/** The oracle: papaparse on the whole text at once. */
function wholeParse(text: string): string[][] {
  return Papa.parse<string[]>(text, { skipEmptyLines: true }).data;
}

describe('parseCsv', () => {
  it('gives the rows papaparse gives for the whole text, for any chunking of its UTF-8 bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        csvDocument.chain((text) => fc.tuple(fc.constant(text), cutsFor(utf8(text).length))),
        async ([text, cuts]) => {
          expect(await flatten(parseCsv(sourceOf(cutAt(utf8(text), cuts))))).toEqual(wholeParse(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads quoted commas, doubled quotes and a quoted \\r\\n split across chunks', async () => {
    const text = 'timestamp,path,user_agent\r\n1623628800,"/a,b","Mozilla ""5.0""\r\nnext line"\r\n1623628801,/c,curl\r\n';
    const bytes = utf8(text);
    const splitInsideQuotedBreak = text.indexOf('\r\nnext') + 1;
    expect(await flatten(parseCsv(sourceOf(cutAt(bytes, [splitInsideQuotedBreak, text.indexOf('""') + 1]))))).toEqual([
      ['timestamp', 'path', 'user_agent'],
      ['1623628800', '/a,b', 'Mozilla "5.0"\r\nnext line'],
      ['1623628801', '/c', 'curl'],
    ]);
  });

  it('takes the line ending from the first line break outside quotes, however the first chunk ends', async () => {
    const text = '"a\nb",c\r\n1,2\r\n';
    const rows = await flatten(parseCsv(sourceOf([...utf8(text)].map((b) => Uint8Array.of(b)))));
    expect(rows).toEqual([['a\nb', 'c'], ['1', '2']]);
  });

  it('reads the Gcore example member, dropping a byte-order mark and keeping the header as the first row', async () => {
    const text = '\uFEFFtimestamp,client_ip,method,path,status,size,cache_status,datacenter\n1623628800,203.0.113.7,GET,/img/a.png,200,69045,HIT,Frankfurt';
    expect(await flatten(parseCsv(sourceOf(cutAt(utf8(text), [1, 2, 40]))))).toEqual([
      ['timestamp', 'client_ip', 'method', 'path', 'status', 'size', 'cache_status', 'datacenter'],
      ['1623628800', '203.0.113.7', 'GET', '/img/a.png', '200', '69045', 'HIT', 'Frankfurt'],
    ]);
  });

  it('fails ProviderError when a quoted field never closes', async () => {
    const err = await rejection(flatten(parseCsv(sourceOf([utf8('a,b\n1,"unterminated\n2,3\n')]), { label: 'gcore r1' })));
    expect(err.kind).toBe('ProviderError');
    expect(err.message).toBe('gcore r1: row 2 opens a quoted field that never closes; the CSV is malformed or cut short');
  });

  it('yields batches of rows per chunk', async () => {
    const batches: string[][][] = [];
    for await (const batch of parseCsv(sourceOf([utf8('h1,h2\n1,2\n3,'), utf8('4\n')]))) batches.push(batch);
    expect(batches).toEqual([[['h1', 'h2'], ['1', '2']], [['3', '4']]]);
  });
});
