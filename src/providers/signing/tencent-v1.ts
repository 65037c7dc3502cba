// Tencent API 2.0 signature (API 3.0 "signature v1"), used by DSA GetDsaHostLogs: provider-spec §4.3.
import { createHmac } from 'node:crypto';

export interface TencentV1Input {
  method: 'GET' | 'POST';
  host: string;
  path: string;
  /** Every parameter that will be sent, with raw (not URL-encoded) values. `Signature` is ignored. */
  params: Readonly<Record<string, string>>;
  secretKey: string;
}

const HASH_OF_METHOD: Readonly<Record<string, 'sha1' | 'sha256'>> = { HmacSHA1: 'sha1', HmacSHA256: 'sha256' };

/** METHOD + host + path + '?' + sorted k=v (raw values, names with '_' → '.', byte-order sort, Signature excluded). */
export function tencentV1StringToSign(input: Omit<TencentV1Input, 'secretKey'>): string {
  const pairs = Object.entries(input.params)
    .filter(([name]) => name !== 'Signature')
    .map(([name, value]) => [Buffer.from(name.replaceAll('_', '.')), value] as const)
    // Byte order of the UTF-8 names (ksort), not JavaScript's UTF-16 order: they differ outside the BMP.
    .sort(([a], [b]) => Buffer.compare(a, b))
    .map(([name, value]) => `${name.toString()}=${value}`);
  return `${input.method}${input.host}${input.path}?${pairs.join('&')}`;
}

/** base64 HMAC-SHA1, or HMAC-SHA256 when params.SignatureMethod === 'HmacSHA256'. Unknown SignatureMethod → throw RangeError naming it. */
export function signTencentV1(input: TencentV1Input): string {
  const method = input.params.SignatureMethod ?? 'HmacSHA1';
  const hash = Object.hasOwn(HASH_OF_METHOD, method) ? HASH_OF_METHOD[method] : undefined;
  if (!hash) throw new RangeError(`SignatureMethod "${method}" is not one Tencent API 2.0 accepts: use HmacSHA1 or HmacSHA256`);
  return createHmac(hash, input.secretKey).update(tencentV1StringToSign(input), 'utf8').digest('base64');
}
