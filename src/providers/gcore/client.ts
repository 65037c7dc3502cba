import { badInput, type ErrorKind, missingCredentials } from '../../core/errors';
import type { Filter } from '../../core/filter';
import type { CdnLogRecord } from '../../core/record';
import { formatTime, MINUTE_MS } from '../../core/time';
import type { TimeRange } from '../../core/windows';
import { HttpClient } from '../../transport/http';
import { credentialFromEnv } from '../credentials';
import { PageGuard } from '../paging';
import { readResumable } from '../resumable';
import type { ReadContext } from '../types';
import { GCORE_DOWNLOAD_PATH, GCORE_FIELDS, GCORE_LIMITS } from './limits';
import { decodeGcoreZip } from './parse';
import { gcorePushDown } from './pushdown';

export interface GcoreCredentials {
  apiKey: string;
}

/** A CDN resource, by id or by its custom domain (CNAME). */
export type GcoreSource = { resource: string } | { cname: string };

type Ctx = ReadContext<GcoreCredentials, GcoreSource>;

export function gcoreCredentialsFromEnv(env: Record<string, string | undefined>): GcoreCredentials {
  const apiKey = credentialFromEnv(env, 'GCORE_API_KEY');
  if (apiKey) return { apiKey };
  throw missingCredentials('Gcore needs GCORE_API_KEY (a permanent API token from the Gcore Customer Portal)');
}

export function gcoreSource(selector: Readonly<Record<string, string | string[]>>): GcoreSource {
  const { resource, cname } = selector;
  if (typeof resource === 'string' && resource !== '') {
    if (!/^\d+$/.test(resource)) throw badInput('resource', `"${resource}" is not a Gcore CDN resource id (a number)`);
    return { resource };
  }
  if (typeof cname === 'string' && cname !== '') return { cname };
  throw badInput('resource', 'Gcore needs a CDN resource: pass --resource <id> or --cname <custom domain>');
}

export function gcoreSourceName(source: GcoreSource): string {
  return 'resource' in source ? source.resource : source.cname;
}

function sourceParam(source: GcoreSource): [string, string] {
  return 'resource' in source ? ['resource_id__eq', source.resource] : ['cname__eq', source.cname];
}

export function gcorePushedDown(filters: readonly Filter[], source: GcoreSource): Filter[] {
  return gcorePushDown(filters, new Set([sourceParam(source)[0]])).pushed;
}

function gcoreError(window: TimeRange) {
  const span = `the window ${formatTime(window.fromMs)}..${formatTime(window.toMs)}`;
  return (status: number, body: string): { kind?: ErrorKind; message: string } => {
    const detail = body.slice(0, 300);
    if (status === 401 || status === 403) {
      return {
        kind: 'AuthFailed',
        message: `Gcore rejected the API key (HTTP ${status}: ${detail}): check GCORE_API_KEY, and that the token may read CDN logs`,
      };
    }
    if (status === 429) return { message: `Gcore rate-limited the logs download (${detail})` };
    if (status >= 500) return { message: `Gcore failed to serve ${span} (HTTP ${status}: ${detail})` };
    if (/6 hours/.test(detail)) return { kind: 'WindowTooLong', message: `Gcore rejected ${span}: windows are at most 6 h; the planner should have split it (${detail})` };
    return { kind: 'ProviderError', message: `Gcore rejected the request for ${span} (HTTP ${status}): ${detail}` };
  };
}

/**
 * Offset paging is only as stable as the order: rows with equal sort keys may change places between
 * two page requests and be read twice or never. Gcore's timestamps are whole seconds, so break ties
 * on every other sortable column.
 */
const GCORE_PAGE_ORDER = 'timestamp,resource_id,client_ip,method,status,size,cache_status,datacenter';

function pageUrl(ctx: Ctx, window: TimeRange, format: string, offset: number, limit: number): string {
  const params = new URLSearchParams({
    from: new Date(window.fromMs).toISOString(),
    to: new Date(window.toMs).toISOString(),
    format,
    fields: GCORE_FIELDS.join(','),
    sort: GCORE_PAGE_ORDER,
    limit: String(limit),
    offset: String(offset),
  });
  const source = sourceParam(ctx.source);
  params.set(...source);
  for (const [key, value] of gcorePushDown(ctx.filters, new Set([source[0]])).params) params.set(key, value);
  return `${ctx.baseUrl}${GCORE_DOWNLOAD_PATH}?${params}`;
}

/** The `format` option: the member Gcore zips, csv or tsv (default). */
function pageFormat(ctx: Ctx): string {
  const format = ctx.options.format ?? 'tsv';
  if (format !== 'csv' && format !== 'tsv') throw badInput('format', `Gcore serves csv or tsv, not "${format}"`);
  return format;
}

/** One page: a zip holding one CSV or TSV member with a header row. */
async function* readPage(ctx: Ctx, window: TimeRange, format: string, offset: number, limit: number): AsyncIterable<CdnLogRecord[]> {
  const label = `Gcore ${gcoreSourceName(ctx.source)} window ${formatTime(window.fromMs)}..${formatTime(window.toMs)} offset ${offset}`;
  const res = await ctx.http.send({
    method: 'GET',
    url: pageUrl(ctx, window, format, offset, limit),
    headers: { authorization: `APIKey ${ctx.credentials.apiKey}`, accept: 'application/zip' },
    signal: ctx.signal,
    onSent: () => ctx.stats.requests++,
    onBytes: (n) => (ctx.stats.bytes += n),
  });
  if (res.status !== 200) throw await HttpClient.statusError(res, gcoreError(window));
  yield* decodeGcoreZip(res.body, { format, source: gcoreSourceName(ctx.source), maxMemberBytes: ctx.maxDecodedBytes, label, stats: ctx.stats });
}

/**
 * One window of at most 6 h, paged with offset/limit until a short page. Each page is retried on
 * its own (a failure on page 3 does not re-read pages 1 and 2); rows are sorted by time so that
 * offsets are stable. Filters Gcore has are sent as query parameters. Memory: one page (10000 rows).
 */
export async function* readGcoreWindow(ctx: Ctx, window: TimeRange): AsyncIterable<CdnLogRecord[]> {
  const format = pageFormat(ctx);
  const max = GCORE_LIMITS.maxPageSize ?? 10_000;
  const limit = ctx.options.pageSize === undefined ? max : Number(ctx.options.pageSize);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw badInput('pageSize', `Gcore pages hold 1 to ${max} rows, not "${ctx.options.pageSize}"`);
  const guard = new PageGuard(`Gcore ${gcoreSourceName(ctx.source)} window ${formatTime(window.fromMs)}..${formatTime(window.toMs)}`, GCORE_LIMITS.maxPagesPerWindow ?? 10_000);
  for (let offset = 0; ; ) {
    // When Gcore applies every filter, a page need not hold more rows than the query still wants.
    const pageLimit = Math.max(1, Math.min(limit, ctx.stillWanted() ?? limit));
    // A page is checked whole before any of it is used: one that repeats an earlier page (a server
    // ignoring offset) must not deliver its records a second time.
    const page: CdnLogRecord[] = [];
    for await (const batch of readResumable(ctx.http, ctx.stats, () => readPage(ctx, window, format, offset, pageLimit), ctx.signal)) page.push(...batch);
    guard.check(page.map((r) => r.id), offset);
    if (page.length > 0) yield page;
    if (page.length < pageLimit) return;
    offset += page.length;
  }
}

/**
 * Health check: one page of the logs download with limit=1 over the last minute (Gcore's window has
 * no lower bound and no settle delay). Gcore applies the resource as a filter, so a resource id or
 * CNAME the account does not have answers like a resource without traffic: an empty page.
 */
export async function checkGcoreAccess(ctx: Ctx): Promise<string> {
  const nowMs = ctx.nowMs();
  const window = { fromMs: nowMs - MINUTE_MS, toMs: nowMs };
  const format = pageFormat(ctx);
  let rows = 0;
  for await (const batch of readResumable(ctx.http, ctx.stats, () => readPage(ctx, window, format, 0, 1), ctx.signal)) rows += batch.length;
  const source = 'resource' in ctx.source ? `resource ${ctx.source.resource}` : `CNAME ${ctx.source.cname}`;
  const checked = `a logs download of ${formatTime(window.fromMs)}..${formatTime(window.toMs)} with limit=1`;
  return rows > 0
    ? `Gcore accepted the API key for ${source}; ${checked} returned a log row`
    : `Gcore accepted the API key; ${checked} returned no rows for ${source}: fine for a quiet resource, but if it had traffic in that minute, check the ${'resource' in ctx.source ? 'resource id' : 'CNAME'} (Gcore answers an unknown one with no rows, not an error)`;
}
