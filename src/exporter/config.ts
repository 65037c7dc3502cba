/**
 * The exporter's configuration: one YAML file, `${ENV}` substituted into string values (never into
 * the YAML text, so a variable cannot add structure), validated with zod, every error naming the
 * file, line and field. OTLP settings fall back to the OpenTelemetry environment variables
 * (OTEL_EXPORTER_OTLP_[LOGS_]ENDPOINT, _PROTOCOL, _HEADERS, _COMPRESSION, _TIMEOUT,
 * OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES; the encoder: CDN_LOG_BRIDGE_OTLP_ENCODER): a value
 * in the file wins over the environment, the environment over the default. No endpoint at all means
 * OTLP JSON lines in ./data/otlp.
 */

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { z } from 'zod';
import { CdnLogError } from '../core/errors';
import { isProviderId, type ProviderId } from '../core/record';
import { SecretScrubber } from '../core/secrets';
import { DAY_MS, HOUR_MS, MINUTE_MS, parseTime, SECOND_MS } from '../core/time';
import { providerAdapter } from '../providers/registry';

/** A configuration file larger than this is not a configuration file. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

export interface OtlpTarget {
  kind: 'otlp';
  /** Full URL: `…/v1/logs` for HTTP; `host:port` URL for gRPC. */
  endpoint: string;
  protocol: OtlpProtocol;
  /** Header values are secrets: never logged, scrubbed from every message. */
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  timeoutMs: number;
  /**
   * Who writes http/protobuf requests: `fast`, the project's encoder (senders/fast-proto.ts, the
   * default), or `official`, the OpenTelemetry exporter. Other protocols are always `official`.
   */
  encoder: OtlpEncoder;
}

export type OtlpEncoder = 'fast' | 'official';

/** The project's own variable for the encoder (there is no OpenTelemetry one). */
export const OTLP_ENCODER_ENV = 'CDN_LOG_BRIDGE_OTLP_ENCODER';

export interface FileTarget {
  kind: 'files';
  dir: string;
  maxFileBytes: number;
  maxFiles: number;
}

export interface SourceConfig {
  name: string;
  provider: ProviderId;
  /** Provider credential variables → values (from the file, else the environment). */
  credentials: Record<string, string>;
  /** A label for the account in the checkpoint identity (stable across key rotation); absent: the credentials. */
  account?: string;
  selector: Record<string, string | string[]>;
  options: Record<string, string>;
  /** `-15m`, `now`, or an absolute time; resolved when the source first runs. */
  start: string;
  settleMs?: number;
  resource: Record<string, string>;
  baseUrl?: string;
  /** Line of the source in the file, for later messages. */
  line: number;
}

export interface ExporterConfig {
  file: string;
  stateDir: string;
  serviceName: string;
  resource: Record<string, string>;
  target: OtlpTarget | FileTarget;
  sources: SourceConfig[];
  /** Every secret the configuration holds (credentials, OTLP header values), for scrubbing. */
  secrets: string[];
}

const DURATION = /^(\d{1,9})(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS };

/** `90s`, `10m`, `2h`, `1d`, `250ms`. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]] : null;
}

const duration = z.string().refine((s) => parseDuration(s) !== null, 'not a duration: write it as 90s, 10m, 2h or 1d');
const attributes = z.record(z.string().min(1).max(256), z.union([z.string(), z.number(), z.boolean()]).transform(String));
const selectorValue = z.union([z.string(), z.number().transform(String), z.array(z.union([z.string(), z.number().transform(String)]))]);

const sourceSchema = z.strictObject({
  name: z.string().min(1).max(200).regex(/^[^\u0000-\u001f\u007f]+$/, 'no control characters'),
  provider: z.string().refine(isProviderId, { message: 'unknown provider' }),
  account: z.string().min(1).max(200).optional(),
  credentials: z.record(z.string(), z.string()).optional(),
  source: z.record(z.string(), selectorValue).default({}),
  fields: z.union([z.string(), z.array(z.string())]).optional(),
  options: z.record(z.string(), z.union([z.string(), z.number().transform(String)])).default({}),
  start: z.string().default('-15m'),
  settle: duration.optional(),
  resource: attributes.default({}),
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
});

const configSchema = z.strictObject({
  stateDir: z.string().min(1).default('./data/state'),
  serviceName: z.string().min(1).max(256).optional(),
  resource: attributes.default({}),
  otlp: z
    .strictObject({
      endpoint: z.string().optional(),
      logsEndpoint: z.string().optional(),
      protocol: z.enum(['http/protobuf', 'http/json', 'grpc']).optional(),
      headers: z.record(z.string().min(1), z.string()).optional(),
      compression: z.enum(['gzip', 'none']).optional(),
      timeout: duration.optional(),
      encoder: z.enum(['fast', 'official']).optional(),
    })
    .default({}),
  files: z
    .strictObject({
      dir: z.string().min(1).default('./data/otlp'),
      maxFileBytes: z.number().int().min(1024).max(2 ** 40).default(100 * 1024 * 1024),
      maxFiles: z.number().int().min(1).max(100_000).default(20),
    })
    .default({ dir: './data/otlp', maxFileBytes: 100 * 1024 * 1024, maxFiles: 20 }),
  sources: z.array(sourceSchema).min(1, 'at least one source'),
});

/** A configuration error: exit code 2, message `file:line: field: reason`. */
export function configError(file: string, line: number | null, field: string, reason: string): CdnLogError {
  return new CdnLogError('BadInput', `${file}${line !== null ? `:${line}` : ''}: ${field}: ${reason}`, { field });
}

/** `sources[1].provider` from a zod path. */
function fieldName(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out === '' ? '' : '.'}${String(part)}`;
  return out || 'configuration';
}

class Located {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** The line of the node at `path` (or of the key `key` inside it), 1-based; the nearest parent's line otherwise. */
  lineOf(path: ReadonlyArray<PropertyKey>, key?: string): number | null {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = this.doc.getIn(path.slice(0, depth) as unknown[], true) as Node | undefined;
      if (!node) continue;
      if (key !== undefined && depth === path.length && isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
        const at = (pair?.key as Node | undefined)?.range?.[0];
        if (at !== undefined) return this.lines.linePos(at).line;
      }
      if (node.range) return this.lines.linePos(node.range[0]).line;
    }
    return null;
  }
}

const ENV_REF = /\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}|\$\$\{/g;

/** Replaces `${NAME}` / `${env:NAME}` in every string scalar; `$${` is a literal `${`. */
function substituteEnv(doc: Document, env: Record<string, string | undefined>, fail: (path: PropertyKey[], name: string) => never, secrets: string[]): void {
  const visit = (node: unknown, path: PropertyKey[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) visit(pair.value, [...path, isScalar(pair.key) ? String(pair.key.value) : '?']);
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visit(item, [...path, i]));
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      node.value = node.value.replace(ENV_REF, (match, name: string | undefined) => {
        if (name === undefined) return '${';
        const value = env[name];
        if (value === undefined) fail(path, name);
        // Whatever comes from the environment may be a secret: it is scrubbed from every message.
        if (value.length >= 8) secrets.push(value);
        return value;
      });
    }
  };
  visit(doc.contents, []);
}

/** `k1=v1,k2=v2` with percent-encoded values (W3C Baggage, as OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES use). */
export function parseKeyValueList(text: string, variable: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    const key = eq > 0 ? item.slice(0, eq).trim() : '';
    if (key === '') throw new CdnLogError('BadInput', `${variable}: every item must be key=value (comma-separated); one is not`, { field: variable });
    let value: string;
    try {
      value = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      throw new CdnLogError('BadInput', `${variable}: the value of "${key}" is not valid percent-encoding`, { field: variable });
    }
    out[key] = value;
  }
  return out;
}

/** OTEL_EXPORTER_OTLP_LOGS_X, else OTEL_EXPORTER_OTLP_X. */
function otelEnv(env: Record<string, string | undefined>, name: string): { value: string; variable: string } | null {
  for (const variable of [`OTEL_EXPORTER_OTLP_LOGS_${name}`, `OTEL_EXPORTER_OTLP_${name}`]) {
    const value = env[variable];
    if (value !== undefined && value.trim() !== '') return { value: value.trim(), variable };
  }
  return null;
}

/** The field a provider calls its field choice (`fields` in the file). */
const FIELDS_OPTION: Partial<Record<ProviderId, string>> = { cloudflare: 'fieldSet', 'naver-elsa': 'includeFields' };

/** Options the exporter refuses: sampling drops records on purpose, which no exporter may do. */
const REFUSED_OPTIONS: Record<string, string> = { sample: 'the exporter delivers every record; sampling is for dashboards' };

/**
 * Reads and validates a configuration. `file` names it in messages. Throws a BadInput naming the
 * line and field; its message holds no secret from the file or the environment.
 */
export function parseExporterConfig(text: string, file: string, env: Record<string, string | undefined>): ExporterConfig {
  const secrets: string[] = [];
  const scrubber = () => new SecretScrubber(secrets);
  try {
    return parse(text, file, env, secrets);
  } catch (err) {
    if (err instanceof CdnLogError) throw new CdnLogError(err.kind, scrubber().scrub(err.message), { field: err.field });
    throw err;
  }
}

function parse(text: string, file: string, env: Record<string, string | undefined>, secrets: string[]): ExporterConfig {
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) throw configError(file, null, 'configuration', `larger than ${MAX_CONFIG_BYTES} bytes: not an exporter configuration`);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true, strict: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const line = problem.linePos?.[0]?.line ?? null;
    throw configError(file, line, 'yaml', problem.message.split('\n')[0].replace(/ at line \d+, column \d+.*$/, ''));
  }
  const where = new Located(doc, lines);
  substituteEnv(
    doc,
    env,
    (path, name) => {
      throw configError(file, where.lineOf(path), fieldName(path), `the environment variable ${name} is not set`);
    },
    secrets,
  );
  let raw: unknown;
  try {
    // An alias bomb (a billion laughs) expands past this many aliases and is refused.
    raw = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    throw configError(file, null, 'yaml', err instanceof Error ? err.message.split('\n')[0] : 'unreadable');
  }
  // Secrets in the file itself (credentials, headers), before any message can quote them.
  collectSecrets(raw, secrets);
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0];
      throw configError(file, where.lineOf(issue.path, key), fieldName([...issue.path, key]), `unknown field${issue.keys.length > 1 ? ` (also: ${issue.keys.slice(1).join(', ')})` : ''}`);
    }
    let reason = issue.message;
    if (issue.path[issue.path.length - 1] === 'provider') reason = `unknown provider; use one of: gcore, cloudflare, tencent-dsa, naver-elsa, tencent-edgeone`;
    throw configError(file, where.lineOf(issue.path), fieldName(issue.path), reason);
  }
  const config = parsed.data;

  const names = new Map<string, number>();
  const sources: SourceConfig[] = config.sources.map((s, i) => {
    const at = (field: string, key?: string) => where.lineOf(key === undefined ? ['sources', i, field] : ['sources', i, field], key);
    const err = (field: string, reason: string, key?: string) => configError(file, at(field, key), `sources[${i}].${key === undefined ? field : `${field}.${key}`}`, reason);
    if (names.has(s.name)) throw err('name', `"${s.name}" is already the name of sources[${names.get(s.name)}]; names must be unique`);
    names.set(s.name, i);
    const provider = s.provider as ProviderId;
    const adapter = providerAdapter(provider);
    for (const key of Object.keys(s.credentials ?? {})) {
      if (!adapter.credentialEnv.includes(key)) throw err('credentials', `${adapter.name} reads ${adapter.credentialEnv.join(', ')}; not this`, key);
    }
    const options: Record<string, string> = { ...s.options };
    for (const key of Object.keys(options)) {
      if (REFUSED_OPTIONS[key]) throw err('options', REFUSED_OPTIONS[key], key);
      if (!adapter.options.includes(key)) throw err('options', `${adapter.name} has no such option; it has: ${adapter.options.join(', ') || 'none'}`, key);
    }
    if (s.fields !== undefined) {
      const option = FIELDS_OPTION[provider];
      if (!option) throw err('fields', `${adapter.name} has no choice of fields`);
      options[option] = Array.isArray(s.fields) ? s.fields.join(',') : s.fields;
    }
    const selector: Record<string, string | string[]> = { ...s.source };
    try {
      adapter.parseSource(selector);
    } catch (e) {
      const reason = e instanceof Error ? e.message.replace(/^[\w.]+: /, '').replace(/--([a-z-]+)/g, '$1') : String(e);
      throw configError(file, at('source'), `sources[${i}].source${e instanceof CdnLogError && e.field ? `.${e.field}` : ''}`, reason);
    }
    try {
      parseTime(s.start, Date.now(), 'start');
    } catch (e) {
      throw err('start', e instanceof Error ? e.message.replace(/^start: /, '') : String(e));
    }
    const credentials = { ...(s.credentials ?? pick(env, adapter.credentialEnv)) };
    for (const value of Object.values(credentials)) secrets.push(value);
    return {
      name: s.name,
      provider,
      credentials,
      account: s.account,
      selector,
      options,
      start: s.start,
      settleMs: s.settle === undefined ? undefined : (parseDuration(s.settle) as number),
      resource: s.resource,
      baseUrl: s.baseUrl,
      line: where.lineOf(['sources', i]) ?? 0,
    };
  });

  const resource: Record<string, string> = {};
  const envResource = env.OTEL_RESOURCE_ATTRIBUTES;
  if (envResource) Object.assign(resource, parseKeyValueList(envResource, 'OTEL_RESOURCE_ATTRIBUTES'));
  Object.assign(resource, config.resource);
  const serviceName = config.serviceName ?? env.OTEL_SERVICE_NAME?.trim() ?? resource['service.name'] ?? 'cdn-log-bridge';
  delete resource['service.name'];

  return {
    file,
    stateDir: config.stateDir,
    serviceName: serviceName === '' ? 'cdn-log-bridge' : serviceName,
    resource,
    target: otlpTarget(config, env, file, (path) => where.lineOf(path), secrets),
    sources,
    secrets,
  };
}

function pick(env: Record<string, string | undefined>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) if (env[key] !== undefined) out[key] = env[key] as string;
  return out;
}

function collectSecrets(raw: unknown, secrets: string[]): void {
  if (!raw || typeof raw !== 'object') return;
  const config = raw as { otlp?: { headers?: unknown }; sources?: unknown };
  const add = (values: unknown) => {
    if (values && typeof values === 'object') for (const v of Object.values(values)) if (typeof v === 'string') secrets.push(v);
  };
  add(config.otlp?.headers);
  if (Array.isArray(config.sources)) for (const s of config.sources) add((s as { credentials?: unknown })?.credentials);
}

function otlpTarget(
  config: z.infer<typeof configSchema>,
  env: Record<string, string | undefined>,
  file: string,
  lineOf: (path: PropertyKey[]) => number | null,
  secrets: string[],
): OtlpTarget | FileTarget {
  const o = config.otlp;
  const protocolEnv = otelEnv(env, 'PROTOCOL');
  const protocol = o.protocol ?? (protocolEnv?.value as OtlpProtocol | undefined) ?? 'http/protobuf';
  if (!['http/protobuf', 'http/json', 'grpc'].includes(protocol)) {
    throw configError(file, null, protocolEnv?.variable ?? 'otlp.protocol', 'use http/protobuf, http/json or grpc');
  }
  // A signal-specific endpoint is used as given; a base endpoint gets /v1/logs (OTLP exporter spec).
  const logsEnv = env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT?.trim() || undefined;
  const baseEnv = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || undefined;
  let endpoint: string | undefined;
  let from = 'otlp.logsEndpoint';
  if (o.logsEndpoint) endpoint = o.logsEndpoint;
  else if (o.endpoint) [endpoint, from] = [signalUrl(o.endpoint, protocol), 'otlp.endpoint'];
  else if (logsEnv) [endpoint, from] = [logsEnv, 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'];
  else if (baseEnv) [endpoint, from] = [signalUrl(baseEnv, protocol), 'OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (endpoint === undefined) return { kind: 'files', ...config.files };
  const line = from.startsWith('otlp.') ? lineOf(from.split('.')) : null;
  let url: URL | null = null;
  try {
    url = new URL(endpoint);
  } catch {
    // Refused below.
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw configError(file, line, from, 'not an http:// or https:// URL: write it as http://collector:4318 (HTTP) or http://collector:4317 (gRPC)');
  }
  if (url.username || url.password) throw configError(file, line, from, 'put credentials in headers (OTEL_EXPORTER_OTLP_HEADERS), not in the URL');

  const headersEnv = otelEnv(env, 'HEADERS');
  const headers = o.headers ?? (headersEnv ? parseKeyValueList(headersEnv.value, headersEnv.variable) : {});
  for (const value of Object.values(headers)) secrets.push(value);
  for (const [key, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) throw configError(file, null, 'otlp.headers', `"${key}" is not an HTTP header name`);
    if (/[\r\n\0]/.test(value)) throw configError(file, null, `otlp.headers.${key}`, 'a header value cannot hold a line break');
  }
  const compressionEnv = otelEnv(env, 'COMPRESSION');
  const compression = o.compression ?? compressionEnv?.value ?? 'gzip';
  if (compression !== 'gzip' && compression !== 'none') throw configError(file, null, compressionEnv?.variable ?? 'otlp.compression', 'use gzip or none');
  const timeoutEnv = otelEnv(env, 'TIMEOUT');
  let timeoutMs = 10_000;
  if (o.timeout) timeoutMs = parseDuration(o.timeout) as number;
  else if (timeoutEnv) {
    // The OTel variable is in milliseconds.
    if (!/^\d{1,9}$/.test(timeoutEnv.value) || Number(timeoutEnv.value) === 0) throw configError(file, null, timeoutEnv.variable, 'milliseconds, a whole number above 0 (e.g. 10000)');
    timeoutMs = Number(timeoutEnv.value);
  }
  const encoderEnv = env[OTLP_ENCODER_ENV]?.trim() || undefined;
  const encoderFrom = o.encoder !== undefined ? 'otlp.encoder' : OTLP_ENCODER_ENV;
  const encoderSet = o.encoder ?? encoderEnv;
  if (encoderSet !== undefined && encoderSet !== 'fast' && encoderSet !== 'official') throw configError(file, null, encoderFrom, 'use fast or official');
  if (encoderSet === 'fast' && protocol !== 'http/protobuf') {
    throw configError(file, o.encoder !== undefined ? lineOf(['otlp', 'encoder']) : null, encoderFrom, `the fast encoder writes http/protobuf only; ${protocol} always goes through the official exporter`);
  }
  const encoder: OtlpEncoder = protocol === 'http/protobuf' ? (encoderSet ?? 'fast') : 'official';
  return { kind: 'otlp', endpoint: url.toString(), protocol, headers, compression, timeoutMs, encoder };
}

/** `http://collector:4318` → `http://collector:4318/v1/logs` for HTTP; gRPC takes the base as it is. */
function signalUrl(base: string, protocol: OtlpProtocol): string {
  if (protocol === 'grpc') return base;
  return `${base.replace(/\/+$/, '')}/v1/logs`;
}
