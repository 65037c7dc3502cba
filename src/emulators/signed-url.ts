/**
 * The signed, expiring package URLs of the DSA and EdgeOne listings (provider-spec §4.5, §6.4): the
 * URL is the credential, so its query carries an expiry and an HMAC of path and expiry under a key
 * only the emulator knows. Neither can be edited, and the emulator serves the URL until it expires.
 */

import { createHash, createHmac } from 'node:crypto';
import { constantTimeEqual } from './constant-time';
import { SECOND_MS } from './time';

/** How a provider spells its signed URLs. */
export interface SignedUrlScheme {
  /** Seeds the HMAC key, so emulators with the same seed accept each other's URLs. */
  keyLabel: string;
  /** The query parameter of the token (DSA `st`, EdgeOne `sign`). */
  tokenParam: string;
  /** The query parameter of the expiry in unix seconds (DSA `e`, EdgeOne `t`). */
  expiryParam: string;
  /** HMAC-SHA256 bytes kept in the token (base64url): DSA 16, like the spec's sample `st`; EdgeOne all 32. */
  tokenBytes: number;
  /** Whether the token comes first in the query (`?st=…&e=…`) or the expiry does (`?t=…&sign=…`). */
  tokenFirst: boolean;
}

export type SignedUrlVerdict = 'ok' | 'forged' | 'expired';

export class SignedUrls {
  /** The origin put in front of signed paths; the emulator's own by default, tests point it elsewhere. */
  baseUrl = '';
  private readonly key: Buffer;

  constructor(private readonly scheme: SignedUrlScheme) {
    this.key = createHash('sha256').update(scheme.keyLabel).digest();
  }

  /** The absolute URL of `path` (starting with `/`), valid until `expiresAtS` (unix seconds). */
  sign(path: string, expiresAtS: number): string {
    const { tokenParam, expiryParam, tokenFirst } = this.scheme;
    const token = `${tokenParam}=${this.token(path, String(expiresAtS))}`;
    const expiry = `${expiryParam}=${expiresAtS}`;
    return `${this.baseUrl.replace(/\/+$/, '')}${path}?${tokenFirst ? `${token}&${expiry}` : `${expiry}&${token}`}`;
  }

  /** Whether a request for `path` with this query is a URL `sign` made ('forged' if not) and still valid at `nowMs`. */
  check(path: string, query: URLSearchParams, nowMs: number): SignedUrlVerdict {
    const token = query.get(this.scheme.tokenParam);
    const expiresAtS = query.get(this.scheme.expiryParam);
    if (token === null || expiresAtS === null || !/^\d{1,12}$/.test(expiresAtS)) return 'forged';
    if (!constantTimeEqual(token, this.token(path, expiresAtS))) return 'forged';
    return nowMs > Number(expiresAtS) * SECOND_MS ? 'expired' : 'ok';
  }

  private token(path: string, expiresAtS: string): string {
    const mac = createHmac('sha256', this.key).update(`${path}\n${expiresAtS}`).digest();
    return mac.subarray(0, this.scheme.tokenBytes).toString('base64url');
  }
}
