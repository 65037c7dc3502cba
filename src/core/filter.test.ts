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
