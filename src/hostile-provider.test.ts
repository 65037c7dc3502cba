/**
 * The query command against a hostile provider on loopback, for every provider each finding applies
 * to: every answer ends in bounded time (the kit's short timeouts, never a wall-clock assertion),
 * with the documented exit code and one clear line, nothing lost or doubled where the answer was
 * valid, skipped lines counted, and no credential of the request in any output.
 */

import { gzipSync } from 'node:zlib';
import { main } from './cli';
import type { CliIo } from './cli/query';
import { type HostileAnswer, type HostileProvider, type HostileRequest, type HostileScript, startHostileProvider } from './emulators/hostile';
import { oneMemberZip } from './emulators/zip';
import { CANARY, CANARY_FRAGMENTS, FAST_HTTP } from './testing/hostile-suite';

/** Everything any query of this suite printed: the canary check reads it all at the end. */
const everything: string[] = [];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  requests: HostileProvider['requests'];
}

type Provider = 'cloudflare' | 'gcore' | 'tencent-dsa' | 'tencent-edgeone' | 'naver-elsa';

const NOW = Date.now();
const HOUR = 3_600_000;

/** A source and a one-window range each provider accepts. */
const QUERY: Record<Provider, string[]> = {
  cloudflare: ['--zone', '023e105f4ecef8ad9ca31a8372d0c353', '--from', iso(NOW - 30 * 60_000), '--to', iso(NOW - 5 * 60_000)],
  gcore: ['--resource', '1', '--from', iso(NOW - HOUR), '--to', iso(NOW)],
  'tencent-dsa': ['--host', 'a.example.com', '--from', iso(NOW - 6 * HOUR), '--to', iso(NOW - 5 * HOUR)],
  'tencent-edgeone': ['--zone', 'zone-abc123', '--layer', 'l7', '--from', iso(NOW - 6 * HOUR), '--to', iso(NOW - 5 * HOUR)],
  'naver-elsa': ['--project-id', '1', '--project-key', 'k', '--from', iso(NOW - HOUR), '--to', iso(NOW - 30 * 60_000)],
};
const PROVIDERS = Object.keys(QUERY) as Provider[];

function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

async function query(provider: Provider, script: HostileScript, extra: string[] = [], args: string[] = QUERY[provider]): Promise<Outcome> {
  const kit = await startHostileProvider(script);
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env: { ...CANARY },
    nowMs: Date.now,
    interactive: false,
    httpOptions: FAST_HTTP,
  };
  try {
    const code = await main(['query', '--provider', provider, '--base-url', kit.origin, ...args, ...extra], io);
    everything.push(...out, ...err);
    return { code, stdout: out.join(''), stderr: err.join(''), requests: [...kit.requests] };
  } finally {
    await kit.close();
  }
}

/** Exit 4 with exactly one line on stderr, naming the provider's trouble. */
function expectProviderFailure(outcome: Outcome, message: RegExp = /./): void {
  expect(outcome.stderr).toMatch(message);
  expect(outcome.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(outcome.stderr).toMatch(/^cdn-log-bridge: /);
  expect(outcome.code).toBe(4);
}

const always =
  (answer: HostileAnswer): HostileScript =>
  () =>
    answer;

// --- valid bodies, built by hand from provider-spec -------------------------------------------

function cloudflareLine(rayId: string, atMs: number): string {
  return JSON.stringify({ RayID: rayId, EdgeStartTimestamp: atMs * 1e6, EdgeEndTimestamp: atMs * 1e6 + 5e6, EdgeResponseStatus: 200, ClientRequestHost: 'www.example.com' });
}

function cloudflareBody(lines: string[]): HostileAnswer {
  return { kind: 'reply', status: 200, headers: { 'content-encoding': 'gzip', 'content-type': 'application/x-ndjson' }, body: gzipSync(lines.join('\n') + '\n') };
}

function gcoreRows(count: number, fromMs: number): string {
  const header = 'timestamp\tpath\tmethod\tclient_ip\tstatus\tsize\tresource_id';
  const rows = Array.from({ length: count }, (_, i) => `${Math.floor(fromMs / 1000) + i}\t/p${i}\tGET\t192.0.2.1\t200\t100\t1`);
  return [header, ...rows].join('\n') + '\n';
}

function gcorePage(tsv: string): HostileAnswer {
  return { kind: 'reply', status: 200, headers: { 'content-type': 'application/zip' }, body: oneMemberZip('logs.tsv', Buffer.from(tsv), NOW) };
}

function elsaZip(documents: unknown[]): HostileAnswer {
  return { kind: 'reply', status: 200, headers: { 'content-type': 'application/zip' }, body: oneMemberZip('k.json', Buffer.from(JSON.stringify(documents)), NOW) };
}

/** A DSA or EdgeOne listing of one package served by the kit itself at /pkg/<name>. */
function listingOf(provider: 'tencent-dsa' | 'tencent-edgeone', req: HostileRequest, hourMs: number): HostileAnswer {
  if (provider === 'tencent-dsa') {
    const beijing = new Date(hourMs + 8 * HOUR).toISOString().slice(0, 13).replace('T', ' ') + ':00:00';
    return { kind: 'reply', status: 200, body: JSON.stringify({ code: 0, message: '', codeDesc: 'Success', data: { 'a.example.com': [{ datetime: beijing, url: `${req.origin}/pkg/a.gz` }] } }) };
  }
  return {
    kind: 'reply',
    status: 200,
    body: JSON.stringify({ Response: { TotalCount: 1, Data: [{ LogPacketName: 'p1', Url: `${req.origin}/pkg/p1.log.gz`, Area: 'overseas', Domain: 'www.example.com' }], RequestId: 'r' } }),
  };
}

/** Answers the listing honestly and the package as `pkg` says. */
function packageScript(provider: 'tencent-dsa' | 'tencent-edgeone', pkg: HostileAnswer, hourMs = NOW - 6 * HOUR): HostileScript {
  return (req) => (req.url.pathname.startsWith('/pkg/') ? pkg : listingOf(provider, req, Math.floor(hourMs / HOUR) * HOUR));
}

// --- the findings ------------------------------------------------------------------------------

describe('hangs end, with exit 4 and one line', () => {
  const bodies: Array<[string, HostileAnswer]> = [
    ['a 500 whose body never ends', { kind: 'endless', status: 500 }],
    ['a 500 whose body trickles a byte at a time', { kind: 'trickle', status: 500, body: 'x'.repeat(100_000), intervalMs: 50 }],
    ['a 200 whose body trickles a byte at a time', { kind: 'trickle', status: 200, body: 'x'.repeat(100_000), intervalMs: 50 }],
    ['a 200 whose body never ends', { kind: 'endless', status: 200, headers: { 'content-type': 'application/zip' }, chunk: '\n'.repeat(64 * 1024) }],
    ['no answer at all', { kind: 'hang' }],
    ['a reply that is not HTTP', { kind: 'raw', bytes: 'SSH-2.0-OpenSSH_9.6\r\n\r\nnot http at all\r\n' }],
    ['a chunked body with a bad chunk size', { kind: 'raw', bytes: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZZ\r\nabc\r\n0\r\n\r\n' }],
    ['a body cut short', { kind: 'truncated', status: 200, body: 'x'.repeat(10_000), sentBytes: 100 }],
  ];
  it.each(PROVIDERS.flatMap((p) => bodies.map(([what, answer]) => [p, what, answer] as const)))('%s: %s', async (provider, _what, answer) => {
    const outcome = await query(provider, always(answer), ['--retries', '1']);
    expectProviderFailure(outcome);
    expect(outcome.stdout).toBe('');
  });

  it.each(['tencent-dsa', 'tencent-edgeone'] as const)('%s: a log package that trickles, never ends, or is not HTTP', async (provider) => {
    const incompressible = gzipSync(Buffer.from(Array.from({ length: 50_000 }, (_, i) => ((i * 7919) % 251).toString(16)).join('')));
    for (const pkg of [
      { kind: 'trickle', status: 200, body: incompressible, intervalMs: 50 },
      { kind: 'endless', status: 200 },
      { kind: 'raw', bytes: 'garbage\r\n\r\n' },
    ] as HostileAnswer[]) {
      expectProviderFailure(await query(provider, packageScript(provider, pkg), ['--retries', '1']), /package|\/pkg\//);
    }
  });
});

describe('paging that lies ends, without doubling what came first', () => {
  it('gcore: a server that ignores offset returns its 10000 rows once, then exit 4 naming the loop', async () => {
    const page = gcorePage(gcoreRows(10_000, NOW - HOUR));
    const outcome = await query('gcore', () => page, ['--limit', '30000', '--fields', 'path']);
    expectProviderFailure(outcome, /same 10000 items as offset 0, so it is not paging/);
    const paths = outcome.stdout.trim().split('\n').map((l) => JSON.parse(l).path);
    expect(paths).toHaveLength(10_000);
    expect(new Set(paths).size).toBe(10_000);
    expect(outcome.requests).toHaveLength(2);
  });

  it('tencent-edgeone: a TotalCount of 1e15 over one repeated page ends after the second listing call', async () => {
    const pkg = { kind: 'reply', status: 200, body: gzipSync(JSON.stringify({ RequestID: 'e1', RequestTime: iso(NOW - 6 * HOUR + 60_000), EdgeResponseStatusCode: 200 }) + '\n') } as const;
    const outcome = await query('tencent-edgeone', (req) => {
      if (req.url.pathname.startsWith('/pkg/')) return pkg;
      return { kind: 'reply', status: 200, body: JSON.stringify({ Response: { TotalCount: 1e15, Data: [{ LogPacketName: 'p1', Url: `${req.origin}/pkg/p1.log.gz`, Area: 'overseas' }], RequestId: 'r' } }) };
    });
    expectProviderFailure(outcome, /not paging/);
    expect(outcome.requests.filter((r) => r.path === '/')).toHaveLength(2);
  });
});

describe('provider data that is not what the spec says is skipped and counted, or a provider error: never a crash', () => {
  it('cloudflare: null, [], "str", 12345, {} and out-of-range times are skipped and counted; valid lines are returned once', async () => {
    const start = NOW - 20 * 60_000;
    const lines = ['null', '[1,2]', '"str"', '12345', '{}', JSON.stringify({ RayID: 'far', EdgeStartTimestamp: 1e300 }), JSON.stringify({ RayID: 'y1970', EdgeStartTimestamp: 1 }), cloudflareLine('a1', start), cloudflareLine('a2', start + 1000)];
    const outcome = await query('cloudflare', always(cloudflareBody(lines)), ['--output', 'table']);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.trimEnd().split('\n')).toHaveLength(4); // header, rule, 2 rows
    expect(outcome.stderr).toMatch(/^2 records, .*, 7 skipped \(see the notes\)/m);
    expect(outcome.stderr).toMatch(/note: skipped 6 lines .* not Logpull records/);
    expect(outcome.stderr).toMatch(/note: skipped 1 records without a usable time or dated more than 1 d outside the window/);
  });

  it.each(['table', 'csv', 'ndjson'])('cloudflare: a record dated 1e20 or 1e300 never reaches the %s writer', async (output) => {
    const lines = [JSON.stringify({ RayID: 'a', EdgeStartTimestamp: 1e20 }), JSON.stringify({ RayID: 'b', EdgeStartTimestamp: '1e300' })];
    const outcome = await query('cloudflare', always(cloudflareBody(lines)), ['--output', output]);
    expect(outcome.code).toBe(0);
    expect(outcome.stderr).toMatch(/^0 records, .*2 skipped/m);
  });

  it('cloudflare: a field nested 200000 levels deep is kept to a bounded depth; the NDJSON output parses', async () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const line = `{"RayID":"deep","EdgeStartTimestamp":${(NOW - 20 * 60_000) * 1e6},"Deep":${deep}}`;
    const outcome = await query('cloudflare', always(cloudflareBody([line])), ['--field-set', 'all'].slice(0, 0));
    expect(outcome.code).toBe(0);
    const record = JSON.parse(outcome.stdout);
    expect(record.id).toBe('deep');
    expect(JSON.stringify(record.attributes.Deep).length).toBeLessThan(1000);
  });

  it('tencent-edgeone and naver-elsa: a field nested 200000 levels deep is kept to a bounded depth too', async () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const line = `{"RequestID":"deep","RequestTime":"${iso(NOW - 6 * HOUR + 60_000)}","Deep":${deep}}`;
    const edgeone = await query('tencent-edgeone', packageScript('tencent-edgeone', { kind: 'reply', status: 200, body: gzipSync(line + '\n') }));
    expect(edgeone.code).toBe(0);
    expect(JSON.parse(edgeone.stdout).attributes.Deep).toBeDefined();
    const elsa = await query('naver-elsa', always({ kind: 'reply', status: 200, body: oneMemberZip('k.json', Buffer.from(`[{"logTime":${NOW - 45 * 60_000},"Deep":${deep}}]`), NOW) }));
    expect(elsa.code).toBe(0);
    expect(JSON.stringify(JSON.parse(elsa.stdout).attributes.Deep).length).toBeLessThan(1000);
  });

  it('gcore: rows dated 1e20 or with no timestamp are skipped and counted, and the table prints', async () => {
    const tsv = ['timestamp\tpath\tstatus', `1e20\t/a\t200`, `\t/b\t200`, `${Math.floor((NOW - HOUR / 2) / 1000)}\t/c\t200`].join('\n') + '\n';
    const outcome = await query('gcore', always(gcorePage(tsv)), ['--output', 'table']);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(outcome.stderr).toMatch(/^1 record, .*2 skipped/m);
  });

  it('cloudflare: a provider field named __proto__ stays an own attribute; filters do not reach the prototype', async () => {
    const line = JSON.stringify({ RayID: 'p1', EdgeStartTimestamp: (NOW - 20 * 60_000) * 1e6 }).replace(/}$/, ',"__proto__":{"evil":"yes"}}');
    for (const [filter, expected] of [
      ['attributes.evil=yes', 0],
      ['attributes.constructor=~native', 0],
      ['attributes.__proto__=~evil', 1],
    ] as const) {
      const outcome = await query('cloudflare', always(cloudflareBody([line])), ['--filter', filter]);
      expect(outcome.code).toBe(0);
      expect(outcome.stdout.trim() === '' ? 0 : outcome.stdout.trim().split('\n').length).toBe(expected);
    }
  });

  it.each(['<html><body>Bad gateway</body></html>', 'null', '[]', '{}'])('cloudflare --field-set all: /fields answering %s is exit 4 naming the catalogue', async (body) => {
    const outcome = await query('cloudflare', (req) => (req.url.pathname.endsWith('/fields') ? { kind: 'reply', status: 200, body } : cloudflareBody([])), ['--field-set', 'all']);
    expectProviderFailure(outcome, /not a catalogue of field names/);
  });

  it.each([
    ['tencent-dsa', 'null'],
    ['tencent-dsa', '[]'],
    ['tencent-dsa', '{"code":0,"data":[1,2]}'],
    ['tencent-dsa', '{"code":0,"data":{"a.example.com":[null]}}'],
    ['tencent-dsa', '{"code":"4100"}'],
    ['tencent-edgeone', 'null'],
    ['tencent-edgeone', '{"Response":null}'],
    ['tencent-edgeone', '{"Response":{"TotalCount":1,"Data":[null]}}'],
    ['tencent-edgeone', '{"Response":{"TotalCount":"1","Data":[]}}'],
    ['tencent-edgeone', '{"Response":{"Error":null}}'],
  ] as const)('%s: a listing answering %s is a provider error, not a crash', async (provider, body) => {
    const outcome = await query(provider, always({ kind: 'reply', status: 200, body }));
    expect(outcome.stderr).not.toMatch(/unexpected error/);
    expect(outcome.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect([3, 4]).toContain(outcome.code);
  });

  it('naver-elsa: documents dated 1970 or a year ahead are skipped and counted, not returned for a -1h query', async () => {
    const inside = NOW - 45 * 60_000;
    const docs = [
      { logTime: inside, body: 'kept' },
      { logTime: 0, body: '1970' },
      { logTime: NOW + 366 * 24 * HOUR, body: 'next year' },
      { logTime: 'yesterday', body: 'no time' },
      [1],
    ];
    const outcome = await query('naver-elsa', always(elsaZip(docs)), ['--fields', 'message']);
    expect(outcome.stderr).not.toMatch(/cdn-log-bridge:/);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.trim().split('\n').map((l) => JSON.parse(l).message)).toEqual(['kept']);
    expect(outcome.stderr).toMatch(/^1 record, .*4 skipped/m);
  });

  it('naver-elsa: a limited read returns the oldest records of the range with no hole, and says up to when', async () => {
    // One document a minute over two hours, answered newest first as ELSA does, `count` at most.
    const from = Math.floor((NOW - 3 * HOUR) / HOUR) * HOUR;
    const docs = Array.from({ length: 120 }, (_, i) => ({ logTime: from + i * 60_000, body: `m${i}` }));
    const outcome = await query(
      'naver-elsa',
      (req) => {
        const { from: f, to, count } = JSON.parse(req.body);
        return elsaZip(docs.filter((d) => d.logTime >= f && d.logTime < to).reverse().slice(0, count));
      },
      ['--limit', '90', '--fields', 'message'],
      ['--project-id', '1', '--project-key', 'k', '--from', iso(from), '--to', iso(from + 2 * HOUR)],
    );
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.trim().split('\n').map((l) => JSON.parse(l).message)).toEqual(docs.slice(0, 90).map((d) => d.body));
    expect(outcome.stderr).toMatch(new RegExp(`stopped at --limit: every record from ${iso(from).slice(0, 16)}Z to ${iso(from + 89 * 60_000).slice(0, 16)}Z \\(exclusive\\) was returned`));
  });
});

describe('credentials never leave the process, whatever the provider echoes', () => {
  it.each(PROVIDERS.flatMap((p) => [400, 401, 403, 404, 500].map((status) => [p, status] as const)))('%s: an echo of the request with HTTP %d', async (provider, status) => {
    const outcome = await query(provider, always({ kind: 'echo', status }), ['--retries', '0']);
    expect([3, 4]).toContain(outcome.code);
    expect(outcome.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it.each(['tencent-dsa', 'tencent-edgeone'] as const)('%s: a package host that echoes the request', async (provider) => {
    const outcome = await query(provider, packageScript(provider, { kind: 'echo', status: 500 }), ['--retries', '0']);
    expectProviderFailure(outcome, /package/);
  });

  it.each(PROVIDERS)('%s: an echo inside a 200 body (a proxy that reflects the request as the log data)', async (provider) => {
    const outcome = await query(provider, always({ kind: 'echo', status: 200 }), ['--retries', '0']);
    expect(outcome.stderr).not.toMatch(/unexpected error/);
  });

  it.each([
    ['CLOUDFLARE_API_TOKEN', 'cloudflare'],
    ['GCORE_API_KEY', 'gcore'],
    ['TENCENTCLOUD_SECRET_KEY', 'tencent-dsa'],
    ['NCLOUD_SECRET_KEY', 'naver-elsa'],
  ] as const)('a %s with a line break is exit 3 naming the variable, before any request', async (variable, provider) => {
    const kit = await startHostileProvider(always({ kind: 'hang' }));
    const err: string[] = [];
    const io: CliIo = { stdout: () => undefined, stderr: (t) => void err.push(t), env: { ...CANARY, [variable]: `${CANARY[variable]}\n` }, nowMs: Date.now, interactive: false, httpOptions: FAST_HTTP };
    const code = await main(['query', '--provider', provider, '--base-url', kit.origin, ...QUERY[provider]], io);
    await kit.close();
    everything.push(...err);
    expect(code).toBe(3);
    expect(err.join('')).toMatch(new RegExp(`${variable} contains a line break`));
    expect(kit.requests).toHaveLength(0);
  });

  afterAll(() => {
    // Runs after the whole file (jest runs describe blocks in order): every output of every query.
    const text = everything.join('');
    expect(text.length).toBeGreaterThan(0);
    expect(CANARY_FRAGMENTS.filter((fragment) => text.includes(fragment))).toEqual([]);
  });
});

describe('waits the provider asks for', () => {
  it.each(PROVIDERS)('%s: a 429 asking for 999999 s stops at once with exit 4 naming the wait', async (provider) => {
    const outcome = await query(provider, always({ kind: 'reply', status: 429, headers: { 'retry-after': '999999' }, body: '{}' }));
    expectProviderFailure(outcome, /asked to wait 999999 s before retrying/);
    expect(outcome.requests).toHaveLength(1);
  });
});

describe('small things', () => {
  it('says "1 attempt", and shows file: and gopher: base URLs as the bad input they are', async () => {
    const outcome = await query('gcore', always({ kind: 'reply', status: 503, body: 'down' }), ['--retries', '0']);
    expectProviderFailure(outcome, /gave up after 1 attempt\)$/m);
    for (const url of ['file:///etc/passwd', 'gopher://example.com/x']) {
      const err: string[] = [];
      const io: CliIo = { stdout: () => undefined, stderr: (t) => void err.push(t), env: { ...CANARY }, nowMs: Date.now, interactive: false };
      expect(await main(['query', '--provider', 'gcore', '--base-url', url, ...QUERY.gcore], io)).toBe(2);
      expect(err.join('')).toMatch(/base-url: "(file|gopher):" URLs are not provider APIs/);
    }
  });
});
