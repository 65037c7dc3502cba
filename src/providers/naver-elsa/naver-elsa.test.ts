import { CdnLogError } from '../../core/errors';
import { parseQuery } from '../../core/query';
import { HOUR_MS, MINUTE_MS } from '../../core/time';
import { elsaLogDocument, type NaverElsaEmulator, startNaverElsaEmulator } from '../../emulators';
import { runQuery } from '../run';
import { collect, comparable, expectedElsa, fastClient } from '../testing/expected';
import { naverElsa } from '.';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const now = () => NOW;

let emu: NaverElsaEmulator;
beforeAll(async () => {
  emu = await startNaverElsaEmulator({ now, rpm: 30, seed: 5, callsPerMinute: 100_000 });
});
afterAll(() => emu.close());
afterEach(() => {
  emu.faults.clear();
  emu.jsonShape = 'array';
});

function query(extra: Record<string, unknown> = {}) {
  const { projectId, projectKey } = emu.projects[0];
  return parseQuery({
    provider: 'naver-elsa',
    source: { projectId: String(projectId), projectKey },
    fromMs: NOW - 2 * HOUR_MS,
    toMs: NOW - HOUR_MS,
    limit: 1_000_000,
    ...extra,
  });
}

function truth(fromMs: number, toMs: number) {
  const project = emu.projects[0];
  return emu.generator
    .events(`elsa:${project.projectKey}`, ['app-01', 'app-02', 'app-03'], fromMs, toMs)
    .map((e) => expectedElsa(elsaLogDocument(e, project), project.projectKey));
}

async function read(q = query(), options: { credentials?: { accessKey: string; secretKey: string }; nowMs?: () => number } = {}) {
  const http = fastClient();
  const run = runQuery(naverElsa, options.credentials ?? emu.credentials, q, { http, baseUrl: emu.baseUrl, nowMs: options.nowMs ?? now });
  try {
    return { records: await collect(run.records), meta: run.meta };
  } finally {
    await http.close();
  }
}

const downloads = () => emu.requests.filter((r) => r.path === '/api/v1/logs/download');

describe('NAVER ELSA adapter against the emulator', () => {
  it('reads two hours of application logs (a JSON array member), equal to the ground truth', async () => {
    const { records, meta } = await read(query({ fromMs: NOW - 3 * HOUR_MS }));
    const expected = truth(NOW - 3 * HOUR_MS, NOW - HOUR_MS);
    expect(expected.length).toBeGreaterThan(3_000);
    expect(comparable(records)).toEqual(comparable(expected));
    expect(meta).toMatchObject({ windows: 2, requests: 2, retries: 0, notes: [] });
    expect(records.find((r) => r.severity === 'error')).toMatchObject({ message: expect.stringMatching(/ 5\d\d \d+ms$/), attributes: { logLevel: 'ERROR', host: expect.stringMatching(/^app-0\d$/) } });
  });

  it('splits a window whose download reaches the count cap, and fetches again until nothing is cut', async () => {
    const before = downloads().length;
    const { records, meta } = await read(query({ options: { count: '500' } }));
    const expected = truth(NOW - 2 * HOUR_MS, NOW - HOUR_MS);
    expect(expected.length).toBeGreaterThan(1_500);
    expect(comparable(records)).toEqual(comparable(expected));
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    expect(meta.notes.length).toBeGreaterThanOrEqual(3);
    expect(meta.notes[0]).toMatch(/^split 2026-11-22T08:00Z\.\.2026-11-22T09:00Z in two: its download reached the cap of 500 documents$/);
    expect(downloads().length - before).toBe(meta.requests);
  });

  it('reads an NDJSON member the same as an array', async () => {
    emu.jsonShape = 'ndjson';
    const { records } = await read();
    expect(comparable(records)).toEqual(comparable(truth(NOW - 2 * HOUR_MS, NOW - HOUR_MS)));
  });

  it('reads a CSV member: the same documents, custom numbers as text', async () => {
    const { records } = await read(query({ options: { format: 'csv' } }));
    const stringly = (r: ReturnType<typeof truth>[number]) => ({ ...r, attributes: Object.fromEntries(Object.entries(r.attributes).map(([k, v]) => [k, String(v)])) });
    expect(comparable(records)).toEqual(comparable(truth(NOW - 2 * HOUR_MS, NOW - HOUR_MS).map(stringly)));
    expect(records.some((r) => String(r.attributes.userAgent).includes(','))).toBe(true);
  });

  it('downloads only the fields asked for, always with logTime', async () => {
    const { records } = await read(query({ options: { includeFields: 'body, logLevel' } }));
    const expected = truth(NOW - 2 * HOUR_MS, NOW - HOUR_MS).map((r) => ({ ...r, attributes: { logLevel: r.attributes.logLevel } }));
    expect(comparable(records)).toEqual(comparable(expected));
    await expect(read(query({ options: { includeFields: 'body,bad field' } }))).rejects.toThrow(/"bad field" is not an ELSA field name/);
  });

  it('asks for no more documents than the limit needs when nothing is filtered locally', async () => {
    const before = downloads().length;
    const { records, meta } = await read(query({ limit: 7 }));
    expect(records).toHaveLength(7);
    expect(meta.truncated).toBe(true);
    expect(downloads().length - before).toBe(1);
  });

  it.each([
    ['throttling (429)', { kind: 'rateLimit', count: 2 }],
    ['5xx', { kind: 'serverError', count: 2, status: 503 }],
    ['a corrupt zip', { kind: 'corruptZip', count: 2 }],
    ['a cut body', { kind: 'truncatedBody', count: 2 }],
    ['a stalled body', { kind: 'slowBody', count: 1, delayMs: 1500 }],
  ] as const)('retries %s until complete, losing and doubling nothing', async (_name, fault) => {
    emu.faults.inject(fault);
    const { records, meta } = await read(query({ fromMs: NOW - 90 * MINUTE_MS }));
    expect(comparable(records)).toEqual(comparable(truth(NOW - 90 * MINUTE_MS, NOW - HOUR_MS)));
    expect(meta.retries).toBe(fault.count);
  });

  describe('authentication', () => {
    it('names the provider and what to check when the signature is wrong', async () => {
      const err = await read(query(), { credentials: { accessKey: emu.credentials.accessKey, secretKey: 'wrong' } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CdnLogError);
      expect(err).toMatchObject({ kind: 'AuthFailed', message: expect.stringMatching(/^NAVER ELSA rejected the request \(HTTP 401, errorCode 200 Authentication Failed.*NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY/) });
      expect((err as Error).message).not.toContain(emu.credentials.secretKey);
    });

    it('says to check the clock when ours is more than 5 minutes off', async () => {
      const err = await read(query(), { nowMs: () => NOW + 10 * MINUTE_MS }).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'AuthFailed', message: expect.stringMatching(/clock/) });
    });

    it('refuses to start without credentials, naming the variables', () => {
      expect(() => naverElsa.credentialsFromEnv({})).toThrow(expect.objectContaining({ kind: 'AuthFailed', message: expect.stringMatching(/^NAVER ELSA needs NCLOUD_ACCESS_KEY and NCLOUD_SECRET_KEY/) }));
    });
  });

  it('reports an unknown project as the provider refusing it, with what to check', async () => {
    const err = await read(query({ source: { projectId: '1', projectKey: 'nope' } })).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'ProviderError', message: expect.stringMatching(/HTTP 400, errorCode 100 .*unknown project.*check --project-id and --project-key/) });
  });

  it('checks the source and options before sending anything', async () => {
    expect(() => naverElsa.parseSource({ projectKey: 'k' })).toThrow(/--project-id <number> and --project-key <key>/);
    expect(() => naverElsa.parseSource({ projectId: 'x1', projectKey: 'k' })).toThrow(/"x1" is not an ELSA project id/);
    const before = downloads().length;
    await expect(read(query({ options: { count: '300000' } }))).rejects.toThrow(/1 to 200000 documents/);
    await expect(read(query({ options: { format: 'xml' } }))).rejects.toThrow(/json or csv, not "xml"/);
    expect(downloads().length).toBe(before);
  });
});
