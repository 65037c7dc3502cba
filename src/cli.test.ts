import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { main } from './cli';
import { demoCommand } from './cli/demo';
import type { CliIo } from './cli/query';
import { startEmulators } from './emulators';

function fakeIo(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env, nowMs: Date.now, interactive: false };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

async function run(args: string[], env: Record<string, string> = {}) {
  const f = fakeIo(env);
  const code = await main(args, f.io);
  return { code, stdout: f.stdout(), stderr: f.stderr() };
}

describe('cdn-log-bridge query', () => {
  it('prints 5 table rows from the Cloudflare emulator, in time order', async () => {
    const { code, stdout, stderr } = await run(['query', '--provider', 'cloudflare', '--emulator', '--from', '-30m', '--to', '-1m', '--limit', '5', '--output', 'table']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(7); // header, rule, 5 rows
    expect(lines[0]).toMatch(/^timestamp\s+status\s+method\s+host\s+path\s+cacheStatus/);
    const times = lines.slice(2).map((l) => Date.parse(l.split(/\s+/)[0]));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(stderr).toMatch(/5 records, .*stopped at --limit/);
  });

  it('prints one normalised record per NDJSON line with the record field names', async () => {
    const { code, stdout } = await run(['query', '--provider', 'gcore', '--emulator', '--from', '-2h', '--to', 'now', '--limit', '3', '--filter', 'status>=400', '--fields', 'timestamp,status,host,cacheStatus']);
    expect(code).toBe(0);
    const records = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(records).toHaveLength(3);
    for (const r of records) {
      expect(Object.keys(r)).toEqual(['timestamp', 'status', 'host', 'cacheStatus']);
      expect(r.status).toBeGreaterThanOrEqual(400);
    }
  });

  it('writes CSV with a header and quoted values', async () => {
    const { code, stdout } = await run(['query', '--provider', 'gcore', '--emulator', '--from', '-1h', '--to', 'now', '--limit', '20', '--output', 'csv', '--fields', 'status,userAgent']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('status,userAgent');
    expect(lines).toHaveLength(21);
    expect(lines.some((l) => /^\d{3},".*,.*"$/.test(l))).toBe(true);
  });

  it('reports progress per window on stderr for a multi-window range', async () => {
    const { code, stderr } = await run(['query', '--provider', 'gcore', '--emulator', '--from', '-13h', '--to', 'now', '--filter', 'status=503', '--fields', 'status']);
    expect(code).toBe(0);
    expect(stderr).toMatch(/windows 3\/3, \d+ records, [\d.]+ (KiB|MiB), \d+ records\/s/);
  });

  it.each([
    [['query', '--provider', 'cloudflare', '--emulator', '--from', 'yesterday', '--to', 'now'], /^cdn-log-bridge: from: "yesterday" is not a time/],
    [['query', '--provider', 'cloudflare', '--emulator', '--from', '-1h', '--to', '-2m', '--fields', 'status,bogus'], /unknown field "bogus"/],
    [['query', '--provider', 'cloudflare', '--emulator', '--from', '-1h', '--to', '-2m', '--filter', 'status~500'], /"status~500" is not a filter/],
    [['query', '--provider', 'cloudflare', '--emulator', '--from', '-1h', '--to', '-2m', '--filter', 'stat>=500'], /unknown field "stat"/],
    [['query', '--provider', 'akamai', '--from', '-1h', '--to', 'now'], /unknown provider "akamai"; available: gcore, cloudflare/],
    [['query', '--provider', 'gcore', '--emulator', '--from', '+1h', '--to', '+2h'], /is in the future for Gcore/],
    [['query', '--provider', 'cloudflare', '--emulator', '--from', '-10d', '--to', '-8d'], /serves logs for the last 7 d only/],
    [['query', '--provider', 'cloudflare', '--zone', 'example.com', '--from', '-1h', '--to', '-2m'], /not a Cloudflare zone ID/],
    [['query', '--provider', 'gcore', '--emulator', '--from', '-1h', '--to', 'now', '--output', 'xml'], /"xml" is not an output format/],
    [['query', '--provider', 'gcore', '--emulator', '--from', '-1h', '--to', 'now', '--limit', '-3'], /"-3" is not a positive whole number/],
    [['query', '--provider', 'gcore', '--emulator', '--from', '-1h', '--to', 'now', '--bogus'], /Unknown option '--bogus'/],
    [['query', '--provider', 'gcore', '--emulator', '--to', 'now'], /missing --from/],
  ])('exits 2 with one line naming the problem: %j', async (args, message) => {
    const { code, stdout, stderr } = await run(args as string[]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it.each([
    [['query', '--provider', 'cloudflare', '--zone', '023e105f4ecef8ad9ca31a8372d0c353', '--from', '-1h', '--to', '-2m'], /Cloudflare needs CLOUDFLARE_API_TOKEN/],
    [['query', '--provider', 'gcore', '--resource', '1', '--from', '-1h', '--to', 'now'], /Gcore needs GCORE_API_KEY/],
    [['query', '--provider', 'tencent-dsa', '--host', 'a.example.com', '--from', '-6h', '--to', '-3h'], /Tencent DSA needs TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY/],
    [['query', '--provider', 'tencent-edgeone', '--zone', 'zone-2mzegj4vln5f', '--from', '-6h', '--to', '-3h'], /Tencent EdgeOne needs TENCENTCLOUD_SECRET_ID/],
    [['query', '--provider', 'naver-elsa', '--project-id', '1', '--project-key', 'k', '--from', '-1h'], /NAVER ELSA needs NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY/],
  ])('exits 3 naming the variables when credentials are missing: %j', async (args, message) => {
    const { code, stderr } = await run(args as string[]);
    expect(code).toBe(3);
    expect(stderr).toMatch(message);
  });

  it.each([['tencent-dsa'], ['naver-elsa'], ['tencent-edgeone', '--layer', 'l7'], ['tencent-edgeone', '--layer', 'l4']])('prints 5 table rows from the %s emulator', async (provider, ...source) => {
    const { code, stdout, stderr } = await run(['query', '--provider', provider, '--emulator', ...source, '--from', '-6h', '--to', '-3h', '--limit', '5', '--output', 'table']);
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toHaveLength(7);
    expect(stderr).toMatch(/^5 records, .*stopped at --limit/m);
  });

  it('reads the DSA hosts given with repeated --host, and names a bad one', async () => {
    const ok = await run(['query', '--provider', 'tencent-dsa', '--emulator', '--host', 'h02.dsa.example.com', '--host', 'h03.dsa.example.com', '--from', '-6h', '--to', '-5h', '--fields', 'host', '--limit', '100000']);
    expect(ok.code).toBe(0);
    expect(new Set(ok.stdout.trim().split('\n').map((l) => JSON.parse(l).host))).toEqual(new Set(['h02.dsa.example.com', 'h03.dsa.example.com']));
    const bad = await run(['query', '--provider', 'tencent-dsa', '--emulator', '--host', 'nope.example.com', '--from', '-6h', '--to', '-5h']);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/Tencent DSA answered 4000 .*nope\.example\.com/);
  });

  describe('against a running emulator', () => {
    let fleet: Awaited<ReturnType<typeof startEmulators>>;
    beforeAll(async () => {
      fleet = await startEmulators();
    });
    afterAll(() => fleet.close());

    it.each(['cloudflare', 'gcore', 'tencent-dsa', 'tencent-edgeone', 'naver-elsa'])('the command the demo prints for %s works as printed', async (provider) => {
      const described = fleet.describe().find((d) => d.provider === provider)!;
      const words = demoCommand(described).split(' ');
      const env = Object.fromEntries(words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => w.split(/=(.*)/s).slice(0, 2)).map(([k, v]) => [k, v.slice(1, -1)]));
      const args = words.slice(words.indexOf('cdn-log-bridge') + 1);
      const { code, stdout } = await run(args, env);
      expect(code).toBe(0);
      expect(stdout.trimEnd().split('\n')).toHaveLength(12);
    });

    it('exits 3 on rejected credentials and never prints the secret', async () => {
      const cf = fleet.describe().find((d) => d.provider === 'cloudflare')!;
      const zone = String(cf.sources[0].zone);
      const { code, stderr } = await run(
        ['query', '--provider', 'cloudflare', '--base-url', cf.baseUrl, '--zone', zone, '--from', '-1h', '--to', '-2m'],
        { CLOUDFLARE_API_TOKEN: 'super-secret-wrong-token' },
      );
      expect(code).toBe(3);
      expect(stderr).toMatch(/Cloudflare rejected the credentials/);
      expect(stderr).not.toContain('super-secret-wrong-token');
    });

    it('exits 4 when the provider keeps failing after the retries', async () => {
      const gcore = fleet.describe().find((d) => d.provider === 'gcore')!;
      fleet.emulators.gcore!.faults.inject({ kind: 'serverError', count: 3, status: 503 });
      const { code, stderr } = await run(
        ['query', '--provider', 'gcore', '--base-url', gcore.baseUrl, '--resource', String(gcore.sources[0].resource), '--from', '-1h', '--to', 'now', '--retries', '1'],
        { GCORE_API_KEY: gcore.credentials.apiKey },
      );
      expect(code).toBe(4);
      expect(stderr).toMatch(/Gcore failed to serve .*HTTP 503.*gave up after 2 attempts/);
    });
  });
});

describe('cdn-log-bridge emulate', () => {
  it.each([
    [['emulate', '--provider', 'akamai'], /there is no emulator for "akamai"; emulated: cloudflare, gcore/],
    [['emulate', '--port', 'abc'], /port: "abc" is not a whole number/],
  ])('exits 2 on %j', async (args, message) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});

describe('the installed command', () => {
  it('prints one line and no stack trace on bad input, exit code 2', () => {
    const bin = path.join(__dirname, '..', 'bin', 'cdn-log-bridge.js');
    const res = spawnSync(process.execPath, [bin, 'query', '--provider', 'cloudflare', '--from', 'soon', '--to', 'now'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(res.status).toBe(2);
    expect(res.stderr).toBe('cdn-log-bridge: from: "soon" is not a time: use ISO 8601 with a zone (2026-11-22T10:00:00Z), a relative time (-15m, -2h, -1d) or "now"\n');
  });
});
