import fc from 'fast-check';
import { parseNdjson } from './ndjson';
import { cutAt, cutsFor, flatten, rejection, sourceOf } from './testkit';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

const cloudflareRecord = fc.record({
  ClientIP: fc.ipV4(),
  ClientRequestURI: fc.string({ unit: fc.constantFrom('/', 'a', '?', '=', '&', 'é', '😀', '"', '\\', '\n'), maxLength: 30 }),
  EdgeResponseStatus: fc.integer({ min: 100, max: 599 }),
  EdgeStartTimestamp: fc.oneof(fc.nat(), fc.constant('2026-11-22T10:00:00Z')),
  SecurityActions: fc.array(fc.constantFrom('block', 'log'), { maxLength: 2 }),
});

describe('parseNdjson', () => {
  it('gives every record of the body for any chunking, with \\n or \\r\\n and with or without a final newline', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .record({
            records: fc.array(cloudflareRecord, { maxLength: 20 }),
            lineEnd: fc.constantFrom('\n', '\r\n'),
            finalNewline: fc.boolean(),
          })
          .chain((body) => {
            const text = body.records.map((r) => JSON.stringify(r)).join(body.lineEnd) + (body.finalNewline ? body.lineEnd : '');
            return fc.tuple(fc.constant(body.records), fc.constant(utf8(text)), cutsFor(utf8(text).length));
          }),
        async ([records, bytes, cuts]) => {
          expect(await flatten(parseNdjson(sourceOf(cutAt(bytes, cuts))))).toEqual(records);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('fails Transient, asking for a retry, when the body ends with "Error streaming data."', async () => {
    const body = utf8('{"RayID":"a"}\n{"RayID":"b"}\nError streaming data.\n');
    const delivered: unknown[] = [];
    const err = await rejection(
      (async () => {
        for await (const batch of parseNdjson(sourceOf(cutAt(body, [7, 20])), { label: 'cloudflare zone z1 10:00Z..11:00Z' })) {
          delivered.push(...batch);
        }
      })(),
    );
    expect(err.kind).toBe('Transient');
    expect(err.message).toBe(
      'cloudflare zone z1 10:00Z..11:00Z: the response ended with "Error streaming data.": the provider failed part-way through; retry the window',
    );
    expect(delivered).toEqual([{ RayID: 'a' }]);
  });

  it('recognises the marker with \\r\\n and without a final newline', async () => {
    for (const tail of ['Error streaming data.\r\n', 'Error streaming data.']) {
      const err = await rejection(flatten(parseNdjson(sourceOf([utf8(`{"a":1}\r\n${tail}`)]))));
      expect(err.kind).toBe('Transient');
      expect(err.message).toContain('Error streaming data.');
    }
  });

  it('fails ProviderError naming the line and its first 80 characters when a line is not JSON', async () => {
    const garbage = `<html>${'x'.repeat(100)}`;
    const err = await rejection(flatten(parseNdjson(sourceOf([utf8(`{"a":1}\n\n{"a":2}\n${garbage}\n{"a":3}\n`)]), { label: 'cf' })));
    expect(err.kind).toBe('ProviderError');
    expect(err.message).toBe(`cf: line 3 is not JSON: ${garbage.slice(0, 80)}`);
  });

  it('keeps non-ASCII text and numbers as JSON.parse does', async () => {
    const body = utf8('{"ClientCountry":"日本","EdgeStartTimestamp":1506702504433000200}\n');
    const [record] = await flatten(parseNdjson(sourceOf(cutAt(body, [17, 18, 19]))));
    expect(record).toEqual({ ClientCountry: '日本', EdgeStartTimestamp: 1506702504433000200 });
  });

  it('yields an array per chunk, not per record', async () => {
    const batches: unknown[][] = [];
    for await (const batch of parseNdjson(sourceOf([utf8('{"a":1}\n{"a":2}\n{"a"'), utf8(':3}\n')]))) batches.push(batch);
    expect(batches).toEqual([[{ a: 1 }, { a: 2 }], [{ a: 3 }]]);
  });
});
