import { type CdnLogRecord, emptyRecord, normaliseCacheStatus, protocolVersion, severityFromStatus, splitUri, type AttributeValue } from '../../core/record';
import { boundedAttribute } from '../../core/attributes';
import { stableId } from '../record-id';
import { parseIsoInstant } from '../../core/time';

type Wire = Record<string, unknown>;

/** EdgeOne writes a missing string as `-` and a missing integer as -1 (provider-spec §6.5). */
function text(value: unknown): string | null {
  if (typeof value === 'string') return value === '-' || value === '' ? null : value;
  return typeof value === 'number' && Number.isFinite(value) && value !== -1 ? String(value) : null;
}

function int(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value !== -1 ? value : null;
  if (typeof value !== 'string' || value === '-' || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) && n !== -1 ? n : null;
}

// Records of a package come in time order, many in the same second: the last parse is kept.
let lastTime: unknown;
let lastTimeMs: number | null = null;

/** An EdgeOne ISO 8601 time in ms; "All times UTC+0" (T12), so a zone-less one is UTC, never the machine's zone. */
export function timeMs(value: unknown): number | null {
  if (value === lastTime) return lastTimeMs;
  const raw = text(value);
  lastTime = value;
  lastTimeMs = raw === null ? null : parseIsoInstant(raw, 0);
  return lastTimeMs;
}

/** Every field the record has no home for, minus the absent ones, under its EdgeOne name. */
function passThrough(record: CdnLogRecord, wire: Wire, mapped: ReadonlySet<string>, skip?: string): void {
  for (const key in wire) {
    if (mapped.has(key) || key === skip) continue;
    const value = wire[key];
    if (value === '-' || value === -1 || value === null || value === undefined || value === '') continue;
    record.attributes[key] = boundedAttribute(value);
  }
}

const L7_MAPPED = new Set([
  'RequestID',
  'ClientIP',
  'ClientRegion',
  'RequestTime',
  'RequestHost',
  'RequestMethod',
  'RequestUrl',
  'RequestUrlQueryString',
  'RequestUA',
  'RequestRange',
  'RequestReferer',
  'RemotePort',
  'EdgeCacheStatus',
  'EdgeResponseStatusCode',
  'EdgeResponseBytes',
  'EdgeResponseTime',
  'EdgeServerID',
]);

/**
 * One L7 (site acceleration) record: an HTTP request (provider-spec §8, EdgeOne L7 column). Null
 * when it has no usable RequestTime. `line` is the raw JSON line, the identity when RequestID is absent.
 */
export function normalizeEdgeOneL7(wire: Wire, zone: string, line: string): CdnLogRecord | null {
  const timestamp = timeMs(wire.RequestTime);
  if (timestamp === null) return null;
  const record = emptyRecord('tencent-edgeone', zone, timestamp);
  const uri = splitUri(text(wire.RequestUrl));
  const status = int(wire.EdgeResponseStatusCode);
  const method = text(wire.RequestMethod);
  const country = text(wire.ClientRegion);
  const protocol = text(wire.RequestProtocol);
  record.clientIp = text(wire.ClientIP);
  record.clientPort = int(wire.RemotePort);
  record.country = country === null ? null : country.toUpperCase();
  record.method = method === null ? null : method.toUpperCase();
  record.host = text(wire.RequestHost);
  record.path = uri.path;
  record.query = text(wire.RequestUrlQueryString) ?? uri.query;
  // WebSocket is not an HTTP version: it stays in the attributes only.
  if (protocol !== null && /^HTTP\//i.test(protocol)) record.protocol = protocolVersion(protocol);
  record.status = status;
  record.bytesSent = int(wire.EdgeResponseBytes);
  record.durationMs = int(wire.EdgeResponseTime);
  record.cacheStatus = normaliseCacheStatus(text(wire.EdgeCacheStatus));
  record.edgeLocation = text(wire.EdgeServerID) ?? text(wire.EdgeServerIP);
  record.userAgent = text(wire.RequestUA);
  record.referer = text(wire.RequestReferer);
  record.range = text(wire.RequestRange);
  record.requestId = text(wire.RequestID);
  record.severity = severityFromStatus(status);
  passThrough(record, wire, L7_MAPPED, protocol !== null && record.protocol !== null ? 'RequestProtocol' : undefined);
  record.id = record.requestId ?? stableId(line);
  return record;
}

const L4_MAPPED = new Set(['ClientRealIP', 'ClientRegion', 'EdgeIP', 'ReceivedBytes', 'SessionID', 'LogTimeStamp']);

/**
 * One L4 proxy record: a connection record, several per long connection (provider-spec §6.5 and §8,
 * EdgeOne L4 column). The vendor spells `DisconnetTimeStamp` and `DisconnetReason` so; they are read
 * and kept as spelt. `source` is the proxy the package belongs to.
 */
export function normalizeEdgeOneL4(wire: Wire, source: string, line: string): CdnLogRecord | null {
  const timestamp = timeMs(wire.LogTimeStamp) ?? timeMs(wire.ConnectTimeStamp);
  if (timestamp === null) return null;
  const record = emptyRecord('tencent-edgeone', text(wire.ServiceID) ?? source, timestamp);
  const country = text(wire.ClientRegion);
  const connectMs = timeMs(wire.ConnectTimeStamp);
  const disconnectMs = timeMs(wire.DisconnetTimeStamp);
  record.clientIp = text(wire.ClientRealIP);
  record.country = country === null ? null : country.toUpperCase();
  record.edgeLocation = text(wire.EdgeIP);
  // "ReceivedBytes: outbound traffic" — what the edge sent towards the client (provider-spec §8).
  record.bytesSent = int(wire.ReceivedBytes);
  record.durationMs = connectMs !== null && disconnectMs !== null ? disconnectMs - connectMs : null;
  record.requestId = text(wire.SessionID);
  passThrough(record, wire, L4_MAPPED);
  // A session has many records; the line is the identity.
  record.id = stableId(line);
  return record;
}
