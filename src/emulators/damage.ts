/**
 * The corrupt bodies of the corruptZip and corruptGzip faults. Each sets the first deflate block's
 * type to the reserved value 3, so every inflater fails on it with a data error ("invalid block
 * type") rather than inflating garbage that only a CRC check would catch, or a silently short text.
 */

const RESERVED_BLOCK_TYPE = 0b110;

/** A copy of a zip whose first member cannot be inflated. */
export function damagedZip(zip: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(zip);
  const header = new DataView(copy.buffer);
  copy[30 + header.getUint16(26, true) + header.getUint16(28, true)] |= RESERVED_BLOCK_TYPE;
  return copy;
}

/** A copy of a gzip body (node's: a bare 10-byte header) that cannot be inflated. */
export function damagedGzip(gz: Uint8Array): Buffer {
  const copy = Buffer.from(gz);
  copy[10] |= RESERVED_BLOCK_TYPE;
  return copy;
}
