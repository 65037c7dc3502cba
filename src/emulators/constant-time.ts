/** Comparison of received credentials (signatures, URL tokens) with the expected ones. */

import { timingSafeEqual } from 'node:crypto';

/**
 * True when `a` and `b` hold the same bytes (strings as UTF-8), compared in constant time for equal
 * lengths, so the time of a refusal does not tell how much of a forged signature was right.
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const aBytes = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const bBytes = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  return aBytes.length === bBytes.length && timingSafeEqual(aBytes, bBytes);
}
