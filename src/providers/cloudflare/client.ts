import { badInput, CdnLogError, type ErrorKind, isCdnLogError, missingCredentials } from '../../core/errors';
import { credentialFromEnv } from '../credentials';
import { stableId } from '../record-id';
import type { CdnLogRecord } from '../../core/record';
import { formatTime, MINUTE_MS } from '../../core/time';
import type { TimeRange } from '../../core/windows';
import { HttpClient, type HttpRequest } from '../../transport/http';
import { readResumable } from '../resumable';
import { isObject } from '../wire';
import type { ReadContext } from '../types';
import { CLOUDFLARE_RATE_LIMITS, CLOUDFLARE_RECORD_FIELDS } from './limits';
import { decodeCloudflareBody } from './parse';

export type CloudflareCredentials = { token: string } | { email: string; apiKey: string };

export interface CloudflareSource {
  zone: string;
}

type Ctx = ReadContext<CloudflareCredentials, CloudflareSource>;

export function cloudflareCredentialsFromEnv(env: Record<string, string | undefined>): CloudflareCredentials {
  const token = credentialFromEnv(env, 'CLOUDFLARE_API_TOKEN');
  if (token) return { token };
  const email = credentialFromEnv(env, 'CLOUDFLARE_EMAIL');
  const apiKey = credentialFromEnv(env, 'CLOUDFLARE_API_KEY');
  if (email && apiKey) return { email, apiKey };
  throw missingCredentials(
    'Cloudflare needs CLOUDFLARE_API_TOKEN (an API token with Logs Read on the zone) or both CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY',
  );
}

export function cloudflareSource(selector: Readonly<Record<string, string | string[]>>): CloudflareSource {
  const zone = selector.zone;
  if (typeof zone !== 'string' || zone === '') throw badInput('zone', 'Cloudflare needs a zone: pass --zone <zone id>');
  if (!/^[0-9a-f]{32}$/i.test(zone)) {
    throw badInput('zone', `"${zone}" is not a Cloudflare zone ID (32 hexadecimal characters, shown on the zone's Overview page)`);
  }
  return { zone };
}

function authHeaders(credentials: CloudflareCredentials): Record<string, string> {
  return 'token' in credentials
    ? { authorization: `Bearer ${credentials.token}` }
    : { 'x-auth-email': credentials.email, 'x-auth-key': credentials.apiKey };
}

/** Rate-limit buckets: the zone, and the user (keyed by a hash: keys never hold a secret). */
function rateLimits(ctx: Ctx): HttpRequest['rateLimits'] {
  const user = 'token' in ctx.credentials ? ctx.credentials.token : ctx.credentials.email;
  return [
    [`cloudflare:zone:${ctx.source.zone}`, CLOUDFLARE_RATE_LIMITS.perZone],
    [`cloudflare:user:${stableId(user)}`, CLOUDFLARE_RATE_LIMITS.perUser],
  ];
}

/** CF4: logs are kept only once retention is on; the fix is one API call. */
function retentionOffMessage(zone: string): string {
  return (
    `Cloudflare has log retention off for zone ${zone}: turn it on with POST /zones/${zone}/logs/control/retention/flag ` +
    '{"flag":true}; logs are kept only from then on'
  );
}

function cloudflareError(zone: string, window: TimeRange | null) {
  const span = window ? ` the window ${formatTime(window.fromMs)}..${formatTime(window.toMs)}` : '';
  return (status: number, body: string): { kind?: ErrorKind; message: string } => {
    const detail = body.slice(0, 300);
    if (status === 401 || status === 403) {
      return {
        kind: 'AuthFailed',
        message:
          `Cloudflare rejected the credentials for zone ${zone} (HTTP ${status}: ${detail}): check that CLOUDFLARE_API_TOKEN ` +
          'has the Logs Read permission on this zone (or that CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY match)',
      };
    }
    if (status === 429) return { message: `Cloudflare rate-limited zone ${zone} (15 requests/min per zone, 180/min per user)` };
    if (status === 404) return { kind: 'ProviderError', message: `Cloudflare does not know zone ${zone} (HTTP 404): check --zone` };
    if (/too early/.test(detail)) return { kind: 'WindowTooOld', message: `Cloudflare refused${span}: ${detail}` };
    if (/too recent/.test(detail)) return { kind: 'WindowTooRecent', message: `Cloudflare refused${span}: ${detail}` };
    if (/too long/.test(detail)) {
      return { kind: 'WindowTooLong', message: `Cloudflare rejected${span}: windows are at most 1 h; the planner should have split it (${detail})` };
    }
    if (/retention is not turned on/i.test(detail)) return { kind: 'ProviderError', message: retentionOffMessage(zone) };
    if (status >= 500 || status === 408) return { message: `Cloudflare failed to serve${span} (HTTP ${status}: ${detail})` };
    return { kind: 'ProviderError', message: `Cloudflare rejected the request for${span || ' zone ' + zone} (HTTP ${status}): ${detail}` };
  };
}

/**
 * A small JSON answer from an API path of the zone (`/logs/received/fields`, the retention flag), as
 * parsed JSON, or null when it is not JSON; retried like every call, whole or refused.
 */
async function getZoneJson(ctx: Ctx, path: string, maxBytes: number): Promise<unknown> {
  const url = `${ctx.baseUrl}/zones/${ctx.source.zone}${path}`;
  const text = await ctx.http.sendWithRetry(
    {
      method: 'GET',
      url,
      headers: authHeaders(ctx.credentials),
      rateLimits: rateLimits(ctx),
      signal: ctx.signal,
      onSent: () => ctx.stats.requests++,
      onBytes: (n) => (ctx.stats.bytes += n),
    },
    async (r) => {
      if (r.status !== 200) throw await HttpClient.statusError(r, cloudflareError(ctx.source.zone, null));
      return r.text(maxBytes, { whole: true });
    },
    () => ctx.stats.retries++,
  );
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** The zone's catalogue, fetched once per query (keyed by the query's stats: one object per query, however its windows are read). */
const allFieldsCache = new WeakMap<object, Promise<string[]>>();

/** The catalogue from `/logs/received/fields` (a bare object of name → description). */
async function fetchAllFields(ctx: Ctx): Promise<string[]> {
  const catalogue = await getZoneJson(ctx, '/logs/received/fields', 4 * 1024 * 1024);
  const names = isObject(catalogue) ? Object.keys(catalogue).filter((name) => /^[A-Za-z0-9]+$/.test(name)) : [];
  if (names.length === 0) {
    throw new CdnLogError('ProviderError', `Cloudflare answered /zones/${ctx.source.zone}/logs/received/fields with something that is not a catalogue of field names; use --field-set record or a list of fields instead of all`);
  }
  return names;
}

/**
 * The `fields` parameter for the query's field set: `record` (default: every field the record
 * maps), `default` (Cloudflare's default set: the parameter is omitted), `all` (the zone's whole
 * catalogue) or a comma-separated list. RayID and EdgeStartTimestamp are always asked for: they
 * are the record's id and time.
 */
async function fieldsParam(ctx: Ctx): Promise<string | null> {
  const set = ctx.options.fieldSet ?? 'record';
  if (set === 'default') return null;
  let fields: string[];
  if (set === 'record') fields = [...CLOUDFLARE_RECORD_FIELDS];
  else if (set === 'all') {
    let pending = allFieldsCache.get(ctx.stats);
    if (!pending) allFieldsCache.set(ctx.stats, (pending = fetchAllFields(ctx)));
    fields = await pending;
  } else {
    fields = set.split(',').map((f) => f.trim());
    const bad = fields.find((f) => !/^[A-Za-z0-9]+$/.test(f));
    if (bad !== undefined) throw badInput('fieldSet', `"${bad}" is not a Cloudflare field name (use record, default, all, or names like ClientIP,RayID)`);
  }
  for (const needed of ['RayID', 'EdgeStartTimestamp']) if (!fields.includes(needed)) fields.push(needed);
  return fields.join(',');
}

/** `sample`: a fraction in (0, 1]; Cloudflare returns about that share of records, at random. */
function sampleParam(ctx: Ctx): string | null {
  const raw = ctx.options.sample;
  if (raw === undefined) return null;
  const n = Number(raw);
  if (!(n > 0 && n <= 1)) throw badInput('sample', `Cloudflare samples a fraction in (0, 1], not "${raw}"`);
  return raw;
}

function windowUrl(ctx: Ctx, window: TimeRange, fields: string | null): string {
  const params = new URLSearchParams({
    start: new Date(window.fromMs).toISOString(),
    end: new Date(window.toMs).toISOString(),
    timestamps: 'unixnano',
  });
  if (fields !== null) params.set('fields', fields);
  const sample = sampleParam(ctx);
  if (sample !== null) params.set('sample', sample);
  return `${ctx.baseUrl}/zones/${ctx.source.zone}/logs/received?${params}`;
}

async function* readAttempt(ctx: Ctx, window: TimeRange, fields: string | null): AsyncIterable<CdnLogRecord[]> {
  const label = `Cloudflare zone ${ctx.source.zone} window ${formatTime(window.fromMs)}..${formatTime(window.toMs)}`;
  const res = await ctx.http.send({
    method: 'GET',
    url: windowUrl(ctx, window, fields),
    headers: { ...authHeaders(ctx.credentials), 'accept-encoding': 'gzip' },
    rateLimits: rateLimits(ctx),
    signal: ctx.signal,
    onSent: () => ctx.stats.requests++,
    onBytes: (n) => (ctx.stats.bytes += n),
  });
  if (res.status !== 200) throw await HttpClient.statusError(res, cloudflareError(ctx.source.zone, window));
  const encoding = res.headers['content-encoding'];
  yield* decodeCloudflareBody(res.body, {
    stats: ctx.stats,
    contentEncoding: Array.isArray(encoding) ? encoding[0] : encoding,
    zone: ctx.source.zone,
    maxBytes: ctx.maxDecodedBytes,
    label,
  });
}

/**
 * One window of `logs/received`. Windows are deterministic once older than the settle delay
 * (seed 001), so a failed read is simply read again. The provider's own verdicts adjust the
 * window instead of failing the query, each adjustment noted in the meta: too long → split in two;
 * too early or too recent (its clock and ours differ) → move that edge inwards by 1, 2, 4... min
 * until Cloudflare serves it, or skip the window once nothing is left.
 */
export async function* readCloudflareWindow(ctx: Ctx, window: TimeRange, adjustments = 0): AsyncIterable<CdnLogRecord[]> {
  const fields = await fieldsParam(ctx);
  try {
    yield* readResumable(ctx.http, ctx.stats, () => readAttempt(ctx, window, fields), ctx.signal);
  } catch (err) {
    if (!isCdnLogError(err)) throw err;
    const span = `${formatTime(window.fromMs)}..${formatTime(window.toMs)}`;
    if (err.kind === 'WindowTooLong' && window.toMs - window.fromMs > MINUTE_MS) {
      const mid = window.fromMs + Math.floor((window.toMs - window.fromMs) / 2);
      ctx.stats.notes.push(`split ${span} in two: ${err.message}`);
      yield* readCloudflareWindow(ctx, { fromMs: window.fromMs, toMs: mid });
      yield* readCloudflareWindow(ctx, { fromMs: mid, toMs: window.toMs });
      return;
    }
    if (err.kind !== 'WindowTooOld' && err.kind !== 'WindowTooRecent') throw err;
    const stepMs = MINUTE_MS * 2 ** adjustments;
    const next = err.kind === 'WindowTooOld' ? { fromMs: window.fromMs + stepMs, toMs: window.toMs } : { fromMs: window.fromMs, toMs: window.toMs - stepMs };
    if (next.toMs <= next.fromMs) {
      ctx.stats.notes.push(`skipped ${span}: ${err.message}`);
      return;
    }
    ctx.stats.notes.push(`narrowed ${span} to ${formatTime(next.fromMs)}..${formatTime(next.toMs)}: ${err.message}`);
    yield* readCloudflareWindow(ctx, next, adjustments + 1);
  }
}

/**
 * Health check: `GET /zones/{zone}/logs/control/retention/flag` (CF4), one cheap call that needs the
 * same credentials as Logpull and says whether the zone keeps logs at all. Retention off is an
 * error: every window would be refused until it is turned on.
 */
export async function checkCloudflareAccess(ctx: Ctx): Promise<string> {
  const { zone } = ctx.source;
  const path = `/logs/control/retention/flag`;
  const answer = await getZoneJson(ctx, path, 64 * 1024);
  const flag = isObject(answer) && isObject(answer.result) ? answer.result.flag : undefined;
  if (typeof flag !== 'boolean') {
    throw new CdnLogError('ProviderError', `Cloudflare answered GET /zones/${zone}${path} without a {"result":{"flag":true|false}} envelope: check --base-url`);
  }
  if (!flag) throw new CdnLogError('ProviderError', retentionOffMessage(zone));
  const credential = 'token' in ctx.credentials ? 'the API token' : 'the email and global API key';
  return `Cloudflare accepted ${credential} for zone ${zone}; log retention is on (checked GET /zones/${zone}${path})`;
}
