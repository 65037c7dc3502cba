/**
 * Tencent Cloud DSA log download emulator (provider-spec §4, §9 Tencent DSA) on loopback.
 *
 * `GET|POST /v2/index.php` is `GetDsaHostLogs` (API 2.0): it checks the v1 signature, Timestamp and
 * Nonce, the 100 calls/min quota and the hosts/dates (tencent-dsa-request.ts), then lists one signed
 * URL per host per Beijing hour that had requests and is published. The emulator serves those URLs
 * itself (`/<YYYYMMDD>/<HH>/<YYYYMMDD>-<host>?st&e`) as gzip packages of 15-field lines
 * (tencent-dsa-lines.ts). Every API answer is HTTP 200 with `{"code","message","codeDesc"}` (§4.7);
 * faults are injectable.
 */

import { gzipSync } from 'node:zlib';
import type { EmulatorDefinition } from '../emulator';
import { damagedGzip } from '../damage';
import { type Fault, FaultController, PACKAGE_DOWNLOAD_FAULTS, PACKAGE_LISTING_FAULTS, retryAfterSeconds } from '../faults';
import { type Exchange, isBodyFault, type RequestLogEntry, startLoopbackServer, writeBody } from '../http';
import { SlidingWindowLimiter } from '../rate-limit';
import { SignedUrls } from '../signed-url';
import { beijingDigits, dsaLogLine } from './lines';
import {
  type ApiError,
  AUTH_FAILURE,
  beijingDate,
  commonParams,
  type LogQuery,
  logQuery,
  NonceMemory,
  quotaExceeded,
  readParams,
  reusedNonce,
  signatureHolds,
  staleTimestamp,
} from './request';
import { BEIJING_OFFSET_MS, DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from '../time';
import { type TrafficEvent, TrafficGenerator } from '../traffic';

export { dsaLogLine, dsaRegionCodes } from './lines';

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
  /** Signatures, STS Tokens and package `st` tokens appear here as `redacted` (http.ts). */
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

const API_PATH = '/v2/index.php';
/** §4.4: 100 calls/min per SecretId; URLs valid 24 h; packages listed about 2 h after their hour. */
const DEFAULT_CALLS_PER_MINUTE = 100;
const URL_VALIDITY_MS = DAY_MS;
const DEFAULT_PUBLISH_DELAY_MS = 2 * HOUR_MS;

export async function startTencentDsaEmulator(options: TencentDsaEmulatorOptions = {}): Promise<TencentDsaEmulator> {
  const now = options.now ?? Date.now;
  const seed = options.seed ?? 1;
  const credentials = { ...(options.credentials ?? DSA_DEMO_CREDENTIALS) };
  const callsPerMinute = options.callsPerMinute ?? DEFAULT_CALLS_PER_MINUTE;
  const context: ServerContext = {
    now,
    generator: new TrafficGenerator({ seed, rpm: options.rpm ?? 60 }),
    hosts: options.hostNames ?? dsaHosts(options.hosts ?? 12),
    credentials,
    faults: new FaultController([...PACKAGE_LISTING_FAULTS, ...PACKAGE_DOWNLOAD_FAULTS]),
    callsPerMinute,
    quota: new SlidingWindowLimiter(callsPerMinute, MINUTE_MS, now),
    nonces: new NonceMemory(),
    publishDelayMs: options.publishDelayMs ?? DEFAULT_PUBLISH_DELAY_MS,
    quietHours: quietHourSet(options.quietHours ?? []),
    // Keyed by the seed, so a listing is reproducible; the key never leaves the emulator.
    packageUrls: new SignedUrls({ keyLabel: `tencent-dsa-url-key|${seed}`, tokenParam: 'st', expiryParam: 'e', tokenBytes: 16, tokenFirst: true }),
  };
  if (context.hosts.length === 0) throw new RangeError('The DSA emulator needs at least one host');
  const server = await startLoopbackServer(options.port ?? 0, (exchange, signal) => route(context, exchange, signal));
  context.packageUrls.baseUrl = server.origin;
  return {
    baseUrl: server.origin,
    credentials: { ...credentials },
    hosts: [...context.hosts],
    faults: context.faults,
    requests: server.requests,
    generator: context.generator,
    get packageBaseUrl() {
      return context.packageUrls.baseUrl;
    },
    set packageBaseUrl(origin: string) {
      context.packageUrls.baseUrl = origin;
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
function dsaHosts(count: number): string[] {
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
  packageUrls: SignedUrls;
}

async function route(context: ServerContext, exchange: Exchange, signal: AbortSignal): Promise<void> {
  if (exchange.url.pathname === API_PATH) return serveApi(context, exchange);
  const pkg = parsePackagePath(context, exchange.url.pathname);
  if (pkg === null) return exchange.text(404, 'Not Found');
  return servePackage(context, exchange, pkg, signal);
}

// ---------------------------------------------------------------------------------------------------
// GetDsaHostLogs

/**
 * One API call, in the order of §9 Tencent DSA: (1) the parameters and the signature; (2) Timestamp
 * and Nonce; (3) the quota, then hosts and dates; then an injected fault; then (4) the listing.
 * A nonce is remembered only once the call passes the quota, so a call refused with 4400 can be sent
 * again as it was; a reused one is refused before the quota is looked at.
 */
async function serveApi(context: ServerContext, exchange: Exchange): Promise<void> {
  const params = await readParams(exchange);
  if (!params.ok) return apiAnswer(exchange, params.error);
  const common = commonParams(params.value);
  if (!common.ok) return apiAnswer(exchange, common.error);
  if (!signatureHolds(context.credentials, exchange, params.value, common.value)) return apiAnswer(exchange, AUTH_FAILURE);

  const nowMs = context.now();
  const stale = staleTimestamp(common.value, nowMs);
  if (stale !== undefined) return apiAnswer(exchange, stale);
  if (context.nonces.has(common.value, nowMs)) return apiAnswer(exchange, reusedNonce(common.value));

  const waitMs = context.quota.tryAdmit(common.value.secretId);
  if (waitMs > 0) return apiAnswer(exchange, quotaExceeded(context.callsPerMinute, Math.ceil(waitMs / SECOND_MS)));
  context.nonces.remember(common.value, nowMs);

  const query = logQuery(params.value, context.hosts, nowMs);
  if (!query.ok) return apiAnswer(exchange, query.error);

  const fault = context.faults.takeNext(PACKAGE_LISTING_FAULTS);
  if (fault?.kind === 'rateLimit') return apiAnswer(exchange, quotaExceeded(context.callsPerMinute, retryAfterSeconds(fault)));
  if (fault?.kind === 'serverError') return exchange.json(fault.status ?? 500, { message: 'Internal Server Error' });
  exchange.json(200, { code: 0, message: '', codeDesc: 'Success', data: listing(context, query.value, fault) });
}

function apiAnswer(exchange: Exchange, error: ApiError): void {
  exchange.json(200, { code: error.code, message: error.message, codeDesc: error.codeDesc });
}

// ---------------------------------------------------------------------------------------------------
// Listing (§4.5)

interface ListedPackage {
  /** Start of the hour, Beijing time: `YYYY-MM-DD HH:00:00`. */
  datetime: string;
  url: string;
}

/** §9 DSA 4: per requested host, its packages in time order; a host without any maps to [] (§4.5). */
function listing(context: ServerContext, query: LogQuery, fault: Fault | undefined): Record<string, ListedPackage[]> {
  const nowS = Math.floor(context.now() / SECOND_MS);
  // §4.4: URLs are valid 24 h. The expiredUrl fault hands out URLs that died a minute ago.
  const expiresAtS = fault?.kind === 'expiredUrl' ? nowS - 60 : nowS + URL_VALIDITY_MS / SECOND_MS;
  const data: Record<string, ListedPackage[]> = {};
  for (const host of query.hosts) {
    const packages = packageHours(context, host, query.fromMs, query.toMs).map((hourStartMs) => ({
      datetime: `${beijingDate(hourStartMs)} ${beijingDigits(hourStartMs).slice(8, 10)}:00:00`,
      url: context.packageUrls.sign(packagePath(host, hourStartMs), expiresAtS),
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

/** §9 DSA 5. The URL is the credential: a valid `st` for this path and `e`, and `e` not yet past; then the gzip. */
async function servePackage(context: ServerContext, exchange: Exchange, pkg: PackageRef, signal: AbortSignal): Promise<void> {
  const verdict = context.packageUrls.check(exchange.url.pathname, exchange.query, context.now());
  if (verdict === 'forged') return exchange.text(403, 'Forbidden: the st token does not match this URL');
  if (verdict === 'expired') return exchange.text(403, 'Request has expired');
  const events = hourEvents(context, pkg.host, pkg.hourStartMs);
  if (events.length === 0) return exchange.text(404, 'Not Found');

  const fault = context.faults.takeNext(PACKAGE_DOWNLOAD_FAULTS);
  const rendered = gzipSync(Buffer.from(events.map((event) => `${dsaLogLine(event)}\n`).join('')));
  const gzip = fault?.kind === 'corruptGzip' ? damagedGzip(rendered) : rendered;
  exchange.head(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': gzip.length });
  await writeBody(exchange, [gzip], isBodyFault(fault) ? fault : undefined, signal);
}
