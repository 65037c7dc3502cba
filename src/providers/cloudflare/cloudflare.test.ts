import { isCdnLogError } from '../../core/errors';
import { compileFilters, parseFilter } from '../../core/filter';
import { parseQuery } from '../../core/query';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../core/time';
import { type CloudflareEmulator, startCloudflareEmulator } from '../../emulators';
import { cloudflareWireRecord } from '../../emulators/cloudflare';
import { runQuery } from '../run';
import { emptyStats } from '../types';
import { readCloudflareWindow } from './client';
import { collect, comparable, expectedCloudflare, fastClient } from '../testing/expected';
import { cloudflare } from '.';

const NOW = Date.parse('2026-11-22T10:00:30Z');
const now = () => NOW;

let emu: CloudflareEmulator;
beforeAll(async () => {
  emu = await startCloudflareEmulator({ now, rpm: 40, seed: 7, perZoneRpmLimit: 10_000, perUserRpmLimit: 10_000 });
});
afterAll(() => emu.close());
afterEach(() => {
  emu.faults.clear();
  emu.faults.retentionEnabled = true;
});

function query(extra: Record<string, unknown> = {}) {
  return parseQuery({
    provider: 'cloudflare',
    source: { zone: emu.zones[0].id },
    fromMs: NOW - 3 * HOUR_MS,
    toMs: NOW - 2 * MINUTE_MS,
    limit: 1_000_000,
    ...extra,
  });
}

function truth(fromMs: number, toMs: number) {
  const zone = emu.zones[0];
  return emu.generator.events(zone.id, zone.hosts, fromMs, toMs).map((e) => expectedCloudflare(e, zone.id));
}

async function read(q = query(), http = fastClient()) {
  const run = runQuery(cloudflare, { token: emu.credentials.apiToken }, q, { http, baseUrl: emu.baseUrl, nowMs: now });
  try {
    return { records: await collect(run.records), meta: run.meta };
  } finally {
    await http.close();
  }
}

describe('Cloudflare adapter against the emulator', () => {
  it('returns exactly the ground truth of a 3 h range, window by window', async () => {
    const { records, meta } = await read();
    const expected = truth(NOW - 3 * HOUR_MS, NOW - 2 * MINUTE_MS);
    expect(expected.length).toBeGreaterThan(5000);
    expect(comparable(records)).toEqual(comparable(expected));
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    expect(meta).toMatchObject({ windows: 3, windowsDone: 3, requests: 3, retries: 0, truncated: false });
    expect(meta.bytes).toBeGreaterThan(0);
    const sent = emu.requests.filter((r) => r.path.endsWith('/logs/received')).slice(-3);
    expect(sent.map((r) => r.query.fields)).toEqual(Array(3).fill(expect.stringContaining('RayID')));
  });

  it.each([
    ['429 bursts', { kind: 'rateLimit', count: 3, retryAfterSeconds: 1 }],
    ['5xx', { kind: 'serverError', count: 2, status: 503 }],
    ['a slow body', { kind: 'slowBody', count: 1, delayMs: 1500 }],
    ['a truncated body', { kind: 'truncatedBody', count: 2 }],
    ['the trailing "Error streaming data." line', { kind: 'streamError', count: 2 }],
  ] as const)('retries %s until complete, losing and doubling nothing', async (_name, fault) => {
    emu.faults.inject(fault);
    const { records, meta } = await read(query({ fromMs: NOW - HOUR_MS - 2 * MINUTE_MS }));
    expect(comparable(records)).toEqual(comparable(truth(NOW - HOUR_MS - 2 * MINUTE_MS, NOW - 2 * MINUTE_MS)));
    expect(meta.retries).toBe(fault.count);
  });

  it('passes every field of the "all" set through, unmapped ones as attributes', async () => {
    const from = NOW - 10 * MINUTE_MS;
    const { records } = await read(query({ fromMs: from, options: { fieldSet: 'all' } }));
    const zone = emu.zones[0];
    const events = emu.generator.events(zone.id, zone.hosts, from, NOW - 2 * MINUTE_MS);
    expect(records).toHaveLength(events.length);
    const byId = new Map(records.map((r) => [r.id, r]));
    for (const event of events.slice(0, 50)) {
      const wire = cloudflareWireRecord(event, zone) as Record<string, unknown>;
      const record = byId.get(event.rayId)!;
      expect(record).toMatchObject(expectedCloudflare(event, zone.id) as object);
      expect(record.attributes.ClientASN).toEqual(wire.ClientASN);
      expect(record.attributes.RequestHeaders).toEqual(wire.RequestHeaders);
      expect(record.attributes.SecurityActions).toEqual(wire.SecurityActions);
      expect(record.attributes.RayID).toBeUndefined();
    }
  });

  it.each([
    ['status>=400', 'cacheStatus in (HIT,MISS)'],
    ['status=200', 'method not in (GET,HEAD)'],
    ['status>200', 'status<500'],
    ['bytesSent<=5000', 'country!=US'],
    ['path contains /static', 'host=~^(www|static)'],
    ['userAgent!~Mozilla', 'protocol in (2,3)'],
    ['query contains id=', 'durationMs>10'],
  ])('applies %s and %s while streaming, equal to evaluating them on the ground truth', async (...texts) => {
    const filters = texts.map(parseFilter);
    const from = NOW - HOUR_MS;
    const { records, meta } = await read(query({ fromMs: from, filters }));
    const expected = truth(from, NOW - 2 * MINUTE_MS).filter(compileFilters(filters));
    expect(expected.length).toBeGreaterThan(0);
    expect(comparable(records)).toEqual(comparable(expected));
    expect(meta.pushedDown).toEqual([]);
    expect(meta.recordsDownloaded).toBe(truth(from, NOW - 2 * MINUTE_MS).length);
  });

  it('asks Cloudflare for a sample and says the result is sampled', async () => {
    const from = NOW - HOUR_MS;
    const { records, meta } = await read(query({ fromMs: from, options: { sample: '0.1' } }));
    const all = truth(from, NOW - 2 * MINUTE_MS).length;
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThan(all / 3);
    expect(meta.sampled).toBe(0.1);
    expect(emu.requests[emu.requests.length - 1].query.sample).toBe('0.1');
  });

  it('refuses an option Cloudflare does not have', () => {
    expect(() => runQuery(cloudflare, { token: 't' }, query({ options: { format: 'csv' } }), { http: fastClient() })).toThrow(
      /Cloudflare has no option "format"; it has: fieldSet, sample/,
    );
  });

  it('stops at the limit and says the result is truncated', async () => {
    const { records, meta } = await read(query({ limit: 5 }));
    expect(records).toHaveLength(5);
    expect(meta).toMatchObject({ truncated: true, recordsReturned: 5, requests: 1 });
  });

  it('authenticates with an email and global API key as well as with a token', async () => {
    const http = fastClient();
    const q = query({ fromMs: NOW - 10 * MINUTE_MS });
    const run = runQuery(cloudflare, { email: emu.credentials.email, apiKey: emu.credentials.apiKey }, q, { http, baseUrl: emu.baseUrl, nowMs: now });
    const records = await collect(run.records);
    await http.close();
    expect(comparable(records)).toEqual(comparable(truth(NOW - 10 * MINUTE_MS, NOW - 2 * MINUTE_MS)));
  });

  it('fails with AuthFailed naming the token to check when the credentials are wrong', async () => {
    const http = fastClient();
    const run = runQuery(cloudflare, { token: 'wrong' }, query(), { http, baseUrl: emu.baseUrl, nowMs: now });
    const err = await collect(run.records).catch((e) => e);
    await http.close();
    expect(isCdnLogError(err, 'AuthFailed')).toBe(true);
    expect(err.message).toMatch(/Cloudflare rejected the credentials for zone .*CLOUDFLARE_API_TOKEN.*Logs Read/);
    expect(err.message).not.toContain('wrong');
  });

  it('says how to turn retention on when it is off', async () => {
    emu.faults.retentionEnabled = false;
    const err = await read().catch((e) => e);
    expect(isCdnLogError(err, 'ProviderError')).toBe(true);
    expect(err.message).toMatch(/retention off .*logs\/control\/retention\/flag/);
  });

  it('splits a window Cloudflare calls too long and reads both halves', async () => {
    const http = fastClient();
    const stats = emptyStats();
    const from = NOW - 3 * HOUR_MS;
    const ctx = {
      http,
      baseUrl: emu.baseUrl,
      credentials: { token: emu.credentials.apiToken },
      source: { zone: emu.zones[0].id },
      filters: [],
      options: {},
      stats,
      nowMs: now,
      stillWanted: () => undefined,
      maxDecodedBytes: 1 << 30,
      trustedPackageOrigins: [],
    };
    const records = await collect(readCloudflareWindow(ctx, { fromMs: from, toMs: from + 2 * HOUR_MS }));
    await http.close();
    expect(comparable(records)).toEqual(comparable(truth(from, from + 2 * HOUR_MS)));
    expect(stats.notes).toEqual([expect.stringMatching(/^split .* in two: .*windows are at most 1 h/)]);
    expect(stats.requests).toBe(3);
  });

  describe('when Cloudflare\'s clock differs from ours', () => {
    it('narrows a window Cloudflare calls too recent, reads the rest, and notes it', async () => {
      const behind = await startCloudflareEmulator({ now: () => NOW - 3 * MINUTE_MS, rpm: 40, seed: 7, perZoneRpmLimit: 10_000 });
      const http = fastClient();
      const from = NOW - 30 * MINUTE_MS;
      const q = query({ fromMs: from, toMs: NOW - 65_000 });
      const run = runQuery(cloudflare, { token: behind.credentials.apiToken }, q, { http, baseUrl: behind.baseUrl, nowMs: now });
      const records = await collect(run.records);
      await http.close();
      await behind.close();
      // 1 min, then 2 more: the end moves to now − 65 s − 3 min, inside Cloudflare's now − 1 min.
      expect(comparable(records)).toEqual(comparable(truth(from, NOW - 65_000 - 3 * MINUTE_MS)));
      expect(run.meta.notes).toEqual([expect.stringMatching(/^narrowed .*too recent/), expect.stringMatching(/^narrowed .*too recent/)]);
    });

    it('narrows a window Cloudflare calls too early at the retention edge', async () => {
      const ahead = await startCloudflareEmulator({ now: () => NOW + 3 * MINUTE_MS, rpm: 40, seed: 7, perZoneRpmLimit: 10_000 });
      const http = fastClient();
      const q = query({ fromMs: NOW - 8 * DAY_MS, toMs: NOW - 7 * DAY_MS + 30 * MINUTE_MS });
      const run = runQuery(cloudflare, { token: ahead.credentials.apiToken }, q, { http, baseUrl: ahead.baseUrl, nowMs: now });
      const records = await collect(run.records);
      await http.close();
      await ahead.close();
      const from = NOW - 7 * DAY_MS + MINUTE_MS; // our planner's clamp
      expect(run.meta.clamps).toEqual([expect.objectContaining({ side: 'from', effectiveMs: from })]);
      expect(comparable(records)).toEqual(comparable(truth(from + 3 * MINUTE_MS, NOW - 7 * DAY_MS + 30 * MINUTE_MS)));
      expect(run.meta.notes).toHaveLength(2);
    });
  });

  it('gives up on a provider that keeps failing, with the Transient kind', async () => {
    emu.faults.inject({ kind: 'serverError', count: 20, status: 502 });
    const err = await read(query({ fromMs: NOW - HOUR_MS })).catch((e) => e);
    expect(isCdnLogError(err, 'Transient')).toBe(true);
    expect(err.message).toMatch(/HTTP 502.*gave up after 6 attempts/);
  });
});
