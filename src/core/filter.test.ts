import path from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { isCdnLogError } from './errors';
import { FIELD_NAMES } from './fields';
import { emptyRecord, type AttributeValue, type CdnLogRecord } from './record';
import { FILTER_OPERATORS, type Filter, MAX_REGEX_PROGRAM_SIZE, MAX_REGEX_SOURCE_CHARS, compileFilters, compileSearch, parseFilter, validateFilter } from './filter';
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

/** The error `run` throws, or a failure if it returns. */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

/**
 * Runs one filter over records in a worker thread. A backtracking engine would spin synchronously,
 * which no jest timeout can interrupt in-process; here the test fails at jest's timeout instead of
 * hanging the run, and the worker is terminated afterwards.
 */
const workers = new Set<Worker>();
afterAll(() => Promise.all([...workers].map((w) => w.terminate())));
function keptInWorker(filterText: string, records: CdnLogRecord[]): Promise<boolean[]> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    require(workerData.tsxLoader).register();
    const { compileFilters, parseFilter } = require(workerData.filterModule);
    const keep = compileFilters([parseFilter(workerData.filterText)]);
    parentPort.postMessage(workerData.records.map((r) => keep(r)));
  `;
  const worker = new Worker(code, {
    eval: true,
    workerData: { tsxLoader: require.resolve('tsx/cjs/api'), filterModule: path.join(__dirname, 'filter.ts'), filterText, records },
  });
  workers.add(worker);
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

describe('regular expressions (RE2: linear time, no backtracking)', () => {
  const keepsPath = (pattern: string, path: string) => compileFilters([parseFilter(`path=~${pattern}`)])(rec({ path }));
  const userAgent = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

  it('answers (a+)+$ on a 10,000-character path that a backtracking engine would never finish', async () => {
    const paths = [`/${'a'.repeat(42)}!`, `${'a'.repeat(10_000)}!`, `/${'a'.repeat(10_000)}`];
    expect(await keptInWorker('path=~(a+)+$', paths.map((path) => rec({ path })))).toEqual([false, false, true]);
    expect(await keptInWorker('path!~(a+)+$', paths.map((path) => rec({ path })))).toEqual([true, true, false]);
  });

  it('answers ^([^X]+)+X$ on ordinary and 10,000-character user agents', async () => {
    const long = userAgent.repeat(Math.ceil(10_000 / userAgent.length));
    const agents = [userAgent, long, `${long}X`].map((ua) => rec({ userAgent: ua }));
    expect(await keptInWorker('userAgent=~^([^X]+)+X$', agents)).toEqual([false, false, true]);
    expect(await keptInWorker('userAgent!~^([^X]+)+X$', agents)).toEqual([true, true, false]);
  });

  it('is case-sensitive unless the pattern starts with (?i)', () => {
    const get = rec({ method: 'GET' });
    expect(compileFilters([parseFilter('method=~^get$')])(get)).toBe(false);
    expect(compileFilters([parseFilter('method=~(?i)^get$')])(get)).toBe(true);
    expect(compileFilters([parseFilter('userAgent=~(?i)chrome/1[0-9]{2}')])(rec({ userAgent }))).toBe(true);
  });

  it.each([
    ['lookahead', 'path=~^/img(?=/)'],
    ['negative lookahead', 'path=~^/(?!admin)'],
    ['lookbehind', 'path=~(?<=/img)/a'],
    ['negative lookbehind', 'path=~(?<!/img)/a'],
    ['a numbered backreference', 'path=~(a)\\1'],
    ['a named backreference', 'path=~(?<x>a)\\k<x>'],
  ])('refuses %s as a BadInput that says which syntax is accepted', (_, text) => {
    const err = thrown(() => parseFilter(text));
    expect(isCdnLogError(err, 'BadInput')).toBe(true);
    expect((err as Error).message).toMatch(/^filter: the regular expression for path is invalid: error parsing regexp: .+; filters use RE2 syntax/);
    expect((err as Error).message).toContain('no lookahead or lookbehind, no backreferences');
  });

  it('refuses a bad pattern in a filter object too (the bridge sends objects, not text)', () => {
    const filter: Filter = { field: 'attributes.ua', op: '!~', value: '(?=x)' };
    expect(() => compileFilters([filter])).toThrow(/regular expression for attributes\.ua is invalid.*RE2 syntax/);
    expect(() => validateFilter(filter)).toThrow(/regular expression for attributes\.ua is invalid/);
    expect(() => parseQuery({ provider: 'gcore', fromMs: 0, toMs: 1, filters: [filter] })).toThrow(/RE2 syntax/);
  });

  it(`refuses a pattern over ${MAX_REGEX_SOURCE_CHARS} characters and one that compiles to too large a program`, () => {
    // 4096 characters, 345 instructions: the length bound is reached before the program bound.
    const longest = `${'[abcdefghij]'.repeat(341)}abcd`;
    expect(longest).toHaveLength(MAX_REGEX_SOURCE_CHARS);
    expect(keepsPath(longest, `/${'j'.repeat(341)}abcd`)).toBe(true);
    expect(keepsPath(longest, `/${'j'.repeat(340)}abcd`)).toBe(false);
    expect(() => parseFilter(`path=~${'a'.repeat(MAX_REGEX_SOURCE_CHARS + 1)}`)).toThrow(
      `filter: the regular expression for path is ${MAX_REGEX_SOURCE_CHARS + 1} characters long; at most ${MAX_REGEX_SOURCE_CHARS} are accepted`,
    );
    const tooLarge = thrown(() => parseFilter('path=~.{1000}.{1000}.{1000}'));
    expect(isCdnLogError(tooLarge, 'BadInput')).toBe(true);
    expect((tooLarge as Error).message).toMatch(/^filter: the regular expression for path compiles to 3\d{3} instructions/);
    expect((tooLarge as Error).message).toContain(`at most ${MAX_REGEX_PROGRAM_SIZE} are accepted`);
    expect(() => parseFilter('path=~((a{1000}){1000}){1000}')).toThrow(/invalid repeat count/);
  });

  it('compiles a pattern once per filter, not once per record', () => {
    const compile = jest.spyOn(RE2JS, 'compile');
    try {
      const keep = compileFilters([{ field: 'path', op: '=~', value: '^/img/' }]);
      const paths = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? `/img/${i}.png` : `/api/${i}`));
      expect(paths.filter((path) => keep(rec({ path })))).toHaveLength(500);
      expect(compile).toHaveBeenCalledTimes(1);
    } finally {
      compile.mockRestore();
    }
  });

  it('agrees with JavaScript RegExp on simple patterns (property)', () => {
    // No \s, \r or \u2028 (RE2's \s and . differ from JavaScript's there); astral characters with the u flag.
    const alphabet = ['a', 'b', 'A', 'B', '1', '-', '.', '/', ' ', '\n', 'é', 'É', '😀'];
    const atom = fc.constantFrom('a', 'b', 'B', '1', '-', '/', '\\.', '.', '[ab]', '[^a/]', '[a-z]', '\\d', '\\w', '\\W', 'é', '😀', '\\b');
    const quantifier = fc.constantFrom('', '', '*', '+', '?', '{1,2}', '*?', '+?');
    const piece = fc.tuple(atom, quantifier).map(([a, q]) => (a === '\\b' ? a : a + q));
    const branch = fc.array(piece, { minLength: 1, maxLength: 4 }).map((p) => p.join(''));
    const group = fc.array(branch, { minLength: 1, maxLength: 3 }).map((b) => b.join('|'));
    const pattern = fc
      .tuple(fc.boolean(), fc.constantFrom('', '(', '(?:'), group, branch, fc.boolean(), fc.boolean())
      .map(([start, open, g, tail, end, ignoreCase]) => ({
        source: `${start ? '^' : ''}${open === '' ? g : `${open}${g})`}${tail}${end ? '$' : ''}`,
        ignoreCase,
      }));
    const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 20 }).map((c) => c.join(''));
    fc.assert(
      fc.property(pattern, fc.array(text, { minLength: 1, maxLength: 10 }), ({ source, ignoreCase }, paths) => {
        const keep = compileFilters([{ field: 'path', op: '=~', value: ignoreCase ? `(?i)${source}` : source }]);
        const oracle = new RegExp(source, ignoreCase ? 'iu' : 'u');
        for (const path of paths) expect([source, path, keep(rec({ path }))]).toEqual([source, path, oracle.test(path)]);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('filter text', () => {
  it('parses a filter text padded with a million spaces (the text parser is linear too)', async () => {
    const padded = `path=a${' '.repeat(1_000_000)}b`;
    const paths = [`a${' '.repeat(1_000_000)}b`, 'ab'];
    expect(await keptInWorker(padded, paths.map((path) => rec({ path })))).toEqual([true, false]);
    expect(await keptInWorker(`  method${' '.repeat(1_000_000)}in${' '.repeat(1_000_000)}(GET, HEAD)   `, [rec({ method: 'HEAD' })])).toEqual([true]);
    expect(() => parseFilter(`path=a${' '.repeat(1_000)}\nstatus=500`)).toThrow(/is not a filter/);
  });
});

describe('lists (in, not in)', () => {
  const get = rec({ method: 'GET' });
  const head = rec({ method: 'HEAD' });
  const post = rec({ method: 'POST' });

  it.each([
    ['method in (GET,HEAD', /"method in \(GET,HEAD": "\(" is not closed/],
    ['method in GET,HEAD)', /"method in GET,HEAD\)": "\)" closes a list that was not opened/],
    ['method not in (GET', /"method not in \(GET": "\(" is not closed/],
    ['method in (GET,HEAD))', /"\)" follows the closing "\)"/],
    ['method in ((GET,HEAD)', /an unquoted "\(" stands inside the list/],
    ['method in (GET) HEAD', /" HEAD"|"HEAD" follows the closing/],
    ['path in ("/a,b, /c)', /the " at character 2 of the list is not closed/],
    ['path in ("/a"x, /c)', /"x" follows a quoted value/],
    ['path in /a(b)', /an unquoted "\(" stands inside the list/],
  ])('refuses the unbalanced or malformed list %p as a BadInput naming it', (text, message) => {
    const err = thrown(() => parseFilter(text));
    expect(isCdnLogError(err, 'BadInput')).toBe(true);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(`"${text}"`);
  });

  it('reads lists with and without parentheses alike', () => {
    for (const text of ['method in (GET,HEAD)', 'method in GET,HEAD', 'method in ( GET , HEAD )', "method in ('GET', \"HEAD\")", 'method in (GET,HEAD,)']) {
      expect(parseFilter(text)).toEqual({ field: 'method', op: 'in', value: ['GET', 'HEAD'] });
      expect([get, head, post].filter(compileFilters([parseFilter(text)]))).toEqual([get, head]);
    }
    expect([get, head, post].filter(compileFilters([parseFilter('method not in GET,HEAD')]))).toEqual([post]);
  });

  it('keeps commas and parentheses inside quoted values', () => {
    expect(parseFilter('path in ("/a,b", /c)')).toEqual({ field: 'path', op: 'in', value: ['/a,b', '/c'] });
    expect(parseFilter(`path in ('/x(1)', "/it's", "")`)).toEqual({ field: 'path', op: 'in', value: ['/x(1)', "/it's", ''] });
    const keep = compileFilters([parseFilter('path in ("/a,b", /c)')]);
    expect(['/a,b', '/a', 'b', '/c'].map((path) => keep(rec({ path })))).toEqual([true, false, false, true]);
  });
});

describe('attributes are own properties only', () => {
  /** As the normalisers fill attributes: one assignment per provider key. */
  function fromProvider(raw: Record<string, unknown>): CdnLogRecord {
    const record = emptyRecord('tencent-edgeone', 'zone-1', 0);
    for (const key of Object.keys(raw)) record.attributes[key] = raw[key] as AttributeValue;
    return record;
  }
  const provided = '{"__proto__":{"evil":"yes"},"a":1}';
  const hostile = fromProvider(JSON.parse(provided));
  /** Attributes filled into a plain `{}`, as before: the `__proto__` assignment replaced the prototype. */
  const legacy = rec({ attributes: {} });
  for (const [key, value] of Object.entries(JSON.parse(provided))) legacy.attributes[key] = value as AttributeValue;
  const plain = rec({ attributes: { ClientASN: 64500 } });
  const empty = emptyRecord('gcore', '1', 0);
  const records = [hostile, legacy, plain, empty];
  const kept = (text: string) => records.filter(compileFilters([parseFilter(text)]));

  it('keeps a provider key __proto__ as an own attribute of an emptyRecord, which still looks like {} to JSON and jest', () => {
    expect(Object.keys(hostile.attributes)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(hostile.attributes)).toBeNull();
    expect(JSON.stringify(hostile.attributes)).toBe('{"__proto__":{"evil":"yes"},"a":1}');
    expect(JSON.stringify(empty.attributes)).toBe('{}');
    expect(empty.attributes).toEqual({});
    expect(JSON.parse(JSON.stringify(empty))).toEqual(empty);
    // What the null prototype prevents: a plain object's prototype became the provider's value.
    expect([Object.keys(legacy.attributes), legacy.attributes.evil]).toEqual([['a'], 'yes']);
  });

  it.each([
    ['attributes.evil=yes', []],
    ['attributes.constructor=~native', []],
    ['attributes.toString=~.', []],
    ['attributes.hasOwnProperty contains function', []],
    ['attributes.__proto__={}', []],
    ['attributes.__proto__=x', []],
    ['attributes.__proto__!=x', [hostile, legacy, plain, empty]],
    ['attributes.__proto__={"evil":"yes"}', [hostile]],
    ['attributes.a=1', [hostile, legacy]],
    ['attributes.ClientASN>=64500', [plain]],
  ])('%s keeps the right records', (text, expected) => {
    expect(kept(text)).toEqual(expected);
  });

  it('treats a prototype key like any absent attribute on records that lack it as an own key', () => {
    const lacking = [legacy, plain, empty];
    for (const name of ['__proto__', 'constructor', 'toString', 'valueOf']) {
      for (const op of ['=', '!=', '=~', '!~', 'contains', 'in', 'not in', '>', '<='] as const) {
        // Values that the prototype's members would match: '{}' is Object.prototype as JSON, functions print with braces.
        const value = op === 'in' || op === 'not in' ? ['{}'] : op === '>' || op === '<=' ? 0 : op === 'contains' ? '{' : op.includes('~') ? '.' : '{}';
        const onPrototype = compileFilters([{ field: `attributes.${name}`, op, value }]);
        const absent = compileFilters([{ field: 'attributes.nothere', op, value }]);
        expect([name, op, lacking.map(onPrototype)]).toEqual([name, op, lacking.map(absent)]);
      }
    }
  });

  it('does not reach the prototype through a record field either', () => {
    const filters: Filter[] = [
      { field: 'constructor', op: '=~', value: 'native' },
      { field: '__proto__', op: '!=', value: 'x' },
    ];
    for (const filter of filters) expect(() => compileFilters([filter])).toThrow(/unknown field/);
  });
});

describe('a filter never throws on a record', () => {
  let deep: AttributeValue = 'bottom';
  for (let i = 0; i < 200_000; i++) deep = { d: deep };
  const tooDeep = rec({ attributes: { deep } });
  // JSON can carry these keys; Number() of such an object throws ("Cannot convert object to primitive value").
  const noPrimitive = rec({ attributes: JSON.parse('{"x":{"valueOf":1,"toString":1}}') });

  it('treats a value too deep for JSON.stringify as absent', () => {
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    const kept = (text: string) => compileFilters([parseFilter(text)])(tooDeep);
    expect(['attributes.deep=x', 'attributes.deep contains bottom', 'attributes.deep=~.', 'attributes.deep in (x)', 'attributes.deep>0'].map(kept)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(['attributes.deep!=x', 'attributes.deep!~.', 'attributes.deep not in (x)'].map(kept)).toEqual([true, true, true]);
  });

  it('compares an object with no primitive value as text and never as a number', () => {
    const kept = (text: string) => compileFilters([parseFilter(text)])(noPrimitive);
    expect(['attributes.x>0', 'attributes.x<=0', 'attributes.x contains valueOf', 'attributes.x={"valueOf":1,"toString":1}'].map(kept)).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });

  it('either refuses a random filter with a BadInput or answers a boolean for every random record (property)', () => {
    const hostileText = fc.constantFrom(
      '',
      '(a+)+$',
      '^([^X]+)+X$',
      '(?=x)',
      '(a)\\1',
      '[',
      '\\',
      '{}',
      '__proto__',
      'constructor',
      '(?i)É',
      '\uD800',
      'a'.repeat(MAX_REGEX_SOURCE_CHARS + 1),
      '.{1000}.{1000}.{1000}',
    );
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), hostileText);
    const scalar = fc.oneof(text, fc.double(), fc.integer());
    const field = fc.oneof(
      fc.constantFrom(...FIELD_NAMES, 'attributes.x', 'attributes.__proto__', 'attributes.constructor', 'attributes.', '__proto__', 'constructor', 'toString'),
      fc.string({ maxLength: 12 }),
      fc.string({ maxLength: 12 }).map((name) => `attributes.${name}`),
    );
    const op = fc.oneof(fc.constantFrom(...FILTER_OPERATORS), fc.string({ maxLength: 4 })) as fc.Arbitrary<Filter['op']>;
    const filter = fc.record({ field, op, value: fc.oneof(scalar, fc.array(scalar, { maxLength: 4 })) });
    const attributeValue = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<AttributeValue>,
      fc.constant(deep),
      fc.constant(JSON.parse('{"valueOf":1,"toString":1}') as AttributeValue),
    );
    const record = fc
      .record({
        status: fc.option(fc.oneof(fc.integer(), fc.double()), { nil: null }),
        path: fc.option(text, { nil: null }),
        userAgent: fc.option(text, { nil: null }),
        bytesSent: fc.option(fc.double(), { nil: null }),
        attributes: fc.array(fc.tuple(fc.oneof(fc.constantFrom('x', '__proto__', 'constructor', 'toString'), fc.string({ maxLength: 8 })), attributeValue), {
          maxLength: 4,
        }),
      })
      .map(({ attributes, ...fields }) => {
        const r = { ...emptyRecord('cloudflare', 'zone', 0), ...fields };
        for (const [key, value] of attributes) r.attributes[key] = value;
        return r;
      });
    fc.assert(
      fc.property(fc.array(filter, { minLength: 1, maxLength: 3 }), fc.array(record, { minLength: 1, maxLength: 5 }), (filters, records) => {
        let keep: (r: CdnLogRecord) => boolean;
        try {
          keep = compileFilters(filters);
        } catch (err) {
          expect([isCdnLogError(err, 'BadInput'), (err as Error).message]).toEqual([true, expect.stringMatching(/^filter: /)]);
          return;
        }
        for (const r of records) expect(typeof keep(r)).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});
