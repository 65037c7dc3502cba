import * as zlib from 'node:zlib';

/**
 * CRC-32 (IEEE 802.3, the checksum zip members carry), continued from `previous`.
 * Uses node:zlib's native crc32 where it exists (Node >= 20.15 / 22.2); older Node 20 releases
 * get the table-driven version below, which the tests check against the native one.
 */
export type Crc32 = (data: Uint8Array, previous?: number) => number;

let table: Int32Array | undefined;

function crcTable(): Int32Array {
  if (table === undefined) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  return table;
}

export const crc32Table: Crc32 = (data, previous = 0) => {
  const t = crcTable();
  let crc = ~previous;
  for (let i = 0; i < data.length; i++) crc = t[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
};

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

export const crc32: Crc32 = typeof native === 'function' ? (data, previous = 0) => native(data, previous) : crc32Table;
