import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CdnLogError } from '../../core/errors';

export interface GunzipOptions {
  /** Bound on the inflated size; past it the body fails with TooLarge (gzip-bomb guard). Default: none. */
  maxBytes?: number;
  /** Names the download in error messages, e.g. "cloudflare zone abc 10:00Z..11:00Z". */
  label?: string;
}

/** Inflated bytes per output chunk: big enough for batch parsing, small enough to stop a bomb promptly. */
const OUTPUT_CHUNK_BYTES = 64 * 1024;

/**
 * Inflates a gzip stream (Cloudflare Logpull bodies, Tencent `.gz` packages), members one after
 * another as gzip allows. Inflation is paced by the consumer, so memory stays at a few chunks.
 * A corrupt or cut-short stream is Transient (retry the request); more than `maxBytes` inflated is
 * TooLarge. A body with no bytes at all inflates to nothing. Errors of the source pass through.
 */
export async function* gunzip(source: AsyncIterable<Uint8Array>, options: GunzipOptions = {}): AsyncGenerator<Buffer> {
  const label = options.label ?? 'download';
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  let sawInput = false;
  // Pending while the source is open; Readable.from reads ahead, so it may still be open when we stop.
  let sourceClosed: Promise<void> | undefined;
  async function* input(): AsyncGenerator<Uint8Array> {
    let markClosed = (): void => undefined;
    sourceClosed = new Promise<void>((resolve) => (markClosed = resolve));
    try {
      for await (const chunk of source) {
        if (chunk.length === 0) continue;
        sawInput = true;
        yield chunk;
      }
    } finally {
      markClosed();
    }
  }
  const inflater = createGunzip({ chunkSize: OUTPUT_CHUNK_BYTES });
  const piping = pipeline(Readable.from(input(), { objectMode: false }), inflater);
  // Settled in `finally`; a rejection here is reported through the iteration below.
  piping.catch(() => undefined);
  let inflated = 0;
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      inflated += chunk.length;
      if (inflated > maxBytes) {
        throw new CdnLogError(
          'TooLarge',
          `${label}: gzip body inflates past ${maxBytes} bytes; raise maxBytes if this is expected`,
        );
      }
      yield chunk;
    }
  } catch (err) {
    if (!isZlibError(err)) throw err;
    if (!sawInput) return;
    throw new CdnLogError(
      'Transient',
      `${label}: gzip body is corrupt or truncated (${err.message}); the request should be retried`,
      { cause: err },
    );
  } finally {
    // Ends the source (and with it the HTTP body) when the consumer stops early or inflation failed.
    inflater.destroy();
    await piping.catch(() => undefined);
    await sourceClosed;
  }
}

/**
 * Undoes the response's Content-Encoding: gzip (or x-gzip) is inflated, none or `identity` passes
 * through (still bounded by `maxBytes`). Any other coding is a ProviderError: we ask for gzip only.
 */
export async function* maybeGunzip(
  source: AsyncIterable<Uint8Array>,
  contentEncoding: string | undefined,
  options: GunzipOptions = {},
): AsyncGenerator<Uint8Array> {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0) {
    yield* bounded(source, options);
    return;
  }
  if (codings.length === 1 && (codings[0] === 'gzip' || codings[0] === 'x-gzip')) {
    yield* gunzip(source, options);
    return;
  }
  throw new CdnLogError(
    'ProviderError',
    `${options.label ?? 'download'}: the response has Content-Encoding "${contentEncoding}", which is not gzip; ` +
      'the client asks for gzip only',
  );
}

async function* bounded(source: AsyncIterable<Uint8Array>, options: GunzipOptions): AsyncGenerator<Uint8Array> {
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > maxBytes) {
      throw new CdnLogError(
        'TooLarge',
        `${options.label ?? 'download'}: body is larger than ${maxBytes} bytes; raise maxBytes if this is expected`,
      );
    }
    yield chunk;
  }
}

/** zlib's errors carry a `Z_*` code and a numeric errno. (Duck-typed: they may come from another realm under test runners.) */
function isZlibError(err: unknown): err is Error & { code: string } {
  if (typeof err !== 'object' || err === null) return false;
  const { code, errno } = err as { code?: unknown; errno?: unknown };
  return typeof errno === 'number' && typeof code === 'string' && code.startsWith('Z_');
}
