import { badInput, CdnLogError, type ErrorKind, isCdnLogError } from '../../core/errors';
import type { Filter } from '../../core/filter';
import type { CdnLogRecord } from '../../core/record';
import { formatTime, HOUR_MS, SECOND_MS } from '../../core/time';
import type { TimeRange } from '../../core/windows';
import { HttpClient } from '../../transport/http';
import { withRetry } from '../../transport/retry';
import { type LogPackage, LISTING_MAX_BYTES, readListedPackages } from '../packages';
import { PageGuard } from '../paging';
import { isObject } from '../wire';
import { signTc3 } from '../signing/tc3';
import { type TencentCredentials, tencentCredentialsFromEnv, tencentRateKey } from '../tencent-credentials';
import type { ReadContext } from '../types';
import { EDGEONE_ACTION, EDGEONE_LIMITS, EDGEONE_PACKAGES, EDGEONE_RATE_LIMIT, EDGEONE_SERVICE, EDGEONE_VERSION, type EdgeOneLayer } from './limits';
import { decodeEdgeOnePackage } from './parse';

/** A zone, the layer, and the L4 proxies or L7 domains to read (all of the zone's when empty). */
export interface EdgeOneSource {
  zone: string;
  layer: EdgeOneLayer;
  /** ProxyIds (L4) or Domains (L7). */
  ids: string[];
}

type Ctx = ReadContext<TencentCredentials, EdgeOneSource>;

interface ListedPackage extends LogPackage {
  /** The L4 proxy or L7 domain, the records' source for L4. */
  owner: string;
}

interface PackagePage {
  totalCount: number;
  /** As listed, duplicates included: paging advances by this many. */
  listed: number;
  packages: ListedPackage[];
}

export function edgeOneCredentialsFromEnv(env: Record<string, string | undefined>): TencentCredentials {
  return tencentCredentialsFromEnv(env, 'Tencent EdgeOne');
}

function list(value: string | string[] | undefined): string[] {
  const given = (Array.isArray(value) ? value : typeof value === 'string' ? [value] : []).flatMap((v) => v.split(','));
  return [...new Set(given.map((v) => v.trim()).filter((v) => v !== ''))];
}

/** `--zone`, and `--layer l4 --proxy …` or `--layer l7 --domain …` (the layer follows from --proxy when not given). */
export function edgeOneSource(selector: Readonly<Record<string, string | string[]>>): EdgeOneSource {
  const zone = selector.zone;
  if (typeof zone !== 'string' || zone === '') throw badInput('zone', 'Tencent EdgeOne needs a zone: pass --zone <zone id> (zone-…)');
  if (!/^zone-[0-9a-z]+$/.test(zone)) throw badInput('zone', `"${zone}" is not an EdgeOne zone ID (zone- followed by letters and digits)`);
  const proxies = list(selector.proxy);
  const domains = list(selector.domain);
  const layer = selector.layer ?? (proxies.length > 0 ? 'l4' : 'l7');
  if (layer !== 'l4' && layer !== 'l7') throw badInput('layer', `"${String(layer)}" is not an EdgeOne log layer: use l4 (proxy connections) or l7 (HTTP requests)`);
  if (layer === 'l7' && proxies.length > 0) throw badInput('proxy', '--proxy names L4 proxies; with --layer l7 name domains with --domain');
  if (layer === 'l4' && domains.length > 0) throw badInput('domain', '--domain names L7 domains; with --layer l4 name proxies with --proxy');
  return { zone, layer, ids: layer === 'l4' ? proxies : domains };
}

export function edgeOneSourceName(source: EdgeOneSource): string {
  return source.ids.length > 0 ? `${source.zone}/${source.ids.join(',')}` : source.zone;
}

/** EdgeOne filters nothing server-side beyond the source. */
export function edgeOnePushedDown(): Filter[] {
  return [];
}

/** `Response.Error.Code` (provider-spec §6.6) as an error kind, with what to check. */
function edgeOneError(code: string, message: string, requestId: string): CdnLogError {
  const said = `Tencent EdgeOne answered ${code}: ${message}`.slice(0, 400);
  let kind: ErrorKind = 'ProviderError';
  let hint = `request ${requestId}`;
  if (code === 'AuthFailure.SignatureExpire') {
    kind = 'AuthFailed';
    hint = "this machine's clock is more than 5 min off Tencent's: check NTP";
  } else if (code.startsWith('AuthFailure') || code === 'UnauthorizedOperation' || code.startsWith('UnauthorizedOperation.')) {
    kind = 'AuthFailed';
    hint = 'check TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, and that the key may call DownloadL4Logs/DownloadL7Logs on this zone';
  } else if (code === 'RequestLimitExceeded' || code.startsWith('RequestLimitExceeded.')) {
    kind = 'RateLimited';
    hint = 'over 100 requests/s; slowing down';
  } else if (code === 'InternalError' || code.startsWith('InternalError.')) {
    kind = 'Transient';
    hint = 'a Tencent-side failure; retrying';
  } else if (code === 'ResourceUnavailable' || code.startsWith('ResourceNotFound')) {
    hint = 'check --zone: the zone must exist in this account and have offline logs';
  } else if (code.startsWith('InvalidParameter') || code === 'MissingParameter' || code === 'UnknownParameter') {
    hint = 'check --zone, --proxy and --domain';
  }
  return new CdnLogError(kind, `${said} (${hint})`);
}

/** RFC 3339 to the second; the window is widened to whole seconds and records are cut to it locally. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** One signed listing call: a page of up to `limit` (default 300) packages of the window. Signed per attempt. */
async function listPage(ctx: Ctx, window: TimeRange, offset: number, limit = EDGEONE_LIMITS.maxPageSize ?? 300): Promise<PackagePage> {
  const { zone, layer, ids } = ctx.source;
  const action = EDGEONE_ACTION[layer];
  const request: Record<string, unknown> = {
    StartTime: isoSeconds(Math.floor(window.fromMs / 1000) * 1000),
    EndTime: isoSeconds(Math.ceil(window.toMs / 1000) * 1000),
    ZoneIds: [zone],
    Limit: limit,
    Offset: offset,
  };
  if (ids.length > 0) request[layer === 'l4' ? 'ProxyIds' : 'Domains'] = ids;
  const body = JSON.stringify(request);
  const url = `${ctx.baseUrl}/`;
  const what = `the ${layer.toUpperCase()} packages of ${zone} at offset ${offset}`;

  const answer = await withRetry(
    ctx.http.retry,
    async () => {
      const timestampSec = Math.floor(ctx.nowMs() / 1000);
      const contentType = 'application/json';
      const { secretId, secretKey, token } = ctx.credentials;
      const { authorization } = signTc3({ secretId, secretKey, service: EDGEONE_SERVICE, host: new URL(url).host, timestampSec, body, contentType });
      const headers: Record<string, string> = {
        'content-type': contentType,
        authorization,
        'x-tc-action': action,
        'x-tc-version': EDGEONE_VERSION,
        'x-tc-timestamp': String(timestampSec),
        'x-tc-requestclient': 'cdn-log-bridge',
      };
      if (token) headers['x-tc-token'] = token;
      const res = await ctx.http.send({
        method: 'POST',
        url,
        headers,
        body,
        rateLimits: [[tencentRateKey('tencent-edgeone', ctx.credentials), EDGEONE_RATE_LIMIT]],
        signal: ctx.signal,
        onSent: () => ctx.stats.requests++,
        onBytes: (n) => (ctx.stats.bytes += n),
      });
      if (res.status !== 200) {
        throw await HttpClient.statusError(res, (status, text) => ({ message: `Tencent EdgeOne failed to list ${what} (HTTP ${status}: ${text.slice(0, 200)})` }));
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(await res.text(LISTING_MAX_BYTES, { whole: true }));
      } catch (err) {
        if (isCdnLogError(err)) throw err;
        throw new CdnLogError('Transient', `Tencent EdgeOne answered the listing of ${what} with something that is not JSON; retrying`);
      }
      const response = isObject(parsed) && isObject(parsed.Response) ? parsed.Response : null;
      if (response === null) throw new CdnLogError('ProviderError', `Tencent EdgeOne answered the listing of ${what} without a Response object`);
      if (response.Error !== undefined) {
        const error = isObject(response.Error) ? response.Error : {};
        throw edgeOneError(String(error.Code ?? 'an error without a code'), String(error.Message ?? ''), String(response.RequestId ?? ''));
      }
      return response;
    },
    ctx.http.retryHooks(ctx.signal, () => ctx.stats.retries++),
  );

  const { TotalCount: totalCount, Data: data } = answer;
  if (!Array.isArray(data) || typeof totalCount !== 'number' || !Number.isSafeInteger(totalCount) || totalCount < 0) {
    throw new CdnLogError('ProviderError', `Tencent EdgeOne answered the listing of ${what} without a TotalCount and a Data list`);
  }
  const packages = data.map((item: unknown): ListedPackage => {
    const name = isObject(item) ? item.LogPacketName : undefined;
    if (!isObject(item) || typeof name !== 'string' || typeof item.Url !== 'string') {
      throw new CdnLogError('ProviderError', `Tencent EdgeOne listed a package without LogPacketName and Url: ${JSON.stringify(item).slice(0, 200)}`);
    }
    const owner = String((layer === 'l4' ? item.ProxyId : item.Domain) ?? '');
    // Size: the .log.gz for L4, the "original log size" (inflated) for L7 (T10).
    const size = typeof item.Size === 'number' ? item.Size : undefined;
    const area = typeof item.Area === 'string' ? item.Area : '';
    const label = `${name}${area ? ` (${area})` : ''}`;
    const hourStartMs = packageHourMs(item, window);
    return { key: `${area}/${name}`, url: item.Url, label, owner, hourStartMs, ...(layer === 'l4' ? { compressedBytes: size } : { inflatedBytes: size }) };
  });
  return { totalCount, listed: data.length, packages };
}

/**
 * The hour a listed package covers: `LogStartTime` (ISO 8601 with its offset), else the deprecated
 * `LogTime` (unix s), else the window's first hour. Floored to the hour (packages are hourly, UTC).
 */
function packageHourMs(item: Record<string, unknown>, window: TimeRange): number {
  const fromIso = typeof item.LogStartTime === 'string' && /(Z|[+-]\d\d:\d\d)$/.test(item.LogStartTime) ? Date.parse(item.LogStartTime) : Number.NaN;
  const fromUnix = typeof item.LogTime === 'number' ? item.LogTime * SECOND_MS : Number.NaN;
  const ms = Number.isFinite(fromIso) ? fromIso : Number.isFinite(fromUnix) ? fromUnix : window.fromMs;
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/**
 * One window (within one UTC day): page through the package listing (Offset/Limit 300, until
 * TotalCount) and read each package once per query, keeping the records inside the window. A
 * package whose URL has expired (403) makes its page be listed again, once for that package.
 */
export async function* readEdgeOneWindow(ctx: Ctx, window: TimeRange): AsyncIterable<CdnLogRecord[]> {
  const { layer, zone } = ctx.source;
  const guard = new PageGuard(`Tencent EdgeOne ${layer.toUpperCase()} listing of ${zone}`, EDGEONE_LIMITS.maxPagesPerWindow ?? 1_000);
  for (let offset = 0; ; ) {
    const page = await listPage(ctx, window, offset);
    guard.check(page.packages.map((p) => p.key), offset);
    yield* readListedPackages(
      ctx,
      window,
      page.packages,
      EDGEONE_PACKAGES,
      (inflated, pkg) => decodeEdgeOnePackage(inflated, pkg, layer, layer === 'l4' ? pkg.owner || zone : zone, ctx.stats),
      async (expired) => {
        ctx.stats.notes.push(`listed ${zone} at offset ${offset} again: the URL of ${expired.label} had expired`);
        return (await listPage(ctx, window, offset)).packages;
      },
    );
    offset += page.listed;
    if (page.listed === 0 || offset >= page.totalCount) return;
  }
}

/**
 * Health check: one listing with Limit=1 over the last hour. Unknown zones, proxies and domains are
 * refused by name; TotalCount says how many packages the hour has (an hour is listed about 30 min
 * after it ends, so 0 is normal in the first half of each hour or for a quiet zone).
 */
export async function checkEdgeOneAccess(ctx: Ctx): Promise<string> {
  const nowMs = ctx.nowMs();
  const window = { fromMs: nowMs - HOUR_MS, toMs: nowMs };
  const { totalCount } = await listPage(ctx, window, 0, 1);
  const action = EDGEONE_ACTION[ctx.source.layer];
  const quiet = totalCount === 0 ? ' (packages are listed about 30 min after their hour ends)' : '';
  return (
    `Tencent EdgeOne accepted the key pair for ${edgeOneSourceName(ctx.source)}; ${action} with Limit=1 over ` +
    `${formatTime(window.fromMs)}..${formatTime(window.toMs)} answered TotalCount ${totalCount}${quiet}`
  );
}
