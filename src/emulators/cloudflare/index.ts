/**
 * Cloudflare Logpull emulator (provider-spec §3, §9 Cloudflare) on loopback: logs/received as streamed
 * NDJSON (gzip when asked), the field catalogue, Ray ID lookup, the retention flag, Cloudflare's auth,
 * per-zone and per-user quotas, and injectable faults.
 */

import { pipeline, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import {
  type CloudflareZone,
  cloudflareFieldDescriptions,
  cloudflareWireFields,
  serializeCloudflareRecord,
} from './fields';
import { CLOUDFLARE_LIMITS, type RecordOptions, validateReceivedQuery, validateRecordOptions } from './query';
import type { EmulatorDefinition } from '../emulator';
import { FaultController, retryAfterSeconds } from '../faults';
import { type Exchange, isBodyFault, type RequestLogEntry, startLoopbackServer, writeBody } from '../http';
import { hash32, hashHex, seededDice } from '../random';
import { SlidingWindowLimiter } from '../rate-limit';
import { ceilNsToMs, MINUTE_MS, SECOND_MS } from '../time';
import { type TrafficEvent, TrafficGenerator } from '../traffic';

export { cloudflareWireRecord, type CloudflareZone } from './fields';

export interface CloudflareEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  seed?: number;
  /** Mean requests per minute per zone. */
  rpm?: number;
  now?: () => number;
  perZoneRpmLimit?: number;
  perUserRpmLimit?: number;
  zones?: number;
}

export interface CloudflareCredentials {
  apiToken: string;
  email: string;
  apiKey: string;
}

export interface CloudflareEmulator {
  /** `http://127.0.0.1:PORT/client/v4` */
  baseUrl: string;
  credentials: CloudflareCredentials;
  zones: CloudflareZone[];
  faults: FaultController;
  requests: RequestLogEntry[];
  generator: TrafficGenerator;
  close(): Promise<void>;
}

/**
 * Demo values only: the emulator is the one place they open. No word of a message in them (a
 * "cloudflare" or an "example.com" would be redacted from every message, as credentials are).
 */
const CLOUDFLARE_DEMO_CREDENTIALS: CloudflareCredentials = {
  apiToken: 'demo-token-4f1c9a7e2b5d',
  email: 'demo.7c1e@mail.invalid',
  apiKey: 'demo-global-key-8d2e6b31a0',
};

const ZONE_NAMES = ['example.com', 'example.org', 'example.net'];
const RECORDS_PER_CHUNK = 500;
const STREAM_ERROR_LINE = 'Error streaming data.';

export async function startCloudflareEmulator(options: CloudflareEmulatorOptions = {}): Promise<CloudflareEmulator> {
  const seed = options.seed ?? 1;
  const now = options.now ?? Date.now;
  const generator = new TrafficGenerator({ seed, rpm: options.rpm ?? 60 });
  const zones = cloudflareZones(options.zones ?? 2);
  const faults = new FaultController(['rateLimit', 'serverError', 'slowBody', 'truncatedBody', 'streamError']);
  const quotas = {
    perZone: new SlidingWindowLimiter(options.perZoneRpmLimit ?? 15, MINUTE_MS, now),
    perUser: new SlidingWindowLimiter(options.perUserRpmLimit ?? 180, MINUTE_MS, now),
  };
  const context: ServerContext = { seed, now, generator, zones, faults, quotas, credentials: CLOUDFLARE_DEMO_CREDENTIALS };
  const server = await startLoopbackServer(options.port ?? 0, (exchange, signal) => route(context, exchange, signal));
  return {
    baseUrl: `${server.origin}/client/v4`,
    credentials: { ...CLOUDFLARE_DEMO_CREDENTIALS },
    zones,
    faults,
    requests: server.requests,
    generator,
    close: server.close,
  };
}

export const cloudflareEmulator: EmulatorDefinition<CloudflareEmulator> = {
  provider: 'cloudflare',
  start: (options) => startCloudflareEmulator(options),
  describe: (emulator) => ({
    provider: 'cloudflare',
    baseUrl: emulator.baseUrl,
    credentials: { ...emulator.credentials },
    sources: emulator.zones.map((zone) => ({ zone: zone.id, name: zone.name, hosts: [...zone.hosts] })),
  }),
};

/** Zones are fixed by their index (not the seed), so demo configuration can name them. */
function cloudflareZones(count: number): CloudflareZone[] {
  return Array.from({ length: count }, (_, index) => {
    const name = ZONE_NAMES[index] ?? `example${index}.com`;
    return { id: hashHex(`cloudflare-zone|${index}`, 32), name, hosts: [name, `www.${name}`, `static.${name}`] };
  });
}

interface ServerContext {
  seed: number;
  now: () => number;
  generator: TrafficGenerator;
  zones: CloudflareZone[];
  faults: FaultController;
  quotas: { perZone: SlidingWindowLimiter; perUser: SlidingWindowLimiter };
  credentials: CloudflareCredentials;
}

const ROUTE = /^\/client\/v4\/zones\/([^/]+)\/logs\/(received|received\/fields|rayids\/([^/]+)|control\/retention\/flag)$/;

async function route(context: ServerContext, exchange: Exchange, signal: AbortSignal): Promise<void> {
  const match = ROUTE.exec(exchange.url.pathname);
  if (match === null) return v4Error(exchange, 404, 7000, 'No route for that URI');
  const user = authenticatedUser(context.credentials, exchange);
  if (user === null) return v4Error(exchange, 403, 10000, 'Authentication error');
  const [, zoneId, endpoint, rayId] = match;
  const zone = context.zones.find((candidate) => candidate.id === zoneId);
  if (zone === undefined) {
    return v4Error(exchange, 404, 7003, `Could not route to ${exchange.url.pathname}, perhaps your object identifier is invalid?`);
  }
  const method = exchange.req.method;
  if (endpoint === 'control/retention/flag') {
    if (method === 'GET') return v4Success(exchange, { flag: context.faults.retentionEnabled });
    if (method === 'POST') return setRetention(context, exchange);
  } else if (method === 'GET') {
    if (endpoint === 'received/fields') return exchange.json(200, cloudflareFieldDescriptions());
    if (endpoint === 'received') return serveReceived(context, exchange, zone, user, signal);
    return serveRayId(context, exchange, zone, user, rayId, signal);
  }
  return v4Error(exchange, 405, 7001, `Method ${method} not allowed for this endpoint`);
}

/** The quota key of the caller: the token, or the email of an email + global key pair; null when neither checks out. */
function authenticatedUser(credentials: CloudflareCredentials, exchange: Exchange): string | null {
  const authorization = exchange.header('authorization');
  if (authorization !== undefined) {
    return authorization === `Bearer ${credentials.apiToken}` ? `token:${credentials.apiToken}` : null;
  }
  const email = exchange.header('x-auth-email');
  const key = exchange.header('x-auth-key');
  return email === credentials.email && key === credentials.apiKey ? `email:${email}` : null;
}

async function setRetention(context: ServerContext, exchange: Exchange): Promise<void> {
  let flag: unknown;
  try {
    flag = (JSON.parse(await exchange.readBody()) as { flag?: unknown }).flag;
  } catch {
    flag = undefined;
  }
  if (typeof flag !== 'boolean') return v4Error(exchange, 400, 1002, 'Invalid request body: expected {"flag": true|false}');
  context.faults.retentionEnabled = flag;
  v4Success(exchange, { flag });
}

function serveReceived(context: ServerContext, exchange: Exchange, zone: CloudflareZone, user: string, signal: AbortSignal) {
  if (!context.faults.retentionEnabled) return retentionOff(exchange);
  const validated = validateReceivedQuery(exchange.query, context.now());
  if (!validated.ok) return exchange.text(400, validated.message);
  const query = validated.value;
  if (!admitted(context, exchange, zone, user)) return;

  const events = context.generator.events(zone.id, zone.hosts, ceilNsToMs(query.startNs), ceilNsToMs(query.endNs));
  // Results are unsorted (CF2), but the same window always gives the same order.
  seededDice(context.seed, 'cloudflare-order', zone.id, query.startNs.toString(), query.endNs.toString()).shuffle(events);
  const { sample } = query;
  let selected = sample === undefined ? events : events.filter((event) => inSample(context.seed, event, sample));
  if (query.count !== undefined) selected = selected.slice(0, query.count);
  return sendRecords(context, exchange, zone, selected, query, query.redactLog4Shell, signal);
}

function serveRayId(
  context: ServerContext,
  exchange: Exchange,
  zone: CloudflareZone,
  user: string,
  rayIdParam: string,
  signal: AbortSignal,
) {
  if (!context.faults.retentionEnabled) return retentionOff(exchange);
  const options = validateRecordOptions(exchange.query);
  if (!options.ok) return exchange.text(400, options.message);
  if (!admitted(context, exchange, zone, user)) return;
  // Ray IDs may carry the colo as a suffix (`3a6050bcbe121a87-FRA`); the id is the part before it.
  const rayId = rayIdParam.split('-')[0].toLowerCase();
  const event = context.generator.findByRayId(zone.id, zone.hosts, rayId);
  const nowMs = context.now();
  const served =
    event !== undefined &&
    event.timestampMs >= nowMs - CLOUDFLARE_LIMITS.retentionMs &&
    event.timestampMs < nowMs - CLOUDFLARE_LIMITS.minDelayMs;
  return sendRecords(context, exchange, zone, served ? [event] : [], options.value, false, signal);
}

/** Applies both quotas (CF3: 15/min per zone, 180/min per user); answers 429 and returns false when over. */
function admitted(context: ServerContext, exchange: Exchange, zone: CloudflareZone, user: string): boolean {
  const waitMs = SlidingWindowLimiter.tryAdmitAll([
    [context.quotas.perZone, `zone:${zone.id}`],
    [context.quotas.perUser, user],
  ]);
  if (waitMs > 0) rateLimited(exchange, Math.ceil(waitMs / SECOND_MS));
  return waitMs === 0;
}

async function sendRecords(
  context: ServerContext,
  exchange: Exchange,
  zone: CloudflareZone,
  events: TrafficEvent[],
  options: RecordOptions,
  redactLog4Shell: boolean,
  signal: AbortSignal,
): Promise<void> {
  const fault = context.faults.takeNext();
  if (fault?.kind === 'rateLimit') return rateLimited(exchange, retryAfterSeconds(fault));
  if (fault?.kind === 'serverError') return v4Error(exchange, fault.status ?? 500, 10001, 'Internal server error');

  const streamError = fault?.kind === 'streamError';
  const lines = ndjsonChunks(zone, streamError ? events.slice(0, Math.floor(events.length / 2)) : events, options, redactLog4Shell, streamError);
  const gzip = acceptsGzip(exchange.header('accept-encoding'));
  exchange.head(200, { 'Content-Type': 'application/json', ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
  const source = Readable.from(lines);
  const body = gzip ? pipeline(source, createGzip(), () => {}) : source;
  await writeBody(exchange, body, isBodyFault(fault) ? fault : undefined, signal);
}

/** NDJSON in chunks of a few hundred records, so a big window is never one giant string. */
function* ndjsonChunks(
  zone: CloudflareZone,
  events: TrafficEvent[],
  options: RecordOptions,
  redactLog4Shell: boolean,
  endWithStreamError: boolean,
): Generator<Buffer> {
  for (let offset = 0; offset < events.length; offset += RECORDS_PER_CHUNK) {
    let text = '';
    for (const event of events.slice(offset, offset + RECORDS_PER_CHUNK)) {
      text += `${serializeCloudflareRecord(cloudflareWireFields(event, zone, options.fields, options.timestamps))}\n`;
    }
    // CVE-2021-44228=true: every `${` becomes `x{` so a vulnerable Log4j downstream cannot be triggered.
    yield Buffer.from(redactLog4Shell ? text.replaceAll('${', 'x{') : text);
  }
  // CF3: a failure mid-stream keeps the 200 and ends the body with this non-JSON line.
  if (endWithStreamError) yield Buffer.from(`${STREAM_ERROR_LINE}\n`);
}

/** A deterministic per-event draw, so a smaller sample is a subset of a larger one. */
function inSample(seed: number, event: TrafficEvent, fraction: number): boolean {
  return hash32(`sample|${seed}|${event.rayId}`) / 4294967296 < fraction;
}

function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  return acceptEncoding.split(',').some((entry) => {
    const [coding, ...parameters] = entry.split(';').map((part) => part.trim().toLowerCase());
    if (coding !== 'gzip') return false;
    const quality = parameters.find((parameter) => parameter.startsWith('q='));
    return quality === undefined || Number(quality.slice(2)) > 0;
  });
}

function retentionOff(exchange: Exchange): void {
  exchange.text(400, 'Retention is not turned on. Please enable log retention');
}

function rateLimited(exchange: Exchange, retryAfter: number): void {
  v4Error(exchange, 429, 971, 'Please wait and consider throttling your request speed', {
    'Retry-After': String(retryAfter),
  });
}

function v4Error(exchange: Exchange, status: number, code: number, message: string, headers = {}): void {
  exchange.json(status, { success: false, errors: [{ code, message }], messages: [], result: null }, headers);
}

function v4Success(exchange: Exchange, result: unknown): void {
  exchange.json(200, { success: true, errors: [], messages: [], result });
}
