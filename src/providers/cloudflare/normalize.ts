import { boundedAttribute } from '../../core/attributes';
import { stableId } from '../record-id';
import {
  type AttributeValue,
  type CdnLogRecord,
  emptyRecord,
  intOrNull,
  normaliseCacheStatus,
  presentOrNull,
  protocolVersion,
  severityFromStatus,
  splitUri,
} from '../../core/record';
import { CLOUDFLARE_RECORD_FIELDS } from './limits';
import { inDateRange, parseIsoInstant } from '../../core/time';

/** Fields with a home in the record; every other field goes to `attributes` under its own name. */
const MAPPED: ReadonlySet<string> = new Set(CLOUDFLARE_RECORD_FIELDS);

/**
 * A Cloudflare timestamp in ms, whatever `timestamps=` said: RFC 3339 strings, or integers in
 * seconds, ms, µs or ns told apart by magnitude. Nanoseconds pass through a double (2^53 < 10^18),
 * so keep µs precision: finer digits would be noise. RFC 3339 always names its zone; one that does
 * not is read as UTC, never in the machine's zone. Null when unusable or outside what a Date can hold.
 */
export function cloudflareTimeMs(value: unknown): number | null {
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return cloudflareTimeMs(Number(value));
    return parseIsoInstant(value, 0);
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  const ms = value >= 1e17 ? value / 1e6 : value >= 1e14 ? value / 1e3 : value >= 1e11 ? value : value * 1e3;
  const rounded = Math.round(ms * 1000) / 1000;
  return inDateRange(rounded) ? rounded : null;
}

/** A text field: a string, or a number or boolean as text; anything else (an object where text belongs) is absent. */
function text(value: unknown): string | null {
  if (typeof value === 'string') return presentOrNull(value);
  return (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean' ? String(value) : null;
}

/** One Logpull NDJSON object to a record (provider-spec §8, Cloudflare column); null without a usable time. */
export function normalizeCloudflare(raw: Record<string, unknown>, zone: string): CdnLogRecord | null {
  const start = cloudflareTimeMs(raw.EdgeStartTimestamp);
  const end = cloudflareTimeMs(raw.EdgeEndTimestamp);
  const timestamp = start ?? end;
  if (timestamp === null) return null;
  const record = emptyRecord('cloudflare', zone, timestamp);
  const uri = splitUri(text(raw.ClientRequestURI));
  const status = intOrNull(raw.EdgeResponseStatus);
  const rayId = text(raw.RayID);
  const method = text(raw.ClientRequestMethod);
  const country = text(raw.ClientCountry);

  record.clientIp = text(raw.ClientIP);
  record.clientPort = intOrNull(raw.ClientSrcPort);
  record.country = country === null ? null : country.toUpperCase();
  record.method = method === null ? null : method.toUpperCase();
  record.scheme = text(raw.ClientRequestScheme);
  record.host = text(raw.ClientRequestHost);
  record.path = text(raw.ClientRequestPath) ?? uri.path;
  record.query = uri.query;
  record.protocol = protocolVersion(text(raw.ClientRequestProtocol));
  record.status = status;
  record.bytesSent = intOrNull(raw.EdgeResponseBytes);
  record.bodyBytes = intOrNull(raw.EdgeResponseBodyBytes);
  record.durationMs = start !== null && end !== null ? Math.round((end - start) * 1000) / 1000 : null;
  record.cacheStatus = normaliseCacheStatus(text(raw.CacheCacheStatus));
  record.edgeLocation = text(raw.EdgeColoCode);
  record.userAgent = text(raw.ClientRequestUserAgent);
  record.referer = text(raw.ClientRequestReferer);
  record.contentType = text(raw.EdgeResponseContentType);
  record.requestId = rayId;
  record.severity = severityFromStatus(status);
  for (const key in raw) {
    if (!MAPPED.has(key)) record.attributes[key] = boundedAttribute(raw[key]);
  }
  // No RayID: the object itself is the identity (bounded, so that a hostile nesting cannot overflow the stack).
  record.id = rayId ?? stableId(`${zone}\n${JSON.stringify(boundedAttribute(raw))}`);
  return record;
}
