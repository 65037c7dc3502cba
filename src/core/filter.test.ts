import fc from 'fast-check';
import { emptyRecord, type CdnLogRecord } from './record';
import { compileFilters, compileSearch, parseFilter } from './filter';
import { parseQuery } from './query';

function rec(fields: Partial<CdnLogRecord>): CdnLogRecord {
  return { ...emptyRecord('gcore', '1', 0), ...fields };
}

const a = rec({ status: 200, method: 'GET', host: 'cdn.shop.test', path: '/img/a.png', cacheStatus: 'HIT', attributes: { ClientASN: 64500 } });
const b = rec({ status: 503, method: 'POST', host: 'api.shop.test', path: '/v1/cart', cacheStatus: 'MISS', referer: 'https://x.test/' });
const c = rec({ status: null, method: null, host: 'cdn.shop.test', path: null });
const all = [a, b, c];

function matching(text: string): CdnLogRecord[] {
  const keep = compileFilters([parseFilter(text)]);
  return all.filter(keep);
}

describe('filters', () => {
  it.each([
    ['status=200', [a]],
    ['status!=200', [b, c]],
    ['status>=500', [b]],
    ['status>200', [b]],
    ['status<503', [a]],
    ['status<=503', [a, b]],
    ['method in (GET,POST)', [a, b]],
    ['method not in (GET)', [b, c]],
    ["host in 'api.shop.test'", [b]],
    ['path contains /img', [a]],
    ['host=~^cdn\\.', [a, c]],
    ['host!~^cdn\\.', [b]],
    ['cacheStatus=MISS', [b]],
    ['referer=https://x.test/', [b]],
    ['attributes.ClientASN=64500', [a]],
    ['attributes.ClientASN>64000', [a]],
    ['path contains "/v1 "', []],
  ])('%s keeps the right records', (text, expected) => {
    expect(matching(text)).toEqual(expected);
  });

  it('parses numbers for numeric fields and lists for in', () => {
    expect(parseFilter('status in (500, 502,503)')).toEqual({ field: 'status', op: 'in', value: [500, 502, 503] });
    expect(parseFilter('bytesSent > 1000')).toEqual({ field: 'bytesSent', op: '>', value: 1000 });
  });

  it.each([
    ['stauts=200', /unknown field "stauts"/],
    ['status~200', /is not a filter/],
    ['status>=abc', /status is a number; "abc" is not/],
    ['host>3', /compares numbers; host is not a number field/],
    ['path=~([', /regular expression for path is invalid/],
    ['status=', /is not a filter|has no value/],
  ])('refuses %p with a message naming the problem', (text, message) => {
    expect(() => parseFilter(text)).toThrow(message);
  });

  it('combines filters with AND and searches free text case-insensitively', () => {
    const keep = compileFilters([parseFilter('host contains shop'), parseFilter('status>=500')]);
    expect(all.filter(keep)).toEqual([b]);
    expect(all.filter(compileSearch('CART'))).toEqual([b]);
  });
});

describe('parseQuery', () => {
  const base = { provider: 'gcore', source: { resource: '1' }, fromMs: 0, toMs: 1000 };
  it('fills defaults', () => {
    expect(parseQuery(base)).toMatchObject({ limit: 1000, filters: [], options: {} });
  });
  it.each([
    [{ ...base, provider: 'akamai' }, /^provider:/],
    [{ ...base, fields: ['status', 'nope'] }, /unknown field "nope"/],
    [{ ...base, filters: [{ field: 'status', op: '~', value: 1 }] }, /^filters\.0\.op:/],
    [{ ...base, limit: 0 }, /^limit:/],
    [{ ...base, toMs: 0 }, /"from" must be before "to"/],
  ])('refuses %p', (input, message) => {
    expect(() => parseQuery(input)).toThrow(message);
  });
});

describe('filter algebra (property)', () => {
  const word = fc.constantFrom('GET', 'POST', 'cdn.a.test', '/img/a.png', 'HIT', '', 'a,b');
  const recordArb = fc.record({
    status: fc.option(fc.constantFrom(200, 204, 301, 404, 500, 503), { nil: null }),
    method: fc.option(fc.constantFrom('GET', 'POST', 'HEAD'), { nil: null }),
    host: fc.option(word, { nil: null }),
    bytesSent: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: null }),
  });
  const keep = (filter: Parameters<typeof compileFilters>[0][number], r: CdnLogRecord) => compileFilters([filter])(r);

  it('!=, not in and !~ are the complements of =, in and =~; >= is > or =; contains is an escaped regex', () => {
    fc.assert(
      fc.property(recordArb, fc.constantFrom(200, 404, 500, 1000), fc.array(fc.constantFrom('GET', 'POST', 'PUT'), { minLength: 1 }), word, (fields, n, list, text) => {
        const r = rec(fields);
        expect(keep({ field: 'status', op: '!=', value: n }, r)).toBe(!keep({ field: 'status', op: '=', value: n }, r));
        expect(keep({ field: 'method', op: 'not in', value: list }, r)).toBe(!keep({ field: 'method', op: 'in', value: list }, r));
        expect(keep({ field: 'host', op: '!~', value: text }, r)).toBe(!keep({ field: 'host', op: '=~', value: text }, r));
        expect(keep({ field: 'bytesSent', op: '>=', value: n }, r)).toBe(
          keep({ field: 'bytesSent', op: '>', value: n }, r) || keep({ field: 'bytesSent', op: '=', value: n }, r),
        );
        expect(keep({ field: 'status', op: '<', value: n }, r)).toBe(r.status !== null && !keep({ field: 'status', op: '>=', value: n }, r));
        const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        expect(keep({ field: 'host', op: 'contains', value: text }, r)).toBe(keep({ field: 'host', op: '=~', value: escaped }, r));
        expect(keep({ field: 'method', op: 'in', value: list }, r)).toBe(list.some((m) => keep({ field: 'method', op: '=', value: m }, r)));
      }),
      { numRuns: 500 },
    );
  });
});
