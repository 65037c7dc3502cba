/**
 * Cloudflare's http_requests field catalogue (provider-spec §3.4, CF5) and how each field is rendered
 * for a traffic event. The fields the normalised record needs come straight from the event; the rest get
 * plausible values derived from the event and the field name, so any subset of fields renders the same
 * values as the full record.
 */

import { hash32, hashHex } from '../random';
import type { TrafficEvent } from '../traffic';

export interface CloudflareZone {
  /** 32 lower-case hex characters. */
  id: string;
  name: string;
  hosts: string[];
}

export type CloudflareTimestampFormat = 'unixnano' | 'unix' | 'rfc3339';
export const CLOUDFLARE_TIMESTAMP_FORMATS: readonly CloudflareTimestampFormat[] = ['unixnano', 'unix', 'rfc3339'];

/** A field value as it goes on the wire; `bigint` is a JSON integer too large for a double (ns timestamps). */
export type CloudflareWireValue =
  | string
  | number
  | boolean
  | bigint
  | CloudflareWireValue[]
  | { [key: string]: CloudflareWireValue };

/** The fields Cloudflare returns when `fields` is omitted (provider-spec §3.2, CF1). */
export const CLOUDFLARE_DEFAULT_FIELDS = [
  'ClientIP',
  'ClientRequestHost',
  'ClientRequestMethod',
  'ClientRequestURI',
  'EdgeEndTimestamp',
  'EdgeResponseBytes',
  'EdgeResponseStatus',
  'EdgeStartTimestamp',
  'RayID',
] as const;

interface FieldContext {
  event: TrafficEvent;
  zone: CloudflareZone;
  timestamps: CloudflareTimestampFormat;
  /** A number in [0, 1) fixed by (event, field): the same whichever other fields are asked for. */
  unit: () => number;
}

interface FieldDefinition {
  description: string;
  value: (context: FieldContext) => CloudflareWireValue;
}

const isBot = (e: TrafficEvent) => /bot|curl|python|Go-http|monitor|jndi/i.test(e.userAgent);
const isEdgeHit = (e: TrafficEvent) => e.cacheStatus === 'HIT' || e.cacheStatus === 'STALE' || e.cacheStatus === 'UPDATING';
const isLog4Shell = (e: TrafficEvent) => e.userAgent.includes('${jndi:');
const originMs = (c: FieldContext) => (isEdgeHit(c.event) ? 0 : Math.max(1, Math.round(c.event.durationMs * 0.8)));
const score = (c: FieldContext, low: number, high: number) => low + Math.floor(c.unit() * (high - low + 1));

function timestamp(ms: number, format: CloudflareTimestampFormat): CloudflareWireValue {
  if (format === 'rfc3339') return new Date(ms).toISOString();
  if (format === 'unix') return Math.floor(ms / 1000);
  return BigInt(ms) * 1_000_000n;
}

const CLIENT_PLACES: Record<string, { city: string; region: string; latitude: string; longitude: string }> = {
  DE: { city: 'Frankfurt am Main', region: 'HE', latitude: '50.110900', longitude: '8.682100' },
  US: { city: 'New York', region: 'NY', latitude: '40.712800', longitude: '-74.006000' },
  GB: { city: 'London', region: 'ENG', latitude: '51.507400', longitude: '-0.127800' },
  FR: { city: 'Paris', region: 'IDF', latitude: '48.856600', longitude: '2.352200' },
  NL: { city: 'Amsterdam', region: 'NH', latitude: '52.367600', longitude: '4.904100' },
  PL: { city: 'Warsaw', region: '14', latitude: '52.229700', longitude: '21.012200' },
  BR: { city: 'Sao Paulo', region: 'SP', latitude: '-23.550500', longitude: '-46.633300' },
  HK: { city: 'Hong Kong', region: 'HCW', latitude: '22.319300', longitude: '114.169400' },
  CN: { city: 'Shenzhen', region: 'GD', latitude: '22.543100', longitude: '114.057900' },
  SG: { city: 'Singapore', region: '01', latitude: '1.352100', longitude: '103.819800' },
  IN: { city: 'Mumbai', region: 'MH', latitude: '19.076000', longitude: '72.877700' },
  JP: { city: 'Tokyo', region: '13', latitude: '35.676200', longitude: '139.650300' },
  KR: { city: 'Seoul', region: '11', latitude: '37.566500', longitude: '126.978000' },
  AU: { city: 'Sydney', region: 'NSW', latitude: '-33.868800', longitude: '151.209300' },
  ZA: { city: 'Johannesburg', region: 'GP', latitude: '-26.204100', longitude: '28.047300' },
  AE: { city: 'Dubai', region: 'DU', latitude: '25.204800', longitude: '55.270800' },
  CA: { city: 'Toronto', region: 'ON', latitude: '43.653200', longitude: '-79.383200' },
  ES: { city: 'Madrid', region: 'MD', latitude: '40.416800', longitude: '-3.703800' },
  IT: { city: 'Milan', region: '25', latitude: '45.464200', longitude: '9.190000' },
};
const place = (e: TrafficEvent) =>
  CLIENT_PLACES[e.country] ?? { city: '', region: '', latitude: '0.000000', longitude: '0.000000' };

const hex32 = (text: string) => hashHex(text, 32);

const ASNS = [3320, 7922, 15169, 16509, 3215, 12322, 4766, 9808, 4134, 7018, 2856, 24940] as const;
const coloId = (iata: string) => 100 + (hash32(`colo|${iata}`) % 400);

const CATALOGUE: Record<string, FieldDefinition> = {
  BotDetectionIDs: { description: 'IDs of the bot detections that matched the request', value: (c) => (isBot(c.event) ? [33554817] : []) },
  BotDetectionTags: { description: 'Tags of the bot detections that matched the request', value: (c) => (isBot(c.event) ? ['automated'] : []) },
  BotScore: { description: 'Cloudflare Bot Score: 1 (likely automated) to 99 (likely human)', value: (c) => (isBot(c.event) ? score(c, 1, 5) : score(c, 30, 99)) },
  BotScoreSrc: { description: 'Detection engine that produced the Bot Score', value: (c) => (isBot(c.event) ? 'Heuristics' : 'Machine Learning') },
  BotTags: { description: 'Type of bot traffic (if available)', value: (c) => (c.event.userAgent.includes('Googlebot') ? ['search_engine'] : []) },
  CacheCacheStatus: { description: 'Cache status: unknown, miss, expired, updating, stale, hit, ignored, bypass, revalidated, dynamic, stream_hit, deferred', value: (c) => c.event.cacheStatus.toLowerCase() },
  CacheReserveUsed: { description: 'Whether Cache Reserve was used to serve the request', value: () => false },
  CacheResponseBytes: { description: 'Number of bytes returned by the cache', value: (c) => (c.event.cacheStatus === 'DYNAMIC' ? 0 : c.event.bytesSent) },
  CacheResponseStatus: { description: 'HTTP status code returned by the cache to the edge (deprecated)', value: (c) => (c.event.cacheStatus === 'DYNAMIC' ? 0 : c.event.status) },
  CacheTieredFill: { description: 'Tiered Cache was used to serve the request', value: (c) => c.event.cacheStatus === 'MISS' && c.unit() < 0.3 },
  ClientASN: { description: 'Client AS number', value: (c) => ASNS[hash32(c.event.clientIp) % ASNS.length] },
  ClientCity: { description: 'Approximate city of the client', value: (c) => place(c.event).city },
  ClientCountry: { description: 'Country of the client IP address (ISO 3166-1 alpha-2, lower-case)', value: (c) => c.event.country.toLowerCase() },
  ClientDeviceType: { description: 'Client device type', value: (c) => (/Mobile|iPhone|Android/.test(c.event.userAgent) ? 'mobile' : 'desktop') },
  ClientIP: { description: 'IP address of the client', value: (c) => c.event.clientIp },
  ClientIPClass: { description: 'Client IP class', value: (c) => (c.event.userAgent.includes('bot') ? 'searchEngine' : 'noRecord') },
  ClientLatitude: { description: 'Latitude computed from the client IP address', value: (c) => place(c.event).latitude },
  ClientLongitude: { description: 'Longitude computed from the client IP address', value: (c) => place(c.event).longitude },
  ClientMTLSAuthCertFingerprint: { description: 'SHA256 fingerprint of the client certificate used for mTLS', value: () => '' },
  ClientMTLSAuthStatus: { description: 'Status of the mTLS authentication', value: () => 'unknown' },
  ClientRegionCode: { description: 'ISO 3166-2 region code of the client IP address', value: (c) => place(c.event).region },
  ClientRequestBytes: { description: 'Number of bytes in the client request', value: (c) => 300 + (c.event.method === 'GET' || c.event.method === 'HEAD' ? 0 : score(c, 20, 4000)) + c.event.userAgent.length },
  ClientRequestHost: { description: 'Host requested by the client', value: (c) => c.event.host },
  ClientRequestMethod: { description: 'HTTP method of the client request', value: (c) => c.event.method },
  ClientRequestPath: { description: 'URI path requested by the client', value: (c) => c.event.path },
  ClientRequestProtocol: { description: 'HTTP protocol of the client request', value: (c) => c.event.protocol },
  ClientRequestReferer: { description: 'HTTP request referrer', value: (c) => c.event.referer ?? '' },
  ClientRequestScheme: { description: 'The URL scheme requested by the visitor', value: (c) => c.event.scheme },
  ClientRequestSource: { description: 'Origin of the request: eyeball, workers, loadBalancing, ...', value: () => 'eyeball' },
  ClientRequestURI: { description: 'URI requested by the client, path and query', value: (c) => (c.event.query === null ? c.event.path : `${c.event.path}?${c.event.query}`) },
  ClientRequestUserAgent: { description: 'User agent reported by the client', value: (c) => c.event.userAgent },
  ClientSSLCipher: { description: 'Client SSL cipher', value: (c) => (c.event.scheme === 'https' ? 'AEAD-AES128-GCM-SHA256' : 'NONE') },
  ClientSSLProtocol: { description: 'Client SSL (TLS) protocol', value: (c) => (c.event.scheme === 'https' ? (c.event.protocol === 'HTTP/3' || c.unit() < 0.8 ? 'TLSv1.3' : 'TLSv1.2') : 'none') },
  ClientSrcPort: { description: 'Client source port', value: (c) => c.event.clientPort },
  ClientTCPRTTMs: { description: 'Smoothed average TCP round-trip time between client and edge, in ms', value: (c) => Math.round(c.event.tcpRttUs / 1000) },
  ClientXRequestedWith: { description: 'X-Requested-With HTTP header', value: (c) => (c.event.path.startsWith('/api/') && !isBot(c.event) ? 'XMLHttpRequest' : '') },
  ContentScanObjResults: { description: 'Results of the content scan of uploaded objects', value: () => [] },
  ContentScanObjSizes: { description: 'Sizes of the scanned objects', value: () => [] },
  ContentScanObjTypes: { description: 'Types of the scanned objects', value: () => [] },
  Cookies: { description: 'Custom cookies configured for logging', value: (c): CloudflareWireValue => (c.event.path.startsWith('/api/') ? { session: `s-${c.event.rayId.slice(0, 8)}` } : {}) },
  EdgeCFConnectingO2O: { description: 'True if the request was received from another Cloudflare zone (O2O)', value: () => false },
  EdgeColoCode: { description: 'IATA airport code of the data centre that received the request', value: (c) => c.event.pop.iata },
  EdgeColoID: { description: 'Cloudflare edge colo id', value: (c) => coloId(c.event.pop.iata) },
  EdgeEndTimestamp: { description: 'Timestamp at which the edge finished sending the response', value: (c) => timestamp(c.event.timestampMs + c.event.durationMs, c.timestamps) },
  EdgePathingOp: { description: 'Indicates what type of response was issued for this request', value: () => 'wl' },
  EdgePathingSrc: { description: 'Details how the request was classified', value: () => 'macro' },
  EdgePathingStatus: { description: 'Indicates what data was used to determine the handling of this request', value: () => 'nr' },
  EdgeRequestHost: { description: 'Host header on the request from the edge to the origin', value: (c) => c.event.host },
  EdgeResponseBodyBytes: { description: 'Size of the HTTP response body returned to clients', value: (c) => c.event.bodyBytes },
  EdgeResponseBytes: { description: 'Number of bytes returned by the edge to the client', value: (c) => c.event.bytesSent },
  EdgeResponseCompressionRatio: { description: 'Edge response compression ratio', value: (c) => (/text|javascript|json|css/.test(c.event.contentType) ? Math.round((1.5 + c.unit() * 3) * 100) / 100 : 1) },
  EdgeResponseContentType: { description: 'Edge response Content-Type header value', value: (c) => c.event.contentType },
  EdgeResponseStatus: { description: 'HTTP status code returned by Cloudflare to the client', value: (c) => c.event.status },
  EdgeServerIP: { description: 'IP of the edge server making a request to the origin', value: (c) => (isEdgeHit(c.event) ? '' : `192.0.2.${1 + (coloId(c.event.pop.iata) % 254)}`) },
  EdgeStartTimestamp: { description: 'Timestamp at which the edge received the request', value: (c) => timestamp(c.event.timestampMs, c.timestamps) },
  EdgeTimeToFirstByteMs: { description: 'Total view of time to first byte (TTFB) measured at the edge, in ms', value: (c) => Math.min(c.event.durationMs, originMs(c) + score(c, 0, 5)) },
  FraudAttack: { description: 'The primary fraud attack identified', value: () => '' },
  FraudDetectionIDs: { description: 'IDs of the fraud detections that matched', value: () => [] },
  FraudDetectionTags: { description: 'Tags of the fraud detections that matched', value: () => [] },
  FraudEmailRisk: { description: 'Risk of the email address seen in the request', value: () => '' },
  FraudUserID: { description: 'User id seen in the request', value: () => '' },
  JA3Hash: { description: 'MD5 fingerprint of the client TLS hello (JA3)', value: (c) => (c.event.scheme === 'https' ? hex32(`ja3|${c.event.userAgent}`) : '') },
  JA4: { description: 'JA4 fingerprint of the client TLS hello', value: (c) => (c.event.scheme === 'https' ? `t13d1516h2_${hex32(`ja4a|${c.event.userAgent}`).slice(0, 12)}_${hex32(`ja4b|${c.event.userAgent}`).slice(0, 12)}` : '') },
  JA4Signals: { description: 'Inter-request signals computed from the JA4 fingerprint', value: (c): CloudflareWireValue => (c.event.scheme === 'https' ? { h2h3_ratio_1h: Math.round(c.unit() * 1000) / 1000 } : {}) },
  JSDetectionPassed: { description: 'Whether the request passed background JavaScript detection', value: (c) => (isBot(c.event) ? 'missing' : 'passed') },
  LeakedCredentialCheckResult: { description: 'Result of the check for leaked credentials', value: () => 'clean' },
  OriginDNSResponseTimeMs: { description: 'Time taken to receive a DNS response for an origin name, in ms', value: (c) => (isEdgeHit(c.event) ? 0 : score(c, 0, 20)) },
  OriginIP: { description: 'IP of the origin server', value: (c) => (isEdgeHit(c.event) ? '' : '203.0.113.10') },
  OriginRequestHeaderSendDurationMs: { description: 'Time taken to send request headers to the origin, in ms', value: (c) => (isEdgeHit(c.event) ? 0 : score(c, 0, 3)) },
  OriginResponseBytes: { description: 'Number of bytes returned by the origin server (deprecated)', value: (c) => (isEdgeHit(c.event) ? 0 : c.event.bytesSent) },
  OriginResponseDurationMs: { description: 'Upstream response time, measured from the first datacenter that receives a request, in ms', value: originMs },
  OriginResponseHTTPExpires: { description: 'Value of the origin Expires header in RFC 1123 format', value: (c) => (isEdgeHit(c.event) ? '' : new Date(c.event.timestampMs + 3_600_000).toUTCString()) },
  OriginResponseHTTPLastModified: { description: 'Value of the origin Last-Modified header in RFC 1123 format', value: (c) => (isEdgeHit(c.event) ? '' : new Date(c.event.timestampMs - 86_400_000).toUTCString()) },
  OriginResponseHeaderReceiveDurationMs: { description: 'Time taken for the origin to return response headers after the request was sent, in ms', value: (c) => Math.round(originMs(c) * 0.7) },
  OriginResponseStatus: { description: 'Status returned by the upstream server', value: (c) => (isEdgeHit(c.event) ? 0 : c.event.status) },
  OriginResponseTime: { description: 'Number of nanoseconds it took the origin to return the response to the edge (deprecated)', value: (c) => originMs(c) * 1_000_000 },
  OriginSSLProtocol: { description: 'SSL (TLS) protocol used to connect to the origin', value: (c) => (isEdgeHit(c.event) ? 'unknown' : 'TLSv1.3') },
  OriginTCPHandshakeDurationMs: { description: 'Time taken to complete the TCP handshake with the origin, in ms', value: (c) => (isEdgeHit(c.event) ? 0 : score(c, 1, 30)) },
  OriginTLSHandshakeDurationMs: { description: 'Time taken to complete the TLS handshake with the origin, in ms', value: (c) => (isEdgeHit(c.event) ? 0 : score(c, 2, 60)) },
  ParentRayID: { description: 'Ray ID of the parent request if this request was made through a Worker script', value: () => '00' },
  PayPerCrawlStatus: { description: 'Pay per crawl outcome of the request', value: () => '' },
  RayID: { description: 'ID of the request', value: (c) => c.event.rayId },
  RequestHeaders: { description: 'Custom request headers configured for logging', value: (c): CloudflareWireValue => (c.event.range === null ? {} : { range: c.event.range }) },
  ResponseHeaders: { description: 'Custom response headers configured for logging', value: (c) => ({ 'content-type': c.event.contentType }) },
  SecurityAction: { description: 'Action of the security rule that triggered a terminating action, if any', value: (c) => (c.event.status === 403 ? 'block' : '') },
  SecurityActions: { description: 'Actions of the security rules that matched the request', value: (c) => (c.event.status === 403 ? ['block'] : isLog4Shell(c.event) ? ['log'] : []) },
  SecurityRuleDescription: { description: 'Description of the security rule that triggered a terminating action, if any', value: (c) => (isLog4Shell(c.event) ? 'Log4j Headers' : c.event.status === 403 ? 'Block bad bots' : '') },
  SecurityRuleID: { description: 'ID of the security rule that triggered a terminating action, if any', value: (c) => (c.event.status === 403 ? hex32(`rule|${c.zone.id}`) : '') },
  SecurityRuleIDs: { description: 'IDs of the security rules that matched the request', value: (c) => (c.event.status === 403 ? [hex32(`rule|${c.zone.id}`)] : []) },
  SecuritySources: { description: 'Security products that matched the request', value: (c) => (c.event.status === 403 ? ['firewallCustom'] : isLog4Shell(c.event) ? ['firewallManaged'] : []) },
  SmartRouteColoID: { description: 'Colo id of the Argo Smart Routing data centre, 0 when not used', value: () => 0 },
  UpperTierColoID: { description: 'Colo id of the upper-tier data centre that was checked for a cached version', value: (c) => (c.event.cacheStatus === 'MISS' ? coloId('FRA') : 0) },
  VerifiedBotCategory: { description: 'Category of the verified bot', value: (c) => (c.event.userAgent.includes('bot') ? 'Search Engine Crawler' : '') },
  WAFAttackScore: { description: 'Overall request score generated by the WAF detection module', value: (c) => (isLog4Shell(c.event) ? 1 : score(c, 60, 99)) },
  WAFFlags: { description: 'Additional configuration flags (deprecated)', value: () => '0' },
  WAFMatchedVar: { description: 'The variable the WAF matched (deprecated)', value: () => '' },
  WAFRCEAttackScore: { description: 'WAF score for an RCE attack', value: (c) => (isLog4Shell(c.event) ? 1 : score(c, 70, 99)) },
  WAFSQLiAttackScore: { description: 'WAF score for an SQLi attack', value: (c) => score(c, 70, 99) },
  WAFXSSAttackScore: { description: 'WAF score for an XSS attack', value: (c) => score(c, 70, 99) },
  WebAssetsLabelsManaged: { description: 'Managed labels of the matched web asset', value: () => [] },
  WebAssetsOperationID: { description: 'ID of the matched web asset operation', value: () => '' },
  WorkerCPUTime: { description: 'Amount of time in microseconds spent executing a Worker, if any', value: () => 0 },
  WorkerScriptName: { description: 'The Worker script name that made the request', value: () => '' },
  WorkerStatus: { description: 'Status returned from the Worker daemon', value: () => 'unknown' },
  WorkerSubrequest: { description: 'Whether the request was issued by a Worker subrequest', value: () => false },
  WorkerSubrequestCount: { description: 'Number of subrequests issued by a Worker when handling this request', value: () => 0 },
  WorkerWallTimeUs: { description: 'Real-time in microseconds elapsed between the start and end of a Worker invocation', value: () => 0 },
  ZoneName: { description: 'The human-readable name of the zone', value: (c) => c.zone.name },
};

/** Every field name, in catalogue order. */
export const CLOUDFLARE_FIELDS: readonly string[] = Object.keys(CATALOGUE);

export function isCloudflareField(name: string): boolean {
  return Object.hasOwn(CATALOGUE, name);
}

/** The bare object `/logs/received/fields` answers: field name → description. */
export function cloudflareFieldDescriptions(): Record<string, string> {
  return Object.fromEntries(CLOUDFLARE_FIELDS.map((name) => [name, CATALOGUE[name].description]));
}

/** The requested fields of one record, in request order. */
export function cloudflareWireFields(
  event: TrafficEvent,
  zone: CloudflareZone,
  fields: readonly string[],
  timestamps: CloudflareTimestampFormat = 'unixnano',
): Record<string, CloudflareWireValue> {
  const record: Record<string, CloudflareWireValue> = {};
  for (const name of fields) {
    const definition = CATALOGUE[name];
    if (definition === undefined) throw new RangeError(`Unknown Cloudflare field ${name}`);
    const unit = () => hash32(`${event.rayId}|${name}`) / 4294967296;
    record[name] = definition.value({ event, zone, timestamps, unit });
  }
  return record;
}

/** Every catalogue field of one event as Cloudflare renders it (ns timestamps are exact `bigint`s). */
export function cloudflareWireRecord(
  event: TrafficEvent,
  zone: CloudflareZone,
  timestamps: CloudflareTimestampFormat = 'unixnano',
): Record<string, CloudflareWireValue> {
  return cloudflareWireFields(event, zone, CLOUDFLARE_FIELDS, timestamps);
}

/** One NDJSON line (without the newline); bigints are written as their exact integer digits. */
export function serializeCloudflareRecord(record: Record<string, CloudflareWireValue>): string {
  const members: string[] = [];
  for (const [name, value] of Object.entries(record)) {
    members.push(`${JSON.stringify(name)}:${typeof value === 'bigint' ? value.toString() : JSON.stringify(value)}`);
  }
  return `{${members.join(',')}}`;
}
