// TC3-HMAC-SHA256 (Tencent API 3.0), used by EdgeOne: provider-spec §6.2.
import { createHash, createHmac } from 'node:crypto';

export interface Tc3Input {
  secretId: string;
  secretKey: string;
  /** The product, e.g. "teo": the scope's service (callers pass it; do not derive it from host). */
  service: string;
  host: string;
  /** X-TC-Timestamp: whole Unix seconds. */
  timestampSec: number;
  /** The exact body bytes that will be sent (string is UTF-8 encoded). */
  body: string | Uint8Array;
  contentType: string;
  method?: 'POST' | 'GET';
  /** Canonical URI; '/' by default. */
  path?: string;
  /** Canonical query string, without '?'; '' by default (a POST has none). */
  query?: string;
  /** Further headers to sign besides content-type and host, e.g. {'x-tc-action': 'DownloadL7Logs'}. */
  extraSignedHeaders?: Readonly<Record<string, string>>;
}

export interface Tc3Signature {
  /** The Authorization header value. */
  authorization: string;
  /** Lower-case hex. */
  signature: string;
  canonicalRequest: string;
  stringToSign: string;
  /** `${date}/${service}/tc3_request` */
  credentialScope: string;
  /** Lower-case header names joined by ';'. */
  signedHeaders: string;
}

const ALGORITHM = 'TC3-HMAC-SHA256';

const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

export function signTc3(input: Tc3Input): Tc3Signature {
  const { timestampSec } = input;
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) {
    throw new RangeError(`TC3 timestampSec must be whole non-negative Unix seconds, got ${timestampSec}`);
  }
  // Names and values lower-cased (the Tencent doc lower-cases values; the SDK's are lower-case already).
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries({ ...input.extraSignedHeaders, 'content-type': input.contentType, host: input.host })) {
    headers.set(name.trim().toLowerCase(), value.trim().toLowerCase());
  }
  const names = [...headers.keys()].sort();
  const canonicalHeaders = names.map((name) => `${name}:${headers.get(name)}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    input.method ?? 'POST',
    input.path ?? '/',
    input.query ?? '',
    canonicalHeaders,
    signedHeaders,
    sha256Hex(input.body),
  ].join('\n');

  const date = new Date(timestampSec * 1000).toISOString().slice(0, 10); // the UTC date, not the local one
  const credentialScope = `${date}/${input.service}/tc3_request`;
  const stringToSign = `${ALGORITHM}\n${timestampSec}\n${credentialScope}\n${sha256Hex(canonicalRequest)}`;
  const secretSigning = hmac(hmac(hmac(`TC3${input.secretKey}`, date), input.service), 'tc3_request');
  const signature = createHmac('sha256', secretSigning).update(stringToSign, 'utf8').digest('hex');
  const authorization = `${ALGORITHM} Credential=${input.secretId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { authorization, signature, canonicalRequest, stringToSign, credentialScope, signedHeaders };
}
