/**
 * Gcore CDN logs download emulator (provider-spec §2, §9 Gcore) on loopback:
 * `GET /cdn/advanced/v1/logs/download` answers a zip holding one CSV or TSV member, after Gcore's auth,
 * validation, filters, sort, offset/limit and field selection; faults are injectable.
 */

import { damagedZip } from '../damage';
import { FaultController, retryAfterSeconds } from '../faults';
import type { EmulatorDefinition } from '../emulator';
import { type GcoreResource, type GcoreTimestampFormat, gcoreWireRow, renderTable } from './columns';
import { type GcoreDownloadQuery, matchesFilters, rowComparator, type SortableRow, validateDownloadQuery, windowMs } from './query';
import { type Exchange, isBodyFault, type RequestLogEntry, startLoopbackServer, writeBody } from '../http';
import { SlidingWindowLimiter } from '../rate-limit';
import { MINUTE_MS, NS_PER_MS, rfc5545Stamp, SECOND_MS } from '../time';
import { TrafficGenerator } from '../traffic';
import { oneMemberZip } from '../zip';

export { gcoreWireRow, gcoreCacheStatus, type GcoreResource, type GcoreTimestampFormat } from './columns';

export interface GcoreEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  seed?: number;
  /** Mean requests per minute per resource. */
  rpm?: number;
  now?: () => number;
  timestampFormat?: GcoreTimestampFormat;
  /** Requests per minute per credential; Gcore documents none, so this is ours [I]. */
  rpmLimit?: number;
  resources?: number;
}

export interface GcoreCredentials {
  apiKey: string;
  /** A demo JWT for the `Authorization: Bearer` form. */
  bearerToken: string;
}

export interface GcoreEmulator {
  /** `http://127.0.0.1:PORT`; the client appends `/cdn/advanced/v1/logs/download`. */
  baseUrl: string;
  credentials: GcoreCredentials;
  resources: GcoreResource[];
  faults: FaultController;
  requests: RequestLogEntry[];
  generator: TrafficGenerator;
  close(): Promise<void>;
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Demo values only: the emulator is the one place they open. */
const GCORE_DEMO_CREDENTIALS: GcoreCredentials = {
  apiKey: '1234$demo-gcore-api-key',
  bearerToken: [
    base64url({ alg: 'HS256', typ: 'JWT' }),
    base64url({ sub: 'demo', iss: 'gcore-emulator' }),
    Buffer.from('demo-signature').toString('base64url'),
  ].join('.'),
};

export const GCORE_DOWNLOAD_PATH = '/cdn/advanced/v1/logs/download';
const CNAMES = ['cdn.example.com', 'static.example.net'];

export async function startGcoreEmulator(options: GcoreEmulatorOptions = {}): Promise<GcoreEmulator> {
  const now = options.now ?? Date.now;
  const context: ServerContext = {
    now,
    generator: new TrafficGenerator({ seed: options.seed ?? 1, rpm: options.rpm ?? 60 }),
    resources: gcoreResources(options.resources ?? 2),
    timestampFormat: options.timestampFormat ?? 'seconds',
    faults: new FaultController(['rateLimit', 'serverError', 'slowBody', 'truncatedBody', 'corruptZip']),
    quota: new SlidingWindowLimiter(options.rpmLimit ?? 600, MINUTE_MS, now),
    credentials: GCORE_DEMO_CREDENTIALS,
  };
  const server = await startLoopbackServer(options.port ?? 0, (exchange, signal) => route(context, exchange, signal));
  return {
    baseUrl: server.origin,
    credentials: { ...GCORE_DEMO_CREDENTIALS },
    resources: context.resources,
    faults: context.faults,
    requests: server.requests,
    generator: context.generator,
    close: server.close,
  };
}

export const gcoreEmulator: EmulatorDefinition<GcoreEmulator> = {
  provider: 'gcore',
  start: (options) => startGcoreEmulator(options),
  describe: (emulator) => ({
    provider: 'gcore',
    baseUrl: emulator.baseUrl,
    credentials: { ...emulator.credentials },
    sources: emulator.resources.map((resource) => ({ resource: resource.id, cname: resource.cname })),
  }),
};

/** Resources are fixed by their index (not the seed), so demo configuration can name them. */
function gcoreResources(count: number): GcoreResource[] {
  return Array.from({ length: count }, (_, index) => ({
    id: 100_001 + index,
    cname: CNAMES[index] ?? `cdn${index}.example.com`,
  }));
}

interface ServerContext {
  now: () => number;
  generator: TrafficGenerator;
  resources: GcoreResource[];
  timestampFormat: GcoreTimestampFormat;
  faults: FaultController;
  quota: SlidingWindowLimiter;
  credentials: GcoreCredentials;
}

async function route(context: ServerContext, exchange: Exchange, signal: AbortSignal): Promise<void> {
  if (exchange.url.pathname !== GCORE_DOWNLOAD_PATH) return exchange.json(404, { message: 'Not found.' });
  const caller = authenticatedCaller(context.credentials, exchange.header('authorization'));
  if (caller === null) return exchange.json(401, { message: 'Invalid API key' });
  if (exchange.req.method !== 'GET') return exchange.json(405, { message: `Method "${exchange.req.method}" not allowed.` });

  const validated = validateDownloadQuery(exchange.query, context.now());
  if (!validated.ok) return exchange.json(400, { errors: validated.errors });

  const waitMs = context.quota.tryAdmit(caller);
  if (waitMs > 0) return tooManyRequests(exchange, Math.ceil(waitMs / SECOND_MS));

  const fault = context.faults.takeNext();
  if (fault?.kind === 'rateLimit') return tooManyRequests(exchange, retryAfterSeconds(fault));
  if (fault?.kind === 'serverError') return exchange.json(fault.status ?? 500, { message: 'Internal server error' });

  const query = validated.value;
  const table = zipTable(query, renderTable(selectRows(context, query), query.fields, query.format));
  const zip = fault?.kind === 'corruptZip' ? damagedZip(table) : table;
  exchange.head(200, {
    'Content-Type': 'application/zip',
    'Content-Disposition': `attachment; filename=${fileStem(query)}.zip`,
    'Content-Length': zip.length,
  });
  await writeBody(exchange, [zip], isBodyFault(fault) ? fault : undefined, signal);
}

/**
 * The credential the quota is kept for, or null. The scheme is case-insensitive (G1 says `apikey`,
 * the Python SDK sends `APIKey`), and Gcore also takes a JWT as `Bearer` (G4).
 */
function authenticatedCaller(credentials: GcoreCredentials, authorization: string | undefined): string | null {
  const match = /^(\S+) +(\S.*)$/.exec(authorization ?? '');
  if (match === null) return null;
  const [, scheme, token] = match;
  if (scheme.toLowerCase() === 'apikey' && token === credentials.apiKey) return `apikey:${token}`;
  if (scheme.toLowerCase() === 'bearer' && token === credentials.bearerToken) return `bearer:${token}`;
  return null;
}

/** The account's log stream (every resource), filtered, sorted and paged. */
function selectRows(context: ServerContext, query: GcoreDownloadQuery) {
  const { fromMs, toMs } = windowMs(query);
  const rows: SortableRow[] = [];
  for (const resource of context.resources) {
    for (const event of context.generator.events(String(resource.id), [resource.cname], fromMs, toMs)) {
      const row = gcoreWireRow(event, resource, context.timestampFormat);
      if (matchesFilters(row, query.filters)) rows.push({ event, row });
    }
  }
  rows.sort(rowComparator(query.sort));
  return rows.slice(query.offset, query.offset + query.limit).map(({ row }) => row);
}

/** `<from>_<to>_<format>` with RFC 5545 stamps, as in `20210614T000000_20210615T000000_tsv.zip` (§2.3). */
function fileStem(query: GcoreDownloadQuery): string {
  const stamp = (ns: bigint) => rfc5545Stamp(Number(ns / NS_PER_MS));
  return `${stamp(query.fromNs)}_${stamp(query.toNs)}_${query.format}`;
}

function zipTable(query: GcoreDownloadQuery, table: string): Uint8Array {
  return oneMemberZip(`${fileStem(query)}.${query.format}`, Buffer.from(table), Number(query.fromNs / NS_PER_MS));
}

function tooManyRequests(exchange: Exchange, retryAfter: number): void {
  exchange.json(429, { message: 'Too many requests' }, { 'Retry-After': String(retryAfter) });
}
