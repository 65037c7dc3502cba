import { hash } from 'node:crypto';

/**
 * A stable id for a record whose provider gives no request id: 132 bits of SHA-256 over the text
 * (its source and raw line). node's one-shot hash is hardware-accelerated: under a microsecond for a
 * log line, faster than a hand-written non-cryptographic hash in JavaScript.
 */
export function stableId(text: string): string {
  return hash('sha256', text, 'base64url').slice(0, 22);
}
