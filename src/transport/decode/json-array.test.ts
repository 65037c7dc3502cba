import fc from 'fast-check';
import { jsonDocumentTexts } from './json-array';
import { cutAt, cutsFor, flatten, rejection, sourceOf } from './testkit';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** Application log documents whose strings hold what trips a naive splitter: brackets, braces, quotes, escapes, commas. */
const elsaDocument = fc.record({
  logTime: fc.nat(),
  logLevel: fc.constantFrom('INFO', 'WARN', 'ERROR'),
  body: fc.string({ unit: fc.constantFrom('a', '{', '}', '[', ']', '"', '\\', ',', ' ', 'é', '😀', '\n'), maxLength: 30 }),
  tags: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  nested: fc.option(fc.record({ depth: fc.record({ x: fc.string({ maxLength: 4 }) }) }), { nil: undefined }),
});

async function documents(bytes: Uint8Array, cuts: number[] = []): Promise<unknown[]> {
  return (await flatten(jsonDocumentTexts(sourceOf(cutAt(bytes, cuts))))).map((text) => JSON.parse(text as string));
}

describe('jsonDocumentTexts', () => {
  it('gives every element of a JSON array, each as its own text, for any chunking and any whitespace', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .record({ docs: fc.array(elsaDocument, { maxLength: 15 }), pretty: fc.boolean() })
          .chain(({ docs, pretty }) => {
            const bytes = utf8(JSON.stringify(docs, null, pretty ? 2 : undefined));
            return fc.tuple(fc.constant(docs), fc.constant(bytes), cutsFor(bytes.length));
          }),
        async ([docs, bytes, cuts]) => {
          expect(await documents(bytes, cuts)).toEqual(JSON.parse(JSON.stringify(docs)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads the same documents written one per line (NDJSON)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(elsaDocument, { minLength: 1, maxLength: 15 }).chain((docs) => {
          const bytes = utf8(docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
          return fc.tuple(fc.constant(docs), fc.constant(bytes), cutsFor(bytes.length));
        }),
        async ([docs, bytes, cuts]) => {
          expect(await documents(bytes, cuts)).toEqual(JSON.parse(JSON.stringify(docs)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads an empty member, an empty array and a byte-order mark', async () => {
    expect(await documents(utf8(''))).toEqual([]);
    expect(await documents(utf8(' [ ] \n'))).toEqual([]);
    expect(await documents(utf8('\ufeff[{"a":1}]'))).toEqual([{ a: 1 }]);
  });

  it('fails Transient when the array is cut short, after giving the complete elements', async () => {
    const delivered: unknown[] = [];
    const err = await rejection(
      (async () => {
        for await (const batch of jsonDocumentTexts(sourceOf([utf8('[{"a":1},{"b":"x]y"},{"c":')]), { label: 'elsa test' })) delivered.push(...batch);
      })(),
    );
    expect(delivered).toEqual(['{"a":1}', '{"b":"x]y"}']);
    expect(err).toMatchObject({ kind: 'Transient', message: expect.stringContaining('elsa test: the JSON array ends before its closing bracket') });
  });

  it.each([
    ['scalars', '[1,2]', /element that is not an object: 1,2\]/],
    ['text after the array', '[{"a":1}] x', /text after the closing bracket/],
  ])('refuses an array of %s as ProviderError', async (_name, body, message) => {
    const err = await rejection(flatten(jsonDocumentTexts(sourceOf([utf8(body)]))));
    expect(err).toMatchObject({ kind: 'ProviderError', message: expect.stringMatching(message) });
  });

  it('stops a document that never ends at the bound with TooLarge', async () => {
    const err = await rejection(flatten(jsonDocumentTexts(sourceOf([utf8('[{"a":"'), utf8('x'.repeat(5000))]), { maxDocumentChars: 1000 })));
    expect(err).toMatchObject({ kind: 'TooLarge' });
  });
});
