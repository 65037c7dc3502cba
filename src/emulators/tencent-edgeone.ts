/**
 * Tencent EdgeOne log download emulator (provider-spec §6, §9 EdgeOne) on loopback.
 *
 * `POST /` answers `DownloadL7Logs` and `DownloadL4Logs` (Version 2022-09-01) after TC3 verification,
 * the 100 req/s quota and validation, always with HTTP 200 and the API 3.0 `Response` envelope. The
 * listing pages over hourly `.log.gz` packages, one per domain (L7) or proxy (L4), hour and area;
 * `GET /packages/<name>.log.gz?t=…&sign=…` serves them at signed, expiring URLs. Faults are injectable.
 */

import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { EmulatorDefinition } from './emulator';
import { damagedGzip } from './damage';
import { FaultController } from './faults';
import { type Exchange, isBodyFault, type RequestLogEntry, startLoopbackServer, writeBody } from './http';
import { hashHex } from './random';
import { SlidingWindowLimiter } from './rate-limit';
import { NS_PER_MS, parseRfc3339Ns } from './time';
import { TrafficGenerator } from './traffic';
import { type EdgeOneArea, PackageShelf, type PackageSource } from './tencent-edgeone-records';
import { verifyTc3 } from './tencent-edgeone-tc3';

export { edgeOneL4Record, edgeOneL7Record, type EdgeOneArea } from './tencent-edgeone-records';
export { canonicalRequest, parseTc3Authorization, verifyTc3 } from './tencent-edgeone-tc3';

export interface EdgeOneZone {
  id: string;
  /** L7 (site acceleration) domains. */
  domains: string[];
  /** L4 proxy instance ids. */
  proxies: string[];
}

export interface TencentEdgeOneEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  seed?: number;
  /** Mean requests per minute per domain or proxy; default 60. */
  rpm?: number;
  now?: () => number;
  /** L7 domains of the zone; default 2. */
  domains?: number;
  /** L4 proxies of the zone; default 2. */
  proxies?: number;
  /** API calls per second per SecretId (§6.3: 100 for DownloadL4Logs; L7 assumed the same [I]). */
  requestsPerSecond?: number;
  /** An hour's packages are listed once now >= hour end + this; default 30 min (§6.3). */
  publishDelayMs?: number;
}

export interface EdgeOneCredentials {
  secretId: string;
  secretKey: string;
}

export interface TencentEdgeOneEmulator {
  /** `http://127.0.0.1:PORT`; the API is `POST /`. */
  baseUrl: string;
  credentials: EdgeOneCredentials;
  zones: EdgeOneZone[];
  faults: FaultController;
  requests: RequestLogEntry[];
  generator: TrafficGenerator;
  /** Origin put in listed package URLs; default baseUrl. Tests set it to point listings elsewhere. */
  packageBaseUrl: string;
  close(): Promise<void>;
}

/** Demo values only: the emulator is the one place they open. */
export const EDGEONE_DEMO_CREDENTIALS: EdgeOneCredentials = {
  secretId: 'AKIDdemoEdgeOneEmulator0000000000000',
  secretKey: 'demoEdgeOneEmulatorSecretKey0000',
};

export const EDGEONE_API_VERSION = '2022-09-01';
export const EDGEONE_ZONE_ID = 'zone-2mzegj4vln5f';
const DOMAIN_NAMES = ['www.example.com', 'static.example.com'];

const SECOND_MS = 1000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Offline logs are kept 30 days [C:T12]. */
const RETENTION_MS = 30 * DAY_MS;
/** Package links stay valid a day (T14 for CDN logs; EdgeOne's own lifetime is not documented [I]). */
const URL_LIFETIME_MS = DAY_MS;
/** v3 bodies may be up to 10 MB (§6.1). */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Rendered packages kept for downloads; at 60 rpm one domain's hour is about 240 KB of gz. */
const PACKAGE_CACHE_BYTES = 64 * 1024 * 1024;

export async function startTencentEdgeOneEmulator(options: TencentEdgeOneEmulatorOptions = {}): Promise<TencentEdgeOneEmulator> {
  const seed = options.seed ?? 1;
  const now = options.now ?? Date.now;
  const generator = new TrafficGenerator({ seed, rpm: options.rpm ?? 60 });
  const requestsPerSecond = options.requestsPerSecond ?? 100;
  const context: ServerContext = {
    now,
    zones: edgeOneZones(options.domains ?? 2, options.proxies ?? 2),
    packages: new PackageShelf(generator, PACKAGE_CACHE_BYTES),
    faults: new FaultController(['rateLimit', 'serverError', 'expiredUrl', 'duplicateListing', 'corruptGzip', 'truncatedBody', 'slowBody']),
    quota: new SlidingWindowLimiter(requestsPerSecond, SECOND_MS, now),
    requestsPerSecond,
    publishDelayMs: options.publishDelayMs ?? 30 * 60_000,
    // From the seed, so a URL listed by one emulator opens on another with the same seed.
    urlKey: createHash('sha256').update(`edgeone-package-url|${seed}`).digest(),
    packageBaseUrl: '',
  };
  const server = await startLoopbackServer(options.port ?? 0, (exchange, signal) => route(context, exchange, signal));
  context.packageBaseUrl = server.origin;
  return {
    baseUrl: server.origin,
    credentials: { ...EDGEONE_DEMO_CREDENTIALS },
    zones: context.zones,
    faults: context.faults,
    requests: server.requests,
    generator,
    get packageBaseUrl() {
      return context.packageBaseUrl;
    },
    set packageBaseUrl(origin: string) {
      context.packageBaseUrl = origin;
    },
    close: server.close,
  };
}

export const tencentEdgeOneEmulator: EmulatorDefinition<TencentEdgeOneEmulator> = {
  provider: 'tencent-edgeone',
  start: (options) => startTencentEdgeOneEmulator(options),
  describe: (emulator) => ({
    provider: 'tencent-edgeone',
    baseUrl: emulator.baseUrl,
    credentials: { ...emulator.credentials },
    sources: emulator.zones.map((zone) => ({ zone: zone.id, domains: [...zone.domains], proxies: [...zone.proxies] })),
  }),
};

/** One zone whose domains and proxies are fixed by their index (not the seed), so demo configuration can name them. */
export function edgeOneZones(domains: number, proxies: number): EdgeOneZone[] {
  return [
    {
      id: EDGEONE_ZONE_ID,
      domains: Array.from({ length: domains }, (_, index) => DOMAIN_NAMES[index] ?? `d${String(index + 1).padStart(2, '0')}.example.com`),
      // The documented shape `proxy-1491-11ed-9792-525400655ede` (§6.4).
      proxies: Array.from({ length: proxies }, (_, index) => {
        const hex = hashHex(`edgeone-proxy|${index}`, 24);
        return `proxy-${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(8, 12)}-${hex.slice(12)}`;
      }),
    },
  ];
}

interface ServerContext {
  now: () => number;
  zones: EdgeOneZone[];
  packages: PackageShelf;
  faults: FaultController;
  quota: SlidingWindowLimiter;
  requestsPerSecond: number;
  publishDelayMs: number;
  urlKey: Buffer;
  packageBaseUrl: string;
}

const PACKAGE_PATH = /^\/packages\/([^/]+)\.log\.gz$/;

async function route(context: ServerContext, exchange: Exchange, signal: AbortSignal): Promise<void> {
  const { pathname } = exchange.url;
  if (pathname === '/') return serveApi(context, exchange);
  if (PACKAGE_PATH.test(pathname)) return servePackage(context, exchange, signal);
  exchange.json(404, { message: `No route for ${pathname}: the API is POST / and packages are GET /packages/<name>.log.gz` });
}

// ---------------------------------------------------------------------------------------------------
// The API: POST /
// ---------------------------------------------------------------------------------------------------

type EdgeOneAction = 'DownloadL7Logs' | 'DownloadL4Logs';
const ACTIONS: readonly string[] = ['DownloadL7Logs', 'DownloadL4Logs'];

/** An API error: HTTP 200 with `Response.Error` (§6.6). */
interface ApiError {
  code: string;
  message: string;
}

const apiError = (code: string, message: string): ApiError => ({ code, message });

/**
 * One API call, checked in this order (§9 EdgeOne): action, version and content type; the TC3 signature;
 * the per-SecretId quota; the body's parameters; then an injected fault, if any; then the listing.
 */
async function serveApi(context: ServerContext, exchange: Exchange): Promise<void> {
  if (exchange.req.method !== 'POST') {
    return sendError(exchange, apiError('InvalidRequest', `The API takes POST with a JSON body (TC3-HMAC-SHA256); got ${exchange.req.method}.`));
  }
  const body = await readRawBody(exchange.req, MAX_BODY_BYTES);
  if (body === null) return sendError(exchange, apiError('InvalidRequest', 'The request body is over the 10 MB a TC3 POST may carry.'));

  const headerProblem = checkCommonHeaders(exchange);
  if (headerProblem !== null) return sendError(exchange, headerProblem);
  const action = exchange.header('x-tc-action') as EdgeOneAction;

  const verdict = verifyTc3(
    { method: 'POST', path: '/', query: exchange.url.search.slice(1), headers: exchange.req.headers, body },
    {
      service: 'teo',
      secretKeyOf: (id) => (id === EDGEONE_DEMO_CREDENTIALS.secretId ? EDGEONE_DEMO_CREDENTIALS.secretKey : undefined),
      nowMs: context.now(),
    },
  );
  if (!verdict.ok) return sendError(exchange, apiError(verdict.code, verdict.message));

  if (context.quota.waitMs(verdict.secretId) > 0) return sendError(exchange, requestLimitExceeded(context.requestsPerSecond));
  context.quota.admit(verdict.secretId);

  const query = validateListingRequest(body, action, context.zones, context.now());
  if ('code' in query) return sendError(exchange, query);

  const fault = context.faults.takeNext(['rateLimit', 'serverError', 'expiredUrl', 'duplicateListing']);
  if (fault?.kind === 'rateLimit') return sendError(exchange, requestLimitExceeded(context.requestsPerSecond));
  // A gateway in front of the API failing: a transport error, not the envelope (§6.6).
  if (fault?.kind === 'serverError') {
    const status = fault.status ?? 500;
    return exchange.text(status, `${status} ${STATUS_CODES[status]}`);
  }

  let packages = listPackages(context, query);
  if (fault?.kind === 'duplicateListing') packages = packages.flatMap((listed) => [listed, listed]);
  const expiresAtS = Math.floor(context.now() / SECOND_MS) + (fault?.kind === 'expiredUrl' ? -3600 : URL_LIFETIME_MS / SECOND_MS);
  const page = packages.slice(query.offset, query.offset + query.limit);
  exchange.json(200, {
    Response: {
      TotalCount: packages.length,
      Data: page.map((listed) => listingItem(context, listed, expiresAtS)),
      RequestId: randomUUID(),
    },
  });
}

/** X-TC-Action, X-TC-Version, Content-Type and X-TC-Timestamp, checked before the signature. */
function checkCommonHeaders(exchange: Exchange): ApiError | null {
  const action = exchange.header('x-tc-action');
  if (action === undefined || !ACTIONS.includes(action)) {
    return apiError('InvalidAction', `The action \`${action ?? ''}\` is not supported; EdgeOne log download offers DownloadL7Logs and DownloadL4Logs.`);
  }
  const version = exchange.header('x-tc-version');
  if (version !== EDGEONE_API_VERSION) {
    return apiError('NoSuchVersion', `The version \`${version ?? ''}\` of action ${action} does not exist; use X-TC-Version: ${EDGEONE_API_VERSION}.`);
  }
  const contentType = exchange.header('content-type');
  if (contentType === undefined || !/^application\/json\s*(;\s*charset=[\w-]+\s*)?$/i.test(contentType)) {
    return apiError('InvalidRequest', `A TC3 POST carries Content-Type: application/json (optionally with a charset); got \`${contentType ?? ''}\`.`);
  }
  const timestamp = exchange.header('x-tc-timestamp');
  if (timestamp === undefined) return apiError('MissingParameter', 'The request is missing a required parameter `X-TC-Timestamp`.');
  if (!/^\d{1,12}$/.test(timestamp.trim())) {
    return apiError('InvalidParameterValue', `X-TC-Timestamp must be the signing time in unix seconds; got \`${timestamp}\`.`);
  }
  return null;
}

function requestLimitExceeded(requestsPerSecond: number): ApiError {
  return apiError(
    'RequestLimitExceeded',
    `This SecretId made more than ${requestsPerSecond} requests in one second; wait a second and call more slowly.`,
  );
}

function sendError(exchange: Exchange, error: ApiError): void {
  exchange.json(200, { Response: { Error: { Code: error.code, Message: error.message }, RequestId: randomUUID() } });
}

async function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep reading (and dropping) an oversized body, so the answer reaches a client still sending.
    if (size <= maxBytes) chunks.push(chunk);
  }
  return size > maxBytes ? null : Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------------------
// Request parameters (§6.3)
// ---------------------------------------------------------------------------------------------------

interface ListingQuery {
  action: EdgeOneAction;
  /** [startMs, endMs) covers the requested instants: start rounded down, end rounded up to the ms. */
  startMs: number;
  endMs: number;
  zones: EdgeOneZone[];
  /** Domains (L7) or proxy ids (L4) asked for; null for all of the zones'. */
  sourceIds: string[] | null;
  limit: number;
  offset: number;
}

const COMMON_PARAMETERS = ['StartTime', 'EndTime', 'ZoneIds', 'Limit', 'Offset'];
const SOURCE_PARAMETER: Record<EdgeOneAction, 'Domains' | 'ProxyIds'> = { DownloadL7Logs: 'Domains', DownloadL4Logs: 'ProxyIds' };
const MAX_LIMIT = 300;
const DEFAULT_LIMIT = 20;

/** The body's parameters, checked in this order: shape, unknown keys, window, zones, Limit, Offset, Domains/ProxyIds. */
function validateListingRequest(body: Buffer, action: EdgeOneAction, zones: EdgeOneZone[], nowMs: number): ListingQuery | ApiError {
  let parameters: unknown;
  try {
    parameters = JSON.parse(body.toString('utf8'));
  } catch {
    parameters = undefined;
  }
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
    return apiError('InvalidParameter', 'The request body must be a JSON object such as {"StartTime":…,"EndTime":…,"ZoneIds":[…]}.');
  }
  const p = parameters as Record<string, unknown>;
  const sourceParameter = SOURCE_PARAMETER[action];
  const allowed = [...COMMON_PARAMETERS, sourceParameter];
  const unknown = Object.keys(p).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    return apiError('UnknownParameter', `The parameter \`${unknown}\` is not recognized by ${action}; it takes ${allowed.join(', ')}.`);
  }

  const start = instant(p, 'StartTime');
  if ('code' in start) return start;
  const end = instant(p, 'EndTime');
  if ('code' in end) return end;
  if (start.ns >= end.ns) return apiError('InvalidParameter', `StartTime ${start.text} must be before EndTime ${end.text}.`);
  const oldestMs = nowMs - RETENTION_MS;
  if (start.ns < BigInt(oldestMs) * NS_PER_MS) {
    return apiError(
      'InvalidParameter',
      `StartTime ${start.text} is older than 30 days: offline logs have a retention of 30 days, so start at ${new Date(oldestMs).toISOString()} or later.`,
    );
  }

  const zoneIds = stringList(p, 'ZoneIds', 'zone ids such as zone-2mzegj4vln5f');
  if (zoneIds !== undefined && 'code' in zoneIds) return zoneIds;
  if (zoneIds === undefined || zoneIds.length === 0) return apiError('MissingParameter', 'The request is missing a required parameter `ZoneIds`.');
  const requestedZones: EdgeOneZone[] = [];
  for (const id of new Set(zoneIds)) {
    const zone = zones.find((candidate) => candidate.id === id);
    if (zone === undefined) return apiError('ResourceUnavailable', `The resource is unavailable: \`${id}\` is not a zone of this account.`);
    requestedZones.push(zone);
  }

  const limit = integer(p, 'Limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
  if (typeof limit !== 'number') return limit;
  const offset = integer(p, 'Offset', 0, 0, Number.MAX_SAFE_INTEGER);
  if (typeof offset !== 'number') return offset;

  const sourceIds = stringList(p, sourceParameter, action === 'DownloadL7Logs' ? 'domain names' : 'proxy ids');
  if (sourceIds !== undefined && 'code' in sourceIds) return sourceIds;
  const belongs = (id: string) =>
    requestedZones.some((zone) => (action === 'DownloadL7Logs' ? zone.domains : zone.proxies).includes(id));
  const stranger = sourceIds?.find((id) => !belongs(id));
  if (stranger !== undefined) {
    const what = action === 'DownloadL7Logs' ? 'Domain' : 'Proxy';
    return apiError('InvalidParameterValue', `${sourceParameter}: ${what} \`${stranger}\` does not belong to zone ${zoneIds.join(', ')}.`);
  }

  return {
    action,
    startMs: Number(start.ns / NS_PER_MS),
    endMs: Number((end.ns + NS_PER_MS - 1n) / NS_PER_MS),
    zones: requestedZones,
    sourceIds: sourceIds === undefined || sourceIds.length === 0 ? null : sourceIds,
    limit,
    offset,
  };
}

function instant(parameters: Record<string, unknown>, name: 'StartTime' | 'EndTime'): { ns: bigint; text: string } | ApiError {
  const value = parameters[name];
  if (value === undefined) return apiError('MissingParameter', `The request is missing a required parameter \`${name}\`.`);
  const ns = typeof value === 'string' ? parseRfc3339Ns(value) : null;
  if (ns === null) {
    return apiError('InvalidParameterValue', `${name} must be an RFC 3339 date-time such as 2023-11-13T00:00:00Z or 2023-11-13T08:00:00+08:00; got ${JSON.stringify(value)}.`);
  }
  return { ns, text: value as string };
}

/** A string array parameter; undefined when absent. */
function stringList(parameters: Record<string, unknown>, name: string, what: string): string[] | ApiError | undefined {
  const value = parameters[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    return apiError('InvalidParameterValue', `${name} must be an array of ${what}.`);
  }
  return value;
}

function integer(parameters: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number | ApiError {
  const value = parameters[name];
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  return apiError('InvalidParameterValue', `${name} must be an integer ${range}; got ${JSON.stringify(value)}.`);
}

// ---------------------------------------------------------------------------------------------------
// Packages: listing (§6.4) and download (§6.5)
// ---------------------------------------------------------------------------------------------------

type LogKind = PackageSource['kind'];

interface ListedPackage {
  source: PackageSource;
  hourStartMs: number;
  area: EdgeOneArea;
}

/**
 * The packages of the query, sorted by (hour, domain or proxy, area): one per source, UTC hour and area
 * with at least one record, for each hour that overlaps [StartTime, EndTime) and has been published.
 */
function listPackages(context: ServerContext, query: ListingQuery): ListedPackage[] {
  const kind: LogKind = query.action === 'DownloadL7Logs' ? 'L7' : 'L4';
  const sources = query.zones
    .flatMap((zone) => (kind === 'L7' ? zone.domains : zone.proxies).map((id) => ({ kind, zoneId: zone.id, id })))
    .filter((source) => query.sourceIds === null || query.sourceIds.includes(source.id))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const publishedUntilMs = context.now() - context.publishDelayMs;
  const listed: ListedPackage[] = [];
  for (let hourStartMs = Math.floor(query.startMs / HOUR_MS) * HOUR_MS; hourStartMs < query.endMs; hourStartMs += HOUR_MS) {
    if (hourStartMs + HOUR_MS > publishedUntilMs) break;
    for (const source of sources) {
      for (const area of context.packages.areas(source, hourStartMs)) listed.push({ source, hourStartMs, area });
    }
  }
  return listed;
}

function listingItem(context: ServerContext, listed: ListedPackage, expiresAtS: number): Record<string, string | number> {
  const name = packageName(listed.source.id, listed.hourStartMs, listed.area);
  const path = `/packages/${name}.log.gz`;
  return {
    [listed.source.kind === 'L7' ? 'Domain' : 'ProxyId']: listed.source.id,
    Area: listed.area,
    LogPacketName: name,
    Url: `${context.packageBaseUrl}${path}?t=${expiresAtS}&sign=${urlToken(context.urlKey, path, expiresAtS)}`,
    LogTime: listed.hourStartMs / SECOND_MS,
    LogStartTime: beijingTime(listed.hourStartMs),
    LogEndTime: beijingTime(listed.hourStartMs + HOUR_MS),
    // Only the packages on the page are rendered: their Size is the length of the gz served.
    Size: context.packages.size(listed.source, listed.hourStartMs, listed.area),
  };
}

/** `20231113-10-www.example.com-overseas`: UTC date and hour, source, area; unique per package. */
function packageName(sourceId: string, hourStartMs: number, area: EdgeOneArea): string {
  const iso = new Date(hourStartMs).toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 13)}-${sourceId}-${area}`;
}

const PACKAGE_NAME = /^(\d{4})(\d{2})(\d{2})-(\d{2})-(.+)-(mainland|overseas)$/;

/** The doc example writes LogStartTime/LogEndTime in Beijing time: `2023-07-26T06:00:00+08:00` (§6.4). */
function beijingTime(ms: number): string {
  return `${new Date(ms + 8 * HOUR_MS).toISOString().slice(0, 19)}+08:00`;
}

/** base64url HMAC of the path and expiry, with a key only the emulator knows (and seeds). */
function urlToken(key: Buffer, path: string, expiresAtS: number): string {
  return createHmac('sha256', key).update(`${path}\n${expiresAtS}`).digest('base64url');
}

async function servePackage(context: ServerContext, exchange: Exchange, signal: AbortSignal): Promise<void> {
  const { pathname } = exchange.url;
  const t = exchange.query.get('t') ?? '';
  const sign = exchange.query.get('sign') ?? '';
  // The request log must not keep a working signed URL (style: never log a signed URL's query string).
  if (exchange.entry.query.sign !== undefined) exchange.entry.query = { ...exchange.entry.query, sign: 'redacted' };
  if (exchange.req.method !== 'GET') return exchange.text(405, `Method ${exchange.req.method} not allowed: packages are fetched with GET.`);

  const expected = /^\d{1,12}$/.test(t) ? Buffer.from(urlToken(context.urlKey, pathname, Number(t))) : null;
  const given = Buffer.from(sign);
  if (expected === null || expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return exchange.text(403, 'Forbidden: the package URL is not signed by this service; use the Url of a DownloadL7Logs/DownloadL4Logs listing as it is.');
  }
  if (context.now() > Number(t) * SECOND_MS) {
    return exchange.text(403, `Forbidden: the package URL expired at ${new Date(Number(t) * SECOND_MS).toISOString()}; list the packages again for fresh URLs.`);
  }
  // Names are URL-safe as built (digits, a domain or proxy id, an area), so the path needs no decoding.
  const gz = findPackage(context, PACKAGE_PATH.exec(pathname)![1]);
  if (gz === undefined) return exchange.text(404, 'Not found: no such package (it may not be published yet).');

  const fault = context.faults.takeNext(['corruptGzip', 'truncatedBody', 'slowBody']);
  const bytes = fault?.kind === 'corruptGzip' ? damagedGzip(gz) : gz;
  exchange.head(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length });
  await writeBody(exchange, [bytes], isBodyFault(fault) ? fault : undefined, signal);
}

/** The bytes of a published package with records, by name; undefined for anything else. */
function findPackage(context: ServerContext, name: string): Buffer | undefined {
  const match = PACKAGE_NAME.exec(name);
  if (match === null) return undefined;
  const [, year, month, day, hour, sourceId, area] = match;
  const hourStartMs = Date.UTC(+year, +month - 1, +day, +hour);
  if (packageName(sourceId, hourStartMs, area as EdgeOneArea) !== name) return undefined;
  if (hourStartMs + HOUR_MS > context.now() - context.publishDelayMs) return undefined;
  for (const zone of context.zones) {
    const kind: LogKind | undefined = zone.domains.includes(sourceId) ? 'L7' : zone.proxies.includes(sourceId) ? 'L4' : undefined;
    if (kind !== undefined) return context.packages.bytes({ kind, zoneId: zone.id, id: sourceId }, hourStartMs, area as EdgeOneArea);
  }
  return undefined;
}
