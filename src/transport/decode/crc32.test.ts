import fc from 'fast-check';
import * as zlib from 'node:zlib';
import { crc32, crc32Table } from './crc32';

describe('crc32', () => {
  it('gives the check value of the CRC-32 catalogue for "123456789"', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32Table(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32Table(new Uint8Array(0))).toBe(0);
  });

  it('table version (for Node < 20.15) agrees with the one in use, also when continued across pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 300 }), (bytes, cut) => {
        const whole = crc32(bytes);
        expect(crc32Table(bytes)).toBe(whole);
        const at = Math.min(cut, bytes.length);
        expect(crc32Table(bytes.subarray(at), crc32Table(bytes.subarray(0, at)))).toBe(whole);
        expect(crc32(bytes.subarray(at), crc32(bytes.subarray(0, at)))).toBe(whole);
      }),
    );
  });

  it('uses node:zlib crc32 where this Node has it', () => {
    const native = (zlib as { crc32?: unknown }).crc32;
    expect(crc32 === crc32Table).toBe(typeof native !== 'function');
  });
});
