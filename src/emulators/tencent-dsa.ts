/**
 * Tencent Cloud DSA log download emulator (provider-spec §4, §9 Tencent DSA) on loopback.
 *
 * `GET|POST /v2/index.php` is `GetDsaHostLogs` (API 2.0): it checks the v1 signature, Timestamp and
 * Nonce, the 100 calls/min quota and the hosts/dates, then lists one signed URL per host per Beijing
 * hour that had requests and is published. The emulator serves those URLs itself
 * (`/<YYYYMMDD>/<HH>/<YYYYMMDD>-<host>?st&e`) as gzip packages of 15-field lines (tencent-dsa-lines.ts).
 * Every API answer is HTTP 200 with `{"code","message","codeDesc"}` (§4.7); faults are injectable.
 */

import { createHash, createHmac } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { EmulatorDefinition } from './emulator';
import { damagedGzip } from './damage';
import { type Fault, FaultController, type FaultKind, retryAfterSeconds } from './faults';
import { type Exchange, isBodyFault, type RequestLogEntry, startLoopbackServer, writeBody } from './http';
import { SlidingWindowLimiter } from './rate-limit';
import { BEIJING_OFFSET_MS, beijingDigits, dsaLogLine } from './tencent-dsa-lines';
import { type DsaSignatureMethod, dsaSignature, dsaSignatureMatches, dsaStringToSign, isDsaSignatureMethod } from './tencent-dsa-sign';
import { type TrafficEvent, TrafficGenerator } from './traffic';

export { dsaLogLine, dsaRegionCodes } from './tencent-dsa-lines';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export interface TencentDsaEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  seed?: number;
  /** Mean requests per minute per host; default 60. */
  rpm?: number;
  now?: () => number;
  /** How many hosts the account has (`h01.dsa.example.com`, ...); default 12. */
  hosts?: number;
  /** The account's host names, instead of `hosts` numbered ones (e.g. the spec's `a.dsa.qcloud.com`). */
  hostNames?: string[];
  /** Default DSA_DEMO_CREDENTIALS; the §4.3 worked vector needs the spec's EXAMPLE keys. */
  credentials?: TencentDsaCredentials;
  /** API calls per minute per SecretId (§4.4); default 100. */
  callsPerMinute?: number;
  /** An hour's package is listed once now >= hour end + this (§4.4: about 2 h); default 2 h. */
  publishDelayMs?: number;
  /**
   * UTC hours of day (0–23) in which the account gets no traffic at all, so those hours have no
   * package (§4.4: absent, not empty). `generator` does not know about them: filter its events.
   */
  quietHours?: number[];
}

export interface TencentDsaCredentials {
  secretId: string;
  secretKey: string;
}

export interface TencentDsaEmulator {
  /** `http://127.0.0.1:PORT`; the client appends `/v2/index.php` and signs with the Host it sends. */
  baseUrl: string;
  credentials: TencentDsaCredentials;
  hosts: string[];
  faults: FaultController;
  /** Signatures and package `st` tokens appear here as `redacted`. */
  requests: RequestLogEntry[];
  generator: TrafficGenerator;
  /** Origin put in listed package URLs; default baseUrl. Tests set it to point listings elsewhere. */
  packageBaseUrl: string;
  close(): Promise<void>;
}

/** Demo values only: the emulator is the one place they open. */
export const DSA_DEMO_CREDENTIALS: TencentDsaCredentials = {
  secretId: 'AKIDdemoDsaEmulatorSecretId00000000',
  secretKey: 'demoDsaEmulatorSecretKey000000000',
};

export const DSA_API_PATH = '/v2/index.php';
export const DSA_ACTION = 'GetDsaHostLogs';

/** What the API allows (§4.2, §4.4, T5). */
export const DSA_LIMITS = {
  maxHostsPerCall: 10,
  /** The last 40 days, today (Beijing) included. */
  retentionDays: 40,
  /** Timestamp must be within this of the server clock, and a Nonce cannot be reused in it. */
  timestampSkewMs: 2 * HOUR_MS,
  urlValidityMs: DAY_MS,
  callsPerMinute: 100,
  publishDelayMs: 2 * HOUR_MS,
} as const;

const LISTING_FAULTS: readonly FaultKind[] = ['rateLimit', 'serverError', 'expiredUrl', 'duplicateListing'];
const PACKAGE_FAULTS: readonly FaultKind[] = ['corruptGzip', 'truncatedBody', 'slowBody'];
const MAX_BODY_BYTES = 64 * 1024;

export async function startTencentDsaEmulator(options: TencentDsaEmulatorOptions = {}): Promise<TencentDsaEmulator> {
  const now = options.now ?? Date.now;
  const seed = options.seed ?? 1;
  const credentials = { ...(options.credentials ?? DSA_DEMO_CREDENTIALS) };
  const callsPerMinute = options.callsPerMinute ?? DSA_LIMITS.callsPerMinute;
  const context: ServerContext = {
    now,
    generator: new TrafficGenerator({ seed, rpm: options.rpm ?? 60 }),
    hosts: options.hostNames ?? dsaHosts(options.hosts ?? 12),
    credentials,
    faults: new FaultController([...LISTING_FAULTS, ...PACKAGE_FAULTS]),
    callsPerMinute,
    quota: new SlidingWindowLimiter(callsPerMinute, MINUTE_MS, now),
    nonces: new NonceMemory(DSA_LIMITS.timestampSkewMs),
    publishDelayMs: options.publishDelayMs ?? DSA_LIMITS.publishDelayMs,
    quietHours: quietHourSet(options.quietHours ?? []),
    packageBaseUrl: '',
    // Deterministic per seed, so a listing is reproducible; never leaves the emulator.
    urlKey: createHash('sha256').update(`tencent-dsa-url-key|${seed}`).digest(),
  };
  if (context.hosts.length === 0) throw new RangeError('The DSA emulator needs at least one host');
  const server = await startLoopbackServer(options.port ?? 0, (exchange, signal) => route(context, exchange, signal));
  context.packageBaseUrl = server.origin;
  return {
    baseUrl: server.origin,
    credentials: { ...credentials },
    hosts: [...context.hosts],
    faults: context.faults,
    requests: server.requests,
    generator: context.generator,
    get packageBaseUrl() {
      return context.packageBaseUrl;
    },
    set packageBaseUrl(origin: string) {
      context.packageBaseUrl = origin;
    },
    close: server.close,
  };
}

export const tencentDsaEmulator: EmulatorDefinition<TencentDsaEmulator> = {
  provider: 'tencent-dsa',
  start: (options) => startTencentDsaEmulator(options),
  describe: (emulator) => ({
    provider: 'tencent-dsa',
    baseUrl: emulator.baseUrl,
    credentials: { secretId: emulator.credentials.secretId, secretKey: emulator.credentials.secretKey },
    sources: emulator.hosts.map((host) => ({ host })),
  }),
};

/** Hosts are fixed by their index (not the seed), so demo configuration can name them. */
export function dsaHosts(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `h${String(index + 1).padStart(2, '0')}.dsa.example.com`);
}

function quietHourSet(hours: readonly number[]): ReadonlySet<number> {
  const bad = hours.find((hour) => !Number.isInteger(hour) || hour < 0 || hour > 23);
  if (bad !== undefined) throw new RangeError(`quietHours are UTC hours of day 0–23, got ${bad}`);
  return new Set(hours);
}

interface ServerContext {
  now: () => number;
  generator: TrafficGenerator;
  hosts: readonly string[];
  credentials: TencentDsaCredentials;
  faults: FaultController;
  callsPerMinute: number;
  quota: SlidingWindowLimiter;
  nonces: NonceMemory;
  publishDelayMs: number;
  quietHours: ReadonlySet<number>;
  packageBaseUrl: string;
  urlKey: Buffer;
}

async function route(context: ServerContext, exchange: Exchange, signal: AbortSignal): Promise<void> {
  redactSecrets(exchange.entry);
  if (exchange.url.pathname === DSA_API_PATH) return serveApi(context, exchange);
  const pkg = parsePackagePath(context, exchange.url.pathname);
  if (pkg === null) return exchange.text(404, 'Not Found');
  return servePackage(context, exchange, pkg, signal);
}

/** Style: never log a signature or a signed URL's token. */
function redactSecrets(entry: RequestLogEntry): void {
  for (const name of ['Signature', 'st']) {
    if (name in entry.query) entry.query[name] = 'redacted';
  }
}

// ---------------------------------------------------------------------------------------------------
// GetDsaHostLogs

/** The body of every API answer (§4.7). */
interface ApiError {
  code: number;
  message: string;
  codeDesc: string;
}

type Checked<T> = { ok: true; value: T } | { ok: false; error: ApiError };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const refuse = <T>(error: ApiError): Checked<T> => ({ ok: false, error });
const invalidParameter = (message: string): ApiError => ({ code: 4000, message, codeDesc: 'InvalidParameter' });
const replayAttack = (message: string): ApiError => ({ code: 4500, message, codeDesc: 'ReplayAttack' });
const quotaExceeded = (callsPerMinute: number, retryAfterS: number): ApiError => ({
  code: 4400,
  message: `GetDsaHostLogs allows ${callsPerMinute} calls per minute per SecretId; retry in ${retryAfterS} s`,
  codeDesc: 'RequestLimitExceeded',
});

/** The exact text Tencent documents for a bad SecretId or signature (§4.7, T1). */
export const DSA_AUTH_FAILURE: ApiError = {
  code: 4100,
  message: 'Authentication failed. For more information, please see the Authentication section in the document.',
  codeDesc: 'AuthFailure',
};

async function serveApi(context: ServerContext, exchange: Exchange): Promise<void> {
  const params = await readParams(exchange);
  if (!params.ok) return apiAnswer(exchange, params.error);
  const common = commonParams(params.value);
  if (!common.ok) return apiAnswer(exchange, common.error);
  const { secretId } = common.value;
  if (!signatureHolds(context, exchange, params.value, common.value)) return apiAnswer(exchange, DSA_AUTH_FAILURE);
  const replay = replayError(context, common.value);
  if (replay !== undefined) return apiAnswer(exchange, replay);

  const waitMs = context.quota.waitMs(secretId);
  if (waitMs > 0) return apiAnswer(exchange, quotaExceeded(context.callsPerMinute, Math.ceil(waitMs / 1000)));
  context.quota.admit(secretId);

  const query = logQuery(context, params.value);
  if (!query.ok) return apiAnswer(exchange, query.error);

  const fault = context.faults.takeNext(LISTING_FAULTS);
  if (fault?.kind === 'rateLimit') return apiAnswer(exchange, quotaExceeded(context.callsPerMinute, retryAfterSeconds(fault)));
  if (fault?.kind === 'serverError') return exchange.json(fault.status ?? 500, { message: 'Internal Server Error' });
  exchange.json(200, { code: 0, message: '', codeDesc: 'Success', data: listing(context, query.value, fault) });
}

function apiAnswer(exchange: Exchange, error: ApiError): void {
  exchange.json(200, { code: error.code, message: error.message, codeDesc: error.codeDesc });
}

/**
 * The request's parameters: the query string, plus for POST a form body (§4.1: urlencoded or
 * multipart/form-data). A name given twice is refused rather than guessing which value was signed.
 */
async function readParams(exchange: Exchange): Promise<Checked<Map<string, string>>> {
  const method = exchange.req.method ?? 'GET';
  const entries: Array<[string, string]> = [...exchange.query];
  if (method === 'POST') {
    const form = await readForm(exchange);
    if (!form.ok) return form;
    entries.push(...form.value);
  } else if (method !== 'GET') {
    return refuse(invalidParameter(`GetDsaHostLogs is called with GET or POST, not ${method}`));
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
    body = await exchange.readBody(MAX_BODY_BYTES);
  } catch {
    return refuse(invalidParameter(`The request body could not be read or is over ${MAX_BODY_BYTES / 1024} KiB`));
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

interface CommonParams {
  secretId: string;
  signature: string;
  signatureMethod: DsaSignatureMethod;
  timestampS: number;
  /** Kept as text: SDKs send 19-digit nonces, beyond a double's integers. */
  nonce: string;
}

const REQUIRED_COMMON_PARAMS = ['Action', 'Timestamp', 'Nonce', 'SecretId', 'Signature'] as const;

/** Check 1: the API 2.0 common parameters (§4.2) are present and well-formed, and the action is ours. */
function commonParams(params: Map<string, string>): Checked<CommonParams> {
  const missing = REQUIRED_COMMON_PARAMS.filter((name) => !params.get(name));
  if (missing.length > 0) {
    return refuse(invalidParameter(`Missing required parameter${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`));
  }
  const action = params.get('Action')!;
  if (action !== DSA_ACTION) {
    return refuse(invalidParameter(`Action ${JSON.stringify(action)} is not offered here; this endpoint serves ${DSA_ACTION}`));
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

/** Check 2 (§4.3): the SecretId is the account's and the signature is over exactly what was received. */
function signatureHolds(context: ServerContext, exchange: Exchange, params: Map<string, string>, common: CommonParams): boolean {
  const { secretId, secretKey } = context.credentials;
  if (common.secretId !== secretId) return false;
  const stringToSign = dsaStringToSign(exchange.req.method ?? 'GET', exchange.header('host') ?? '', DSA_API_PATH, [...params]);
  return dsaSignatureMatches(common.signature, dsaSignature(secretKey, stringToSign, common.signatureMethod));
}

/** Check 3 (§4.2, T5): Timestamp within 2 h of the server clock, and a Nonce the SecretId has not used. */
function replayError(context: ServerContext, common: CommonParams): ApiError | undefined {
  const nowMs = context.now();
  const timestampMs = common.timestampS * 1000;
  if (Math.abs(timestampMs - nowMs) > DSA_LIMITS.timestampSkewMs) {
    // §10 #5: the seed's own example has a 13-digit (ms) Timestamp.
    const hint = common.timestampS > 1e11 ? ' (it looks like milliseconds)' : '';
    return replayAttack(
      `Timestamp ${common.timestampS} is more than 2 h from the server time ${Math.floor(nowMs / 1000)}${hint}; send the current Unix time in seconds`,
    );
  }
  if (!context.nonces.claim(common.secretId, common.nonce, timestampMs, nowMs)) {
    return replayAttack(`Nonce ${common.nonce} was already used with this SecretId; send a fresh random Nonce with every call`);
  }
  return undefined;
}

/**
 * The nonces each SecretId has used, kept while a replay of their request could still pass the
 * Timestamp check (until max(received, Timestamp) + the skew), then forgotten: memory stays bounded.
 */
class NonceMemory {
  private readonly expiresAtMs = new Map<string, number>();

  constructor(private readonly skewMs: number) {}

  /** Records the nonce; false when it is already held. */
  claim(secretId: string, nonce: string, timestampMs: number, nowMs: number): boolean {
    for (const [key, expiresAtMs] of this.expiresAtMs) {
      if (expiresAtMs < nowMs) this.expiresAtMs.delete(key);
    }
    const key = `${secretId}\n${nonce}`;
    if (this.expiresAtMs.has(key)) return false;
    this.expiresAtMs.set(key, Math.max(nowMs, timestampMs) + this.skewMs);
    return true;
  }
}

/** What a valid call asks for: hosts, and the Beijing days [fromMs, toMs) as epoch ms. */
interface LogQuery {
  hosts: string[];
  fromMs: number;
  toMs: number;
}

/** Check 5 (§4.4): hosts is a JSON array of 1–10 of the account's hosts; dates are whole Beijing days in the last 40. */
function logQuery(context: ServerContext, params: Map<string, string>): Checked<LogQuery> {
  const hosts = requestedHosts(params.get('hosts'), context.hosts);
  if (!hosts.ok) return hosts;
  const days = requestedDays(params.get('startDate'), params.get('endDate'), context.now());
  if (!days.ok) return days;
  return ok({ hosts: hosts.value, ...days.value });
}

function requestedHosts(text: string | undefined, accountHosts: readonly string[]): Checked<string[]> {
  const example = `e.g. hosts=${JSON.stringify(accountHosts.slice(0, 2))}`;
  if (!text) return refuse(invalidParameter(`hosts is required: a JSON array of 1 to ${DSA_LIMITS.maxHostsPerCall} host names, ${example}`));
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
  if (parsed.length > DSA_LIMITS.maxHostsPerCall) {
    return refuse(
      invalidParameter(
        `hosts names ${parsed.length} hosts; GetDsaHostLogs takes at most ${DSA_LIMITS.maxHostsPerCall} per call, so split them over several calls`,
      ),
    );
  }
  const unknown = parsed.find((host) => !accountHosts.includes(host));
  if (unknown !== undefined) return refuse(invalidParameter(`hosts: ${JSON.stringify(unknown)} is not a DSA host of this account`));
  return ok([...new Set(parsed)]);
}

/**
 * startDate/endDate as Beijing days. Both empty: today (§4.4). One empty: the same day as the other [I].
 * The oldest day served is today − 39, so that today counts as one of the 40.
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
  const fromMs = parsed.startDate ?? parsed.endDate ?? todayMs;
  const lastDayMs = parsed.endDate ?? parsed.startDate ?? todayMs;
  if (fromMs > lastDayMs) {
    return refuse(invalidParameter(`startDate ${given.startDate} is after endDate ${given.endDate}`));
  }
  const oldestMs = todayMs - (DSA_LIMITS.retentionDays - 1) * DAY_MS;
  if (fromMs < oldestMs) {
    const name = given.startDate !== undefined ? 'startDate' : 'endDate';
    return refuse(
      invalidParameter(
        `${name} ${given[name]} is too old: DSA keeps logs for ${DSA_LIMITS.retentionDays} days, so the oldest date is ${beijingDate(oldestMs)} (Beijing time)`,
      ),
    );
  }
  return ok({ fromMs, toMs: lastDayMs + DAY_MS });
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

function beijingDate(epochMs: number): string {
  return new Date(epochMs + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------------
// Listing (§4.5)

interface ListedPackage {
  /** Start of the hour, Beijing time: `YYYY-MM-DD HH:00:00`. */
  datetime: string;
  url: string;
}

/** Check 7: per requested host, its packages in time order; a host without any maps to []. */
function listing(context: ServerContext, query: LogQuery, fault: Fault | undefined): Record<string, ListedPackage[]> {
  const nowS = Math.floor(context.now() / 1000);
  // §4.4: URLs are valid 24 h. The expiredUrl fault hands out URLs that died a minute ago.
  const expiresAtS = fault?.kind === 'expiredUrl' ? nowS - 60 : nowS + DSA_LIMITS.urlValidityMs / 1000;
  const data: Record<string, ListedPackage[]> = {};
  for (const host of query.hosts) {
    const packages = packageHours(context, host, query.fromMs, query.toMs).map((hourStartMs) => ({
      datetime: `${beijingDate(hourStartMs)} ${beijingDigits(hourStartMs).slice(8, 10)}:00:00`,
      url: packageUrl(context, host, hourStartMs, expiresAtS),
    }));
    data[host] = fault?.kind === 'duplicateListing' ? packages.flatMap((entry) => [entry, { ...entry }]) : packages;
  }
  return data;
}

/** Starts of the hours in [fromMs, toMs) that are published and had requests (§4.4: others are absent, not empty). */
function packageHours(context: ServerContext, host: string, fromMs: number, toMs: number): number[] {
  const publishedUntilMs = context.now() - context.publishDelayMs;
  const hours: number[] = [];
  for (let hourStartMs = fromMs; hourStartMs < toMs && hourStartMs + HOUR_MS <= publishedUntilMs; hourStartMs += HOUR_MS) {
    if (hourHasRequests(context, host, hourStartMs)) hours.push(hourStartMs);
  }
  return hours;
}

/** Probes minute by minute, so a busy hour costs one minute of generation, not sixty. */
function hourHasRequests(context: ServerContext, host: string, hourStartMs: number): boolean {
  if (isQuietHour(context, hourStartMs)) return false;
  for (let minuteMs = hourStartMs; minuteMs < hourStartMs + HOUR_MS; minuteMs += MINUTE_MS) {
    if (context.generator.events(host, [host], minuteMs, minuteMs + MINUTE_MS).length > 0) return true;
  }
  return false;
}

function hourEvents(context: ServerContext, host: string, hourStartMs: number): TrafficEvent[] {
  if (isQuietHour(context, hourStartMs)) return [];
  return context.generator.events(host, [host], hourStartMs, hourStartMs + HOUR_MS);
}

function isQuietHour(context: ServerContext, hourStartMs: number): boolean {
  return context.quietHours.has(new Date(hourStartMs).getUTCHours());
}

/** `/<YYYYMMDD>/<HH>/<YYYYMMDD>-<host>` with the Beijing date and hour (§4.5). */
function packagePath(host: string, hourStartMs: number): string {
  const digits = beijingDigits(hourStartMs);
  const day = digits.slice(0, 8);
  return `/${day}/${digits.slice(8, 10)}/${day}-${host}`;
}

function packageUrl(context: ServerContext, host: string, hourStartMs: number, expiresAtS: number): string {
  const path = packagePath(host, hourStartMs);
  const origin = context.packageBaseUrl.replace(/\/+$/, '');
  return `${origin}${path}?st=${urlToken(context.urlKey, path, String(expiresAtS))}&e=${expiresAtS}`;
}

/**
 * The `st` of a package URL: an HMAC of its path and expiry, so neither can be edited. 16 bytes in
 * base64url, as long as the spec's sample token (`XBkcH5nGvXSCKqZcdNLORg`).
 */
function urlToken(key: Buffer, path: string, expiresAtS: string): string {
  return createHmac('sha256', key).update(`${path}\n${expiresAtS}`).digest().subarray(0, 16).toString('base64url');
}

// ---------------------------------------------------------------------------------------------------
// Package download

interface PackageRef {
  host: string;
  hourStartMs: number;
}

/** The package a path names, or null unless it is `/<YYYYMMDD>/<HH>/<YYYYMMDD>-<host>` for a real hour and host. */
function parsePackagePath(context: ServerContext, pathname: string): PackageRef | null {
  const match = /^\/(\d{4})(\d{2})(\d{2})\/(\d{2})\/\d{8}-([^/]+)$/.exec(pathname);
  if (match === null) return null;
  const [, year, month, day, hour, host] = match;
  if (!context.hosts.includes(host)) return null;
  const hourStartMs = Date.UTC(+year, +month - 1, +day, +hour) - BEIJING_OFFSET_MS;
  // The round trip rejects impossible dates and hours, and a second date that differs from the first.
  return packagePath(host, hourStartMs) === pathname ? { host, hourStartMs } : null;
}

/** The URL is the credential: a valid `st` for this path and `e`, and `e` not yet past; then the gzip. */
async function servePackage(context: ServerContext, exchange: Exchange, pkg: PackageRef, signal: AbortSignal): Promise<void> {
  const token = exchange.query.get('st');
  const expiresAtS = exchange.query.get('e');
  if (!token || !expiresAtS || !dsaSignatureMatches(token, urlToken(context.urlKey, exchange.url.pathname, expiresAtS))) {
    return exchange.text(403, 'Forbidden: the st token does not match this URL');
  }
  if (context.now() > Number(expiresAtS) * 1000) return exchange.text(403, 'Request has expired');
  const events = hourEvents(context, pkg.host, pkg.hourStartMs);
  if (events.length === 0) return exchange.text(404, 'Not Found');

  const fault = context.faults.takeNext(PACKAGE_FAULTS);
  const rendered = gzipSync(Buffer.from(events.map((event) => `${dsaLogLine(event)}\n`).join('')));
  const gzip = fault?.kind === 'corruptGzip' ? damagedGzip(rendered) : rendered;
  exchange.head(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': gzip.length });
  await writeBody(exchange, [gzip], isBodyFault(fault) ? fault : undefined, signal);
}
