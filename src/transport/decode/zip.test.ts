import fc from 'fast-check';
import { Zip, ZipDeflate, ZipPassThrough, unzipSync, zipSync } from 'fflate';
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { crc32 } from './crc32';
import { unzipMembers, type ZipMember } from './zip';
import { bytesOf, cutAt, cutEvery, cutsFor, rejection, sourceOf, zerosDeflated } from './testkit';

const MiB = 1024 * 1024;
const utf8 = (text: string) => Buffer.from(text, 'utf8');
const gcoreCsv = (rows: number) =>
  utf8(
    'timestamp,client_ip,method,path,status\n' +
      Array.from({ length: rows }, (_, i) => `${1623628800 + i},203.0.113.${i % 250},GET,/img/${i}.png,200\n`).join(''),
  );

/** Reads every member fully, in order. */
async function readAll(members: AsyncIterable<ZipMember>): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for await (const member of members) out[member.name] = await bytesOf(member.data);
  return out;
}

/** The oracle: fflate's whole-archive unzip (it reads the central directory). */
function oracle(archive: Uint8Array): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [name, data] of Object.entries(unzipSync(archive))) if (!name.endsWith('/')) out[name] = Buffer.from(data);
  return out;
}

/** Member bytes as base64, so that jest compares strings rather than Buffers index by index. */
function base64(members: Record<string, Buffer>): Record<string, string> {
  return Object.fromEntries(Object.entries(members).map(([name, data]) => [name, data.toString('base64')]));
}

/** An archive as streaming writers make it: fflate `Zip`, members fed chunk by chunk, each with a data descriptor. */
function streamedZip(members: { name: string; data: Uint8Array; level?: 0 | 6 | 9; stored?: boolean }[]): Buffer {
  const parts: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    parts.push(chunk);
  });
  for (const { name, data, level, stored } of members) {
    const file = stored ? new ZipPassThrough(name) : new ZipDeflate(name, { level: level ?? 6 });
    zip.add(file);
    const pieces = cutEvery(data, 1000);
    if (pieces.length === 0) file.push(new Uint8Array(0), true);
    pieces.forEach((piece, i) => file.push(piece, i === pieces.length - 1));
  }
  zip.end();
  return Buffer.concat(parts);
}

type Descriptor = 'none' | 'signed' | 'unsigned' | 'zip64' | 'unsigned-zip64';

interface CraftedMember {
  name: string;
  data: Uint8Array;
  method?: 0 | 8;
  descriptor?: Descriptor;
  flags?: number;
}

/** A hand-made archive, for descriptor layouts and flags no library here writes. */
function craftZip(members: CraftedMember[], listed = members.length): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const method = member.method ?? 8;
    const descriptor = member.descriptor ?? 'none';
    const compressed = method === 8 ? deflateRawSync(member.data) : Buffer.from(member.data);
    const crc = crc32(member.data);
    const name = utf8(member.name);
    const flags = (member.flags ?? 0) | 0x800 | (descriptor === 'none' ? 0 : 0x8);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    if (descriptor === 'none') {
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(compressed.length, 18);
      local.writeUInt32LE(member.data.length, 22);
    }
    local.writeUInt16LE(name.length, 26);
    const memberParts: Buffer[] = [local, name, compressed];
    if (descriptor !== 'none') memberParts.push(descriptorBytes(descriptor, crc, compressed.length, member.data.length));
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(flags, 8);
    entry.writeUInt16LE(method, 10);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(compressed.length, 20);
    entry.writeUInt32LE(member.data.length, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);
    parts.push(...memberParts);
    offset += memberParts.reduce((n, part) => n + part.length, 0);
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(listed, 8);
  end.writeUInt16LE(listed, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

function descriptorBytes(layout: Exclude<Descriptor, 'none'>, crc: number, compressedSize: number, size: number): Buffer {
  const wide = layout === 'zip64' || layout === 'unsigned-zip64';
  const signed = layout === 'signed' || layout === 'zip64';
  const body = Buffer.alloc(wide ? 20 : 12);
  body.writeUInt32LE(crc, 0);
  if (wide) {
    body.writeBigUInt64LE(BigInt(compressedSize), 4);
    body.writeBigUInt64LE(BigInt(size), 12);
  } else {
    body.writeUInt32LE(compressedSize, 4);
    body.writeUInt32LE(size, 8);
  }
  return signed ? Buffer.concat([Buffer.from([0x50, 0x4b, 0x07, 0x08]), body]) : body;
}

/** Incompressible bytes from a seed (cheaper to generate than fc.uint8Array). */
function noise(seed: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

const memberContent = fc.oneof(
  fc.nat({ max: 300 }).map(gcoreCsv),
  fc.tuple(fc.nat(), fc.nat({ max: 3000 })).map(([seed, length]) => noise(seed, length)),
  fc.constant(new Uint8Array(0)),
);
const memberName = fc.string({ unit: fc.constantFrom('a', 'b', '1', '_', '-', '.', 'é', '日'), minLength: 1, maxLength: 10 });
const memberList = fc.uniqueArray(fc.record({ name: memberName, data: memberContent, level: fc.constantFrom<0 | 6 | 9>(0, 6, 9) }), {
  minLength: 1,
  maxLength: 4,
  selector: (m) => m.name,
});

describe('unzipMembers', () => {
  it('reads two members in order with the bytes that were zipped', async () => {
    const archive = zipSync({
      '20210614T000000_20210614T060000_csv.csv': gcoreCsv(200),
      'second.tsv': utf8('timestamp\tstatus\n1623628800\t200\n'),
    });
    const seen: [string, string][] = [];
    for await (const member of unzipMembers(sourceOf(cutEvery(archive, 333)), { maxMemberBytes: MiB })) {
      seen.push([member.name, (await bytesOf(member.data)).toString()]);
    }
    expect(seen).toEqual([
      ['20210614T000000_20210614T060000_csv.csv', gcoreCsv(200).toString()],
      ['second.tsv', 'timestamp\tstatus\n1623628800\t200\n'],
    ]);
  });

  it('agrees with fflate unzipSync on archives with sizes in the headers, for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        memberList.chain((members) => {
          const archive = zipSync(Object.fromEntries(members.map((m) => [m.name, [m.data, { level: m.level }]])));
          return fc.tuple(fc.constant(archive), cutsFor(archive.length));
        }),
        async ([archive, cuts]) => {
          expect(base64(await readAll(unzipMembers(sourceOf(cutAt(archive, cuts)), { maxMemberBytes: MiB })))).toEqual(
            base64(oracle(archive)),
          );
        },
      ),
      { numRuns: 80 },
    );
  });

  it('agrees with fflate unzipSync on streamed archives with data descriptors, for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .tuple(memberList, fc.boolean())
          .map(([members, stored]) => streamedZip(members.map((m) => ({ ...m, stored }))))
          .chain((archive) => fc.tuple(fc.constant(archive), cutsFor(archive.length))),
        async ([archive, cuts]) => {
          expect(archive.readUInt16LE(6) & 0x8).toBe(0x8);
          expect(base64(await readAll(unzipMembers(sourceOf(cutAt(archive, cuts)), { maxMemberBytes: MiB })))).toEqual(
            base64(oracle(archive)),
          );
        },
      ),
      { numRuns: 80 },
    );
  });

  it('does not end a descriptor member at header signatures inside its compressed bytes', async () => {
    // Stored deflate blocks (level 0) copy these bytes into the archive verbatim; fflate's streaming Unzip cuts here.
    const decoys = Buffer.concat([
      Buffer.from('PK\x07\x08', 'latin1'),
      Buffer.alloc(12, 0x41),
      Buffer.from('PK\x03\x04PK\x01\x02PK\x05\x06', 'latin1'),
    ]);
    const data = Buffer.concat([randomBytes(5000), decoys, randomBytes(70000), decoys, randomBytes(100)]);
    for (const stored of [false, true]) {
      const archive = streamedZip([
        { name: 'a.csv', data, level: 0, stored },
        { name: 'b.csv', data: utf8('after'), stored },
      ]);
      expect(archive.indexOf(decoys)).toBeGreaterThan(0);
      const got = await readAll(unzipMembers(sourceOf(cutEvery(archive, 4096)), { maxMemberBytes: MiB }));
      expect(got['a.csv'].equals(data)).toBe(true);
      expect(got['b.csv'].toString()).toBe('after');
    }
  });

  it.each<Descriptor>(['signed', 'unsigned', 'zip64', 'unsigned-zip64'])(
    'reads stored and deflated members that end in a data descriptor of layout %s',
    async (descriptor) => {
      const data = gcoreCsv(100);
      const archive = craftZip([
        { name: 'deflated.csv', data, descriptor },
        { name: 'stored.csv', data, descriptor, method: 0 },
        { name: 'empty.csv', data: new Uint8Array(0), descriptor, method: 0 },
      ]);
      expect(oracle(archive)['stored.csv'].equals(data)).toBe(true);
      for (const chunk of [1, 7, 64, 100000]) {
        const got = await readAll(unzipMembers(sourceOf(cutEvery(archive, chunk)), { maxMemberBytes: MiB }));
        expect(Object.keys(got)).toEqual(['deflated.csv', 'stored.csv', 'empty.csv']);
        expect(got['deflated.csv'].equals(data)).toBe(true);
        expect(got['stored.csv'].equals(data)).toBe(true);
        expect(got['empty.csv'].length).toBe(0);
      }
    },
  );

  it('skips what the consumer did not read of a member and reads the next one whole', async () => {
    const first = gcoreCsv(20000);
    const second = gcoreCsv(50);
    for (const archive of [zipSync({ 'first.csv': first, 'second.csv': second }), streamedZip([{ name: 'first.csv', data: first }, { name: 'second.csv', data: second }])]) {
      // Not reading the first member at all.
      const onlySecond: Record<string, Buffer> = {};
      for await (const member of unzipMembers(sourceOf(cutEvery(archive, 1000)), { maxMemberBytes: 10 * MiB })) {
        if (member.name === 'second.csv') onlySecond[member.name] = await bytesOf(member.data);
      }
      expect(onlySecond['second.csv'].equals(second)).toBe(true);
      // Reading one chunk of the first member, then moving on.
      const names: string[] = [];
      let secondBytes: Buffer = Buffer.alloc(0);
      for await (const member of unzipMembers(sourceOf(cutEvery(archive, 1000)), { maxMemberBytes: 10 * MiB })) {
        names.push(member.name);
        if (member.name === 'first.csv') {
          for await (const chunk of member.data) {
            expect(chunk.length).toBeGreaterThan(0);
            break;
          }
        } else {
          secondBytes = await bytesOf(member.data);
        }
      }
      expect(names).toEqual(['first.csv', 'second.csv']);
      expect(secondBytes.equals(second)).toBe(true);
    }
  });

  it('skips directory entries and decodes UTF-8 names', async () => {
    const archive = zipSync({ 'logs/': new Uint8Array(0), 'logs/日本.csv': utf8('a,b\n') });
    const names: string[] = [];
    for await (const member of unzipMembers(sourceOf([archive]), { maxMemberBytes: MiB })) {
      names.push(member.name);
      await bytesOf(member.data);
    }
    expect(names).toEqual(['logs/日本.csv']);
  });

  it('reads an archive with no members as no members', async () => {
    expect(await readAll(unzipMembers(sourceOf([craftZip([])]), { maxMemberBytes: MiB }))).toEqual({});
  });

  it('fails Transient with a CRC message when a stored member was corrupted', async () => {
    const archive = Buffer.from(zipSync({ 'a.csv': [gcoreCsv(10), { level: 0 }] }));
    archive[archive.indexOf('203.0.113.') + 2] ^= 0x01;
    const err = await rejection(readAll(unzipMembers(sourceOf([archive]), { maxMemberBytes: MiB, label: 'gcore r42' })));
    expect(err.kind).toBe('Transient');
    expect(err.message).toMatch(
      /^gcore r42: zip member a\.csv is corrupt \(its CRC-32 is 0x[0-9a-f]{8} but the archive says 0x[0-9a-f]{8}\); the download should be retried$/,
    );
  });

  it('fails Transient with a CRC message when a deflated member still inflates after corruption', async () => {
    // Incompressible data goes into stored deflate blocks, so a flipped byte inflates fine and only the CRC tells.
    const data = randomBytes(20000);
    for (const archive of [Buffer.from(zipSync({ 'a.bin': data })), streamedZip([{ name: 'a.bin', data }])]) {
      archive[10000] ^= 0xff;
      const err = await rejection(readAll(unzipMembers(sourceOf(cutEvery(archive, 512)), { maxMemberBytes: MiB })));
      expect(err.kind).toBe('Transient');
      expect(err.message).toContain('zip member a.bin is corrupt (its CRC-32 is');
    }
  });

  it('never delivers a corrupted member: any flipped byte in member data fails Transient or changes nothing', async () => {
    const data = gcoreCsv(300);
    const archive = streamedZip([{ name: 'a.csv', data }, { name: 'b.csv', data: gcoreCsv(3) }]);
    const dataStart = 30 + 'a.csv'.length;
    const dataEnd = archive.indexOf(Buffer.from('PK\x07\x08', 'latin1'));
    let failures = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: dataStart, max: dataEnd - 1 }), fc.integer({ min: 1, max: 255 }), async (at, flip) => {
        const corrupt = Buffer.from(archive);
        corrupt[at] ^= flip;
        const outcome = await readAll(unzipMembers(sourceOf(cutEvery(corrupt, 700)), { maxMemberBytes: MiB })).then(
          (members) => members,
          (err: unknown) => err,
        );
        if ('a.csv' in (outcome as object)) {
          expect((outcome as Record<string, Buffer>)['a.csv'].equals(data)).toBe(true);
        } else {
          failures++;
          expect(outcome).toMatchObject({ kind: 'Transient' });
          expect((outcome as Error).message).toMatch(/^download: zip member a\.csv is corrupt \(.+\); the download should be retried$/);
        }
      }),
      { numRuns: 60 },
    );
    expect(failures).toBeGreaterThan(50);
  });

  it('fails Transient when the archive is cut short anywhere', async () => {
    const archives = [
      Buffer.from(zipSync({ 'a.csv': gcoreCsv(40), 'b.csv': gcoreCsv(5) })),
      streamedZip([{ name: 'a.csv', data: gcoreCsv(40) }, { name: 'b.csv', data: gcoreCsv(5) }]),
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...archives).chain((a) => fc.tuple(fc.constant(a), fc.integer({ min: 1, max: a.length - 1 }))), async ([archive, cut]) => {
        const err = await rejection(readAll(unzipMembers(sourceOf(cutEvery(archive.subarray(0, cut), 100)), { maxMemberBytes: MiB })));
        expect(err.kind).toBe('Transient');
        expect(err.message).toMatch(/^download: (the zip archive is cut short \(.+\)|zip member a\.csv is corrupt \(.+\)); the download should be retried$/);
      }),
      { numRuns: 100 },
    );
  });

  it('fails Transient when the central directory lists members that never arrived', async () => {
    const archive = craftZip([{ name: 'a.csv', data: gcoreCsv(3) }], 2);
    const err = await rejection(readAll(unzipMembers(sourceOf([archive]), { maxMemberBytes: MiB })));
    expect(err.kind).toBe('Transient');
    expect(err.message).toBe(
      'download: the zip archive is corrupt (its central directory lists 2 members but 1 arrived); the download should be retried',
    );
  });

  it('fails ProviderError when the body is not a zip', async () => {
    const err = await rejection(readAll(unzipMembers(sourceOf([utf8('{"message":"Invalid API key"}')]), { maxMemberBytes: MiB, label: 'gcore' })));
    expect(err.kind).toBe('ProviderError');
    expect(err.message).toBe('gcore: the body is not a zip archive (it starts with "{"message":"Invalid API key"}")');
  });

  it('fails ProviderError for encrypted members and unsupported methods', async () => {
    const encrypted = craftZip([{ name: 'a.csv', data: utf8('x'), flags: 0x1 }]);
    const encryptedError = await rejection(readAll(unzipMembers(sourceOf([encrypted]), { maxMemberBytes: MiB })));
    expect(encryptedError.kind).toBe('ProviderError');
    expect(encryptedError.message).toBe('download: zip member a.csv is encrypted; ask the provider for an unencrypted archive');
    const bzip2 = craftZip([{ name: 'a.csv', data: utf8('x'), method: 0 }]);
    bzip2.writeUInt16LE(12, 8);
    const methodError = await rejection(readAll(unzipMembers(sourceOf([bzip2]), { maxMemberBytes: MiB })));
    expect(methodError.kind).toBe('ProviderError');
    expect(methodError.message).toBe('download: zip member a.csv uses compression method 12; only stored (0) and deflate (8) are supported');
  });

  it('stops a 2 GiB zip bomb with TooLarge at once, reading little of it and keeping memory flat', async () => {
    // Local header with a data descriptor (sizes unknown up front), then deflated zeros as they would stream in.
    function* bomb(): Generator<Uint8Array> {
      const name = utf8('bomb.csv');
      const header = Buffer.alloc(30);
      header.writeUInt32LE(0x04034b50, 0);
      header.writeUInt16LE(20, 4);
      header.writeUInt16LE(0x8, 6);
      header.writeUInt16LE(8, 8);
      header.writeUInt16LE(name.length, 26);
      yield Buffer.concat([header, name]);
      yield* zerosDeflated(2048);
    }
    const source = sourceOf(bomb());
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let delivered = 0;
    const err = await rejection(
      (async () => {
        for await (const member of unzipMembers(source, { maxMemberBytes: 16 * MiB, label: 'gcore r42' })) {
          for await (const chunk of member.data) {
            delivered += chunk.length;
            rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
          }
        }
      })(),
    );
    expect(err.kind).toBe('TooLarge');
    expect(err.message).toBe('gcore r42: zip member bomb.csv inflates past 16777216 bytes; raise maxMemberBytes if this is expected');
    expect(delivered).toBeLessThanOrEqual(16 * MiB);
    // Of 2050 chunks; node:zlib's stream read-ahead takes a few dozen more on Node 22 (64 KiB buffers) than on 20 (16 KiB).
    expect(source.pulled).toBeLessThan(100);
    expect(source.closed).toBe(true);
    expect(rssPeak - rssBefore).toBeLessThan(200 * MiB);
  });

  it('fails TooLarge before inflating when the header already declares a member past the bound', async () => {
    const archive = zipSync({ 'big.csv': new Uint8Array(4 * MiB) });
    const err = await rejection(readAll(unzipMembers(sourceOf([archive]), { maxMemberBytes: MiB })));
    expect(err.kind).toBe('TooLarge');
    expect(err.message).toBe('download: zip member big.csv inflates past 1048576 bytes; raise maxMemberBytes if this is expected');
  });

  it('closes the source when the consumer stops early and passes source errors through', async () => {
    const archive = zipSync({ 'a.csv': gcoreCsv(5000), 'b.csv': gcoreCsv(5) });
    const source = sourceOf(cutEvery(archive, 1000));
    for await (const member of unzipMembers(source, { maxMemberBytes: MiB })) {
      expect(member.name).toBe('a.csv');
      break;
    }
    expect(source.closed).toBe(true);
    expect(source.pulled).toBeLessThan(cutEvery(archive, 1000).length);

    const reset = new Error('socket hang up');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield archive.subarray(0, 500);
      throw reset;
    }
    await expect(readAll(unzipMembers(failing(), { maxMemberBytes: MiB }))).rejects.toBe(reset);
  });

  it('lets a member be read only once', async () => {
    const members = unzipMembers(sourceOf([zipSync({ 'a.csv': utf8('x\n') })]), { maxMemberBytes: MiB });
    const first = await members.next();
    const member = first.value as ZipMember;
    expect((await bytesOf(member.data)).toString()).toBe('x\n');
    expect(() => member.data[Symbol.asyncIterator]()).toThrow('zip member a.csv can be read only once');
    expect((await members.next()).done).toBe(true);
  });
});
