/**
 * NAVER Cloud ELSA log download emulator (provider-spec §5, §9 NAVER ELSA) on loopback:
 * `POST /api/v1/logs/download` behind an imitation of NAVER's API Gateway (signature v2, 5-minute clock
 * skew, per-key quota, the gateway's error envelope), answering a zip with one JSON or CSV member of a
 * project's newest log documents in the window. Faults are injectable.
 *
 * Checks run in the gateway's order: route, auth, quota, then ELSA's own body validation, then faults.
 */

import type { EmulatorDefinition } from '../emulator';
import { damagedZip } from '../damage';
import { FaultController, retryAfterSeconds } from '../faults';
import { type Exchange, isBodyFault, type RequestLogEntry, startLoopbackServer, writeBody } from '../http';
import {
  ELSA_FIELDS,
  ELSA_HOSTS,
  type ElsaJsonShape,
  type ElsaLogDocument,
  type ElsaProject,
  elsaLogDocument,
  elsaTrafficSource,
  projectFields,
  renderCsvMember,
  renderJsonMember,
} from './documents';
import { verifyNcpSignatureV2 } from './sign';
import { SlidingWindowLimiter } from '../rate-limit';
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from '../time';
import { TrafficGenerator } from '../traffic';
import { oneMemberZip } from '../zip';

export {
  ELSA_FIELDS,
  type ElsaJsonShape,
  type ElsaLogDocument,
  type ElsaProject,
  elsaLogDocument,
} from './documents';

export interface NaverElsaEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  seed?: number;
  /** Mean log documents per minute per project; default 60. */
  rpm?: number;
  now?: () => number;
  /** Default 1. */
  projects?: number;
  /** API Gateway quota per access key, calls in any 60 s; default 120 [I]. */
  callsPerMinute?: number;
  /** How a JSON member is written; default 'array' (spec 5.4: undocumented; clients accept both). */
  jsonShape?: ElsaJsonShape;
}

export interface ElsaCredentials {
  accessKey: string;
  secretKey: string;
}

export interface NaverElsaEmulator {
  /** `http://127.0.0.1:PORT`; the client appends `/api/v1/logs/download`. */
  baseUrl: string;
  credentials: ElsaCredentials;
  projects: ElsaProject[];
  faults: FaultController;
  requests: RequestLogEntry[];
  generator: TrafficGenerator;
  /** Mutable: tests switch the JSON member shape. */
  jsonShape: ElsaJsonShape;
  close(): Promise<void>;
}

/** Demo values only: the emulator is the one place they open. */
const ELSA_DEMO_CREDENTIALS: ElsaCredentials = {
  accessKey: 'DEMOELSAACCESSKEY001',
  secretKey: 'demo-elsa-secret-key-not-a-real-secret00',
};

const DOWNLOAD_PATH = '/api/v1/logs/download';

/** The API Gateway rejects a timestamp more than 5 minutes from its clock (N2). */
const MAX_CLOCK_SKEW_MS = 5 * MINUTE_MS;

/**
 * How far back documents exist. ELSA's retention is not in the spec [I]; a bound keeps a request with
 * `from: 0` from generating fifty years of traffic.
 */
const RETENTION_MS = 30 * DAY_MS;

/** How far past now `from` and `to` may lie: a day of clock skew or time-zone slips, not a year typed wrong [I]. */
const MAX_FUTURE_MS = DAY_MS;

/** Body limits of spec 5.3. */
const BODY_LIMITS = {
  projectKeyLength: { min: 1, max: 53 },
  limit: { min: 1, max: 1000, default: 100 },
  count: { min: 1, max: 200_000, default: 100_000 },
  maxBodyBytes: 64 * 1024,
} as const;

const PROJECT_NAMES = ['elsa-test', 'elsa-two', 'elsa-three'];
const HEADERS = {
  timestamp: 'x-ncp-apigw-timestamp',
  accessKey: 'x-ncp-iam-access-key',
  signature: 'x-ncp-apigw-signature-v2',
} as const;
/** The newest documents are collected an hour at a time, walking back from `to` until `count` are found. */
const SCAN_STEP_MS = HOUR_MS;

export async function startNaverElsaEmulator(options: NaverElsaEmulatorOptions = {}): Promise<NaverElsaEmulator> {
  const now = options.now ?? Date.now;
  const context: ServerContext = {
    now,
    generator: new TrafficGenerator({ seed: options.seed ?? 1, rpm: options.rpm ?? 60 }),
    projects: elsaProjects(options.projects ?? 1),
    faults: new FaultController(['rateLimit', 'serverError', 'slowBody', 'truncatedBody', 'corruptZip']),
    quota: new SlidingWindowLimiter(options.callsPerMinute ?? 120, MINUTE_MS, now),
    credentials: ELSA_DEMO_CREDENTIALS,
    jsonShape: options.jsonShape ?? 'array',
  };
  const server = await startLoopbackServer(options.port ?? 0, (exchange, signal) => route(context, exchange, signal));
  return {
    baseUrl: server.origin,
    credentials: { ...ELSA_DEMO_CREDENTIALS },
    projects: context.projects,
    faults: context.faults,
    requests: server.requests,
    generator: context.generator,
    get jsonShape() {
      return context.jsonShape;
    },
    set jsonShape(shape: ElsaJsonShape) {
      context.jsonShape = shape;
    },
    close: server.close,
  };
}

export const naverElsaEmulator: EmulatorDefinition<NaverElsaEmulator> = {
  provider: 'naver-elsa',
  start: (options) => startNaverElsaEmulator(options),
  describe: (emulator) => ({
    provider: 'naver-elsa',
    baseUrl: emulator.baseUrl,
    credentials: { ...emulator.credentials },
    sources: emulator.projects.map((project) => ({ projectId: project.projectId, projectKey: project.projectKey })),
  }),
};

/** Projects are fixed by their index (not the seed), so demo configuration can name them. */
export function elsaProjects(count: number): ElsaProject[] {
  return Array.from({ length: count }, (_, index) => {
    const projectName = PROJECT_NAMES[index] ?? `elsa-${index + 1}`;
    return { projectId: 8171 + index, projectKey: `Pbxxxxx_${projectName}`, projectName };
  });
}

interface ServerContext {
  now: () => number;
  generator: TrafficGenerator;
  projects: ElsaProject[];
  faults: FaultController;
  quota: SlidingWindowLimiter;
  credentials: ElsaCredentials;
  jsonShape: ElsaJsonShape;
}

async function route(context: ServerContext, exchange: Exchange, signal: AbortSignal): Promise<void> {
  // The gateway has no resource for another path, nor another method on this one: both are its 404 (N3
  // lists no 405), the latter with details naming the method.
  if (exchange.url.pathname !== DOWNLOAD_PATH) return gatewayError(exchange, 404, '300', 'Not Found Exception');
  const method = exchange.req.method ?? 'GET';
  if (method !== 'POST') {
    return gatewayError(exchange, 404, '300', 'Not Found Exception', `${method} is not served on ${DOWNLOAD_PATH}; use POST`);
  }

  const auth = authenticate(context, exchange, method);
  if (!auth.ok) return gatewayError(exchange, 401, '200', 'Authentication Failed', auth.details);

  const waitMs = context.quota.tryAdmit(auth.accessKey);
  if (waitMs > 0) return gatewayError(exchange, 429, '420', 'Rate Limited', undefined, Math.ceil(waitMs / SECOND_MS));

  const body = await readJsonBody(exchange);
  if (!body.ok) return gatewayError(exchange, body.status, body.status === 413 ? '430' : '100', body.message, body.details);
  const validated = validateDownloadRequest(body.value, context.projects, context.now());
  if (!validated.ok) return gatewayError(exchange, 400, '100', 'Bad Request Exception', validated.details);

  const fault = context.faults.takeNext();
  if (fault?.kind === 'rateLimit') return gatewayError(exchange, 429, '410', 'Throttle Limited', undefined, retryAfterSeconds(fault));
  if (fault?.kind === 'serverError') return gatewayError(exchange, fault.status ?? 503, '500', 'Endpoint Error');

  const request = validated.value;
  const member = zipMember(request, renderMember(request, newestDocuments(context, request), context.jsonShape));
  const zip = fault?.kind === 'corruptZip' ? damagedZip(member) : member;
  exchange.head(200, { 'Content-Type': 'application/zip', 'Content-Length': zip.length });
  await writeBody(exchange, [zip], isBodyFault(fault) ? fault : undefined, signal);
}

/**
 * The gateway's error body (spec 5.5, N3): `{"error":{"errorCode":"<code>","message":"<msg>"}}`, with
 * `details` where we can say what was wrong [O]. A 429 says when to retry [I]; clients must not depend on it.
 */
function gatewayError(
  exchange: Exchange,
  status: number,
  errorCode: string,
  message: string,
  details?: string,
  retryAfterSeconds?: number,
): void {
  const headers = retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) };
  exchange.json(status, { error: { errorCode, message, ...(details === undefined ? {} : { details }) } }, headers);
}

type AuthResult = { ok: true; accessKey: string } | { ok: false; details: string };

/**
 * Signature v2 (spec 5.1–5.2) in the order a caller fixes things: the headers, the key, the clock,
 * the signature. The 5-minute skew is an auth failure too [I]. Details never hold the expected signature.
 */
function authenticate(context: ServerContext, exchange: Exchange, method: string): AuthResult {
  const timestamp = exchange.header(HEADERS.timestamp);
  const accessKey = exchange.header(HEADERS.accessKey);
  const signature = exchange.header(HEADERS.signature);
  if (timestamp === undefined || accessKey === undefined || signature === undefined) {
    const missing = Object.values(HEADERS).filter((name) => exchange.header(name) === undefined);
    return { ok: false, details: `missing header ${missing.join(', ')}` };
  }
  if (accessKey !== context.credentials.accessKey) {
    return { ok: false, details: `the access key in ${HEADERS.accessKey} is not known to the gateway` };
  }
  if (!/^\d{1,16}$/.test(timestamp)) {
    return { ok: false, details: `${HEADERS.timestamp} must be epoch milliseconds (digits only)` };
  }
  const skewMs = Number(timestamp) - context.now();
  if (Math.abs(skewMs) > MAX_CLOCK_SKEW_MS) {
    const hint = Number(timestamp) < 1e11 ? ' (it looks like seconds; the gateway wants milliseconds)' : '';
    const direction = skewMs > 0 ? 'ahead of' : 'behind';
    return {
      ok: false,
      details: `${HEADERS.timestamp} is ${Math.abs(skewMs)} ms ${direction} the gateway clock; at most ${MAX_CLOCK_SKEW_MS} ms is allowed${hint}`,
    };
  }
  // The URI is signed as the client sent it, query string included and undecoded.
  const uri = exchange.req.url ?? DOWNLOAD_PATH;
  if (!verifyNcpSignatureV2({ method, uri, timestamp, accessKey, signature }, context.credentials.secretKey)) {
    return {
      ok: false,
      details: `${HEADERS.signature} does not match: it must be base64 HMAC-SHA256 with the secret key of "${method} ${uri}\\n<timestamp>\\n<access key>"`,
    };
  }
  return { ok: true, accessKey };
}

type BodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413; message: string; details: string };

/** The body as JSON. It must be declared `application/json` (spec 5.1: the doc example posts `json=`). */
async function readJsonBody(exchange: Exchange): Promise<BodyResult> {
  const badRequest = (details: string): BodyResult => ({ ok: false, status: 400, message: 'Bad Request Exception', details });
  const mediaType = (exchange.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json') {
    return badRequest(`Content-Type must be application/json, got ${mediaType === '' ? 'none' : mediaType}`);
  }
  const tooLarge: BodyResult = {
    ok: false,
    status: 413,
    message: 'Request Entity Too Large',
    details: `the body is over ${BODY_LIMITS.maxBodyBytes} bytes`,
  };
  // Refused on the declared length before reading, so the 413 reaches a client still sending.
  if (Number(exchange.header('content-length') ?? 0) > BODY_LIMITS.maxBodyBytes) return tooLarge;
  let text: string;
  try {
    text = await exchange.readBody(BODY_LIMITS.maxBodyBytes);
  } catch {
    return tooLarge;
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return badRequest(`the body is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A download request after validation, defaults applied. */
interface ElsaDownloadRequest {
  project: ElsaProject;
  fromMs: number;
  toMs: number;
  format: 'JSON' | 'CSV';
  /** The page size ELSA uses internally [I]: validated, no effect on the file. */
  limit: number;
  count: number;
  /** Deduplicated, in the order given; undefined means every field. */
  includeFields: string[] | undefined;
}

type Validation = { ok: true; value: ElsaDownloadRequest } | { ok: false; details: string };

/**
 * Spec 5.3 as ELSA's own 400s [I], plus `from`/`to` at most a day after now. Every problem is reported
 * at once, joined by "; ". Lenient where
 * the doc is silent: `format` in any case, `null` for an optional field means "not sent", unknown
 * keys are ignored, and an empty `includeFields` means every field (as an empty `_source` include).
 */
function validateDownloadRequest(body: unknown, projects: readonly ElsaProject[], nowMs: number): Validation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, details: 'the body must be a JSON object' };
  }
  const fields = body as Record<string, unknown>;
  const optional = (name: string) => (fields[name] === null ? undefined : fields[name]);
  const problems: string[] = [];
  const integer = (name: string, value: unknown, range?: { min: number; max: number }): number | undefined => {
    if (value === undefined) {
      problems.push(`${name} is required`);
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      problems.push(`${name} must be an integer, got ${describeValue(value)}`);
      return undefined;
    }
    if (range !== undefined && (value < range.min || value > range.max)) {
      problems.push(`${name} must be ${range.min}–${range.max}, got ${value}`);
      return undefined;
    }
    return value;
  };

  const { projectKey } = fields;
  const { min: keyMin, max: keyMax } = BODY_LIMITS.projectKeyLength;
  if (projectKey === undefined) {
    problems.push('projectKey is required');
  } else if (typeof projectKey !== 'string' || projectKey.length < keyMin || projectKey.length > keyMax) {
    problems.push(`projectKey must be a string of ${keyMin}–${keyMax} characters, got ${describeValue(projectKey)}`);
  }
  const projectId = integer('projectId', fields.projectId);
  const epochMs = { min: 0, max: Number.MAX_SAFE_INTEGER };
  const fromMs = integer('from (epoch ms)', fields.from, epochMs);
  const sentTo = optional('to');
  const toMs = sentTo === undefined ? nowMs : integer('to (epoch ms)', sentTo, epochMs);
  const format = parseFormat(optional('format'), problems);
  const limit = optional('limit') === undefined ? BODY_LIMITS.limit.default : integer('limit', fields.limit, BODY_LIMITS.limit);
  const count = optional('count') === undefined ? BODY_LIMITS.count.default : integer('count', fields.count, BODY_LIMITS.count);
  const includeFields = parseIncludeFields(optional('includeFields'), problems);

  for (const [name, ms] of [['from', fromMs], ['to', sentTo === undefined ? undefined : toMs]] as const) {
    if (ms !== undefined && ms > nowMs + MAX_FUTURE_MS) {
      problems.push(`${name} (${ms}) is more than a day after now (${nowMs}); send epoch milliseconds of a time that has passed`);
    }
  }
  if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
    problems.push(`from (${fromMs}) is after to (${toMs})${sentTo === undefined ? ', which defaults to now' : ''}`);
  }
  const project =
    typeof projectKey === 'string' && projectId !== undefined
      ? projects.find((candidate) => candidate.projectKey === projectKey && candidate.projectId === projectId)
      : undefined;
  if (problems.length === 0 && project === undefined) {
    problems.push(`unknown project: projectKey ${JSON.stringify(projectKey)} with projectId ${projectId} is not a project of this account`);
  }
  if (problems.length > 0 || project === undefined) return { ok: false, details: problems.join('; ') };
  return {
    ok: true,
    value: { project, fromMs: fromMs!, toMs: toMs!, format: format!, limit: limit!, count: count!, includeFields },
  };
}

function parseFormat(value: unknown, problems: string[]): 'JSON' | 'CSV' | undefined {
  if (value === undefined) return 'JSON';
  const upper = typeof value === 'string' ? value.toUpperCase() : undefined;
  if (upper === 'JSON' || upper === 'CSV') return upper;
  problems.push(`format must be JSON or CSV, got ${describeValue(value)}`);
  return undefined;
}

function parseIncludeFields(value: unknown, problems: string[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((field) => typeof field === 'string' && field !== '')) {
    problems.push(`includeFields must be an array of field names, got ${describeValue(value)}`);
    return undefined;
  }
  return value.length === 0 ? undefined : [...new Set(value as string[])];
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/**
 * The project's documents with logTime in [from, to), newest first, at most `count` (spec 5.4): a
 * window holding more returns only its newest `count`, so a client must notice a full file and split.
 * Equal logTimes keep the reverse of the generator's order (ray id descending). Only documents that
 * exist are served: none newer than now, none older than the retention.
 */
function newestDocuments(context: ServerContext, request: ElsaDownloadRequest): ElsaLogDocument[] {
  const nowMs = context.now();
  const startMs = Math.max(request.fromMs, nowMs - RETENTION_MS);
  const endMs = Math.min(request.toMs, nowMs);
  const source = elsaTrafficSource(request.project);
  const documents: ElsaLogDocument[] = [];
  for (let chunkEndMs = endMs; chunkEndMs > startMs && documents.length < request.count; chunkEndMs -= SCAN_STEP_MS) {
    const events = context.generator.events(source, ELSA_HOSTS, Math.max(startMs, chunkEndMs - SCAN_STEP_MS), chunkEndMs);
    for (let i = events.length - 1; i >= 0 && documents.length < request.count; i--) {
      documents.push(elsaLogDocument(events[i], request.project));
    }
  }
  return documents;
}

function renderMember(request: ElsaDownloadRequest, documents: ElsaLogDocument[], jsonShape: ElsaJsonShape): string {
  const { includeFields } = request;
  if (request.format === 'CSV') return renderCsvMember(documents, includeFields ?? ELSA_FIELDS);
  const projected = includeFields === undefined ? documents : documents.map((document) => projectFields(document, includeFields));
  return renderJsonMember(projected, jsonShape);
}

/** One member `<projectKey>_<from>_<to>.json|.csv` (spec 5.4 [I]); `to` is the defaulted value when omitted. */
function elsaMemberName(request: Pick<ElsaDownloadRequest, 'project' | 'fromMs' | 'toMs' | 'format'>): string {
  return `${request.project.projectKey}_${request.fromMs}_${request.toMs}.${request.format.toLowerCase()}`;
}

function zipMember(request: ElsaDownloadRequest, text: string): Uint8Array {
  // A fixed mtime (the window's start) keeps the same download byte-identical.
  return oneMemberZip(elsaMemberName(request), Buffer.from(text), request.fromMs);
}
