/**
 * Test support for the decoder tests: byte sources cut into arbitrary chunks, and collectors.
 * Not imported by production code.
 */
import fc from 'fast-check';
import { constants, deflateRawSync } from 'node:zlib';
import { CdnLogError } from '../../core/errors';
import { crc32 } from './crc32';

/**
 * Cuts bytes (or text, at code-unit offsets: a surrogate pair may be split) at the given offsets, in
 * any order, duplicates and out-of-range values allowed.
 */
export function cutAt<T extends Uint8Array | string>(data: T, offsets: number[]): T[] {
  const cuts = [...new Set(offsets.map((o) => Math.max(0, Math.min(data.length, o))))].sort((a, b) => a - b);
  const piece = (from: number, to: number) => (typeof data === 'string' ? data.slice(from, to) : (data as Uint8Array).subarray(from, to)) as T;
  const chunks: T[] = [];
  let start = 0;
  for (const cut of [...cuts, data.length]) {
    chunks.push(piece(start, cut));
    start = cut;
  }
  return chunks;
}

/** Cuts `bytes` into pieces of `size` bytes. */
export function cutEvery(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

/** An async source like an HTTP body; `pulled` counts chunks handed out, `closed` says whether it was ended or abandoned. */
export class TestSource<T> implements AsyncIterable<T> {
  pulled = 0;
  closed = false;
  constructor(private readonly chunks: Iterable<T>) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    try {
      for (const chunk of this.chunks) {
        this.pulled++;
        await Promise.resolve();
        yield chunk;
      }
    } finally {
      this.closed = true;
    }
  }
}

export function sourceOf<T>(chunks: Iterable<T>): TestSource<T> {
  return new TestSource(chunks);
}

/** Arbitrary cut offsets for a body of `length` bytes (0 to 12 cuts, so one chunk up to many). */
export function cutsFor(length: number): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 0, max: length }), { maxLength: 12 });
}

export async function flatten<T>(batches: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const batch of batches) all.push(...batch);
  return all;
}

export async function bytesOf(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Runs `work` and returns the CdnLogError it rejects with; fails the test if it resolves or throws something else. */
export async function rejection(work: Promise<unknown>): Promise<CdnLogError> {
  try {
    await work;
  } catch (err) {
    if (err instanceof CdnLogError) return err;
    throw new Error(`expected a CdnLogError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected a CdnLogError, but the work succeeded');
}

const MiB = 1024 * 1024;

/**
 * Raw deflate data for `mebibytes` MiB of zeros, as a lazy sequence of ~1 KiB blocks (one per MiB)
 * ending in an empty final block: a 2 GiB bomb is about 2 MB and costs nothing to make.
 */
export function* zerosDeflated(mebibytes: number): Generator<Uint8Array> {
  // A full flush ends the block on a byte boundary without a back-reference into the previous one,
  // so the same block can be repeated.
  const block = deflateRawSync(Buffer.alloc(MiB), { finishFlush: constants.Z_FULL_FLUSH });
  for (let i = 0; i < mebibytes; i++) yield block;
  yield Uint8Array.of(0x03, 0x00);
}

/** A gzip member holding `mebibytes` MiB of zeros, chunk by chunk. */
export function* zerosGzipped(mebibytes: number): Generator<Uint8Array> {
  yield Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255);
  yield* zerosDeflated(mebibytes);
  let crc = 0;
  const zeros = Buffer.alloc(MiB);
  for (let i = 0; i < mebibytes; i++) crc = crc32(zeros, crc);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc, 0);
  trailer.writeUInt32LE((mebibytes * MiB) % 2 ** 32, 4);
  yield trailer;
}
