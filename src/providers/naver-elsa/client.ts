import { badInput, type ErrorKind, missingCredentials } from '../../core/errors';
import type { Filter } from '../../core/filter';
import type { CdnLogRecord } from '../../core/record';
import { formatTime, MINUTE_MS } from '../../core/time';
import type { TimeRange } from '../../core/windows';
import { HttpClient } from '../../transport/http';
import { credentialFromEnv } from '../credentials';
import { readResumable } from '../resumable';
import { signNcpV2 } from '../signing/ncp-v2';
import type { ReadContext } from '../types';
import { ELSA_DOWNLOAD_PATH, ELSA_MAX_COUNT, ELSA_PAGE_SIZE } from './limits';
import { decodeElsaZip } from './parse';

export interface ElsaCredentials {
  accessKey: string;
  secretKey: string;
}

/** An ELSA project: both its id and its key name it in a download. */
export interface ElsaSource {
  projectId: number;
  projectKey: string;
}

type Ctx = ReadContext<ElsaCredentials, ElsaSource>;

export function elsaCredentialsFromEnv(env: Record<string, string | undefined>): ElsaCredentials {
  const accessKey = credentialFromEnv(env, 'NCLOUD_ACCESS_KEY');
  const secretKey = credentialFromEnv(env, 'NCLOUD_SECRET_KEY');
  if (accessKey && secretKey) return { accessKey, secretKey };
  const missing = [!accessKey && 'NCLOUD_ACCESS_KEY', !secretKey && 'NCLOUD_SECRET_KEY'].filter(Boolean).join(' and ');
  throw missingCredentials(`NAVER ELSA needs NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY (an API authentication key of the account or of a sub account allowed to use ELSA); ${missing} is not set`);
}

/** `--project-id` and `--project-key`, as shown on the ELSA project page. */
export function elsaSource(selector: Readonly<Record<string, string | string[]>>): ElsaSource {
  const { projectId, projectKey } = selector;
  if (typeof projectId !== 'string' || projectId === '' || typeof projectKey !== 'string' || projectKey === '') {
    throw badInput('project', 'NAVER ELSA needs a project: pass --project-id <number> and --project-key <key>');
  }
  if (!/^\d+$/.test(projectId)) throw badInput('project-id', `"${projectId}" is not an ELSA project id (a number)`);
  if (projectKey.length > 53) throw badInput('project-key', `"${projectKey.slice(0, 60)}…" is longer than an ELSA project key (53 characters)`);
  return { projectId: Number(projectId), projectKey };
}

export function elsaSourceName(source: ElsaSource): string {
  return source.projectKey;
}

/** ELSA's download filters nothing but time. */
export function elsaPushedDown(): Filter[] {
  return [];
}

function elsaError(span: string) {
  return (status: number, body: string): { kind?: ErrorKind; message: string } => {
    let said = body.slice(0, 300);
    try {
      const { error } = JSON.parse(body) as { error?: { errorCode?: string; message?: string; details?: string } };
      if (error) said = `errorCode ${error.errorCode} ${error.message ?? ''}${error.details ? `: ${error.details}` : ''}`.slice(0, 300);
    } catch {
      // not the gateway's envelope: quote the text
    }
    if (status === 401 || status === 403) {
      return {
        kind: 'AuthFailed',
        message:
          `NAVER ELSA rejected the request (HTTP ${status}, ${said}): check NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY, that the key may use ELSA, ` +
          "and this machine's clock (a signature is valid for 5 minutes)",
      };
    }
    if (status === 429) return { message: `NAVER ELSA throttled the download of ${span} (${said})` };
    if (status >= 500) return { message: `NAVER ELSA failed to serve ${span} (HTTP ${status}, ${said})` };
    return { kind: 'ProviderError', message: `NAVER ELSA rejected the download of ${span} (HTTP ${status}, ${said}): check --project-id and --project-key` };
  };
}

/** The `count` option: the cap on documents per download, 1–200000 (lower it to split windows sooner). */
function maxCount(ctx: Ctx): number {
  const raw = ctx.options.count;
  if (raw === undefined) return ELSA_MAX_COUNT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > ELSA_MAX_COUNT) throw badInput('count', `NAVER ELSA downloads 1 to ${ELSA_MAX_COUNT} documents at a time, not "${raw}"`);
  return n;
}

/**
 * The `includeFields` option: the document fields to download (comma-separated), to save bytes;
 * logTime is always added (it is the record's time). Absent: every field.
 */
function includeFields(ctx: Ctx): string[] | undefined {
  const raw = ctx.options.includeFields;
  if (raw === undefined) return undefined;
  const fields = raw.split(',').map((f) => f.trim()).filter((f) => f !== '');
  const bad = fields.find((f) => !/^[A-Za-z0-9_.@-]+$/.test(f));
  if (bad !== undefined) throw badInput('includeFields', `"${bad}" is not an ELSA field name`);
  return fields.includes('logTime') ? fields : ['logTime', ...fields];
}

function format(ctx: Ctx): 'JSON' | 'CSV' {
  const raw = (ctx.options.format ?? 'json').toUpperCase();
  if (raw !== 'JSON' && raw !== 'CSV') throw badInput('format', `NAVER ELSA downloads json or csv, not "${ctx.options.format}"`);
  return raw;
}

/** One signed download of [from, to): a zip of at most `count` documents. */
async function* download(ctx: Ctx, part: TimeRange, count: number): AsyncIterable<CdnLogRecord[]> {
  const span = `${ctx.source.projectKey} ${formatTime(part.fromMs)}..${formatTime(part.toMs)}`;
  const url = `${ctx.baseUrl}${ELSA_DOWNLOAD_PATH}`;
  const { pathname, search } = new URL(url);
  const timestamp = String(Math.floor(ctx.nowMs()));
  const { accessKey, secretKey } = ctx.credentials;
  const body = JSON.stringify({
    projectKey: ctx.source.projectKey,
    projectId: ctx.source.projectId,
    from: part.fromMs,
    // `to` is optional in the newest (Korean) doc only: always sent (provider-spec §10 #7).
    to: part.toMs,
    format: format(ctx),
    limit: ELSA_PAGE_SIZE,
    count,
    includeFields: includeFields(ctx),
  });
  const res = await ctx.http.send({
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/json',
      accept: 'application/zip',
      'x-ncp-apigw-timestamp': timestamp,
      'x-ncp-iam-access-key': accessKey,
      'x-ncp-apigw-signature-v2': signNcpV2({ method: 'POST', uri: pathname + search, timestamp, accessKey, secretKey }),
    },
    body,
    signal: ctx.signal,
    onSent: () => ctx.stats.requests++,
    onBytes: (n) => (ctx.stats.bytes += n),
  });
  if (res.status !== 200) throw await HttpClient.statusError(res, elsaError(span));
  yield* decodeElsaZip(res.body, { project: ctx.source.projectKey, maxMemberBytes: ctx.maxDecodedBytes, label: `NAVER ELSA ${span}`, stats: ctx.stats });
}

/**
 * One window. A download holds at most `count` documents (the newest, by ELSA's default order), so
 * a download that comes back full may have left some out: its window is split in two and both
 * halves are downloaded, skipping by id what was already delivered, until no part is full. Records
 * stream out as they decode; memory holds one id per delivered record of the window.
 */
export async function* readElsaWindow(ctx: Ctx, window: TimeRange): AsyncIterable<CdnLogRecord[]> {
  const cap = maxCount(ctx);
  const delivered = new Map<string, number>();
  const parts: TimeRange[] = [window];
  for (let part = parts.shift(); part !== undefined; part = parts.shift()) {
    // With every record kept (no local filters), a download need not hold more than the query still wants.
    const wanted = ctx.stillWanted();
    const count = wanted === undefined ? cap : Math.max(1, Math.min(cap, wanted));
    const seen = new Map<string, number>();
    let rows = 0;
    const current = part;
    for await (const batch of readResumable(ctx.http, ctx.stats, () => download(ctx, current, count), ctx.signal)) {
      rows += batch.length;
      const fresh = batch.filter((record) => {
        const n = (seen.get(record.id) ?? 0) + 1;
        seen.set(record.id, n);
        if (n <= (delivered.get(record.id) ?? 0)) return false;
        delivered.set(record.id, n);
        return true;
      });
      if (fresh.length > 0) yield fresh;
    }
    if (rows < count || count < cap) continue;
    const span = `${formatTime(current.fromMs)}..${formatTime(current.toMs)}`;
    if (current.toMs - current.fromMs <= 1) {
      ctx.stats.notes.push(`NAVER ELSA holds more than ${count} documents in the millisecond ${span}; only ${count} of them can be downloaded`);
      continue;
    }
    const mid = current.fromMs + Math.floor((current.toMs - current.fromMs) / 2);
    ctx.stats.notes.push(`split ${span} in two: its download reached the cap of ${count} documents`);
    parts.unshift({ fromMs: current.fromMs, toMs: mid }, { fromMs: mid, toMs: current.toMs });
  }
}

/**
 * Health check: one signed download with count=1 over the last minute. ELSA refuses an unknown
 * project by name (400); an empty zip means the key works and the project logged nothing then.
 */
export async function checkElsaAccess(ctx: Ctx): Promise<string> {
  const nowMs = ctx.nowMs();
  const part = { fromMs: nowMs - MINUTE_MS, toMs: nowMs };
  let documents = 0;
  for await (const batch of readResumable(ctx.http, ctx.stats, () => download(ctx, part, 1), ctx.signal)) documents += batch.length;
  const { projectKey, projectId } = ctx.source;
  return (
    `NAVER ELSA accepted the access key for project ${projectKey} (id ${projectId}); a download of ` +
    `${formatTime(part.fromMs)}..${formatTime(part.toMs)} with count=1 returned ${documents === 0 ? 'no documents (nothing logged in that minute)' : 'a document'}`
  );
}
