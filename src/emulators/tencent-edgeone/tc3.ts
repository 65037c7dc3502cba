/**
 * Server-side verification of Tencent Cloud's TC3-HMAC-SHA256 signature (provider-spec §6.2, §7 rows
 * 1–7). Pure functions over the request as received, so the worked vectors of the spec test them
 * directly. The emulator owns this code: it imports nothing from the client side (src/providers).
 */

import { createHash, createHmac } from 'node:crypto';
import { constantTimeEqual } from '../constant-time';

const TC3_ALGORITHM = 'TC3-HMAC-SHA256';

/** AuthFailure.SignatureExpire beyond this distance between X-TC-Timestamp and the server clock (§6.1). */
const TC3_MAX_SKEW_MS = 5 * 60_000;

/** The parts of `Authorization: TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
export interface Tc3Authorization {
  secretId: string;
  /** `YYYY-MM-DD` from the credential scope. */
  date: string;
  service: string;
  /** Lower-case header names in the order the client listed them. */
  signedHeaders: string[];
  signature: string;
}

/** A request as it arrived: header names lower-case (node's `req.headers`), the body as raw bytes. */
export interface ReceivedRequest {
  method: string;
  /** `/` for the API. */
  path: string;
  /** The raw query string without `?`; "" for a POST. */
  query: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Uint8Array;
}

export type Tc3FailureCode =
  | 'AuthFailure.InvalidAuthorization'
  | 'AuthFailure.SecretIdNotFound'
  | 'AuthFailure.SignatureFailure'
  | 'AuthFailure.SignatureExpire';

export type Tc3Verdict = { ok: true; secretId: string } | { ok: false; code: Tc3FailureCode; message: string };

const AUTHORIZATION =
  /^TC3-HMAC-SHA256 +Credential=([^/\s,]+)\/(\d{4}-\d{2}-\d{2})\/([^/\s,]+)\/tc3_request *, *SignedHeaders=([A-Za-z0-9;-]+) *, *Signature=([0-9A-Za-z]+)$/;

/** The parsed Authorization header, or null when it is absent or not in the TC3 shape. */
export function parseTc3Authorization(header: string | undefined): Tc3Authorization | null {
  const match = AUTHORIZATION.exec(header?.trim() ?? '');
  if (match === null) return null;
  const [, secretId, date, service, signedHeaders, signature] = match;
  const names = signedHeaders.toLowerCase().split(';');
  if (names.some((name) => name === '')) return null;
  return { secretId, date, service, signedHeaders: names, signature };
}

/** The UTC date of a unix-seconds timestamp: the scope date (never the local date, §7 pitfalls). */
function tc3Date(timestampSeconds: number): string {
  return new Date(timestampSeconds * 1000).toISOString().slice(0, 10);
}

/**
 * The canonical request of §6.2, rebuilt from the headers the client says it signed, in its order, with
 * lower-cased trimmed values, over the raw body bytes. Null when a signed header is missing.
 */
export function canonicalRequest(request: ReceivedRequest, signedHeaders: readonly string[]): string | null {
  let canonicalHeaders = '';
  for (const name of signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value === undefined) return null;
    canonicalHeaders += `${name}:${value.trim().toLowerCase()}\n`;
  }
  return [request.method.toUpperCase(), request.path, request.query, canonicalHeaders, signedHeaders.join(';'), sha256Hex(request.body)].join('\n');
}

function tc3StringToSign(timestamp: string, date: string, service: string, canonical: string): string {
  return [TC3_ALGORITHM, timestamp, `${date}/${service}/tc3_request`, sha256Hex(canonical)].join('\n');
}

/** The hex signature: HMAC chain TC3+key → date → service → "tc3_request", then the string to sign. */
function tc3Signature(secretKey: string, date: string, service: string, stringToSign: string): string {
  const secretDate = hmac(`TC3${secretKey}`, date);
  const secretService = hmac(secretDate, service);
  const secretSigning = hmac(secretService, 'tc3_request');
  return createHmac('sha256', secretSigning).update(stringToSign).digest('hex');
}

export interface Tc3Expectations {
  /** The first DNS label of the endpoint: `teo` for EdgeOne. */
  service: string;
  secretKeyOf: (secretId: string) => string | undefined;
  nowMs: number;
}

/**
 * Checks a request's TC3 signature, in this order: the header's shape, the SecretId, the credential
 * scope (service, and the UTC date of X-TC-Timestamp), the signed-header list (it must cover
 * content-type and host), the clock (±5 min), and last the signature itself. Expiry goes before the
 * signature as on the real service, so a stale but well-signed request reads SignatureExpire.
 *
 * The official node SDK signs `host:` with the URL's hostname but sends `Host` with the port
 * (`URL.host`); on the real endpoints (port 443) the two agree. So that the SDK also works against a
 * loopback port, a signature over the received Host value without its `:port` is accepted too.
 */
export function verifyTc3(request: ReceivedRequest, expectations: Tc3Expectations): Tc3Verdict {
  const authorization = parseTc3Authorization(headerValue(request.headers, 'authorization'));
  if (authorization === null) {
    return failure(
      'AuthFailure.InvalidAuthorization',
      'The Authorization header is missing or malformed; expected `TC3-HMAC-SHA256 Credential=<SecretId>/<YYYY-MM-DD>/<service>/tc3_request, SignedHeaders=<names>, Signature=<hex>`.',
    );
  }
  const secretKey = expectations.secretKeyOf(authorization.secretId);
  if (secretKey === undefined) {
    return failure('AuthFailure.SecretIdNotFound', 'The SecretId is not found, please ensure that your SecretId is correct.');
  }
  const timestamp = headerValue(request.headers, 'x-tc-timestamp')?.trim() ?? '';
  if (!/^\d{1,12}$/.test(timestamp)) {
    return failure('AuthFailure.InvalidAuthorization', 'X-TC-Timestamp must be the signing time in unix seconds.');
  }
  const expectedScope = `${tc3Date(Number(timestamp))}/${expectations.service}/tc3_request`;
  const scope = `${authorization.date}/${authorization.service}/tc3_request`;
  if (scope !== expectedScope) {
    return failure(
      'AuthFailure.SignatureFailure',
      `The credential scope ${scope} does not match ${expectedScope}: the date is the UTC date of X-TC-Timestamp and the service is \`${expectations.service}\`.`,
    );
  }
  const unsigned = ['content-type', 'host'].filter((name) => !authorization.signedHeaders.includes(name));
  if (unsigned.length > 0) {
    return failure('AuthFailure.SignatureFailure', `SignedHeaders must include content-type and host; ${unsigned.join(' and ')} missing.`);
  }
  const skewMs = Math.abs(expectations.nowMs - Number(timestamp) * 1000);
  if (skewMs > TC3_MAX_SKEW_MS) {
    return failure(
      'AuthFailure.SignatureExpire',
      `Signature expired: X-TC-Timestamp ${timestamp} is ${Math.round(skewMs / 1000)} s from the server time ${Math.floor(expectations.nowMs / 1000)}; at most 300 s are allowed.`,
    );
  }
  const matches = hostVariants(request).some((variant) => {
    const canonical = canonicalRequest(variant, authorization.signedHeaders);
    if (canonical === null) return false;
    const stringToSign = tc3StringToSign(timestamp, authorization.date, authorization.service, canonical);
    return constantTimeEqual(authorization.signature, tc3Signature(secretKey, authorization.date, authorization.service, stringToSign));
  });
  if (!matches) {
    return failure('AuthFailure.SignatureFailure', 'The provided credentials could not be validated. Please ensure your signature is correct.');
  }
  return { ok: true, secretId: authorization.secretId };
}

/** The request as received and, when Host carries a port, the same request with the bare hostname. */
function hostVariants(request: ReceivedRequest): ReceivedRequest[] {
  const host = headerValue(request.headers, 'host');
  const bare = host?.replace(/:\d+$/, '');
  if (host === undefined || bare === host) return [request];
  return [request, { ...request, headers: { ...request.headers, host: bare } }];
}

function headerValue(headers: ReceivedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function failure(code: Tc3FailureCode, message: string): Tc3Verdict {
  return { ok: false, code, message };
}

function hmac(key: string | Buffer, message: string): Buffer {
  return createHmac('sha256', key).update(message).digest();
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
