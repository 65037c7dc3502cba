import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { gunzip, maybeGunzip } from './gzip';
import { bytesOf, cutAt, cutEvery, cutsFor, rejection, sourceOf, zerosGzipped } from './testkit';

const MiB = 1024 * 1024;
const logText = (n: number) =>
  Array.from({ length: n }, (_, i) => `{"RayID":"${i.toString(16)}","ClientRequestURI":"/p/${i % 97}","Country":"日本"}\n`).join('');

describe('gunzip', () => {
  it('inflates to the original bytes for any chunking of the gzip body', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 400 }).chain((n) => {
          const gz = gzipSync(logText(n));
          return fc.tuple(fc.constant(n), fc.constant(gz), cutsFor(gz.length));
        }),
        async ([n, gz, cuts]) => {
          expect((await bytesOf(gunzip(sourceOf(cutAt(gz, cuts))))).toString()).toBe(logText(n));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('inflates every member of a multi-member gzip body', async () => {
    const body = Buffer.concat([gzipSync('first member\n'), gzipSync('second member\n'), gzipSync('')]);
    expect((await bytesOf(gunzip(sourceOf(cutEvery(body, 7))))).toString()).toBe('first member\nsecond member\n');
  });

  it('fails Transient, asking for a retry, when the body is cut short anywhere', async () => {
    const gz = gzipSync(logText(50));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: gz.length - 1 }), async (cut) => {
        const err = await rejection(bytesOf(gunzip(sourceOf([gz.subarray(0, cut)]), { label: 'cf z1 10:00Z..11:00Z' })));
        expect(err.kind).toBe('Transient');
        expect(err.message).toBe(
          'cf z1 10:00Z..11:00Z: gzip body is corrupt or truncated (unexpected end of file); the request should be retried',
        );
      }),
      { numRuns: 40 },
    );
  });

  it('never delivers corrupted bytes: a flipped byte after the header fails Transient or changes nothing', async () => {
    const text = logText(50);
    const gz = gzipSync(text);
    let failures = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 10, max: gz.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, flip) => {
        const corrupt = Buffer.from(gz);
        corrupt[at] ^= flip;
        const outcome = await bytesOf(gunzip(sourceOf(cutEvery(corrupt, 100)))).then(
          (bytes) => bytes.toString(),
          (err: unknown) => err,
        );
        // Only the padding bits after the last deflate block may flip unnoticed, and then nothing changes.
        if (typeof outcome === 'string') {
          expect(outcome).toBe(text);
        } else {
          failures++;
          expect(outcome).toMatchObject({ kind: 'Transient' });
          expect((outcome as Error).message).toMatch(
            /^download: gzip body is corrupt or truncated \(.+\); the request should be retried$/,
          );
        }
      }),
      { numRuns: 60 },
    );
    expect(failures).toBeGreaterThan(50);
  });

  it('fails Transient when the body is not gzip at all', async () => {
    const err = await rejection(bytesOf(gunzip(sourceOf([Buffer.from('{"success":false}')]))));
    expect(err.kind).toBe('Transient');
    expect(err.message).toContain('incorrect header check');
  });

  it('inflates an empty body to nothing', async () => {
    expect((await bytesOf(gunzip(sourceOf<Uint8Array>([new Uint8Array(0)])))).length).toBe(0);
  });

  it('stops a 2 GiB gzip bomb with TooLarge soon after maxBytes, reading little of it and keeping memory flat', async () => {
    const source = sourceOf(zerosGzipped(2048));
    const rssBefore = process.memoryUsage().rss;
    let delivered = 0;
    let rssPeak = rssBefore;
    const err = await rejection(
      (async () => {
        for await (const chunk of gunzip(source, { maxBytes: 16 * MiB, label: 'tencent pkg 1' })) {
          delivered += chunk.length;
          rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        }
      })(),
    );
    expect(err.kind).toBe('TooLarge');
    expect(err.message).toBe('tencent pkg 1: gzip body inflates past 16777216 bytes; raise maxBytes if this is expected');
    expect(delivered).toBeLessThanOrEqual(16 * MiB);
    expect(source.pulled).toBeLessThan(100); // of 2050 chunks
    expect(source.closed).toBe(true);
    expect(rssPeak - rssBefore).toBeLessThan(200 * MiB);
  });

  it('passes errors of the source through unchanged', async () => {
    const socketError = new Error('other side closed');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield gzipSync(logText(5)).subarray(0, 20);
      throw socketError;
    }
    await expect(bytesOf(gunzip(failing()))).rejects.toBe(socketError);
  });

  it('closes the source when the consumer stops early', async () => {
    const gz = gzipSync(randomBytes(1024 * 1024).toString('base64'));
    const source = sourceOf(cutEvery(gz, 16 * 1024));
    for await (const chunk of gunzip(source)) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(source.closed).toBe(true);
    expect(source.pulled).toBeLessThan(cutEvery(gz, 16 * 1024).length / 2);
  });
});

describe('maybeGunzip', () => {
  const text = logText(20);

  it.each(['gzip', 'GZIP', ' x-gzip ', 'identity, gzip'])('inflates Content-Encoding %p', async (encoding) => {
    expect((await bytesOf(maybeGunzip(sourceOf([gzipSync(text)]), encoding))).toString()).toBe(text);
  });

  it.each([undefined, '', 'identity'])('passes Content-Encoding %p through', async (encoding) => {
    expect((await bytesOf(maybeGunzip(sourceOf([Buffer.from(text)]), encoding))).toString()).toBe(text);
  });

  it('bounds a body that passes through as well', async () => {
    const err = await rejection(bytesOf(maybeGunzip(sourceOf(cutEvery(Buffer.from(text), 100)), undefined, { maxBytes: 500 })));
    expect(err.kind).toBe('TooLarge');
    expect(err.message).toBe('download: body is larger than 500 bytes; raise maxBytes if this is expected');
  });

  it('fails ProviderError for a coding other than gzip', async () => {
    const err = await rejection(bytesOf(maybeGunzip(sourceOf([Buffer.from(text)]), 'br', { label: 'cf z1' })));
    expect(err.kind).toBe('ProviderError');
    expect(err.message).toBe('cf z1: the response has Content-Encoding "br", which is not gzip; the client asks for gzip only');
  });
});
