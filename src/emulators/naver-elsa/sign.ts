/**
 * The API Gateway side of NAVER Cloud signature v2 (provider-spec §5.2; vectors in §5.2 and §7),
 * written from the published algorithm. It shares nothing with the client's signer on purpose: an
 * emulator that reused the client's code would accept whatever mistake the client makes.
 */

import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../constant-time';

/** What a signature v2 covers (spec 5.2); `uri` is the path with its query string, as sent. */
export interface NcpSignedRequest {
  method: string;
  uri: string;
  /** The `x-ncp-apigw-timestamp` string. */
  timestamp: string;
  accessKey: string;
  /** The `x-ncp-apigw-signature-v2` value. */
  signature: string;
}

/**
 * True when `signature` is base64 HMAC-SHA256(secretKey, `METHOD URI\nTIMESTAMP\nACCESSKEY`) (spec 5.2).
 * The body is not signed. Compared in constant time.
 */
export function verifyNcpSignatureV2(request: NcpSignedRequest, secretKey: string): boolean {
  const message = `${request.method} ${request.uri}\n${request.timestamp}\n${request.accessKey}`;
  const expected = createHmac('sha256', secretKey).update(message, 'utf8').digest();
  const given = Buffer.from(request.signature, 'base64');
  // Buffer.from(…, 'base64') skips characters that are not base64; only the canonical spelling may pass.
  if (given.toString('base64') !== request.signature) return false;
  return constantTimeEqual(given, expected);
}
