/**
 * Record → OTLP log record, by one table (README, "The exporter": the table there is checked
 * against MAPPING by mapping.test.ts). OpenTelemetry semantic-convention names where one exists
 * (provider-spec §8), the project's `cdn.*` namespace for the rest. Nothing here knows a wire format:
 * the senders encode what this returns.
 */

import type { AttributeValue, CdnLogRecord, Severity } from '../core/record';

export type OtlpAttributeValue = string | number | boolean | string[];

/** One OTLP log record, before encoding. Integers are `int` attributes; `doubles` names the others. */
export interface MappedLog {
  /** Nanoseconds since the epoch, as a decimal string (OTLP's fixed64 does not fit a double). */
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: string;
  attributes: Record<string, OtlpAttributeValue>;
}

/** The resource of a batch: few distinct values, because Loki may turn them into index labels. */
export type ResourceAttributes = Record<string, string>;

/** A resource's identity whatever the order of its attributes: equal attribute sets are one resource. */
export function resourceKey(attributes: ResourceAttributes): string {
  return JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export interface MappingRow {
  attribute: string;
  /** The record field it comes from. */
  field: keyof CdnLogRecord;
  /** `semconv`: an OpenTelemetry semantic-convention name; `project`: the documented `cdn.*` namespace. */
  origin: 'semconv' | 'project';
  type: 'string' | 'int' | 'double' | 'string[]';
  meaning: string;
}

/** The mapping table. A record field that is null leaves its attribute out. */
export const MAPPING: readonly MappingRow[] = [
  { attribute: 'log.record.uid', field: 'id', origin: 'semconv', type: 'string', meaning: 'Stable record id: the same on every re-pull (provider request id, else a hash of the raw line)' },
  { attribute: 'http.request.method', field: 'method', origin: 'semconv', type: 'string', meaning: 'HTTP method; `_OTHER` for a non-standard one, kept in `http.request.method_original`' },
  { attribute: 'url.scheme', field: 'scheme', origin: 'semconv', type: 'string', meaning: '`http` or `https`' },
  { attribute: 'server.address', field: 'host', origin: 'semconv', type: 'string', meaning: 'Host requested' },
  { attribute: 'url.path', field: 'path', origin: 'semconv', type: 'string', meaning: 'URL path' },
  { attribute: 'url.query', field: 'query', origin: 'semconv', type: 'string', meaning: 'Query string without `?`' },
  { attribute: 'network.protocol.version', field: 'protocol', origin: 'semconv', type: 'string', meaning: '`1.0`, `1.1`, `2`, `3` (with `network.protocol.name` = `http`)' },
  { attribute: 'http.response.status_code', field: 'status', origin: 'semconv', type: 'int', meaning: 'HTTP status' },
  { attribute: 'http.response.size', field: 'bytesSent', origin: 'semconv', type: 'int', meaning: 'Bytes sent to the client, headers included' },
  { attribute: 'http.response.body.size', field: 'bodyBytes', origin: 'semconv', type: 'int', meaning: 'Body bytes' },
  { attribute: 'client.address', field: 'clientIp', origin: 'semconv', type: 'string', meaning: 'Client IP' },
  { attribute: 'client.port', field: 'clientPort', origin: 'semconv', type: 'int', meaning: 'Client source port' },
  { attribute: 'geo.country.iso_code', field: 'country', origin: 'semconv', type: 'string', meaning: 'Client country, ISO 3166-1 alpha-2' },
  { attribute: 'user_agent.original', field: 'userAgent', origin: 'semconv', type: 'string', meaning: 'User-Agent' },
  { attribute: 'http.request.header.referer', field: 'referer', origin: 'semconv', type: 'string[]', meaning: 'Referer, as a one-element list' },
  { attribute: 'http.request.header.range', field: 'range', origin: 'semconv', type: 'string[]', meaning: 'Range header, as a one-element list' },
  { attribute: 'http.response.header.content-type', field: 'contentType', origin: 'semconv', type: 'string[]', meaning: 'Response Content-Type, as a one-element list' },
  { attribute: 'cdn.cache.status', field: 'cacheStatus', origin: 'project', type: 'string', meaning: '`HIT`, `MISS`, `EXPIRED`, `STALE`, `UPDATING`, `REVALIDATED`, `BYPASS`, `DYNAMIC`, `IGNORED`, `DEFERRED`, `STREAM_HIT`, `PENDING`, `UNKNOWN`' },
  { attribute: 'cdn.edge.location', field: 'edgeLocation', origin: 'project', type: 'string', meaning: 'POP code, data centre or edge server' },
  { attribute: 'cdn.request.id', field: 'requestId', origin: 'project', type: 'string', meaning: 'Provider request id (RayID, RequestID, SessionID)' },
  { attribute: 'cdn.request.duration_ms', field: 'durationMs', origin: 'project', type: 'double', meaning: 'Time to serve, ms' },
];

/** Provider fields with no normalised home: `cdn.attributes.<provider field name>` (as `attributes.<name>` in filters). */
export const PASSTHROUGH_PREFIX = 'cdn.attributes.';

/** Resource attribute names (besides those from OTEL_RESOURCE_ATTRIBUTES and the configuration). */
export const RESOURCE_KEYS = { serviceName: 'service.name', provider: 'cdn.provider', source: 'cdn.source' } as const;

/** http.request.method values the semantic conventions know (the HTTP method registry of RFC 9110 and PATCH, QUERY). */
const KNOWN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE', 'QUERY']);

/** OpenTelemetry SeverityNumber (logs data model): INFO 9, WARN 13, ERROR 17. */
export const SEVERITY: Record<Severity, { number: number; text: string }> = {
  info: { number: 9, text: 'INFO' },
  warning: { number: 13, text: 'WARN' },
  error: { number: 17, text: 'ERROR' },
};

const NS_PER_MS = 1_000_000n;

/**
 * Epoch ms (with a fraction where the provider gave sub-ms precision) to epoch ns as a decimal
 * string. The fraction is read to the µs: a double holding ~1.7e12 ms carries no more.
 */
export function msToUnixNano(ms: number): string {
  const whole = Math.floor(ms);
  const micros = Math.round((ms - whole) * 1000);
  return (BigInt(whole) * NS_PER_MS + BigInt(micros) * 1000n).toString();
}

/** `GET example.com/path?q 200 HIT`; the message of an application log; a connection line for L4. */
export function bodyOf(record: CdnLogRecord): string {
  if (record.message !== null) return record.message;
  const parts: string[] = [];
  if (record.method !== null) parts.push(record.method);
  const target = `${record.host ?? ''}${record.path ?? ''}${record.query !== null ? `?${record.query}` : ''}`;
  if (target !== '') parts.push(target);
  if (record.status !== null) parts.push(String(record.status));
  if (record.cacheStatus !== 'UNKNOWN') parts.push(record.cacheStatus);
  if (parts.length > 0) return parts.join(' ');
  // L4 connection records: no request line.
  const conn = ['connection'];
  if (record.clientIp !== null) conn.push(`from ${record.clientIp}`);
  if (record.edgeLocation !== null) conn.push(`to ${record.edgeLocation}`);
  if (record.bytesSent !== null) conn.push(`${record.bytesSent} bytes`);
  if (record.durationMs !== null) conn.push(`${record.durationMs} ms`);
  return conn.join(' ');
}

/** A provider attribute as an OTLP value: scalars as they are, anything nested as its JSON text. */
function passthroughValue(value: AttributeValue): OtlpAttributeValue | null {
  if (value === null) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  return JSON.stringify(value);
}

/** Whole numbers in `int` rows are sent as OTLP intValue; everything else numeric as doubleValue. */
export function isDoubleAttribute(key: string, value: OtlpAttributeValue): boolean {
  if (typeof value !== 'number') return false;
  return DOUBLE_KEYS.has(key) || !Number.isSafeInteger(value);
}

const DOUBLE_KEYS: ReadonlySet<string> = new Set(MAPPING.filter((r) => r.type === 'double').map((r) => r.attribute));

/**
 * Attribute names by id, as AttributeSink receives them: MAPPING's rows in order, then the two
 * attributes derived from rows. An encoder can keep each name's bytes in an array by id.
 */
export const ATTRIBUTE_NAMES: readonly string[] = [...MAPPING.map((row) => row.attribute), 'http.request.method_original', 'network.protocol.name'];
const METHOD = MAPPING.findIndex((row) => row.field === 'method');
const METHOD_ORIGINAL = MAPPING.length;
const PROTOCOL_NAME = MAPPING.length + 1;

/** Receives a record's attributes, each once, in the order of the OTLP log record. */
export interface AttributeSink {
  /** The attribute `ATTRIBUTE_NAMES[id]`. */
  attribute(id: number, value: OtlpAttributeValue): void;
  /** The attribute `PASSTHROUGH_PREFIX + name`: a provider field with no normalised home. */
  passthrough(name: string, value: OtlpAttributeValue): void;
}

/**
 * The attribute rules, in the one place they live: a record's attributes, in order, to `sink`.
 * mapRecord collects them into an object; the fast encoder (senders/fast-proto.ts) writes them
 * straight into protobuf.
 */
export function visitAttributes(record: CdnLogRecord, sink: AttributeSink): void {
  const method = record.method;
  const otherMethod = method !== null && !KNOWN_METHODS.has(method);
  for (let id = 0; id < MAPPING.length; id++) {
    const row = MAPPING[id];
    const value = record[row.field];
    if (value === null || value === undefined || value === '') continue;
    if (row.type === 'string[]') sink.attribute(id, [String(value)]);
    else if (row.type === 'int' || row.type === 'double') {
      if (typeof value === 'number' && Number.isFinite(value)) sink.attribute(id, value);
    } else sink.attribute(id, id === METHOD && otherMethod ? '_OTHER' : String(value));
  }
  if (otherMethod) {
    // An empty method has no row above: its `_OTHER` comes after the rows.
    if (method === '' || method === undefined) sink.attribute(METHOD, '_OTHER');
    sink.attribute(METHOD_ORIGINAL, method);
  }
  if (record.protocol !== null) sink.attribute(PROTOCOL_NAME, 'http');
  const provided = record.attributes;
  for (const name of Object.keys(provided)) {
    const value = passthroughValue(provided[name]);
    if (value !== null) sink.passthrough(name, value);
  }
}

/** Collects attributes into the object of a MappedLog. */
class AttributeObject implements AttributeSink {
  readonly attributes: Record<string, OtlpAttributeValue> = Object.create(null);

  attribute(id: number, value: OtlpAttributeValue): void {
    this.attributes[ATTRIBUTE_NAMES[id]] = value;
  }

  passthrough(name: string, value: OtlpAttributeValue): void {
    this.attributes[PASSTHROUGH_PREFIX + name] = value;
  }
}

/** Maps one record. `observedMs` is when it was downloaded (provider-spec §8: ObservedTimestamp). */
export function mapRecord(record: CdnLogRecord, observedMs: number): MappedLog {
  const sink = new AttributeObject();
  visitAttributes(record, sink);
  const severity = SEVERITY[record.severity];
  return {
    timeUnixNano: msToUnixNano(record.timestamp),
    observedTimeUnixNano: msToUnixNano(observedMs),
    severityNumber: severity.number,
    severityText: severity.text,
    body: bodyOf(record),
    attributes: sink.attributes,
  };
}

/** The resource a record belongs to: service name, provider, source, and the source's extra attributes. */
export function resourceOf(record: Pick<CdnLogRecord, 'provider' | 'source'>, base: ResourceAttributes): ResourceAttributes {
  return { ...base, [RESOURCE_KEYS.provider]: record.provider, [RESOURCE_KEYS.source]: record.source };
}
