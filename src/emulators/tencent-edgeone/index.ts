/**
 * Tencent EdgeOne log download emulator (provider-spec §6, §9 EdgeOne) on loopback.
 *
 * `POST /` answers `DownloadL7Logs` and `DownloadL4Logs` (Version 2022-09-01) after TC3 verification,
 * the 100 req/s quota and validation (tencent-edgeone-params.ts), always with HTTP 200 and the API 3.0
 * `Response` envelope. The
 * listing pages over hourly `.log.gz` packages, one per domain (L7) or proxy (L4), hour and area;
 * `GET /packages/<name>.log.gz?t=…&sign=…` serves them at signed, expiring URLs. Faults are injectable.
 */

import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { EmulatorDefinition } from '../emulator';
import { damagedGzip } from '../damage';
import { FaultController, PACKAGE_DOWNLOAD_FAULTS, PACKAGE_LISTING_FAULTS } from '../faults';
import { type Exchange, isBodyFault, type RequestLogEntry, startLoopbackServer, writeBody } from '../http';
import { hashHex } from '../random';
import { SlidingWindowLimiter } from '../rate-limit';
import { SignedUrls } from '../signed-url';
import { type ApiError, apiError, EDGEONE_ACTIONS, type EdgeOneAction, type ListingQuery, validateListingRequest } from './params';
import { type EdgeOneArea, PackageShelf, type PackageSource } from './records';
import { verifyTc3 } from './tc3';
import { BEIJING_OFFSET_MS, DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from '../time';
import { TrafficGenerator } from '../traffic';

export { edgeOneL4Record, edgeOneL7Record } from './records';

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

const EDGEONE_API_VERSION = '2022-09-01';
const EDGEONE_ZONE_ID = 'zone-2mzegj4vln5f';
const DOMAIN_NAMES = ['www.example.com', 'static.example.com'];

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
    faults: new FaultController([...PACKAGE_LISTING_FAULTS, ...PACKAGE_DOWNLOAD_FAULTS]),
    quota: new SlidingWindowLimiter(requestsPerSecond, SECOND_MS, now),
    requestsPerSecond,
    publishDelayMs: options.publishDelayMs ?? 30 * MINUTE_MS,
    // Keyed by the seed, so a URL listed by one emulator opens on another with the same seed.
    packageUrls: new SignedUrls({ keyLabel: `edgeone-package-url|${seed}`, tokenParam: 'sign', expiryParam: 't', tokenBytes: 32, tokenFirst: false }),
  };
  const server = await startLoopbackServer(options.port ?? 0, (exchange, signal) => route(context, exchange, signal));
  context.packageUrls.baseUrl = server.origin;
  return {
    baseUrl: server.origin,
    credentials: { ...EDGEONE_DEMO_CREDENTIALS },
    zones: context.zones,
    faults: context.faults,
    requests: server.requests,
    generator,
    get packageBaseUrl() {
      return context.packageUrls.baseUrl;
    },
    set packageBaseUrl(origin: string) {
      context.packageUrls.baseUrl = origin;
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
  packageUrls: SignedUrls;
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

/**
 * One API call. The method is checked first, then the whole body is read: TC3 signs its bytes, and an
 * answer must not race a client still sending. Then the §9 EdgeOne checks: the X-TC-* headers and
 * content type (item 1), the TC3 signature and clock (2), the per-SecretId quota (4: every signed call
 * counts, so it comes before validation [I]), the body's parameters (3); then an injected fault, if
 * any; then the listing. Every answer is HTTP 200 with the `Response` envelope (5), but for the
 * serverError fault.
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

  if (context.quota.tryAdmit(verdict.secretId) > 0) return sendError(exchange, requestLimitExceeded(context.requestsPerSecond));

  const query = validateListingRequest(body, action, context.zones, context.now());
  if ('code' in query) return sendError(exchange, query);

  const fault = context.faults.takeNext(PACKAGE_LISTING_FAULTS);
  if (fault?.kind === 'rateLimit') return sendError(exchange, requestLimitExceeded(context.requestsPerSecond));
  // A gateway in front of the API failing: a transport error, not the envelope (§6.6).
  if (fault?.kind === 'serverError') {
    const status = fault.status ?? 500;
    return exchange.text(status, `${status} ${STATUS_CODES[status]}`);
  }

  let packages = listPackages(context, query);
  if (fault?.kind === 'duplicateListing') packages = packages.flatMap((listed) => [listed, listed]);
  const expiresAtS = Math.floor(context.now() / SECOND_MS) + (fault?.kind === 'expiredUrl' ? -HOUR_MS / SECOND_MS : URL_LIFETIME_MS / SECOND_MS);
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
  if (action === undefined || !EDGEONE_ACTIONS.includes(action)) {
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
    Url: context.packageUrls.sign(path, expiresAtS),
    LogTime: listed.hourStartMs / SECOND_MS,
    LogStartTime: beijingTime(listed.hourStartMs),
    LogEndTime: beijingTime(listed.hourStartMs + HOUR_MS),
    // §6.4: L7 Size is the "original log size" (the JSON lines before gzip), L4 Size the gz served.
    // Only the packages on the page are sized.
    Size: context.packages.listedSize(listed.source, listed.hourStartMs, listed.area),
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
  return `${new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
}

async function servePackage(context: ServerContext, exchange: Exchange, signal: AbortSignal): Promise<void> {
  const { pathname } = exchange.url;
  if (exchange.req.method !== 'GET') return exchange.text(405, `Method ${exchange.req.method} not allowed: packages are fetched with GET.`);

  const nowMs = context.now();
  const verdict = context.packageUrls.check(pathname, exchange.query, nowMs);
  if (verdict === 'forged') {
    return exchange.text(403, 'Forbidden: the package URL is not signed by this service; use the Url of a DownloadL7Logs/DownloadL4Logs listing as it is.');
  }
  if (verdict === 'expired') {
    const expiredAt = new Date(Number(exchange.query.get('t')) * SECOND_MS).toISOString();
    return exchange.text(403, `Forbidden: the package URL expired at ${expiredAt}; list the packages again for fresh URLs.`);
  }
  // Names are URL-safe as built (digits, a domain or proxy id, an area), so the path needs no decoding.
  const gz = findPackage(context, PACKAGE_PATH.exec(pathname)![1]);
  if (gz === undefined) return exchange.text(404, 'Not found: no such package (it may not be published yet).');

  const fault = context.faults.takeNext(PACKAGE_DOWNLOAD_FAULTS);
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
