import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { CdnLogError, badInput } from '../../core/errors';
import { crc32 } from './crc32';

/**
 * Streaming zip reader (Gcore and NAVER ELSA answer with a zip of CSV/TSV/JSON, provider-spec §2.3, §5.4).
 *
 * The framing (local headers, data descriptors, end record) is read here rather than by fflate's
 * `Unzip`, because `Unzip` (0.8.3) neither checks nor exposes CRC-32, and it finds the end of a
 * member written with a data descriptor (flag bit 3, what Go's archive/zip and every streaming
 * writer produce) by scanning for `PK\x07\x08`, `PK\x03\x04` or `PK\x01\x02` anywhere, so a
 * member whose compressed bytes happen to contain one of them is cut short. Here a descriptor only
 * counts where its compressed-size field equals the bytes read so far and a header signature
 * follows it. node:zlib does the inflating (twice as fast here as fflate's `Inflate`, bench/);
 * zip.test.ts checks the reader against fflate's `unzipSync`.
 */

export interface ZipMember {
  /** Path inside the archive as the producer wrote it ('/'-separated). */
  readonly name: string;
  /**
   * The member's inflated bytes, readable once. Read it (or stop reading it) before asking for the
   * next member: the archive is one forward-only stream, so asking for the next member first
   * skips whatever of this member was not read, without inflating it.
   */
  readonly data: AsyncIterable<Uint8Array>;
}

export interface UnzipOptions {
  /** Bound on the inflated size of any one member (zip-bomb guard); past it the member fails with TooLarge. */
  maxMemberBytes: number;
  /** Names the download in error messages, e.g. "gcore resource 42 10:00Z..16:00Z". */
  label?: string;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const DATA_DESCRIPTOR = 0x08074b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
/** Some writers start a single-part archive with a split marker ("PK00" or the descriptor signature). */
const SPLIT_MARKER = 0x30304b50;

const STORED = 0;
const DEFLATED = 8;
const FLAG_ENCRYPTED = 0x1;
const FLAG_DATA_DESCRIPTOR = 0x8;
const FLAG_UTF8_NAME = 0x800;
const ZIP64_EXTRA = 0x0001;
const UINT32_MAX = 0xffffffff;

/** A descriptor candidate needs up to 20 bytes before its signature and 28 from it (zip64 descriptor + next signature). */
const DESCRIPTOR_LOOKBACK = 20;
const DESCRIPTOR_LOOKAHEAD = 28;
const DESCRIPTOR_HOLD = DESCRIPTOR_LOOKBACK + DESCRIPTOR_LOOKAHEAD;
const END_RECORD_MAX = 22 + 0xffff;

const EMPTY = Buffer.alloc(0);
const PK = Buffer.from('PK', 'latin1');
const PK_LOCAL_HEADER = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/**
 * Reads a zip archive member by member as its bytes arrive; only the part of a member being inflated
 * is in memory. Directory entries are skipped. Each member's CRC-32 and size are checked when its
 * data ends, and the end-of-central-directory record when the archive ends.
 * Errors: corrupt, CRC-mismatched or cut-short archives are Transient (retry the download); a member
 * past `maxMemberBytes` is TooLarge (inflation stops at once); a body that is not a zip, or one that
 * is encrypted or uses a method other than stored/deflate, is ProviderError.
 */
export async function* unzipMembers(
  source: AsyncIterable<Uint8Array>,
  options: UnzipOptions,
): AsyncGenerator<ZipMember> {
  const label = options.label ?? 'download';
  if (!(options.maxMemberBytes > 0)) throw badInput('maxMemberBytes', 'must be a positive number of bytes');
  const input = new ByteReader(source);
  let members = 0;
  try {
    if (await input.ensure(4)) {
      const marker = input.uint32(0);
      if (marker === SPLIT_MARKER || marker === DATA_DESCRIPTOR) input.take(4);
    }
    for (;;) {
      if (!(await input.ensure(4))) {
        if (members === 0) throw notZip(label, input.buffered);
        throw cutShort(label, 'it ends before the central directory');
      }
      const signature = input.uint32(0);
      if (signature === LOCAL_HEADER) {
        const header = await readLocalHeader(input, label);
        members++;
        const member = new MemberData(input, header, options.maxMemberBytes, label);
        if (!header.name.endsWith('/')) yield { name: header.name, data: member };
        await member.skipRest();
      } else if (
        signature === CENTRAL_HEADER ||
        signature === END_OF_CENTRAL_DIRECTORY ||
        signature === ZIP64_END_OF_CENTRAL_DIRECTORY
      ) {
        await checkEndRecord(input, members, label);
        return;
      } else if (members === 0) {
        throw notZip(label, input.buffered);
      } else {
        throw corruptArchive(label, `unexpected bytes at offset ${input.offset} where a zip header should start`);
      }
    }
  } finally {
    await input.close();
  }
}

interface LocalHeader {
  name: string;
  method: number;
  hasDescriptor: boolean;
  /** From the local header; meaningless when `hasDescriptor` (the descriptor carries them). */
  crc: number;
  compressedSize: number;
  size: number;
}

/** What the archive says a member's data should check out to, known once its data has ended. */
interface MemberCheck {
  crc: number;
  size: number;
  /** A 32-bit data descriptor records the size modulo 2^32. */
  sizeModulo32: boolean;
}

async function readLocalHeader(input: ByteReader, label: string): Promise<LocalHeader> {
  if (!(await input.ensure(30))) throw cutShort(label, 'it ends inside a local file header');
  const flags = input.uint16(6);
  const method = input.uint16(8);
  const crc = input.uint32(14);
  let compressedSize = input.uint32(18);
  let size = input.uint32(22);
  const nameLength = input.uint16(26);
  const extraLength = input.uint16(28);
  if (!(await input.ensure(30 + nameLength + extraLength))) throw cutShort(label, 'it ends inside a local file header');
  const bytes = input.take(30 + nameLength + extraLength);
  const name = decodeName(bytes.subarray(30, 30 + nameLength), flags);
  const zip64 = extraField(bytes.subarray(30 + nameLength), ZIP64_EXTRA);
  if (zip64 !== undefined) {
    // The local zip64 field holds both sizes when it holds 16 bytes, else only the ones set to 0xFFFFFFFF.
    const both = zip64.length >= 16;
    let at = 0;
    if (size === UINT32_MAX || both) {
      if (size === UINT32_MAX && zip64.length >= at + 8) size = readUint64(zip64, at);
      at += 8;
    }
    if (compressedSize === UINT32_MAX && zip64.length >= at + 8) compressedSize = readUint64(zip64, at);
  }
  if (flags & FLAG_ENCRYPTED) {
    throw new CdnLogError('ProviderError', `${label}: zip member ${name} is encrypted; ask the provider for an unencrypted archive`);
  }
  if (method !== STORED && method !== DEFLATED) {
    throw new CdnLogError(
      'ProviderError',
      `${label}: zip member ${name} uses compression method ${method}; only stored (0) and deflate (8) are supported`,
    );
  }
  return { name, method, hasDescriptor: (flags & FLAG_DATA_DESCRIPTOR) !== 0, crc, compressedSize, size };
}

function decodeName(bytes: Buffer, flags: number): string {
  if (flags & FLAG_UTF8_NAME) return bytes.toString('utf8');
  // Without the flag the name is nominally CP437, but most writers put UTF-8 there anyway.
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

function extraField(extra: Buffer, id: number): Buffer | undefined {
  for (let at = 0; at + 4 <= extra.length; ) {
    const length = extra.readUInt16LE(at + 2);
    if (extra.readUInt16LE(at) === id) return extra.subarray(at + 4, at + 4 + length);
    at += 4 + length;
  }
  return undefined;
}

/**
 * One member's data: pulls its compressed bytes from the shared reader, inflates them slice by
 * slice, enforces the size bound, and checks CRC-32 and size at the end.
 */
class MemberData implements AsyncIterable<Uint8Array> {
  private readonly compressed: CompressedBytes;
  private reading: AsyncGenerator<Uint8Array> | undefined;
  private claimed = false;

  constructor(
    private readonly input: ByteReader,
    private readonly header: LocalHeader,
    private readonly maxBytes: number,
    private readonly label: string,
  ) {
    this.compressed = header.hasDescriptor
      ? new DescriptorDelimitedBytes(input, header, label)
      : new SizeDelimitedBytes(input, header, label);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.claimed) throw new Error(`zip member ${this.header.name} can be read only once, before the next member`);
    this.claimed = true;
    this.reading = this.inflated();
    return this.reading;
  }

  /** Before the next member: ends an abandoned read and skips the bytes of this member nobody read. */
  async skipRest(): Promise<void> {
    this.claimed = true;
    if (this.reading !== undefined) await this.reading.return(undefined);
    while ((await this.compressed.next()) !== undefined);
  }

  private async *inflated(): AsyncGenerator<Uint8Array> {
    const { header, maxBytes } = this;
    if (!header.hasDescriptor && header.size > maxBytes) throw this.tooLarge();
    let size = 0;
    let crc = 0;
    if (header.method === STORED) {
      for (let chunk = await this.compressed.next(); chunk !== undefined; chunk = await this.compressed.next()) {
        size += chunk.length;
        if (size > maxBytes) throw this.tooLarge();
        crc = crc32(chunk, crc);
        yield chunk;
      }
    } else {
      const compressed = this.compressed;
      async function* deflated(): AsyncGenerator<Buffer> {
        for (let chunk = await compressed.next(); chunk !== undefined; chunk = await compressed.next()) yield chunk;
      }
      const inflater = createInflateRaw({ chunkSize: 64 * 1024 });
      const piping = pipeline(Readable.from(deflated(), { objectMode: false }), inflater);
      piping.catch(() => undefined);
      try {
        for await (const out of inflater as AsyncIterable<Buffer>) {
          size += out.length;
          if (size > maxBytes) throw this.tooLarge();
          crc = crc32(out, crc);
          yield out;
        }
        await piping;
      } catch (err) {
        const { code, errno } = err as { code?: unknown; errno?: unknown };
        if (typeof errno !== 'number' || typeof code !== 'string' || !code.startsWith('Z_')) throw err;
        throw this.corrupt(`its deflate data is invalid: ${(err as Error).message}`, err);
      } finally {
        inflater.destroy();
        await piping.catch(() => undefined);
      }
    }
    const expected = this.compressed.check ?? header;
    if (crc !== expected.crc) {
      throw this.corrupt(`its CRC-32 is ${hex(crc)} but the archive says ${hex(expected.crc)}`);
    }
    const sizeMatches = 'sizeModulo32' in expected && expected.sizeModulo32 ? size >>> 0 === expected.size : size === expected.size;
    if (!sizeMatches) throw this.corrupt(`it inflates to ${size} bytes but the archive says ${expected.size}`);
  }

  private tooLarge(): CdnLogError {
    return new CdnLogError(
      'TooLarge',
      `${this.label}: zip member ${this.header.name} inflates past ${this.maxBytes} bytes; raise maxMemberBytes if this is expected`,
    );
  }

  private corrupt(detail: string, cause?: unknown): CdnLogError {
    return new CdnLogError(
      'Transient',
      `${this.label}: zip member ${this.header.name} is corrupt (${detail}); the download should be retried`,
      { cause },
    );
  }
}

/** The compressed bytes of one member, in runs; undefined once they have ended. */
interface CompressedBytes {
  next(): Promise<Buffer | undefined>;
  /** Set when the data ended at a data descriptor. */
  readonly check: MemberCheck | undefined;
}

/** A member whose local header gives the compressed size. */
class SizeDelimitedBytes implements CompressedBytes {
  readonly check = undefined;
  private remaining: number;

  constructor(
    private readonly input: ByteReader,
    private readonly header: LocalHeader,
    private readonly label: string,
  ) {
    this.remaining = header.compressedSize;
  }

  async next(): Promise<Buffer | undefined> {
    if (this.remaining === 0) return undefined;
    let chunk = await this.input.next();
    if (chunk === undefined) throw cutShort(this.label, `it ends inside member ${this.header.name}`);
    if (chunk.length > this.remaining) {
      this.input.giveBack(chunk.subarray(this.remaining));
      chunk = chunk.subarray(0, this.remaining);
    }
    this.remaining -= chunk.length;
    return chunk;
  }
}

/**
 * A member written with a data descriptor: its end is the first descriptor whose compressed-size
 * field equals the bytes read so far and which a local or central header signature follows.
 * Descriptors with and without their optional signature, and 32- or 64-bit sizes, are recognised.
 * The last DESCRIPTOR_HOLD bytes are held back until it is clear they are not the descriptor.
 */
class DescriptorDelimitedBytes implements CompressedBytes {
  check: MemberCheck | undefined;
  private held: Buffer = EMPTY;
  private delivered = 0;

  constructor(
    private readonly input: ByteReader,
    private readonly header: LocalHeader,
    private readonly label: string,
  ) {}

  async next(): Promise<Buffer | undefined> {
    while (this.check === undefined) {
      const chunk = await this.input.next();
      if (chunk === undefined) throw cutShort(this.label, `it ends inside member ${this.header.name}`);
      const bytes = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
      const found = findDescriptor(bytes, this.delivered);
      if (found !== undefined) {
        this.check = found;
        this.held = EMPTY;
        this.input.giveBack(bytes.subarray(found.end + found.length));
        this.delivered += found.end;
        return found.end > 0 ? bytes.subarray(0, found.end) : undefined;
      }
      const safe = bytes.length - DESCRIPTOR_HOLD;
      if (safe > 0) {
        this.held = bytes.subarray(safe);
        this.delivered += safe;
        return bytes.subarray(0, safe);
      }
      this.held = bytes;
    }
    return undefined;
  }
}

interface FoundDescriptor extends MemberCheck {
  /** Where the member's compressed data ends (and the descriptor starts) in the scanned bytes. */
  end: number;
  /** Length of the descriptor. */
  length: number;
}

/** `delivered`: compressed bytes of the member before `bytes[0]`. */
function findDescriptor(bytes: Buffer, delivered: number): FoundDescriptor | undefined {
  for (let at = bytes.indexOf(PK); at !== -1 && at + DESCRIPTOR_LOOKAHEAD <= bytes.length; at = bytes.indexOf(PK, at + 1)) {
    const signature = bytes.readUInt32LE(at);
    if (signature === DATA_DESCRIPTOR) {
      const compressed = delivered + at;
      if (readUint64(bytes, at + 8) === compressed && isHeaderAt(bytes, at + 24)) {
        return { end: at, length: 24, crc: bytes.readUInt32LE(at + 4), size: readUint64(bytes, at + 16), sizeModulo32: false };
      }
      if (bytes.readUInt32LE(at + 8) === compressed >>> 0 && isHeaderAt(bytes, at + 16)) {
        return { end: at, length: 16, crc: bytes.readUInt32LE(at + 4), size: bytes.readUInt32LE(at + 12), sizeModulo32: true };
      }
    } else if (signature === LOCAL_HEADER || signature === CENTRAL_HEADER) {
      // A descriptor without its optional signature sits right before the next header.
      if (at >= 12 && bytes.readUInt32LE(at - 8) === (delivered + at - 12) >>> 0) {
        return { end: at - 12, length: 12, crc: bytes.readUInt32LE(at - 12), size: bytes.readUInt32LE(at - 4), sizeModulo32: true };
      }
      if (at >= 20 && readUint64(bytes, at - 16) === delivered + at - 20) {
        return { end: at - 20, length: 20, crc: bytes.readUInt32LE(at - 20), size: readUint64(bytes, at - 8), sizeModulo32: false };
      }
    }
  }
  return undefined;
}

function isHeaderAt(bytes: Buffer, at: number): boolean {
  const signature = bytes.readUInt32LE(at);
  return signature === LOCAL_HEADER || signature === CENTRAL_HEADER;
}

/**
 * Drains the central directory and checks the end-of-central-directory record: its absence means the
 * download was cut short, and its member count must match the local headers seen.
 */
async function checkEndRecord(input: ByteReader, members: number, label: string): Promise<void> {
  let tail = input.take(input.buffered.length);
  for (let chunk = await input.next(); chunk !== undefined; chunk = await input.next()) {
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > 2 * END_RECORD_MAX) tail = tail.subarray(tail.length - END_RECORD_MAX);
  }
  for (let at = tail.length - 22; at >= 0 && at >= tail.length - END_RECORD_MAX; at--) {
    if (tail.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY && at + 22 + tail.readUInt16LE(at + 20) === tail.length) {
      const listed = tail.readUInt16LE(at + 10);
      // 0xFFFF means the count lives in the zip64 end record; the local headers were checked one by one anyway.
      if (listed !== 0xffff && listed !== members % 0x10000) {
        throw corruptArchive(label, `its central directory lists ${listed} members but ${members} arrived`);
      }
      return;
    }
  }
  throw cutShort(label, 'it has no end-of-central-directory record');
}

/** Forward-only reader over the source chunks with a little look-ahead for headers. */
class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private head: Buffer = EMPTY;
  private finished = false;
  /** Archive offset of the first byte of `buffered`. */
  offset = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Bytes read from the source and not yet consumed. */
  get buffered(): Buffer {
    return this.head;
  }

  /** Buffers at least `length` bytes; false if the source ends first. */
  async ensure(length: number): Promise<boolean> {
    while (this.head.length < length) {
      const chunk = await this.pull();
      if (chunk === undefined) return false;
      this.head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
    }
    return true;
  }

  uint16(at: number): number {
    return this.head.readUInt16LE(at);
  }

  uint32(at: number): number {
    return this.head.readUInt32LE(at);
  }

  take(length: number): Buffer {
    const taken = this.head.subarray(0, length);
    this.head = this.head.subarray(length);
    this.offset += taken.length;
    return taken;
  }

  /** The next run of bytes: what is buffered, else the next source chunk; undefined at the end. */
  async next(): Promise<Buffer | undefined> {
    if (this.head.length === 0) {
      const chunk = await this.pull();
      if (chunk === undefined) return undefined;
      this.head = chunk;
    }
    return this.take(this.head.length);
  }

  /** Returns the unused end of what `next` handed out. */
  giveBack(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.head = this.head.length === 0 ? bytes : Buffer.concat([bytes, this.head]);
    this.offset -= bytes.length;
  }

  async close(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.iterator.return?.();
  }

  private async pull(): Promise<Buffer | undefined> {
    while (!this.finished) {
      let result: IteratorResult<Uint8Array>;
      try {
        result = await this.iterator.next();
      } catch (err) {
        this.finished = true;
        throw err;
      }
      if (result.done) {
        this.finished = true;
        break;
      }
      const chunk = result.value;
      if (chunk.length > 0) {
        return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
    }
    return undefined;
  }
}

function readUint64(bytes: Buffer, at: number): number {
  return bytes.readUInt32LE(at) + bytes.readUInt32LE(at + 4) * 0x100000000;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

function cutShort(label: string, where: string): CdnLogError {
  return new CdnLogError('Transient', `${label}: the zip archive is cut short (${where}); the download should be retried`);
}

function corruptArchive(label: string, detail: string): CdnLogError {
  return new CdnLogError('Transient', `${label}: the zip archive is corrupt (${detail}); the download should be retried`);
}

function notZip(label: string, start: Buffer): CdnLogError {
  if (start.length > 0 && start.length < 4 && PK_LOCAL_HEADER.subarray(0, start.length).equals(start)) {
    return cutShort(label, 'it ends inside the first local file header');
  }
  const preview = start.subarray(0, 60).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return new CdnLogError(
    'ProviderError',
    start.length === 0
      ? `${label}: the body is empty, not a zip archive`
      : `${label}: the body is not a zip archive (it starts with "${preview}")`,
  );
}
