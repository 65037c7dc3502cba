import { type CdnLogRecord, emptyRecord, intOrNull, normaliseCacheStatus, presentOrNull, protocolVersion, severityFromStatus, splitUri } from '../../core/record';
import { stableId } from '../record-id';
import { BEIJING_OFFSET_MS } from './limits';

/** The number the decimal digits raw[from..to) spell; NaN if any is not a digit. */
function digits(raw: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = raw.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}
// Consecutive lines mostly share their second: the last conversion is kept.
let lastRaw = '';
let lastMs: number | null = null;

/** Field 1, `YYYYMMDDHHMMSS` in Beijing time (UTC+8), as epoch ms UTC; null when malformed. */
export function dsaTimeMs(raw: string): number | null {
  if (raw === lastRaw) return lastMs;
  lastRaw = raw;
  if (raw.length !== 14) return (lastMs = null);
  const ms = Date.UTC(digits(raw, 0, 4), digits(raw, 4, 6) - 1, digits(raw, 6, 8), digits(raw, 8, 10), digits(raw, 10, 12), digits(raw, 12, 14));
  return (lastMs = Number.isFinite(ms) ? ms - BEIJING_OFFSET_MS : null);
}

/** The CDN format's field 16 (client port) follows the cache status; DSA's 15 fields end with it. */
const CACHE_FIELD = /^(hit|miss|-)$/i;
const PORT_FIELD = /^(\d+|-)$/;

/**
 * One log line (provider-spec §4.6): 15 space-separated fields, the User-Agent (field 11) unquoted
 * and full of spaces. So fields 1–10 are taken from the left, 12–15 (or 12–16 in the CDN variant
 * with a client port) from the right, and what lies between is the User-Agent. Returns null for a
 * line that cannot be a log line (too few fields, no request time).
 */
export function normalizeDsaLine(line: string, source: string): CdnLogRecord | null {
  const f = line.split(' ');
  const n = f.length;
  if (n < 15) return null;
  const withPort = n >= 16 && PORT_FIELD.test(f[n - 1]) && CACHE_FIELD.test(f[n - 2]);
  const right = withPort ? n - 5 : n - 4; // index of field 12
  if (right < 11) return null;
  const timestamp = dsaTimeMs(f[0]);
  if (timestamp === null) return null;

  const record = emptyRecord('tencent-dsa', source, timestamp);
  const uri = splitUri(presentOrNull(f[3]));
  const status = intOrNull(f[7]);
  const province = intOrNull(f[5]);
  const isp = intOrNull(f[6]);
  const method = presentOrNull(f[right + 1]);
  record.clientIp = presentOrNull(f[1]);
  record.host = presentOrNull(f[2]);
  record.path = uri.path;
  record.query = uri.query;
  record.bytesSent = intOrNull(f[4]);
  record.status = status;
  record.referer = presentOrNull(f[8]);
  record.durationMs = intOrNull(f[9]);
  record.userAgent = presentOrNull(right === 11 ? f[10] : f.slice(10, right).join(' '));
  record.range = presentOrNull(f[right]);
  record.method = method === null ? null : method.toUpperCase();
  record.protocol = protocolVersion(f[right + 2]);
  record.cacheStatus = normaliseCacheStatus(f[right + 3]);
  if (withPort) record.clientPort = intOrNull(f[n - 1]);
  // Province and ISP are Tencent's codes for the client's network (T3); -1 means outside the mainland.
  if (province !== null) record.attributes.province = province;
  if (isp !== null) record.attributes.isp = isp;
  if (province !== null && province >= 0) record.country = 'CN';
  record.severity = severityFromStatus(status);
  // No request id in DSA logs: the line (which names the host) is the identity.
  record.id = stableId(line);
  return record;
}
