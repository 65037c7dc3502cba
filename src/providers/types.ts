import type { Filter } from '../core/filter';
import type { CdnLogRecord, ProviderId } from '../core/record';
import type { TimeRange, ProviderLimits } from '../core/windows';
import type { Http } from '../transport/http';
import type { PackageLedger } from './packages';

/** Counters an adapter updates while it reads; they become the result's meta. */
export interface ReadStats {
  requests: number;
  retries: number;
  /** Bytes received from the provider, compressed as sent. */
  bytes: number;
  /** Records decoded before local filtering. */
  recordsDownloaded: number;
  /** Lines or documents that were not records (malformed, no usable time, far outside their window), each also named in a note. */
  skipped: number;
  /** Adjustments the provider forced on a window (e.g. a start the provider called too early). */
  notes: string[];
}

export function emptyStats(): ReadStats {
  return { requests: 0, retries: 0, bytes: 0, recordsDownloaded: 0, skipped: 0, notes: [] };
}

/** Counts lines or documents a decoder could not make records of, and says which in a note. */
export function noteSkipped(stats: ReadStats | undefined, count: number, what: string): void {
  if (!stats || count === 0) return;
  stats.skipped += count;
  stats.notes.push(`skipped ${count} ${what}`);
}

export interface ReadContext<C, S> {
  http: Http;
  /** The provider API root (the real one, or an emulator's on loopback). */
  baseUrl: string;
  credentials: C;
  source: S;
  filters: readonly Filter[];
  /** Provider-specific query options (e.g. Cloudflare `fieldSet`, Gcore `format`). */
  options: Readonly<Record<string, string>>;
  /** One object per query, shared by the contexts of all its windows: also the key of per-query memos. */
  stats: ReadStats;
  nowMs: () => number;
  /**
   * How many more records the query needs, when every record the provider returns will be kept
   * (all filters pushed down, no search); undefined otherwise. Lets a paged API ask for less.
   */
  stillWanted: () => number | undefined;
  /** Largest inflated size of one decoded body or zip member. */
  maxDecodedBytes: number;
  /**
   * Origins whose package URLs are fetched as they are (http and loopback included): the
   * emulator's base URL in demo and test mode. Every other package URL must pass the provider's
   * allowlist (see transport/package-url.ts).
   */
  trustedPackageOrigins: readonly string[];
  /** Packages a continuous reader already took (DSA, EdgeOne): skipped. */
  packages?: PackageLedger;
  signal?: AbortSignal;
}

/** The provider contract: one folder per provider implements it, and the registry lists it. */
export interface ProviderAdapter<C = unknown, S = unknown> {
  id: ProviderId;
  /** For messages: "Cloudflare", "Gcore". */
  name: string;
  limits: ProviderLimits;
  /**
   * True when a window's records arrive oldest first (Gcore sorts by timestamp), so a limited read
   * may stop at the Nth record; otherwise a window is read whole while its oldest N are kept.
   */
  sortedByTime?: boolean;
  defaultBaseUrl: string;
  /** Provider-specific query options it understands (e.g. Cloudflare `fieldSet`, `sample`); others are refused. */
  options: readonly string[];
  /** Environment variables that hold the credentials, for help texts. */
  credentialEnv: readonly string[];
  /** Reads credentials from the environment; a BadInput naming the variables when they are missing. */
  credentialsFromEnv(env: Record<string, string | undefined>): C;
  /** Checks a query's source selector (e.g. `{zone}`); a BadInput naming the option when wrong. */
  parseSource(selector: Readonly<Record<string, string | string[]>>): S;
  /** The `source` value records carry. */
  sourceName(source: S): string;
  /** The filters the provider applies server-side for this source (all are also applied locally). */
  pushedDown(filters: readonly Filter[], source: S): Filter[];
  /** Reads one planned window; retries and resumes internally, so each record comes once. */
  readWindow(ctx: ReadContext<C, S>, window: TimeRange): AsyncIterable<CdnLogRecord[]>;
  /**
   * Checks credentials and source with the cheapest real call the provider has; resolves with a
   * message saying what works ("Cloudflare accepted the token for zone …; log retention is on"),
   * throws a classified CdnLogError (AuthFailed naming the credential to check, ProviderError saying what to fix) otherwise.
   */
  checkAccess(ctx: ReadContext<C, S>): Promise<string>;
}
