/**
 * Tencent EdgeOne offline-log packages (provider-spec §6.5): how a traffic event is written as an L7
 * (site acceleration) or L4 (proxy) record, how a package's records become the `.log.gz` bytes, and the
 * shelf that renders and keeps packages per domain or proxy, UTC hour and area.
 * Missing strings are "-", missing integers -1, times UTC ISO 8601 to the second [C:T12].
 */

import { gzipSync } from 'node:zlib';
import { hash32 } from '../random';
import { HOUR_MS, MINUTE_MS } from '../time';
import type { TrafficEvent, TrafficGenerator } from '../traffic';
import { POINTS_OF_PRESENCE, type PointOfPresence } from '../traffic-vocabulary';

/** `mainland` holds the records of clients in mainland China, `overseas` the rest (§6.4). */
export type EdgeOneArea = 'mainland' | 'overseas';
const EDGEONE_AREAS: readonly EdgeOneArea[] = ['mainland', 'overseas'];

export type EdgeOneWireRecord = Record<string, string | number>;

export function edgeOneArea(event: TrafficEvent): EdgeOneArea {
  return event.country === 'CN' ? 'mainland' : 'overseas';
}

/** The L7 record of one event, keys in the order of the §6.5 table. */
export function edgeOneL7Record(event: TrafficEvent): EdgeOneWireRecord {
  return {
    RequestID: event.rayId,
    ClientIP: event.clientIp,
    ClientRegion: event.country,
    RequestTime: isoSecond(event.timestampMs),
    // 1 = normal end; the generator only produces finished requests.
    RequestStatus: 1,
    RequestHost: event.host,
    RequestBytes: 200 + event.path.length + (event.query?.length ?? 0),
    RequestMethod: event.method,
    RequestUrl: event.path,
    RequestUrlQueryString: event.query ?? '-',
    RequestUA: event.userAgent,
    RequestRange: event.range ?? '-',
    RequestReferer: event.referer ?? '-',
    RequestProtocol: event.protocol === 'HTTP/2' ? 'HTTP/2.0' : event.protocol,
    RemotePort: event.clientPort,
    EdgeCacheStatus: edgeOneCacheStatus(event),
    EdgeResponseStatusCode: event.status,
    EdgeResponseBytes: event.bytesSent,
    EdgeResponseTime: event.durationMs,
    // Time to the origin's first byte: none on a hit, most of the request otherwise.
    EdgeInternalTime: event.cacheStatus === 'HIT' ? -1 : Math.floor((event.durationMs * 3) / 4),
    EdgeServerIP: edgeAddress(event.pop, '198.51.100'),
    EdgeServerID: `eo-${event.pop.iata.toLowerCase()}-1`,
    SecurityAction: '-',
    SecurityRuleID: '-',
    SecurityUserNote: '-',
    SecurityModule: '-',
  };
}

/** EdgeOne knows three cache outcomes (§6.5): a hit, an uncacheable request, and everything else. */
export function edgeOneCacheStatus(event: TrafficEvent): 'HIT' | 'MISS' | 'Dynamic' {
  if (event.cacheStatus === 'HIT') return 'HIT';
  if (event.cacheStatus === 'DYNAMIC' || event.cacheStatus === 'BYPASS') return 'Dynamic';
  return 'MISS';
}

/** About one connection in twenty is still open when its hour's package is written. */
const STILL_CONNECTED_ONE_IN = 20;

const DISCONNECT_CAUSES = [
  'net_exception_peer_error',
  'net_exception_peer_close',
  'create_peer_channel_exception',
  'channel_eof_exception',
  'net_exception_closed',
  'net_exception_timeout',
] as const;

/**
 * The L4 record of one event seen as one proxied connection, keys in the order of the §6.5 table. The
 * vendor's schema spells `Disconnet*` without the c: kept on purpose. LogTimeStamp is the connect time,
 * so every record sits in the hour (and the package) of its event.
 */
export function edgeOneL4Record(event: TrafficEvent, proxyId: string): EdgeOneWireRecord {
  const connectedAt = isoSecond(event.timestampMs);
  const draw = hash32(`edgeone-l4|${event.rayId}`);
  const stillConnected = draw % STILL_CONNECTED_ONE_IN === 0;
  const sessionSeconds = Math.max(1, Math.ceil(event.durationMs / 1000));
  const side = (draw >>> 8) % 2 === 0 ? 'up' : 'down';
  const cause = DISCONNECT_CAUSES[(draw >>> 9) % DISCONNECT_CAUSES.length];
  return {
    ServiceID: proxyId,
    SessionID: event.rayId,
    ConnectTimeStamp: connectedAt,
    DisconnetTimeStamp: stillConnected ? '-' : isoSecond(event.timestampMs + sessionSeconds * 1000),
    DisconnetReason: stillConnected ? '-' : `${side}:${cause}`,
    ClientRealIP: event.clientIp,
    ClientRegion: event.country,
    EdgeIP: edgeAddress(event.pop, '203.0.113'),
    ForwardProtocol: event.protocol === 'HTTP/3' ? 'UDP' : 'TCP',
    ForwardPort: event.scheme === 'https' ? 443 : 80,
    SentBytes: event.bodyBytes,
    ReceivedBytes: event.bytesSent,
    LogTimeStamp: connectedAt,
  };
}

/** A package's text is one JSON object per line, each line ending in `\n` (§6.5, §10 #9). */
function packageLine(record: EdgeOneWireRecord): string {
  return `${JSON.stringify(record)}\n`;
}

function packageText(records: Iterable<EdgeOneWireRecord>): string {
  let text = '';
  for (const record of records) text += packageLine(record);
  return text;
}

/** `2023-11-13T10:00:01Z`: the second the event started in. */
function isoSecond(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** A fixed address per PoP in a documentation range (RFC 5737), so the same PoP always logs the same IP. */
function edgeAddress(pop: PointOfPresence, prefix: '198.51.100' | '203.0.113'): string {
  const index = POINTS_OF_PRESENCE.findIndex((candidate) => candidate.iata === pop.iata);
  const host = index >= 0 ? index + 1 : 100 + (hash32(pop.iata) % 150);
  return `${prefix}.${host}`;
}

/** A domain (L7) or a proxy (L4) of a zone: what a package holds the logs of. */
export interface PackageSource {
  kind: 'L7' | 'L4';
  zoneId: string;
  /** The domain or the proxy id. */
  id: string;
}

/** Hours whose areas and sizes are remembered: a few dozen bytes each, months of a demo's sources. */
const MAX_INDEXED_HOURS = 200_000;

interface HourIndex {
  /** The areas with at least one record, in EDGEONE_AREAS order. */
  areas: EdgeOneArea[];
  /** The listed Size of each area's package, once a listing has asked for one of them. */
  listedSizes?: ReadonlyMap<EdgeOneArea, number>;
}

/**
 * The packages of every source and hour, from the traffic: an L7 domain's events under
 * `<zone>/<domain>`, an L4 proxy's under `<zone>/<proxy>`. A listing needs which packages exist and the
 * Size of the ones on its page; a download needs the bytes. Each is done as cheaply as it can be:
 *
 * - which areas an hour has: minute by minute, stopping once both are seen (a busy hour costs a minute
 *   of generation, not sixty);
 * - Size: L7 lists the "original log size" (§6.4), the length of the JSON lines, so it is counted
 *   without gzip; L4 lists the gz length, so its packages are rendered (and kept for the download);
 * - bytes: rendered and gzipped on demand, kept in an LRU bounded by `maxBytes`.
 *
 * node's gzip header carries mtime 0 and no file name, so rendering is deterministic: an evicted
 * package comes back byte for byte, and an L4 Size always matches the download.
 */
export class PackageShelf {
  private readonly index = new Map<string, HourIndex>();
  private readonly rendered = new Map<string, Buffer>();
  private renderedBytes = 0;

  constructor(
    private readonly generator: TrafficGenerator,
    private readonly maxBytes: number,
  ) {}

  /** The areas of this hour that have records, mainland first. */
  areas(source: PackageSource, hourStartMs: number): EdgeOneArea[] {
    return this.hourIndex(source, hourStartMs).areas;
  }

  /** The package's `Size` in a listing: L7 the uncompressed length, L4 the `.log.gz` length; 0 for a package that does not exist. */
  listedSize(source: PackageSource, hourStartMs: number, area: EdgeOneArea): number {
    const hour = this.hourIndex(source, hourStartMs);
    hour.listedSizes ??= source.kind === 'L7' ? this.textLengths(source, hourStartMs) : this.gzLengths(source, hourStartMs, hour.areas);
    return hour.listedSizes.get(area) ?? 0;
  }

  /** The package's `.log.gz` bytes; undefined when the area has no records that hour. */
  bytes(source: PackageSource, hourStartMs: number, area: EdgeOneArea): Buffer | undefined {
    if (!this.hourIndex(source, hourStartMs).areas.includes(area)) return undefined;
    return this.rendering(source, hourStartMs, area, () => this.events(source, hourStartMs));
  }

  private hourIndex(source: PackageSource, hourStartMs: number): HourIndex {
    const key = hourKey(source, hourStartMs);
    let hour = this.index.get(key);
    if (hour === undefined) {
      hour = { areas: this.probeAreas(source, hourStartMs) };
      if (this.index.size >= MAX_INDEXED_HOURS) this.index.delete(this.index.keys().next().value!);
      this.index.set(key, hour);
    }
    return hour;
  }

  private probeAreas(source: PackageSource, hourStartMs: number): EdgeOneArea[] {
    const present = new Set<EdgeOneArea>();
    for (let minuteMs = hourStartMs; minuteMs < hourStartMs + HOUR_MS && present.size < EDGEONE_AREAS.length; minuteMs += MINUTE_MS) {
      for (const event of this.events(source, minuteMs, minuteMs + MINUTE_MS)) present.add(edgeOneArea(event));
    }
    return EDGEONE_AREAS.filter((area) => present.has(area));
  }

  /** The byte length of each area's JSON lines, from one pass over the hour. */
  private textLengths(source: PackageSource, hourStartMs: number): Map<EdgeOneArea, number> {
    const lengths = new Map<EdgeOneArea, number>();
    for (const event of this.events(source, hourStartMs)) {
      const area = edgeOneArea(event);
      lengths.set(area, (lengths.get(area) ?? 0) + Buffer.byteLength(packageLine(this.record(source, event))));
    }
    return lengths;
  }

  /** The gz length of each area's package, rendering (and keeping) those not kept yet from one generation of the hour. */
  private gzLengths(source: PackageSource, hourStartMs: number, areas: readonly EdgeOneArea[]): Map<EdgeOneArea, number> {
    let events: TrafficEvent[] | undefined;
    const hourEvents = () => (events ??= this.events(source, hourStartMs));
    return new Map(areas.map((area) => [area, this.rendering(source, hourStartMs, area, hourEvents).length]));
  }

  /** The kept `.log.gz` of a package that exists, or a fresh rendering of it from the hour's events. */
  private rendering(source: PackageSource, hourStartMs: number, area: EdgeOneArea, hourEvents: () => readonly TrafficEvent[]): Buffer {
    const key = `${hourKey(source, hourStartMs)}|${area}`;
    const kept = this.rendered.get(key);
    if (kept !== undefined) {
      // Most recently used goes last.
      this.rendered.delete(key);
      this.rendered.set(key, kept);
      return kept;
    }
    const gz = gzipSync(packageText(this.records(source, hourEvents(), area)));
    this.keep(key, gz);
    return gz;
  }

  private records(source: PackageSource, events: readonly TrafficEvent[], area: EdgeOneArea): EdgeOneWireRecord[] {
    return events.filter((event) => edgeOneArea(event) === area).map((event) => this.record(source, event));
  }

  private record(source: PackageSource, event: TrafficEvent): EdgeOneWireRecord {
    return source.kind === 'L7' ? edgeOneL7Record(event) : edgeOneL4Record(event, source.id);
  }

  private events(source: PackageSource, fromMs: number, toMs = fromMs + HOUR_MS): TrafficEvent[] {
    const hosts = source.kind === 'L7' ? [source.id] : ['l4'];
    return this.generator.events(`${source.zoneId}/${source.id}`, hosts, fromMs, toMs);
  }

  private keep(key: string, gz: Buffer): void {
    this.rendered.set(key, gz);
    this.renderedBytes += gz.length;
    for (const [oldKey, old] of this.rendered) {
      if (this.renderedBytes <= this.maxBytes || oldKey === key) break;
      this.rendered.delete(oldKey);
      this.renderedBytes -= old.length;
    }
  }
}

function hourKey(source: PackageSource, hourStartMs: number): string {
  return `${source.kind}|${source.zoneId}|${source.id}|${hourStartMs}`;
}
