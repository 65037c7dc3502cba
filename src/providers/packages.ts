/**
 * Log packages: DSA's hourly `.gz` files and EdgeOne's `.log.gz` files, whose URLs a listing call
 * hands back. Each is fetched only if the URL guard lets it (transport/package-url.ts), bounded in
 * compressed size, inflated size and time, gunzipped as a stream, retried (resuming by record id)
 * when the transfer fails, and read at most once per query however often it is listed.
 */

import { CdnLogError, type ErrorKind } from '../core/errors';
import type { CdnLogRecord } from '../core/record';
import { HOUR_MS } from '../core/time';
import type { TimeRange } from '../core/windows';
import { gunzip } from '../transport/decode';
import { HttpClient } from '../transport/http';
import { checkPackageUrl, type PackageUrlPolicy } from '../transport/package-url';
import { readResumable } from './resumable';
import type { ReadContext } from './types';

/** A listing answer (DSA's days, an EdgeOne page of 300) is far smaller; a larger one is refused, not cut. */
export const LISTING_MAX_BYTES = 16 * 1024 * 1024;

export interface LogPackage {
  /** The package's identity (host and hour, packet name): a package listed twice is read once. */
  key: string;
  url: string;
  /** Compressed size, when the listing says (EdgeOne L4 `Size`). */
  compressedBytes?: number;
  /** Inflated size, when the listing says (EdgeOne L7 `Size`: "original log size"). */
  inflatedBytes?: number;
  /** Names the package in messages and notes. */
  label: string;
  /** Start of the hour the package covers (UTC epoch ms). */
  hourStartMs: number;
}

/**
 * What a continuous reader (the exporter) already took: a package it took is not read again, and
 * it learns of each package read to its end. Package providers re-list hours whose packages may
 * still appear or grow, so a package is known by its key and its listed size: one re-listed with
 * another size was rewritten and is read again (its records keep their ids).
 */
export interface PackageLedger {
  taken(pkg: LogPackage): boolean;
  /** Every record of `pkg` inside the read's window was handed on (not yet acknowledged). */
  read(pkg: LogPackage): void;
}

/** The size a listing gives a package, compressed or inflated; null when it gives none. */
export function listedSize(pkg: LogPackage): number | null {
  return pkg.compressedBytes ?? pkg.inflatedBytes ?? null;
}

export interface PackageRules {
  /** The provider, for messages. */
  who: string;
  /** Known download hosts; the query option `packageHosts` (comma-separated) adds to them. */
  policy: Omit<PackageUrlPolicy, 'trustedOrigins'>;
  /** Largest compressed package accepted. */
  maxCompressedBytes: number;
  /** Longest one download may spend waiting on the package host, start to last byte. */
  deadlineMs: number;
}

/** Turns the inflated bytes of one package into records. */
export type PackageDecoder = (inflated: AsyncIterable<Buffer>, pkg: LogPackage) => AsyncIterable<CdnLogRecord[]>;

const readInQuery = new WeakMap<object, Set<string>>();

/**
 * True the first time a query meets a package: a listing that names a package twice, or two windows
 * whose listings both name it, still download it once. Keyed by the query's stats (one object per
 * query, shared by every window's read context).
 */
export function firstSighting(ctx: ReadContext<unknown, unknown>, key: string): boolean {
  let seen = readInQuery.get(ctx.stats);
  if (!seen) readInQuery.set(ctx.stats, (seen = new Set()));
  if (seen.has(key)) return false;
  seen.add(key);
  return true;
}

/** True for the refusal a caller may answer by listing again: the signed URL expired or was revoked. */
function isExpiredPackageUrl(err: unknown): boolean {
  return err instanceof CdnLogError && err.status === 403;
}

function packagePolicy(ctx: ReadContext<unknown, unknown>, rules: PackageRules): PackageUrlPolicy {
  const extra = (ctx.options.packageHosts ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  return { ...rules.policy, hosts: [...rules.policy.hosts, ...extra], trustedOrigins: ctx.trustedPackageOrigins };
}

/** Package hosts are object stores whose error bodies can echo the signed request: only the status is quoted. */
function downloadError(rules: PackageRules, pkg: LogPackage) {
  return (status: number): { kind?: ErrorKind; message: string } => {
    if (status === 403) return { kind: 'ProviderError', message: `${rules.who} refused the package ${pkg.label} (HTTP 403): its URL has expired or was revoked` };
    if (status === 404) return { kind: 'ProviderError', message: `${rules.who} no longer has the package ${pkg.label} (HTTP 404)` };
    return { message: `${rules.who} failed to serve the package ${pkg.label} (HTTP ${status})` };
  };
}

/** One attempt at one package: guard, send, check, inflate, decode. */
async function* attempt(ctx: ReadContext<unknown, unknown>, pkg: LogPackage, rules: PackageRules, decode: PackageDecoder): AsyncIterable<CdnLogRecord[]> {
  const checked = checkPackageUrl(pkg.url, packagePolicy(ctx, rules), rules.who);
  const [listed, bound] = pkg.inflatedBytes !== undefined ? [pkg.inflatedBytes, ctx.maxDecodedBytes] : [pkg.compressedBytes, rules.maxCompressedBytes];
  if (listed !== undefined && listed > bound) {
    throw new CdnLogError('TooLarge', `${rules.who} lists the package ${pkg.label} at ${listed} bytes, over the ${bound}-byte bound; nothing was fetched`);
  }
  let received = 0;
  const res = await ctx.http.send({
    method: 'GET',
    url: checked.url,
    untrusted: !checked.trusted,
    signal: ctx.signal,
    deadlineMs: rules.deadlineMs,
    onSent: () => ctx.stats.requests++,
    onBytes: (n) => {
      ctx.stats.bytes += n;
      received += n;
      if (received > rules.maxCompressedBytes) {
        throw new CdnLogError('TooLarge', `${rules.who} package ${pkg.label} is over the ${rules.maxCompressedBytes}-byte bound; download stopped`);
      }
    },
  });
  if (res.status !== 200) throw await HttpClient.statusError(res, downloadError(rules, pkg));
  yield* decode(gunzip(res.body, { maxBytes: ctx.maxDecodedBytes, label: `${rules.who} package ${pkg.label}` }), pkg);
}

/**
 * Reads one package with retries; a transfer that fails part-way is read again and the retry skips,
 * by record id, what was already delivered. A 403 is not retried here: readListedPackages lists again.
 */
export function readPackage(ctx: ReadContext<unknown, unknown>, pkg: LogPackage, rules: PackageRules, decode: PackageDecoder): AsyncIterable<CdnLogRecord[]> {
  return readResumable(ctx.http, ctx.stats, () => attempt(ctx, pkg, rules, decode), ctx.signal);
}

/**
 * Reads the packages of a listing in order, each at most once per query and never one the query's
 * ledger took before, keeping the records inside `window` (a package covers an hour; a window may
 * cut it). A package whose URL has expired (403) calls `relist` once for that package; the fresh
 * URLs serve the packages after it too. The ledger hears of a package read to its end only when
 * its whole hour lies inside the window: one cut by the window is read again by the next.
 */
export async function* readListedPackages<P extends LogPackage>(
  ctx: ReadContext<unknown, unknown>,
  window: TimeRange,
  packages: readonly P[],
  rules: PackageRules,
  decode: (inflated: AsyncIterable<Buffer>, pkg: P) => AsyncIterable<CdnLogRecord[]>,
  relist: (expired: P) => Promise<readonly LogPackage[]>,
): AsyncIterable<CdnLogRecord[]> {
  const latestUrl = new Map<string, string>();
  for (const listed of packages) {
    if (!firstSighting(ctx, listed.key) || ctx.packages?.taken(listed)) continue;
    let pkg: P = { ...listed, url: latestUrl.get(listed.key) ?? listed.url };
    for (let relisted = false; ; relisted = true) {
      try {
        const current = pkg;
        for await (const records of readPackage(ctx, current, rules, (inflated) => decode(inflated, current))) {
          const inside = records.filter((r) => r.timestamp >= window.fromMs && r.timestamp < window.toMs);
          if (inside.length > 0) yield inside;
        }
        if (listed.hourStartMs >= window.fromMs && listed.hourStartMs + HOUR_MS <= window.toMs) ctx.packages?.read(listed);
        break;
      } catch (err) {
        if (!isExpiredPackageUrl(err) || relisted) throw err;
        for (const fresh of await relist(pkg)) latestUrl.set(fresh.key, fresh.url);
        const url = latestUrl.get(pkg.key);
        if (url === undefined) throw new CdnLogError('ProviderError', `${rules.who} no longer lists the package ${pkg.label} after its URL expired`, { cause: err });
        pkg = { ...pkg, url };
      }
    }
  }
}
