/**
 * The body of a Tencent EdgeOne `DownloadL7Logs`/`DownloadL4Logs` call (provider-spec §6.3, §9 EdgeOne
 * item 3) checked as the API does, and the API 3.0 error every refusal becomes (§6.6): a listing query,
 * or the `Response.Error` to answer instead.
 */

import type { EdgeOneZone } from '.';
import { DAY_MS, NS_PER_MS, parseRfc3339Ns } from '../time';

export type EdgeOneAction = 'DownloadL7Logs' | 'DownloadL4Logs';
export const EDGEONE_ACTIONS: readonly string[] = ['DownloadL7Logs', 'DownloadL4Logs'];

/** An API error: HTTP 200 with `Response.Error` (§6.6). */
export interface ApiError {
  code: string;
  message: string;
}

export const apiError = (code: string, message: string): ApiError => ({ code, message });

/** Offline logs are kept 30 days [C:T12]. */
const RETENTION_MS = 30 * DAY_MS;

export interface ListingQuery {
  action: EdgeOneAction;
  /** [startMs, endMs) covers the requested instants: start rounded down, end rounded up to the ms. */
  startMs: number;
  endMs: number;
  zones: EdgeOneZone[];
  /** Domains (L7) or proxy ids (L4) asked for; null for all of the zones'. */
  sourceIds: string[] | null;
  limit: number;
  offset: number;
}

const COMMON_PARAMETERS = ['StartTime', 'EndTime', 'ZoneIds', 'Limit', 'Offset'];
const SOURCE_PARAMETER: Record<EdgeOneAction, 'Domains' | 'ProxyIds'> = { DownloadL7Logs: 'Domains', DownloadL4Logs: 'ProxyIds' };
const MAX_LIMIT = 300;
const DEFAULT_LIMIT = 20;

/** The body's parameters, checked in this order: shape, unknown keys, window, zones, Limit, Offset, Domains/ProxyIds. */
export function validateListingRequest(body: Buffer, action: EdgeOneAction, zones: EdgeOneZone[], nowMs: number): ListingQuery | ApiError {
  let parameters: unknown;
  try {
    parameters = JSON.parse(body.toString('utf8'));
  } catch {
    parameters = undefined;
  }
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
    return apiError('InvalidParameter', 'The request body must be a JSON object such as {"StartTime":…,"EndTime":…,"ZoneIds":[…]}.');
  }
  const p = parameters as Record<string, unknown>;
  const sourceParameter = SOURCE_PARAMETER[action];
  const allowed = [...COMMON_PARAMETERS, sourceParameter];
  const unknown = Object.keys(p).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    return apiError('UnknownParameter', `The parameter \`${unknown}\` is not recognized by ${action}; it takes ${allowed.join(', ')}.`);
  }

  const start = instant(p, 'StartTime');
  if ('code' in start) return start;
  const end = instant(p, 'EndTime');
  if ('code' in end) return end;
  if (start.ns >= end.ns) return apiError('InvalidParameter', `StartTime ${start.text} must be before EndTime ${end.text}.`);
  const oldestMs = nowMs - RETENTION_MS;
  if (start.ns < BigInt(oldestMs) * NS_PER_MS) {
    return apiError(
      'InvalidParameter',
      `StartTime ${start.text} is older than 30 days: offline logs have a retention of 30 days, so start at ${new Date(oldestMs).toISOString()} or later.`,
    );
  }

  const zoneIds = stringList(p, 'ZoneIds', 'zone ids such as zone-2mzegj4vln5f');
  if (zoneIds !== undefined && 'code' in zoneIds) return zoneIds;
  if (zoneIds === undefined || zoneIds.length === 0) return apiError('MissingParameter', 'The request is missing a required parameter `ZoneIds`.');
  const requestedZones: EdgeOneZone[] = [];
  for (const id of new Set(zoneIds)) {
    const zone = zones.find((candidate) => candidate.id === id);
    if (zone === undefined) return apiError('ResourceUnavailable', `The resource is unavailable: \`${id}\` is not a zone of this account.`);
    requestedZones.push(zone);
  }

  const limit = integer(p, 'Limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
  if (typeof limit !== 'number') return limit;
  const offset = integer(p, 'Offset', 0, 0, Number.MAX_SAFE_INTEGER);
  if (typeof offset !== 'number') return offset;

  const sourceIds = stringList(p, sourceParameter, action === 'DownloadL7Logs' ? 'domain names' : 'proxy ids');
  if (sourceIds !== undefined && 'code' in sourceIds) return sourceIds;
  const belongs = (id: string) =>
    requestedZones.some((zone) => (action === 'DownloadL7Logs' ? zone.domains : zone.proxies).includes(id));
  const stranger = sourceIds?.find((id) => !belongs(id));
  if (stranger !== undefined) {
    const what = action === 'DownloadL7Logs' ? 'Domain' : 'Proxy';
    return apiError('InvalidParameterValue', `${sourceParameter}: ${what} \`${stranger}\` does not belong to zone ${zoneIds.join(', ')}.`);
  }

  return {
    action,
    startMs: Number(start.ns / NS_PER_MS),
    endMs: Number((end.ns + NS_PER_MS - 1n) / NS_PER_MS),
    zones: requestedZones,
    sourceIds: sourceIds === undefined || sourceIds.length === 0 ? null : sourceIds,
    limit,
    offset,
  };
}

function instant(parameters: Record<string, unknown>, name: 'StartTime' | 'EndTime'): { ns: bigint; text: string } | ApiError {
  const value = parameters[name];
  if (value === undefined) return apiError('MissingParameter', `The request is missing a required parameter \`${name}\`.`);
  const ns = typeof value === 'string' ? parseRfc3339Ns(value) : null;
  if (ns === null) {
    return apiError('InvalidParameterValue', `${name} must be an RFC 3339 date-time such as 2023-11-13T00:00:00Z or 2023-11-13T08:00:00+08:00; got ${JSON.stringify(value)}.`);
  }
  return { ns, text: value as string };
}

/** A string array parameter; undefined when absent. */
function stringList(parameters: Record<string, unknown>, name: string, what: string): string[] | ApiError | undefined {
  const value = parameters[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    return apiError('InvalidParameterValue', `${name} must be an array of ${what}.`);
  }
  return value;
}

function integer(parameters: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number | ApiError {
  const value = parameters[name];
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  return apiError('InvalidParameterValue', `${name} must be an integer ${range}; got ${JSON.stringify(value)}.`);
}
