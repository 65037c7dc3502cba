/**
 * The server side of Tencent API 2.0 "signature v1" (provider-spec §4.3; vectors §7 rows 8–13), written
 * from the published algorithm with node:crypto. It shares nothing with the client's signer on purpose:
 * an emulator that reused the client's code would accept whatever mistake the client makes.
 */

import { createHmac } from 'node:crypto';

/** The values `SignatureMethod` may take; HmacSHA1 when the parameter is absent (§4.2, T4/T6/T7). */
const DSA_SIGNATURE_METHODS = ['HmacSHA1', 'HmacSHA256'] as const;
export type DsaSignatureMethod = (typeof DSA_SIGNATURE_METHODS)[number];

const HASH_OF: Record<DsaSignatureMethod, 'sha1' | 'sha256'> = { HmacSHA1: 'sha1', HmacSHA256: 'sha256' };

/**
 * §4.3 steps 1–5: every parameter but `Signature`, names with `_` turned into `.`, sorted by byte value
 * (so `Timestamp` < `endDate`), joined as `k=v` with raw (not URL-encoded) values, after
 * METHOD + host + path + '?'. `host` is the Host header as the client sent it.
 */
export function dsaStringToSign(
  method: string,
  host: string,
  path: string,
  params: ReadonlyArray<readonly [string, string]>,
): string {
  const joined = params
    .filter(([name]) => name !== 'Signature')
    .map(([name, value]) => [Buffer.from(name.replaceAll('_', '.')), value] as const)
    .sort(([a], [b]) => Buffer.compare(a, b))
    .map(([name, value]) => `${name.toString()}=${value}`)
    .join('&');
  return `${method.toUpperCase()}${host}${path}?${joined}`;
}

/** §4.3 step 6: base64 of the HMAC of the string to sign, keyed with the SecretKey. */
export function dsaSignature(secretKey: string, stringToSign: string, signatureMethod: DsaSignatureMethod): string {
  return createHmac(HASH_OF[signatureMethod], secretKey).update(stringToSign, 'utf8').digest('base64');
}

export function isDsaSignatureMethod(value: string): value is DsaSignatureMethod {
  return (DSA_SIGNATURE_METHODS as readonly string[]).includes(value);
}
