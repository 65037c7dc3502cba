/**
 * What a Tencent DSA log package holds (provider-spec §4.6): one line per request, 15 fields separated
 * by single spaces, times in Beijing time (UTC+8), and the User-Agent written verbatim, spaces and all,
 * so a client has to take fields 1–10 from the left and 12–15 from the right.
 */

import { hash32 } from '../random';
import { BEIJING_OFFSET_MS } from '../time';
import type { TrafficEvent } from '../traffic';

/**
 * Client province codes from Tencent's CDN log code table (T3; §4.6 field 6 names 22, 1050 and 4). The
 * emulator only has a country, so a mainland client gets one of these, chosen by its IP.
 */
export const DSA_PROVINCE_CODES = {
  Beijing: 22,
  Shanghai: 1050,
  Guangdong: 4,
  Jiangsu: 120,
  Zhejiang: 1442,
  Fujian: 2,
  Shandong: 122,
  Hubei: 1135,
  Chongqing: 1051,
} as const;

/** ISP codes (T3, §4.6 field 7): China Telecom, China Unicom, China Mobile, China Mobile Tietong, CERNET. */
export const DSA_ISP_CODES = {
  ChinaTelecom: 2,
  ChinaUnicom: 26,
  ChinaMobile: 1046,
  ChinaMobileTietong: 3947,
  CERNET: 38,
} as const;

/** §4.6: −1 in both fields for a client outside the Chinese mainland. */
const DSA_OUTSIDE_MAINLAND = -1;

const PROVINCES: readonly number[] = Object.values(DSA_PROVINCE_CODES);
const ISPS: readonly number[] = Object.values(DSA_ISP_CODES);

/** Client province and ISP codes the emulator writes for an event (spec 4.6 fields 6 and 7). */
export function dsaRegionCodes(event: TrafficEvent): { province: number; isp: number } {
  if (event.country !== 'CN') return { province: DSA_OUTSIDE_MAINLAND, isp: DSA_OUTSIDE_MAINLAND };
  return {
    province: PROVINCES[hash32(`dsa-province|${event.clientIp}`) % PROVINCES.length],
    isp: ISPS[hash32(`dsa-isp|${event.clientIp}`) % ISPS.length],
  };
}

/** The 15-field line of one request (spec 4.6), no trailing newline. */
export function dsaLogLine(event: TrafficEvent): string {
  const { province, isp } = dsaRegionCodes(event);
  return [
    beijingDigits(event.timestampMs),
    event.clientIp,
    event.host,
    event.query === null ? event.path : `${event.path}?${event.query}`,
    event.bytesSent,
    province,
    isp,
    event.status,
    event.referer ?? '-',
    event.durationMs,
    event.userAgent,
    event.range ?? '-',
    event.method,
    event.protocol,
    // §4.6 field 15 has two values, and DSA mostly does not cache (T2): only a cache HIT is a hit [I].
    event.cacheStatus === 'HIT' ? 'hit' : 'miss',
  ].join(' ');
}

/** `YYYYMMDDHHMMSS` of the Beijing wall clock at `epochMs` (the second it falls in). */
export function beijingDigits(epochMs: number): string {
  return new Date(epochMs + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace(/\D/g, '');
}
