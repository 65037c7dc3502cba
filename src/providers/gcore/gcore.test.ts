import { isCdnLogError } from '../../core/errors';
import { compileFilters, type Filter, parseFilter } from '../../core/filter';
import { parseQuery } from '../../core/query';
import { HOUR_MS } from '../../core/time';
import { type GcoreEmulator, startGcoreEmulator } from '../../emulators';
import { gcoreCacheStatus } from '../../emulators/gcore';
import { runQuery } from '../run';
import { collect, comparable, expectedGcore, fastClient } from '../testing/expected';
import { gcore } from '.';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const now = () => NOW;

let emu: GcoreEmulator;
beforeAll(async () => {
  emu = await startGcoreEmulator({ now, rpm: 40, seed: 11, rpmLimit: 100_000 });
});
afterAll(() => emu.close());
afterEach(() => emu.faults.clear());

function query(extra: Record<string, unknown> = {}) {
  return parseQuery({
    provider: 'gcore',
    source: { resource: String(emu.resources[0].id) },
    fromMs: NOW - 2 * HOUR_MS,
    toMs: NOW,
    limit: 1_000_000,
    ...extra,
  });
}

function truth(fromMs: number, toMs: number) {
  const resource = emu.resources[0];
  return emu.generator
    .events(String(resource.id), [resource.cname], fromMs, toMs)
    .map((e) => expectedGcore(e, resource.id, gcoreCacheStatus(e.cacheStatus)));
}

async function read(q = query()) {
  const http = fastClient();
  const run = runQuery(gcore, { apiKey: emu.credentials.apiKey }, q, { http, baseUrl: emu.baseUrl, nowMs: now });
  try {
    return { records: await collect(run.records), meta: run.meta };
  } finally {
    await http.close();
  }
}

function downloads() {
  return emu.requests.filter((r) => r.path.endsWith('/logs/download'));
}

describe('Gcore adapter against the emulator', () => {
  it('returns exactly the ground truth of a 7 h range across windows and pages of 10000 rows', async () => {
    const before = downloads().length;
    const { records, meta } = await read(query({ fromMs: NOW - 7 * HOUR_MS }));
    const expected = truth(NOW - 7 * HOUR_MS, NOW);
    expect(expected.length).toBeGreaterThan(12_000); // the first 6 h window needs two pages
    expect(comparable(records)).toEqual(comparable(expected));
    expect(meta).toMatchObject({ windows: 2, windowsDone: 2, requests: 3, retries: 0 });
    const sent = downloads().slice(before);
    expect(sent.map((r) => r.query.offset)).toEqual(['0', '10000', '0']);
    expect(sent[0].query).toMatchObject({ format: 'tsv', limit: '10000', sort: 'timestamp,resource_id,client_ip,method,status,size,cache_status,datacenter', resource_id__eq: String(emu.resources[0].id) });
  });

  it.each([
    ['429 bursts', { kind: 'rateLimit', count: 3, retryAfterSeconds: 1 }],
    ['5xx', { kind: 'serverError', count: 2, status: 502 }],
    ['a slow body', { kind: 'slowBody', count: 1, delayMs: 1500 }],
    ['a truncated body', { kind: 'truncatedBody', count: 2 }],
    ['a corrupt zip', { kind: 'corruptZip', count: 2 }],
  ] as const)('retries %s until complete, losing and doubling nothing', async (_name, fault) => {
    emu.faults.inject(fault);
    const { records, meta } = await read(query({ options: { pageSize: '1000' } }));
    expect(comparable(records)).toEqual(comparable(truth(NOW - 2 * HOUR_MS, NOW)));
    expect(meta.retries).toBe(fault.count);
  });

  it('asks for no more rows than a limit needs when Gcore applies every filter', async () => {
    const before = downloads().length;
    const { records, meta } = await read(query({ limit: 25, filters: [parseFilter('status>=400')] }));
    expect(records).toHaveLength(25);
    expect(meta.truncated).toBe(true);
    expect(downloads().slice(before).map((r) => r.query.limit)).toEqual(['25']);
  });

  it('reads CSV members with quoted user agents the same as TSV', async () => {
    const { records } = await read(query({ options: { format: 'csv' } }));
    expect(records.some((r) => r.userAgent?.includes(','))).toBe(true);
    expect(comparable(records)).toEqual(comparable(truth(NOW - 2 * HOUR_MS, NOW)));
  });

  // Every operator of every family the API filters on, plus filters only we can apply.
  const pushable: Array<[string, string]> = [
    ['method=GET', 'method__eq=GET'],
    ['method!=GET', 'method__ne=GET'],
    ['method in (POST,PUT)', 'method__in=POST,PUT'],
    ['method not in (GET,HEAD)', 'method__not_in=GET,HEAD'],
    ['status>=500', 'status__gte=500'],
    ['status>499', 'status__gt=499'],
    ['status<300', 'status__lt=300'],
    ['status<=204', 'status__lte=204'],
    ['status=404', 'status__eq=404'],
    ['status!=200', 'status__ne=200'],
    ['status in (301,302)', 'status__in=301,302'],
    ['status not in (200,206)', 'status__not_in=200,206'],
    ['bytesSent>100000', 'size__gt=100000'],
    ['bytesSent<=2000', 'size__lte=2000'],
    ['cacheStatus=HIT', 'cache_status__eq=HIT'],
    ['cacheStatus in (MISS,EXPIRED)', 'cache_status__in=MISS,EXPIRED'],
    ['cacheStatus not in (HIT)', 'cache_status__not_in=HIT'],
    ['edgeLocation=Frankfurt', 'datacenter__eq=Frankfurt'],
    ['edgeLocation!=Frankfurt', 'datacenter__ne=Frankfurt'],
    ['edgeLocation in (Frankfurt,Sao Paulo)', 'datacenter__in=Frankfurt,Sao+Paulo'],
    ['host contains cdn', 'cname__contains=cdn'],
    ['host!=nope.test', 'cname__ne=nope.test'],
    ['clientIp not in (10.0.0.1)', 'client_ip__not_in=10.0.0.1'],
  ];
  it.each(pushable)('pushes %s down as %s and returns the filtered ground truth', async (text, param) => {
    const filter = parseFilter(text);
    const before = downloads().length;
    const { records, meta } = await read(query({ filters: [filter] }));
    const expected = truth(NOW - 2 * HOUR_MS, NOW).filter(compileFilters([filter]));
    expect(comparable(records)).toEqual(comparable(expected));
    expect(meta.pushedDown).toEqual([filter]);
    // The server filtered: we decoded no more rows than we kept.
    expect(meta.recordsDownloaded).toBe(expected.length);
    const [key, value] = param.split('=');
    expect(downloads()[before].query[key]).toBe(decodeURIComponent(value.replace(/\+/g, ' ')));
  });

  const local: string[] = ['path contains /static', 'userAgent=~Mozilla', 'referer!=', 'query contains id=', 'host contains cd', 'method=~^P'];
  it.each(local)('applies %s locally, equal to evaluating it on the ground truth', async (text) => {
    const filters: Filter[] = [parseFilter(text.endsWith('!=') ? 'referer!=-' : text)];
    const { records, meta } = await read(query({ filters }));
    const expected = truth(NOW - 2 * HOUR_MS, NOW).filter(compileFilters(filters));
    expect(comparable(records)).toEqual(comparable(expected));
    expect(meta.pushedDown).toEqual([]);
  });

  it.each(['ms', 'iso'] as const)('accepts %s timestamps', async (timestampFormat) => {
    const other = await startGcoreEmulator({ now, rpm: 40, seed: 11, timestampFormat });
    const http = fastClient();
    const q = query({ fromMs: NOW - HOUR_MS });
    const run = runQuery(gcore, { apiKey: other.credentials.apiKey }, q, { http, baseUrl: other.baseUrl, nowMs: now });
    const records = await collect(run.records);
    await http.close();
    await other.close();
    const resource = emu.resources[0];
    const exact = emu.generator.events(String(resource.id), [resource.cname], NOW - HOUR_MS, NOW).map((e) => e.timestampMs);
    expect(records.map((r) => r.timestamp).sort((a, b) => a - b)).toEqual(exact);
  });

  it('fails with AuthFailed naming GCORE_API_KEY, without echoing the key', async () => {
    const http = fastClient();
    const run = runQuery(gcore, { apiKey: 'not-the-key' }, query(), { http, baseUrl: emu.baseUrl, nowMs: now });
    const err = await collect(run.records).catch((e) => e);
    await http.close();
    expect(isCdnLogError(err, 'AuthFailed')).toBe(true);
    expect(err.message).toMatch(/Gcore rejected the API key .*GCORE_API_KEY/);
    expect(err.message).not.toContain('not-the-key');
  });
});
