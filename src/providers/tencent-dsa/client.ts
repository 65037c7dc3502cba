import { randomInt } from 'node:crypto';
import { badInput, CdnLogError, type ErrorKind, isCdnLogError } from '../../core/errors';
import type { Filter } from '../../core/filter';
import type { CdnLogRecord } from '../../core/record';
import { HOUR_MS } from '../../core/time';
import type { TimeRange } from '../../core/windows';
import { HttpClient } from '../../transport/http';
import { withRetry } from '../../transport/retry';
import { type LogPackage, LISTING_MAX_BYTES, readListedPackages } from '../packages';
import { isObject } from '../wire';
import { signTencentV1 } from '../signing/tencent-v1';
import { type TencentCredentials, tencentCredentialsFromEnv, tencentRateKey } from '../tencent-credentials';
import type { ReadContext } from '../types';
import { BEIJING_OFFSET_MS, DSA_ACTION, DSA_MAX_HOSTS_PER_CALL, DSA_PACKAGES, DSA_PATH, DSA_RATE_LIMIT } from './limits';
import { decodeDsaPackage } from './parse';

/** The accelerated domains to read, in the order given. */
export interface DsaSource {
  hosts: string[];
}

type Ctx = ReadContext<TencentCredentials, DsaSource>;

/** An hourly package of one host, from a listing. */
interface HourPackage extends LogPackage {
  host: string;
}

export function dsaCredentialsFromEnv(env: Record<string, string | undefined>): TencentCredentials {
  return tencentCredentialsFromEnv(env, 'Tencent DSA');
}

const HOST_NAME = /^[a-z0-9*]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i;

/** `--host` (repeatable, or comma-separated): at least one accelerated domain. */
export function dsaSource(selector: Readonly<Record<string, string | string[]>>): DsaSource {
  const raw = selector.host;
  const given = (Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : []).flatMap((h) => h.split(','));
  const hosts = [...new Set(given.map((h) => h.trim().toLowerCase()).filter((h) => h !== ''))];
  if (hosts.length === 0) throw badInput('host', 'Tencent DSA needs the accelerated domains to read: pass --host <domain> (repeatable)');
  const bad = hosts.find((h) => !HOST_NAME.test(h));
  if (bad !== undefined) throw badInput('host', `"${bad}" is not a domain name`);
  return { hosts };
}

export function dsaSourceName(source: DsaSource): string {
  return source.hosts.join(',');
}

/** DSA filters nothing server-side. */
export function dsaPushedDown(): Filter[] {
  return [];
}

/** `YYYY-MM-DD` of the Beijing day an instant falls in. */
export function beijingDate(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** The listing's `datetime`, `YYYY-MM-DD HH:00:00` in Beijing time, as epoch ms; null when malformed. */
function beijingHourMs(datetime: unknown): number | null {
  if (typeof datetime !== 'string' || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(datetime)) return null;
  const ms = Date.parse(`${datetime.replace(' ', 'T')}+08:00`);
  return Number.isFinite(ms) ? ms : null;
}

/** API 2.0 error codes (provider-spec §4.7) as error kinds, with what to check. */
function dsaError(code: number, message: string, codeDesc: string): CdnLogError {
  const said = `Tencent DSA answered ${code} ${codeDesc}: ${message}`.slice(0, 400);
  const kinds: Record<number, [ErrorKind, string]> = {
    4100: ['AuthFailed', 'check TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (a key pair of the account, or of a CAM user allowed to call GetDsaHostLogs)'],
    4200: ['AuthFailed', "the request had expired on arrival: check this machine's clock (NTP)"],
    4300: ['AuthFailed', 'the account or key may not call GetDsaHostLogs: check its CAM permissions and that the account is not in arrears'],
    4400: ['RateLimited', 'over 100 calls/min for this key; slowing down'],
    4500: ['AuthFailed', "the request was refused as a replay: this machine's clock is more than 2 h off Tencent's (check NTP), or a nonce was reused"],
    4600: ['ProviderError', 'the endpoint must be called over https: check --base-url'],
    5100: ['Transient', 'a Tencent-side failure; retrying'],
  };
  const [kind, hint] = kinds[code] ?? ['ProviderError', code === 4000 ? 'check the --host values: each must be a DSA domain of this account' : 'see the message'];
  return new CdnLogError(kind, `${said} (${hint})`);
}

/** The signed form body of one listing call: API 2.0 common parameters, a fresh nonce each time. */
function listingRequest(ctx: Ctx, hosts: readonly string[], startDate: string, endDate: string): { url: string; body: string; replayKey: string } {
  const url = `${ctx.baseUrl}${DSA_PATH}`;
  const { host, pathname } = new URL(url);
  const { secretId, secretKey, token } = ctx.credentials;
  const params: Record<string, string> = {
    Action: DSA_ACTION,
    Nonce: String(randomInt(1, 2 ** 31 - 1)),
    SecretId: secretId,
    SignatureMethod: 'HmacSHA256',
    Timestamp: String(Math.floor(ctx.nowMs() / 1000)),
    hosts: JSON.stringify(hosts),
    startDate,
    endDate,
  };
  if (token) params.Token = token;
  params.Signature = signTencentV1({ method: 'POST', host, path: pathname, params, secretKey });
  // The nonce, timestamp and signature differ per attempt: the same listing is these three.
  return { url, body: new URLSearchParams(params).toString(), replayKey: JSON.stringify([hosts, startDate, endDate]) };
}

/** One `GetDsaHostLogs` call for up to 10 hosts: their hourly packages between two Beijing dates. */
async function listPackages(ctx: Ctx, hosts: readonly string[], startDate: string, endDate: string): Promise<HourPackage[]> {
  const data = await withRetry(
    ctx.http.retry,
    async () => {
      // Signed per attempt: a retry carries a new nonce and timestamp.
      const { url, body, replayKey } = listingRequest(ctx, hosts, startDate, endDate);
      const res = await ctx.http.send({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        replayKey,
        rateLimits: [[tencentRateKey('tencent-dsa', ctx.credentials), DSA_RATE_LIMIT]],
        signal: ctx.signal,
        onSent: () => ctx.stats.requests++,
        onBytes: (n) => (ctx.stats.bytes += n),
      });
      if (res.status !== 200) {
        throw await HttpClient.statusError(res, (status, text) => ({ message: `Tencent DSA failed to list ${startDate} (HTTP ${status}: ${text.slice(0, 200)})` }));
      }
      let answer: unknown;
      try {
        answer = JSON.parse(await res.text(LISTING_MAX_BYTES, { whole: true }));
      } catch (err) {
        if (isCdnLogError(err)) throw err;
        throw new CdnLogError('Transient', `Tencent DSA answered the listing of ${startDate} with something that is not JSON; retrying`);
      }
      if (!isObject(answer)) throw new CdnLogError('ProviderError', `Tencent DSA answered the listing of ${startDate} with JSON that is not an object`);
      if (answer.code !== 0) throw dsaError(Number(answer.code), String(answer.message ?? ''), String(answer.codeDesc ?? ''));
      return answer.data;
    },
    ctx.http.retryHooks(ctx.signal, () => ctx.stats.retries++),
  );

  if (data !== undefined && data !== null && !isObject(data)) {
    throw new CdnLogError('ProviderError', `Tencent DSA answered the listing of ${startDate} with data that is not an object of hosts`);
  }
  const packages: HourPackage[] = [];
  const byHost = data ?? {};
  for (const host of hosts) {
    const entries = Object.hasOwn(byHost, host) ? (byHost[host] ?? []) : [];
    if (!Array.isArray(entries)) throw new CdnLogError('ProviderError', `Tencent DSA listed ${host} as ${typeof entries}, not an array of hourly packages`);
    for (const entry of entries as unknown[]) {
      const hourStartMs = isObject(entry) ? beijingHourMs(entry.datetime) : null;
      if (!isObject(entry) || hourStartMs === null || typeof entry.url !== 'string') {
        throw new CdnLogError('ProviderError', `Tencent DSA listed a package of ${host} without a usable datetime and url: ${JSON.stringify(entry).slice(0, 200)}`);
      }
      const label = `${host} ${entry.datetime} (UTC+8)`;
      packages.push({ key: `${host} ${hourStartMs}`, url: entry.url, label, host, hourStartMs });
    }
  }
  return packages;
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * One window (within one Beijing day): list the hourly packages of the hosts, 10 hosts per call,
 * then read the hours that overlap the window in time order, each package once per query. A package
 * whose URL has expired (403) makes the listing be fetched again, once for that package; the fresh
 * URLs serve the packages after it too.
 */
export async function* readDsaWindow(ctx: Ctx, window: TimeRange): AsyncIterable<CdnLogRecord[]> {
  const startDate = beijingDate(window.fromMs);
  const endDate = beijingDate(window.toMs - 1);
  const hostBatches = batches(ctx.source.hosts, DSA_MAX_HOSTS_PER_CALL);
  const listed: HourPackage[] = [];
  for (const hosts of hostBatches) listed.push(...(await listPackages(ctx, hosts, startDate, endDate)));
  const wanted = listed
    .filter((p) => p.hourStartMs < window.toMs && p.hourStartMs + HOUR_MS > window.fromMs)
    .sort((a, b) => a.hourStartMs - b.hourStartMs || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  yield* readListedPackages(
    ctx,
    window,
    wanted,
    DSA_PACKAGES,
    (inflated, pkg) => decodeDsaPackage(inflated, pkg, pkg.host, ctx.stats),
    (expired) => {
      const hosts = hostBatches.find((b) => b.includes(expired.host)) ?? [expired.host];
      ctx.stats.notes.push(`listed ${hosts.length === 1 ? hosts[0] : `${hosts.length} hosts`} again for ${startDate}: the URL of ${expired.label} had expired`);
      return listPackages(ctx, hosts, startDate, endDate);
    },
  );
}

/**
 * Health check: one `GetDsaHostLogs` listing of today (the Beijing date) for the hosts, 10 per call.
 * An unknown host is refused by name (4000); an hour appears about 2 h after it ends, so early in
 * the Beijing day a working host lists nothing yet.
 */
export async function checkDsaAccess(ctx: Ctx): Promise<string> {
  const today = beijingDate(ctx.nowMs());
  const listed: HourPackage[] = [];
  for (const hosts of batches(ctx.source.hosts, DSA_MAX_HOSTS_PER_CALL)) listed.push(...(await listPackages(ctx, hosts, today, today)));
  const perHost = ctx.source.hosts.map((host) => `${listed.filter((p) => p.host === host).length} for ${host}`);
  const count = `${listed.length} hourly package${listed.length === 1 ? '' : 's'}`;
  const detail = ctx.source.hosts.length > 1 ? ` (${perHost.join(', ')})` : ` for ${ctx.source.hosts[0]}`;
  const early = listed.length === 0 ? '; hours are listed about 2 h after they end, so none so far is normal early in the day or for a host without traffic' : '';
  return `Tencent DSA accepted the key pair; GetDsaHostLogs lists ${count} of today (${today}, Beijing time)${detail}${early}`;
}
