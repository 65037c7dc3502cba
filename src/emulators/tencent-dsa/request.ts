/**
 * The request side of the DSA emulator's `GetDsaHostLogs` (provider-spec §4.2–§4.4, §4.7, §9 Tencent
 * DSA items 1–3): reading the parameters from the query and a form body, the common parameters and the
 * v1 signature, Timestamp and Nonce against replays, and the hosts and Beijing dates asked for. Every
 * refusal is an `ApiError`, the body of an HTTP 200 answer.
 */

import type { Exchange } from '../http';
import { constantTimeEqual } from '../constant-time';
import { type DsaSignatureMethod, dsaSignature, dsaStringToSign, isDsaSignatureMethod } from './sign';
import { BEIJING_OFFSET_MS, DAY_MS, HOUR_MS, MINUTE_MS } from '../time';

/** What the API allows (§4.2, §4.4, T5). */
const RULES = {
  action: 'GetDsaHostLogs',
  maxHostsPerCall: 10,
  /** The last 40 days, today (Beijing) included. */
  retentionDays: 40,
  /** Timestamp must be within this of the server clock, and a Nonce cannot be reused in it. */
  timestampSkewMs: 2 * HOUR_MS,
  maxBodyBytes: 64 * 1024,
} as const;

/** The body of every API answer (§4.7). */
export interface ApiError {
  code: number;
  message: string;
  codeDesc: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: ApiError };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const refuse = <T>(error: ApiError): Checked<T> => ({ ok: false, error });
const invalidParameter = (message: string): ApiError => ({ code: 4000, message, codeDesc: 'InvalidParameter' });
const replayAttack = (message: string): ApiError => ({ code: 4500, message, codeDesc: 'ReplayAttack' });

/** The exact text Tencent documents for a bad SecretId or signature (§4.7, T1). */
export const AUTH_FAILURE: ApiError = {
  code: 4100,
  message: 'Authentication failed. For more information, please see the Authentication section in the document.',
  codeDesc: 'AuthFailure',
};

export function quotaExceeded(callsPerMinute: number, retryAfterS: number): ApiError {
  return {
    code: 4400,
    message: `${RULES.action} allows ${callsPerMinute} calls per minute per SecretId; retry in ${retryAfterS} s`,
    codeDesc: 'RequestLimitExceeded',
  };
}

// ---------------------------------------------------------------------------------------------------
// §9 DSA 1: form or query parameters, and the v1 signature

/**
 * The request's parameters: the query string, plus for POST a form body (§4.1: urlencoded or
 * multipart/form-data). A name given twice is refused rather than guessing which value was signed.
 */
export async function readParams(exchange: Exchange): Promise<Checked<Map<string, string>>> {
  const method = exchange.req.method ?? 'GET';
  const entries: Array<[string, string]> = [...exchange.query];
  if (method === 'POST') {
    const form = await readForm(exchange);
    if (!form.ok) return form;
    entries.push(...form.value);
  } else if (method !== 'GET') {
    return refuse(invalidParameter(`${RULES.action} is called with GET or POST, not ${method}`));
  }
  const params = new Map<string, string>();
  for (const [name, value] of entries) {
    if (params.has(name)) return refuse(invalidParameter(`Parameter ${name} is given more than once`));
    params.set(name, value);
  }
  return ok(params);
}

async function readForm(exchange: Exchange): Promise<Checked<Array<[string, string]>>> {
  const contentType = exchange.header('content-type') ?? '';
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  let body: string;
  try {
    body = await exchange.readBody(RULES.maxBodyBytes);
  } catch {
    return refuse(invalidParameter(`The request body could not be read or is over ${RULES.maxBodyBytes / 1024} KiB`));
  }
  if (mediaType === '' || mediaType === 'application/x-www-form-urlencoded') return ok([...new URLSearchParams(body)]);
  if (mediaType === 'multipart/form-data') return multipartFields(body, contentType);
  return refuse(
    invalidParameter(`POST bodies must be application/x-www-form-urlencoded or multipart/form-data, not ${mediaType}`),
  );
}

async function multipartFields(body: string, contentType: string): Promise<Checked<Array<[string, string]>>> {
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'Content-Type': contentType } }).formData();
  } catch {
    return refuse(invalidParameter('The multipart/form-data body could not be parsed'));
  }
  const fields: Array<[string, string]> = [];
  for (const [name, value] of form) {
    if (typeof value !== 'string') return refuse(invalidParameter(`Form field ${name} is a file; send text fields only`));
    fields.push([name, value]);
  }
  return ok(fields);
}

export interface CommonParams {
  secretId: string;
  signature: string;
  signatureMethod: DsaSignatureMethod;
  timestampS: number;
  /** Kept as text: SDKs send 19-digit nonces, beyond a double's integers. */
  nonce: string;
}

const REQUIRED_COMMON_PARAMS = ['Action', 'Timestamp', 'Nonce', 'SecretId', 'Signature'] as const;

/** The API 2.0 common parameters (§4.2) are present and well-formed, and the action is ours. */
export function commonParams(params: Map<string, string>): Checked<CommonParams> {
  const missing = REQUIRED_COMMON_PARAMS.filter((name) => !params.get(name));
  if (missing.length > 0) {
    return refuse(invalidParameter(`Missing required parameter${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`));
  }
  const action = params.get('Action')!;
  if (action !== RULES.action) {
    return refuse(invalidParameter(`Action ${JSON.stringify(action)} is not offered here; this endpoint serves ${RULES.action}`));
  }
  const timestamp = params.get('Timestamp')!;
  if (!/^\d{1,15}$/.test(timestamp)) {
    return refuse(invalidParameter(`Timestamp must be Unix time in seconds, got ${JSON.stringify(timestamp)}`));
  }
  const nonce = params.get('Nonce')!;
  if (!/^\d{1,20}$/.test(nonce) || /^0+$/.test(nonce)) {
    return refuse(invalidParameter(`Nonce must be a positive integer, got ${JSON.stringify(nonce)}`));
  }
  const signatureMethod = params.get('SignatureMethod') ?? 'HmacSHA1';
  if (!isDsaSignatureMethod(signatureMethod)) {
    return refuse(invalidParameter(`SignatureMethod must be HmacSHA1 or HmacSHA256, got ${JSON.stringify(signatureMethod)}`));
  }
  return ok({
    secretId: params.get('SecretId')!,
    signature: params.get('Signature')!,
    signatureMethod,
    timestampS: Number(timestamp),
    nonce,
  });
}

/** §4.3: the SecretId is the account's and the signature is over exactly what was received, Host and path included. */
export function signatureHolds(
  credentials: { secretId: string; secretKey: string },
  exchange: Exchange,
  params: Map<string, string>,
  common: CommonParams,
): boolean {
  if (common.secretId !== credentials.secretId) return false;
  const stringToSign = dsaStringToSign(exchange.req.method ?? 'GET', exchange.header('host') ?? '', exchange.url.pathname, [...params]);
  return constantTimeEqual(common.signature, dsaSignature(credentials.secretKey, stringToSign, common.signatureMethod));
}

// ---------------------------------------------------------------------------------------------------
// §9 DSA 2: Timestamp within 2 h, and no reused Nonce

/** A Timestamp more than 2 h from the server clock (§4.2, T5), as 4500; undefined when it is within. */
export function staleTimestamp(common: CommonParams, nowMs: number): ApiError | undefined {
  if (Math.abs(common.timestampS * 1000 - nowMs) <= RULES.timestampSkewMs) return undefined;
  // §10 #5: the seed's own example has a 13-digit (ms) Timestamp.
  const hint = common.timestampS > 1e11 ? ' (it looks like milliseconds)' : '';
  return replayAttack(
    `Timestamp ${common.timestampS} is more than 2 h from the server time ${Math.floor(nowMs / 1000)}${hint}; send the current Unix time in seconds`,
  );
}

export function reusedNonce(common: CommonParams): ApiError {
  return replayAttack(`Nonce ${common.nonce} was already used with this SecretId; send a fresh random Nonce with every call`);
}

/**
 * The nonces each SecretId has used, kept while a replay of their request could still pass the
 * Timestamp check (until max(received, Timestamp) + the skew), then forgotten: memory stays bounded.
 * Forgetting is a sweep over every nonce, so it runs at most once a minute, not on every call.
 */
export class NonceMemory {
  private readonly expiresAtMs = new Map<string, number>();
  private nextSweepMs = Number.NEGATIVE_INFINITY;

  /** Whether the SecretId used this nonce in a call that could still be replayed at `nowMs`. */
  has(common: CommonParams, nowMs: number): boolean {
    this.sweep(nowMs);
    const expiresAtMs = this.expiresAtMs.get(nonceKey(common));
    return expiresAtMs !== undefined && expiresAtMs >= nowMs;
  }

  /** Records the nonce of an admitted call. */
  remember(common: CommonParams, nowMs: number): void {
    this.expiresAtMs.set(nonceKey(common), Math.max(nowMs, common.timestampS * 1000) + RULES.timestampSkewMs);
  }

  private sweep(nowMs: number): void {
    if (nowMs < this.nextSweepMs) return;
    this.nextSweepMs = nowMs + MINUTE_MS;
    for (const [key, expiresAtMs] of this.expiresAtMs) {
      if (expiresAtMs < nowMs) this.expiresAtMs.delete(key);
    }
  }
}

function nonceKey(common: CommonParams): string {
  return `${common.secretId}\n${common.nonce}`;
}

// ---------------------------------------------------------------------------------------------------
// §9 DSA 3 (after the quota): hosts and dates

/** What a valid call asks for: hosts, and the Beijing days [fromMs, toMs) as epoch ms. */
export interface LogQuery {
  hosts: string[];
  fromMs: number;
  toMs: number;
}

/** §4.4: hosts is a JSON array of 1–10 of the account's hosts; dates are whole Beijing days in the last 40. */
export function logQuery(params: Map<string, string>, accountHosts: readonly string[], nowMs: number): Checked<LogQuery> {
  const hosts = requestedHosts(params.get('hosts'), accountHosts);
  if (!hosts.ok) return hosts;
  const days = requestedDays(params.get('startDate'), params.get('endDate'), nowMs);
  if (!days.ok) return days;
  return ok({ hosts: hosts.value, ...days.value });
}

function requestedHosts(text: string | undefined, accountHosts: readonly string[]): Checked<string[]> {
  const example = `e.g. hosts=${JSON.stringify(accountHosts.slice(0, 2))}`;
  if (!text) return refuse(invalidParameter(`hosts is required: a JSON array of 1 to ${RULES.maxHostsPerCall} host names, ${example}`));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((host): host is string => typeof host === 'string')) {
    return refuse(invalidParameter(`hosts must be a JSON array of host name strings, ${example}`));
  }
  if (parsed.length === 0) return refuse(invalidParameter('hosts is an empty array; name at least one host'));
  if (parsed.length > RULES.maxHostsPerCall) {
    return refuse(
      invalidParameter(
        `hosts names ${parsed.length} hosts; ${RULES.action} takes at most ${RULES.maxHostsPerCall} per call, so split them over several calls`,
      ),
    );
  }
  const unknown = parsed.find((host) => !accountHosts.includes(host));
  if (unknown !== undefined) return refuse(invalidParameter(`hosts: ${JSON.stringify(unknown)} is not a DSA host of this account`));
  return ok([...new Set(parsed)]);
}

/**
 * startDate/endDate as Beijing days. §4.4: "If either date is empty, today's URLs are returned", so
 * one empty date means today for both; a date that is given must still be a date [I]. The oldest day
 * served is today − 39, so that today counts as one of the 40.
 */
function requestedDays(startText: string | undefined, endText: string | undefined, nowMs: number): Checked<{ fromMs: number; toMs: number }> {
  const given = { startDate: startText || undefined, endDate: endText || undefined };
  const parsed: { startDate?: number; endDate?: number } = {};
  for (const name of ['startDate', 'endDate'] as const) {
    const text = given[name];
    if (text === undefined) continue;
    const dayMs = parseBeijingDate(text);
    if (dayMs === null) return refuse(invalidParameter(`${name} must be a date YYYY-MM-DD (Beijing time), got ${JSON.stringify(text)}`));
    parsed[name] = dayMs;
  }
  const todayMs = beijingDayStartMs(nowMs);
  if (parsed.startDate === undefined || parsed.endDate === undefined) return ok({ fromMs: todayMs, toMs: todayMs + DAY_MS });
  if (parsed.startDate > parsed.endDate) {
    return refuse(invalidParameter(`startDate ${given.startDate} is after endDate ${given.endDate}`));
  }
  const oldestMs = todayMs - (RULES.retentionDays - 1) * DAY_MS;
  if (parsed.startDate < oldestMs) {
    return refuse(
      invalidParameter(
        `startDate ${given.startDate} is too old: DSA keeps logs for ${RULES.retentionDays} days, so the oldest date is ${beijingDate(oldestMs)} (Beijing time)`,
      ),
    );
  }
  return ok({ fromMs: parsed.startDate, toMs: parsed.endDate + DAY_MS });
}

/** Epoch ms of Beijing midnight starting `YYYY-MM-DD`, or null when it is not a calendar date. */
function parseBeijingDate(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return null;
  const utcMidnightMs = Date.UTC(+match[1], +match[2] - 1, +match[3]);
  if (new Date(utcMidnightMs).toISOString().slice(0, 10) !== text) return null;
  return utcMidnightMs - BEIJING_OFFSET_MS;
}

function beijingDayStartMs(epochMs: number): number {
  return Math.floor((epochMs + BEIJING_OFFSET_MS) / DAY_MS) * DAY_MS - BEIJING_OFFSET_MS;
}

/** `YYYY-MM-DD` of the Beijing day `epochMs` falls in. */
export function beijingDate(epochMs: number): string {
  return new Date(epochMs + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}
