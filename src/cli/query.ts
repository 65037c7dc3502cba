import { badInput } from '../core/errors';
import { visibleText } from '../core/printable';
import { parseFilter } from '../core/filter';
import { parseQuery } from '../core/query';
import { formatTime, parseTime } from '../core/time';
import { type EmulatedProvider, EMULATED_PROVIDERS, startEmulators } from '../emulators';
import { runQuery, type QueryMeta, type QueryProgress } from '../providers/run';
import { availableProviders, providerAdapter } from '../providers/registry';
import { HttpClient, type HttpClientOptions } from '../transport/http';
import { DEFAULT_RETRY } from '../transport/retry';
import { parseOptions } from './args';
import { demoEnv, demoSelector } from '../emulators/demo-client';
import { IDENTITY_KEYS, SOURCE_FLAGS } from './source-flags';
import { defaultColumns, OUTPUT_FORMATS, type OutputFormat, RecordWriter } from './output';

export const QUERY_HELP = `Usage: cdn-log-bridge query --provider <id> <source> --from <time> [--to <time>] [options]

Sources:   cloudflare       --zone <zone id>
           gcore            --resource <id> | --cname <domain>
           tencent-dsa      --host <domain> (repeatable; 10 per listing call)
           tencent-edgeone  --zone <zone-…> [--layer l7 --domain <d>… | --layer l4 --proxy <id>…] (default l7, all of the zone)
           naver-elsa       --project-id <n> --project-key <key>
Times:     ISO 8601 with a zone (2026-11-22T10:00:00Z), relative (-15m, -2h, -1d) or now (--to defaults to now)
Options:   --filter 'status>=500'  (repeatable; = != in 'not in' > >= < <= contains =~ !~)
           --search <text>         free text in host, path, query, user agent, referer, client IP, message
           --fields a,b            record fields to print (default: all for ndjson, a summary for table/csv)
           --limit N               at most N records (default 1000)
           --output ndjson|table|csv
           --field-set record|default|all|A,B   Cloudflare fields to request (default: record)
           --sample F              Cloudflare: about this fraction (0..1] of records, at random
           --format csv|tsv        Gcore download format (default: tsv); naver-elsa: json|csv (default: json)
           --count N               NAVER ELSA: documents per download, 1..200000 (default 200000; a full one is split)
           --include-fields a,b    NAVER ELSA: download only these document fields (logTime is always added)
           --package-host <host>   DSA, EdgeOne: also fetch log packages from this host (.suffix for its subdomains)
           --base-url <url>        provider API root (default: the real API)
           --retries N             retries of a failed request or window (default 5)
           --emulator              start the provider's emulator in-process and use its demo credentials
Credentials come from the environment: CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY), GCORE_API_KEY,
TENCENTCLOUD_SECRET_ID + TENCENTCLOUD_SECRET_KEY (DSA, EdgeOne), NCLOUD_ACCESS_KEY + NCLOUD_SECRET_KEY (ELSA).
Exit codes: 0 ok, 2 bad input, 3 authentication, 4 provider error after retries.`;

export interface CliIo {
  /** Returns false when stdout's buffer is full: wait for `drained()` before writing more. */
  stdout: (text: string) => boolean | void;
  drained?: () => Promise<void>;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  nowMs: () => number;
  /** True when progress lines may overwrite each other (a terminal). */
  interactive: boolean;
  /** HTTP client settings (timeouts, retry policy) that tests inject to keep hostile answers short. */
  httpOptions?: HttpClientOptions;
}

/** A retry that waits at least this long is said on stderr: a silent wait looks like a hang. */
const SAY_RETRY_AFTER_MS = 5_000;

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const QUERY_OPTIONS = {
  provider: { type: 'string' },
  zone: { type: 'string' },
  resource: { type: 'string' },
  cname: { type: 'string' },
  host: { type: 'string', multiple: true },
  layer: { type: 'string' },
  proxy: { type: 'string', multiple: true },
  domain: { type: 'string', multiple: true },
  'project-id': { type: 'string' },
  'project-key': { type: 'string' },
  count: { type: 'string' },
  'package-host': { type: 'string', multiple: true },
  'include-fields': { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  filter: { type: 'string', multiple: true },
  search: { type: 'string' },
  fields: { type: 'string' },
  limit: { type: 'string' },
  output: { type: 'string' },
  'field-set': { type: 'string' },
  sample: { type: 'string' },
  format: { type: 'string' },
  'base-url': { type: 'string' },
  retries: { type: 'string' },
  emulator: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `cdn-log-bridge query`: one range of one source, printed as records. Returns the exit code. */
export async function queryCommand(argv: string[], io: CliIo): Promise<number> {
  const opts = parseOptions(argv, QUERY_OPTIONS);
  if (opts.help) {
    io.stdout(QUERY_HELP + '\n');
    return 0;
  }
  if (!opts.provider) throw badInput('provider', `missing --provider (${availableProviders().join(', ')})`);
  const adapter = providerAdapter(opts.provider);
  if (!opts.from) throw badInput('from', 'missing --from (e.g. -1h or 2026-11-22T10:00:00Z)');
  const output = (opts.output ?? 'ndjson') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(output)) throw badInput('output', `"${opts.output}" is not an output format; use ${OUTPUT_FORMATS.join(', ')}`);
  const limit = opts.limit === undefined ? undefined : Number(opts.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw badInput('limit', `"${opts.limit}" is not a positive whole number`);

  const retries = opts.retries === undefined ? DEFAULT_RETRY.maxAttempts - 1 : Number(opts.retries);
  if (!(Number.isInteger(retries) && retries >= 0)) throw badInput('retries', `"${opts.retries}" is not a whole number`);

  const now = io.nowMs();
  const selector: Record<string, string | string[]> = {};
  for (const [flag, key] of Object.entries(SOURCE_FLAGS)) {
    const value = opts[flag as keyof typeof SOURCE_FLAGS];
    if (value !== undefined) selector[key] = value;
  }
  const options: Record<string, string> = {};
  if (opts['field-set']) options.fieldSet = opts['field-set'];
  if (opts.format) options.format = opts.format;
  if (opts.sample) options.sample = opts.sample;
  if (opts.count) options.count = opts.count;
  if (opts['include-fields']) options.includeFields = opts['include-fields'];
  if (opts['package-host']) options.packageHosts = opts['package-host'].join(',');
  const query = parseQuery({
    provider: opts.provider,
    source: selector,
    fromMs: parseTime(opts.from, now, 'from'),
    toMs: parseTime(opts.to ?? 'now', now, 'to'),
    filters: (opts.filter ?? []).map(parseFilter),
    search: opts.search,
    fields: opts.fields?.split(',').map((f) => f.trim()),
    limit,
    options,
  });

  let baseUrl = opts['base-url'];
  // Package URLs (DSA, EdgeOne) on the API origin the user chose are trusted: an emulator's, in practice.
  const trustedPackageOrigins = baseUrl ? [originOf(baseUrl)] : [];
  let credentials: unknown;
  let emulators: Awaited<ReturnType<typeof startEmulators>> | null = null;
  if (opts.emulator) {
    if (!isEmulated(adapter.id)) throw badInput('emulator', `there is no emulator for ${adapter.name} yet`);
    emulators = await startEmulators({ providers: [adapter.id], port: 0 });
  }
  let scrub = (text: string) => text;
  const http = new HttpClient({
    ...io.httpOptions,
    retry: { ...(io.httpOptions?.retry ?? DEFAULT_RETRY), maxAttempts: retries + 1 },
    onRetry: (err, attempt, delayMs) => {
      if (delayMs >= SAY_RETRY_AFTER_MS) io.stderr(`note: ${visibleText(scrub(err.message))}; attempt ${attempt + 1} of ${retries + 1} in ${Math.ceil(delayMs / 1000)} s\n`);
    },
  });
  try {
    if (emulators) {
      const [demo] = emulators.describe();
      baseUrl = demo.baseUrl;
      trustedPackageOrigins.push(demo.baseUrl);
      credentials = adapter.credentialsFromEnv(demoEnv(adapter.id, demo.credentials));
      // The emulator's first source, unless the query names one; a --layer or --domain alone is kept.
      if (!Object.keys(query.source).some((key) => IDENTITY_KEYS.has(key))) query.source = { ...demoSelector(demo.sources[0]), ...query.source };
    } else {
      adapter.parseSource(query.source); // a wrong source is named before missing credentials
      credentials = adapter.credentialsFromEnv(io.env);
    }
    let lastProgressMs = 0;
    const run = runQuery(adapter, credentials, query, {
      http,
      baseUrl,
      trustedPackageOrigins,
      nowMs: io.nowMs,
      onProgress: (p) => {
        const t = io.nowMs();
        if (p.windowsDone < p.windows && t - lastProgressMs < 1000) return;
        lastProgressMs = t;
        if (run.meta.windows > 1) io.stderr(progressLine(p, t - now, io.interactive));
      },
    });
    scrub = (text) => run.scrubber.scrub(text);
    for (const clamp of run.meta.clamps) {
      io.stderr(`note: --${clamp.side} moved from ${formatTime(clamp.requestedMs)} to ${formatTime(clamp.effectiveMs)}: ${clamp.reason}\n`);
    }
    const writer = new RecordWriter(output, query.fields, io.stdout, defaultColumns(adapter.id));
    for await (const batch of run.records) {
      if (!writer.add(batch)) await io.drained?.();
    }
    writer.end();
    if (io.interactive && run.meta.windows > 1) io.stderr('\n');
    io.stderr(summaryLine(run.meta) + '\n');
    return 0;
  } finally {
    await http.close();
    await emulators?.close();
  }
}

function originOf(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badInput('base-url', `"${url}" is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw badInput('base-url', `"${parsed.protocol}" URLs are not provider APIs: use an https:// (or, for an emulator, http://) URL`);
  return parsed.origin;
}

function isEmulated(provider: string): provider is EmulatedProvider {
  return (EMULATED_PROVIDERS as readonly string[]).includes(provider);
}

function progressLine(p: QueryProgress, elapsedMs: number, interactive: boolean): string {
  const rate = elapsedMs > 0 ? Math.round((p.records * 1000) / elapsedMs) : 0;
  const text = `windows ${p.windowsDone}/${p.windows}, ${p.records} records, ${formatBytes(p.bytes)}, ${rate} records/s`;
  return interactive ? `\r${text}` : `${text}\n`;
}

function summaryLine(meta: QueryMeta): string {
  const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const parts = [
    count(meta.recordsReturned, 'record'),
    `${meta.windowsDone}/${count(meta.windows, 'window')}`,
    count(meta.requests, 'request'),
    `${formatBytes(meta.bytes)} downloaded`,
    `${meta.recordsDownloaded} decoded`,
  ];
  if (meta.retries > 0) parts.push(count(meta.retries, 'retry', 'retries'));
  if (meta.skipped > 0) parts.push(`${meta.skipped} skipped (see the notes)`);
  if (meta.pushedDown.length > 0) parts.push(`${meta.pushedDown.length} filters applied by ${meta.provider}`);
  if (meta.sampled !== null) parts.push(`sampled at ${meta.sampled}`);
  if (meta.truncated) parts.push(`stopped at --limit: every record from ${formatTime(meta.covered.fromMs)} to ${formatTime(meta.covered.toMs)} (exclusive) was returned`);
  const notes = meta.notes.map((n) => `\nnote: ${visibleText(n)}`).join('');
  return `${parts.join(', ')}${notes}`;
}
