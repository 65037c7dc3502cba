/**
 * Ground truth for adapter tests: what a generator event must become after normalisation, written
 * from provider-spec §8 independently of the adapters (which must agree with it, not share it).
 */
import { FIELD_NAMES } from '../../core/fields';
import { type CdnLogRecord, emptyRecord, severityFromStatus } from '../../core/record';
import type { TrafficEvent } from '../../emulators';
import { HttpClient } from '../../transport/http';
import { emptyStats, type ReadContext } from '../types';

const PROTOCOL_VERSION: Record<TrafficEvent['protocol'], string> = { 'HTTP/1.0': '1.0', 'HTTP/1.1': '1.1', 'HTTP/2': '2', 'HTTP/3': '3' };

function base(event: TrafficEvent): Omit<CdnLogRecord, 'provider' | 'source' | 'id'> {
  return {
    timestamp: event.timestampMs,
    clientIp: event.clientIp,
    clientPort: null,
    country: null,
    method: event.method,
    scheme: null,
    host: event.host,
    path: event.path,
    query: event.query,
    protocol: null,
    status: event.status,
    bytesSent: event.bytesSent,
    bodyBytes: null,
    durationMs: null,
    cacheStatus: event.cacheStatus,
    edgeLocation: null,
    userAgent: event.userAgent,
    referer: event.referer,
    range: null,
    contentType: event.contentType,
    requestId: null,
    message: null,
    severity: severityFromStatus(event.status),
    attributes: {},
  };
}

export function expectedCloudflare(event: TrafficEvent, zone: string): CdnLogRecord {
  return {
    ...base(event),
    provider: 'cloudflare',
    source: zone,
    id: event.rayId,
    clientPort: event.clientPort,
    country: event.country,
    scheme: event.scheme,
    protocol: PROTOCOL_VERSION[event.protocol],
    bodyBytes: event.bodyBytes,
    durationMs: event.durationMs,
    edgeLocation: event.pop.iata,
    requestId: event.rayId,
  };
}

/** Gcore: epoch-second timestamps, no port/country/scheme/protocol; `-` cache status is UNKNOWN. */
export function expectedGcore(event: TrafficEvent, resourceId: number, gcoreCacheStatus: string): CdnLogRecord {
  return {
    ...base(event),
    provider: 'gcore',
    source: String(resourceId),
    id: '',
    timestamp: Math.floor(event.timestampMs / 1000) * 1000,
    cacheStatus: gcoreCacheStatus === '-' ? 'UNKNOWN' : (gcoreCacheStatus as CdnLogRecord['cacheStatus']),
    edgeLocation: event.pop.gcoreDatacenter,
    attributes: { tcpinfo_rtt: event.tcpRttUs },
  };
}

/**
 * Tencent DSA (provider-spec §4.6, §8): second-precision times, the host as the source, hit/miss
 * only, province and ISP codes as attributes and CN as the country when the province is mainland.
 */
export function expectedDsa(event: TrafficEvent, codes: { province: number; isp: number }): CdnLogRecord {
  return {
    ...base(event),
    provider: 'tencent-dsa',
    source: event.host,
    id: '',
    timestamp: Math.floor(event.timestampMs / 1000) * 1000,
    country: codes.province >= 0 ? 'CN' : null,
    protocol: PROTOCOL_VERSION[event.protocol],
    durationMs: event.durationMs,
    cacheStatus: event.cacheStatus === 'HIT' ? 'HIT' : 'MISS',
    range: event.range,
    contentType: null,
    attributes: { province: codes.province, isp: codes.isp },
  };
}

/**
 * NAVER ELSA (provider-spec §5.4, §8): an application log. `doc` is the document the emulator holds
 * for the event; the record carries body as its message, logLevel as its severity, everything but
 * logTime and body as attributes, and none of the HTTP fields.
 */
export function expectedElsa(doc: Record<string, string | number>, projectKey: string): CdnLogRecord {
  const { logTime, body, ...rest } = doc;
  const level = String(doc.logLevel);
  return {
    ...emptyRecord('naver-elsa', projectKey, Number(logTime)),
    message: String(body),
    severity: level === 'ERROR' ? 'error' : level === 'WARN' ? 'warning' : 'info',
    attributes: rest,
  };
}

/**
 * Tencent EdgeOne L7 (provider-spec §6.5, §8): second-precision times, three cache outcomes, the
 * edge server id as the location. `wire` is what the emulator wrote for the event, for the values
 * it derives (edge IP, request bytes, origin time).
 */
export function expectedEdgeOneL7(event: TrafficEvent, zone: string, wire: Record<string, string | number>): CdnLogRecord {
  const attributes: CdnLogRecord['attributes'] = { RequestStatus: wire.RequestStatus, RequestBytes: wire.RequestBytes, EdgeServerIP: wire.EdgeServerIP };
  if (wire.EdgeInternalTime !== -1) attributes.EdgeInternalTime = wire.EdgeInternalTime;
  return {
    ...base(event),
    provider: 'tencent-edgeone',
    source: zone,
    id: '',
    timestamp: Math.floor(event.timestampMs / 1000) * 1000,
    clientPort: event.clientPort,
    country: event.country,
    protocol: PROTOCOL_VERSION[event.protocol],
    durationMs: event.durationMs,
    cacheStatus: event.cacheStatus === 'HIT' ? 'HIT' : event.cacheStatus === 'DYNAMIC' || event.cacheStatus === 'BYPASS' ? 'DYNAMIC' : 'MISS',
    edgeLocation: String(wire.EdgeServerID),
    range: event.range,
    contentType: null,
    requestId: event.rayId,
    attributes,
  };
}

/** Tencent EdgeOne L4: a connection record, no HTTP fields; the vendor's `Disconnet*` names kept. */
export function expectedEdgeOneL4(event: TrafficEvent, proxy: string, wire: Record<string, string | number>): CdnLogRecord {
  const connected = wire.DisconnetTimeStamp !== '-';
  const attributes: CdnLogRecord['attributes'] = {
    ServiceID: proxy,
    ConnectTimeStamp: wire.ConnectTimeStamp,
    ForwardProtocol: wire.ForwardProtocol,
    ForwardPort: wire.ForwardPort,
    SentBytes: event.bodyBytes,
  };
  if (connected) {
    attributes.DisconnetTimeStamp = wire.DisconnetTimeStamp;
    attributes.DisconnetReason = wire.DisconnetReason;
  }
  return {
    ...emptyRecord('tencent-edgeone', proxy, Math.floor(event.timestampMs / 1000) * 1000),
    clientIp: event.clientIp,
    country: event.country,
    edgeLocation: String(wire.EdgeIP),
    bytesSent: event.bytesSent,
    durationMs: connected ? Date.parse(String(wire.DisconnetTimeStamp)) - Date.parse(String(wire.ConnectTimeStamp)) : null,
    requestId: event.rayId,
    attributes,
  };
}

const COMPARED_FIELDS = FIELD_NAMES.filter((f) => f !== 'id' && f !== 'attributes') as Array<keyof CdnLogRecord>;

function sortedAttributes(attributes: CdnLogRecord['attributes']): unknown[] {
  return Object.keys(attributes)
    .sort()
    .map((k) => [k, attributes[k]]);
}

/**
 * Records as canonical one-line texts without their ids, sorted: comparing sets of records
 * whatever order they came in (and fast: jest's deep equality on 10^4 objects is not).
 */
export function comparable(records: readonly CdnLogRecord[]): string[] {
  return records.map((r) => JSON.stringify([...COMPARED_FIELDS.map((f) => r[f]), sortedAttributes(r.attributes)])).sort();
}

/**
 * A client with tiny backoffs and a short read timeout, so fault tests take milliseconds; the
 * emulators' 1 s Retry-After is honoured (a longer one would end the read: transport/retry.ts).
 */
export function fastClient(): HttpClient {
  return new HttpClient({
    bodyTimeoutMs: 400,
    headersTimeoutMs: 2_000,
    retry: { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_000 },
  });
}

/**
 * A read context on an emulator, as runQuery builds one (no filters, no options, fresh stats), for
 * calling an adapter's own functions (readWindow, checkAccess) directly.
 */
export function readContext<C, S>(on: { http: HttpClient; baseUrl: string; credentials: C; source: S; nowMs: () => number }): ReadContext<C, S> {
  return {
    ...on,
    filters: [],
    options: {},
    stats: emptyStats(),
    stillWanted: () => undefined,
    maxDecodedBytes: 1 << 30,
    trustedPackageOrigins: [on.baseUrl],
  };
}

export async function collect(records: AsyncIterable<CdnLogRecord[]>): Promise<CdnLogRecord[]> {
  const out: CdnLogRecord[] = [];
  for await (const batch of records) out.push(...batch);
  return out;
}
