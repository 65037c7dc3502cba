/**
 * The ground truth every emulator serves: a deterministic stream of CDN requests per source.
 *
 * The events of one UTC minute depend only on (seed, source, minute), so any window is a consistent
 * slice of the same stream: splitting a range into windows never changes the union, and a re-pull of a
 * window returns the same events (Cloudflare's guarantee, provider-spec §3.2). Client tests map
 * `TrafficEvent`s to the records they expect, so the names here are part of the contract.
 */

import type { CacheStatus } from '../core/record';
import { type Dice, seededDice } from './random';
import { MAX_EVENTS_PER_MINUTE, RayIdCodec } from './ray-ids';
import { MINUTE_MS } from './time';
import {
  CLIENT_LOCATIONS,
  ERROR_AND_REDIRECT_STATUSES,
  IPV4_FIRST_OCTETS,
  METHODS,
  type PathShape,
  type PointOfPresence,
  QUERY_TEMPLATES,
  READ_PATHS,
  REFERERS,
  STATIC_CACHE_STATUSES,
  USER_AGENTS,
  WORDS,
  WRITE_PATH,
} from './traffic-vocabulary';

export type TrafficCacheStatus = Extract<
  CacheStatus,
  'HIT' | 'MISS' | 'EXPIRED' | 'STALE' | 'UPDATING' | 'REVALIDATED' | 'BYPASS' | 'DYNAMIC'
>;

export interface TrafficEvent {
  /** Integer epoch ms, request start. */
  timestampMs: number;
  /** Integer ms, >= 0. */
  durationMs: number;
  /** IPv4 or IPv6 (about 20 %), IPv6 in compressed lower-case form. */
  clientIp: string;
  clientPort: number;
  /** ISO 3166-1 alpha-2, upper-case. */
  country: string;
  /** Upper-case. */
  method: string;
  scheme: 'http' | 'https';
  /** One of the source's hosts. */
  host: string;
  /** Starts with '/', never contains '?'. */
  path: string;
  /** Without '?'; never ''. */
  query: string | null;
  protocol: 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2' | 'HTTP/3';
  status: number;
  /** Total bytes sent, headers included; >= bodyBytes. */
  bytesSent: number;
  bodyBytes: number;
  cacheStatus: TrafficCacheStatus;
  pop: PointOfPresence;
  userAgent: string;
  referer: string | null;
  /** `bytes=a-b` on most 206 responses, else null. */
  range: string | null;
  contentType: string;
  /** 16 lower-case hex characters, unique per event for a seed. */
  rayId: string;
  /** Integer microseconds. */
  tcpRttUs: number;
}

export interface TrafficOptions {
  seed: number;
  /** Mean requests per minute per source. */
  rpm: number;
}

export class TrafficGenerator {
  readonly seed: number;
  readonly rpm: number;
  private readonly rayIds: RayIdCodec;

  constructor(options: TrafficOptions) {
    if (!Number.isFinite(options.rpm) || options.rpm < 0) {
      throw new RangeError(`TrafficGenerator: rpm must be a finite number >= 0, got ${options.rpm}`);
    }
    this.seed = options.seed;
    this.rpm = options.rpm;
    this.rayIds = new RayIdCodec(options.seed);
  }

  /** Events of `source` (an opaque string key) with timestampMs in [fromMs, toMs), sorted by timestampMs then rayId. */
  events(source: string, hosts: readonly string[], fromMs: number, toMs: number): TrafficEvent[] {
    const out: TrafficEvent[] = [];
    if (!(toMs > fromMs)) return out;
    const lastMinute = Math.ceil(toMs / MINUTE_MS) - 1;
    for (let minute = Math.floor(fromMs / MINUTE_MS); minute <= lastMinute; minute++) {
      for (const event of this.sortedMinute(source, hosts, minute)) {
        if (event.timestampMs >= fromMs && event.timestampMs < toMs) out.push(event);
      }
    }
    return out;
  }

  /** The event of `source` with this ray id, if the generator ever produces one (no scan: ids decode to their minute). */
  findByRayId(source: string, hosts: readonly string[], rayId: string): TrafficEvent | undefined {
    const origin = this.rayIds.decode(rayId);
    if (origin === null || origin.sourceTag !== this.rayIds.sourceTag(source)) return undefined;
    return this.minute(source, hosts, origin.minute).find((event) => event.rayId === rayId);
  }

  private sortedMinute(source: string, hosts: readonly string[], minute: number): TrafficEvent[] {
    return sortByTimeThenRayId(this.minute(source, hosts, minute), minute * MINUTE_MS);
  }

  /** The events of one minute in generation order. */
  private minute(source: string, hosts: readonly string[], minute: number): TrafficEvent[] {
    if (hosts.length === 0) throw new RangeError(`TrafficGenerator: source ${source} has no hosts`);
    const dice = seededDice(this.seed, source, minute);
    // Traffic is bursty: each minute's mean wanders ±30 % around rpm, and small rpm gives empty minutes.
    const mean = this.rpm * (0.7 + 0.6 * dice.next());
    const count = Math.min(dice.poisson(mean), MAX_EVENTS_PER_MINUTE);
    const sourceTag = this.rayIds.sourceTag(source);
    const events: TrafficEvent[] = new Array(count);
    for (let index = 0; index < count; index++) {
      const rayId = this.rayIds.encode({ sourceTag, minute, index });
      events[index] = generateEvent(dice, minute * MINUTE_MS, hosts, rayId);
    }
    return events;
  }
}

/**
 * Sorts one minute's events. A comparator sort of thousands of objects dominated generation time, so
 * the time order comes from a native sort of numeric keys (offset in the minute, then generation index)
 * and only runs of equal timestamps are put in ray id order with a comparator.
 */
function sortByTimeThenRayId(events: TrafficEvent[], minuteStartMs: number): TrafficEvent[] {
  const keys = new Float64Array(events.length);
  for (let i = 0; i < events.length; i++) keys[i] = (events[i].timestampMs - minuteStartMs) * MAX_EVENTS_PER_MINUTE + i;
  keys.sort();
  const sorted = Array.from(keys, (key) => events[key % MAX_EVENTS_PER_MINUTE]);
  for (let start = 0; start < sorted.length; ) {
    let end = start + 1;
    while (end < sorted.length && sorted[end].timestampMs === sorted[start].timestampMs) end++;
    if (end - start > 1) sorted.splice(start, end - start, ...sorted.slice(start, end).sort(byRayId));
    start = end;
  }
  return sorted;
}

function byRayId(a: TrafficEvent, b: TrafficEvent): number {
  return a.rayId < b.rayId ? -1 : a.rayId > b.rayId ? 1 : 0;
}

function generateEvent(dice: Dice, minuteStartMs: number, hosts: readonly string[], rayId: string): TrafficEvent {
  const timestampMs = minuteStartMs + Math.floor(dice.next() * MINUTE_MS);
  const { country, pop } = CLIENT_LOCATIONS.pick(dice);
  const clientIp = dice.chance(0.2) ? randomIpv6(dice) : randomIpv4(dice);
  const clientPort = dice.int(1024, 65535);
  // Always one draw for the host, so the rest of the stream does not depend on how many hosts there are.
  const host = hosts[Math.floor(dice.next() * hosts.length)];
  const method = METHODS.pick(dice);
  const shape = method === 'GET' || method === 'HEAD' ? READ_PATHS.pick(dice) : WRITE_PATH;
  const pathNumber = dice.int(0, 999_999);
  const path = shape.path(pathNumber);
  const query = dice.chance(0.3) ? dice.pick(QUERY_TEMPLATES)(pathNumber, dice.pick(WORDS)) : null;
  const scheme = dice.chance(0.92) ? 'https' : 'http';
  const protocol = pickProtocol(dice, scheme);
  const status = pickStatus(dice, method, shape);
  const range = status === 206 && dice.chance(0.9) ? randomRange(dice, shape) : null;
  const bodyBytes = pickBodyBytes(dice, method, status, shape, range);
  const bytesSent = bodyBytes + dice.int(180, 900);
  const cacheStatus = pickCacheStatus(dice, method, status, shape);
  const durationMs = pickDurationMs(dice, cacheStatus, bodyBytes);
  const userAgent = USER_AGENTS.pick(dice);
  const referer = dice.chance(0.5) ? null : dice.chance(0.6) ? `${scheme}://${host}/` : dice.pick(REFERERS);
  const contentType = status >= 300 && status !== 304 ? 'text/html; charset=utf-8' : shape.contentType;
  const tcpRttUs = Math.round(800 + dice.next() ** 2 * 250_000);
  return {
    timestampMs,
    durationMs,
    clientIp,
    clientPort,
    country,
    method,
    scheme,
    host,
    path,
    query,
    protocol,
    status,
    bytesSent,
    bodyBytes,
    cacheStatus,
    pop,
    userAgent,
    referer,
    range,
    contentType,
    rayId,
    tcpRttUs,
  };
}

function randomIpv4(dice: Dice): string {
  return `${dice.pick(IPV4_FIRST_OCTETS)}.${dice.int(0, 255)}.${dice.int(0, 255)}.${dice.int(1, 254)}`;
}

/** An address in the documentation prefix 2001:db8::/32, written the way providers log it (compressed). */
function randomIpv6(dice: Dice): string {
  const group = () => dice.int(1, 0xffff).toString(16);
  if (dice.chance(0.5)) return `2001:db8:${group()}:${group()}::${group()}`;
  return `2001:db8:${group()}:${group()}:${group()}:${group()}:${group()}:${group()}`;
}

function pickProtocol(dice: Dice, scheme: 'http' | 'https'): TrafficEvent['protocol'] {
  const r = dice.next();
  if (scheme === 'http') return r < 0.1 ? 'HTTP/1.0' : 'HTTP/1.1';
  return r < 0.55 ? 'HTTP/2' : r < 0.8 ? 'HTTP/1.1' : 'HTTP/3';
}

function pickStatus(dice: Dice, method: string, shape: PathShape): number {
  if (dice.chance(0.1)) return ERROR_AND_REDIRECT_STATUSES.pick(dice);
  const r = dice.next();
  if (method === 'GET' && shape.ranged && r < 0.6) return 206;
  if (method === 'GET' && shape.cacheable && r < 0.06) return 304;
  return 200;
}

function randomRange(dice: Dice, shape: PathShape): string {
  const chunk = dice.pick([1024, 65_536, 1_048_576]);
  const start = chunk * dice.int(0, Math.floor(shape.bodyBytes[0] / chunk));
  return `bytes=${start}-${start + chunk - 1}`;
}

function pickBodyBytes(dice: Dice, method: string, status: number, shape: PathShape, range: string | null): number {
  if (method === 'HEAD' || method === 'OPTIONS' || status === 304) return 0;
  if (range !== null) {
    const [start, end] = range.slice('bytes='.length).split('-').map(Number);
    return end - start + 1;
  }
  if (status === 301 || status === 302) return dice.int(0, 180);
  if (status === 499) return dice.int(0, shape.bodyBytes[0]);
  if (status >= 400) return dice.int(120, 2_400);
  return dice.int(shape.bodyBytes[0], shape.bodyBytes[1]);
}

function pickCacheStatus(dice: Dice, method: string, status: number, shape: PathShape): TrafficCacheStatus {
  if (!shape.cacheable || (method !== 'GET' && method !== 'HEAD')) return dice.chance(0.75) ? 'DYNAMIC' : 'BYPASS';
  if (status >= 500) return 'MISS';
  if (status === 304) return dice.chance(0.5) ? 'REVALIDATED' : 'HIT';
  return STATIC_CACHE_STATUSES.pick(dice);
}

/** Hits are served from the edge in milliseconds; anything that goes to the origin takes longer. */
function pickDurationMs(dice: Dice, cacheStatus: TrafficCacheStatus, bodyBytes: number): number {
  const transferMs = Math.floor(bodyBytes / 2_000_000) * dice.int(5, 40);
  const edgeMs = cacheStatus === 'HIT' ? dice.int(0, 25) : dice.int(15, 900);
  return edgeMs + transferMs;
}
