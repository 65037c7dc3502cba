/**
 * Request ids (Cloudflare's RayID shape: 16 lower-case hex characters) that are unique by construction
 * and can be decoded back to the minute that produced them, so `/logs/rayids/{id}` needs no index.
 *
 * The 64-bit plain value is (22 bits of a source hash, 26 bits of epoch minute, 16 bits of index within
 * the minute); a keyed 4-round Feistel network turns it into random-looking hex. A Feistel network is a
 * bijection whatever its round function, so distinct plain values always give distinct ids.
 */

import { avalanche32, hash32 } from './random';

const SOURCE_BITS = 22;
const MINUTE_BITS = 26; // epoch minutes up to the year 2097
const INDEX_BITS = 16;

/** The most events one source can have in one minute and still get a unique id. */
export const MAX_EVENTS_PER_MINUTE = 2 ** INDEX_BITS;

export interface RayIdOrigin {
  sourceTag: number;
  minute: number;
  index: number;
}

export class RayIdCodec {
  private readonly roundKeys: number[];

  constructor(private readonly seed: number) {
    this.roundKeys = [1, 2, 3, 4].map((round) => hash32(`ray-id|${seed}|${round}`));
  }

  /** The 22-bit tag of a source; two sources share ids only if their tags collide (p ≈ 2⁻²²). */
  sourceTag(source: string): number {
    return hash32(`source|${this.seed}|${source}`) >>> (32 - SOURCE_BITS);
  }

  encode({ sourceTag, minute, index }: RayIdOrigin): string {
    const minuteBits = minute & (2 ** MINUTE_BITS - 1);
    let left = ((sourceTag << (32 - SOURCE_BITS)) | (minuteBits >>> INDEX_BITS)) >>> 0;
    let right = (((minuteBits & 0xffff) << INDEX_BITS) | (index & 0xffff)) >>> 0;
    for (const key of this.roundKeys) {
      [left, right] = [right, (left ^ roundFunction(right, key)) >>> 0];
    }
    return hex16(left, right);
  }

  /** The inverse of `encode`, or null for text that is not a 16-hex-digit id. */
  decode(rayId: string): RayIdOrigin | null {
    if (!/^[0-9a-f]{16}$/.test(rayId)) return null;
    let left = parseInt(rayId.slice(0, 8), 16);
    let right = parseInt(rayId.slice(8), 16);
    for (let round = this.roundKeys.length - 1; round >= 0; round--) {
      [left, right] = [(right ^ roundFunction(left, this.roundKeys[round])) >>> 0, left];
    }
    return {
      sourceTag: left >>> (32 - SOURCE_BITS),
      minute: ((left & (2 ** (32 - SOURCE_BITS) - 1)) * 2 ** INDEX_BITS) + (right >>> INDEX_BITS),
      index: right & 0xffff,
    };
  }
}

function roundFunction(half: number, key: number): number {
  return avalanche32((half ^ key) >>> 0);
}

const HEX_DIGITS = Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0));

/** Two 32-bit words as 16 hex digits; built from char codes because ids are made by the hundred thousand. */
function hex16(high: number, low: number): string {
  const d = HEX_DIGITS;
  return String.fromCharCode(
    d[high >>> 28], d[(high >>> 24) & 15], d[(high >>> 20) & 15], d[(high >>> 16) & 15],
    d[(high >>> 12) & 15], d[(high >>> 8) & 15], d[(high >>> 4) & 15], d[high & 15],
    d[low >>> 28], d[(low >>> 24) & 15], d[(low >>> 20) & 15], d[(low >>> 16) & 15],
    d[(low >>> 12) & 15], d[(low >>> 8) & 15], d[(low >>> 4) & 15], d[low & 15],
  );
}
