import { RE2JS } from 're2js';
import { badInput } from './errors';
import { FIELD_NAMES, fieldInfo } from './fields';
import type { CdnLogRecord } from './record';

export const FILTER_OPERATORS = ['=', '!=', 'in', 'not in', '>', '>=', '<', '<=', 'contains', '=~', '!~'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];
export type FilterScalar = string | number;

/** `field op value`. `field` is a record field or `attributes.<provider field>`. */
export interface Filter {
  field: string;
  op: FilterOperator;
  /** An array for `in` / `not in`, a scalar otherwise. */
  value: FilterScalar | FilterScalar[];
}

/** Longest regular expression a filter accepts: filters come from remote users, and compiling costs time. */
export const MAX_REGEX_SOURCE_CHARS = 4096;
/**
 * Largest compiled regular expression, in RE2 instructions (about one per literal character or class,
 * n for a repetition {n}). Matching is linear in the input times this size: at 2,000, a 10,000-character
 * value costs at most a few hundred milliseconds even where RE2's DFA gives way to its NFA (`.{1000}a`).
 */
export const MAX_REGEX_PROGRAM_SIZE = 2000;
const REGEX_SYNTAX =
  'filters use RE2 syntax (https://github.com/google/re2/wiki/Syntax): no lookahead or lookbehind, no backreferences; case-sensitive unless the pattern starts with (?i)';

const LIST_OPS = new Set<FilterOperator>(['in', 'not in']);
const ORDER_OPS = new Set<FilterOperator>(['>', '>=', '<', '<=']);
const ATTRIBUTES = 'attributes.';
// Word operators need whitespace around them; symbol operators may stand between field and value.
// Only the head is a regex: the value is the trimmed rest, as `(.*?)\s*$` would take quadratic time on whitespace.
const FILTER_HEAD = /^\s*([A-Za-z][\w.-]*)\s*(?:\s(not\s+in|in|contains)\s|(!=|>=|<=|=~|!~|=|>|<))/i;
const LINE_BREAK = /[\n\r\u2028\u2029]/;

function unquote(text: string): string {
  const t = text.trim();
  return t.length >= 2 && ((t[0] === '"' && t.endsWith('"')) || (t[0] === "'" && t.endsWith("'"))) ? t.slice(1, -1) : t;
}

/**
 * The values of `in` / `not in`: `(a,b)` or `a,b`. A value holding a comma, a parenthesis or a
 * leading quote is written in "..." or '...' (no escapes: the other quote may stand inside).
 * Parentheses must balance, so `(GET,HEAD` and `GET,HEAD)` are refused rather than half-read.
 */
function parseList(raw: string, text: string): string[] {
  const refuse = (why: string) => badInput('filter', `"${text}": ${why}; write a list as (a,b,c) or a,b,c, and quote a value holding a comma or parenthesis: ("/a,b",/c)`);
  const opened = raw.startsWith('(');
  let at = opened ? 1 : 0;
  const skipSpace = () => {
    while (at < raw.length && /\s/.test(raw[at])) at++;
  };
  const values: string[] = [];
  for (;;) {
    skipSpace();
    const quote = raw[at];
    if (quote === '"' || quote === "'") {
      const end = raw.indexOf(quote, at + 1);
      if (end < 0) throw refuse(`the ${quote} at character ${at + 1} of the list is not closed`);
      values.push(raw.slice(at + 1, end));
      at = end + 1;
      skipSpace();
    } else {
      let end = at;
      while (end < raw.length && !',()'.includes(raw[end])) end++;
      const value = raw.slice(at, end).trim();
      // An empty unquoted item (`a,,b`, a trailing comma) is dropped; "" is an empty value.
      if (value !== '') values.push(value);
      at = end;
    }
    const next = raw[at];
    if (next === ',') {
      at++;
    } else if (next === undefined) {
      if (opened) throw refuse('"(" is not closed');
      return values;
    } else if (next === ')') {
      if (!opened) throw refuse('")" closes a list that was not opened with "("');
      at++;
      skipSpace();
      if (at < raw.length) throw refuse(`"${raw.slice(at)}" follows the closing ")"`);
      return values;
    } else if (next === '(') {
      throw refuse('an unquoted "(" stands inside the list');
    } else {
      throw refuse(`"${next}" follows a quoted value where a comma or the end of the list belongs`);
    }
  }
}

/** Checks a field name: a catalogue field or `attributes.<name>`. */
export function checkFilterField(field: string): void {
  if (typeof field === 'string' && field.startsWith(ATTRIBUTES) && field.length > ATTRIBUTES.length) return;
  if (typeof field !== 'string' || !fieldInfo(field) || field === 'attributes') {
    throw badInput('filter', `unknown field "${String(field)}"; known fields: ${FIELD_NAMES.filter((f) => f !== 'attributes').join(', ')}, attributes.<name>`);
  }
}

/**
 * Parses `status>=500`, `method in (GET,HEAD)`, `path in ("/a,b",/c)`, `path contains /img`, `host=~^cdn\.`, `cacheStatus!=HIT`.
 * Numeric fields get numeric values; a bad field, operator, list or regex is a BadInput naming it.
 */
export function parseFilter(text: string): Filter {
  const m = FILTER_HEAD.exec(text);
  const raw = m ? text.slice(m[0].length).trim() : '';
  // A line break in the value would join two filters into one: one filter per argument or list item.
  if (!m || LINE_BREAK.test(raw)) {
    throw badInput('filter', `"${text}" is not a filter: write field, operator, value (operators: ${FILTER_OPERATORS.join(' ')}), e.g. status>=500`);
  }
  const field = m[1];
  const op = (m[2] ?? m[3]).toLowerCase().replace(/\s+/, ' ') as FilterOperator;
  if (raw === '') throw badInput('filter', `"${text}" has no value after "${op}"`);
  const value = LIST_OPS.has(op) ? parseList(raw, text) : unquote(raw);
  return validateFilter({ field, op, value });
}

/** Validates field, operator and value types; turns numeric-field values into numbers. */
export function validateFilter(filter: Filter): Filter {
  return checkFilter(filter).filter;
}

/** A validated filter and, for `=~` / `!~`, its compiled expression (compiled once, here). */
function checkFilter(filter: Filter): { filter: Filter; regex: RE2JS | null } {
  checkFilterField(filter.field);
  if (!(FILTER_OPERATORS as readonly string[]).includes(filter.op)) {
    throw badInput('filter', `unknown operator "${String(filter.op)}" in a filter on ${filter.field}; operators: ${FILTER_OPERATORS.join(' ')}`);
  }
  const info = fieldInfo(filter.field);
  const numeric = info?.type === 'number' || info?.type === 'time';
  const toValue = (v: FilterScalar): FilterScalar => {
    if (typeof v !== 'string' && typeof v !== 'number') {
      throw badInput('filter', `a value in the filter on ${filter.field} is a ${typeof v}; values are strings or numbers`);
    }
    if (!numeric || filter.op === 'contains' || filter.op === '=~' || filter.op === '!~') return String(v);
    const n = typeof v === 'number' ? v : Number(v);
    if (typeof v === 'string' && (v.trim() === '' || !Number.isFinite(n))) {
      throw badInput('filter', `${filter.field} is a number; "${v}" is not`);
    }
    return n;
  };
  if (LIST_OPS.has(filter.op)) {
    const list = Array.isArray(filter.value) ? filter.value : [filter.value];
    if (list.length === 0) throw badInput('filter', `"${filter.field} ${filter.op}" needs at least one value`);
    return { filter: { ...filter, value: list.map(toValue) }, regex: null };
  }
  if (Array.isArray(filter.value)) throw badInput('filter', `"${filter.field} ${filter.op}" takes one value, not a list`);
  if (ORDER_OPS.has(filter.op) && !numeric && !filter.field.startsWith(ATTRIBUTES)) {
    throw badInput('filter', `"${filter.op}" compares numbers; ${filter.field} is not a number field`);
  }
  const value = toValue(filter.value);
  const regex = filter.op === '=~' || filter.op === '!~' ? compileRegex(String(value), filter.field) : null;
  return { filter: { ...filter, value }, regex };
}

/** RE2 (linear-time, no backtracking): a remote user's pattern cannot stall the evaluator. */
function compileRegex(source: string, field: string): RE2JS {
  if (source.length > MAX_REGEX_SOURCE_CHARS) {
    throw badInput('filter', `the regular expression for ${field} is ${source.length} characters long; at most ${MAX_REGEX_SOURCE_CHARS} are accepted`);
  }
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(source);
  } catch (err) {
    throw badInput('filter', `the regular expression for ${field} is invalid: ${(err as Error).message}; ${REGEX_SYNTAX}`);
  }
  const size = regex.programSize();
  if (size > MAX_REGEX_PROGRAM_SIZE) {
    throw badInput(
      'filter',
      `the regular expression for ${field} compiles to ${size} instructions; at most ${MAX_REGEX_PROGRAM_SIZE} are accepted: each literal character or class counts one and a repetition {n} counts n times: shorten the pattern or its repetition counts`,
    );
  }
  return regex;
}

/** Own properties only: `attributes.constructor` or `attributes.__proto__` must not reach a prototype. */
function readField(record: CdnLogRecord, field: string): unknown {
  if (field.startsWith(ATTRIBUTES)) {
    const attributes: unknown = record.attributes;
    const name = field.slice(ATTRIBUTES.length);
    return typeof attributes === 'object' && attributes !== null && Object.hasOwn(attributes, name) ? (attributes as Record<string, unknown>)[name] : undefined;
  }
  return Object.hasOwn(record, field) ? (record as unknown as Record<string, unknown>)[field] : undefined;
}

/**
 * The text a comparison sees: objects and arrays as JSON. A value that has none (too deep for
 * JSON.stringify's stack, say) is treated as absent, so a filter never throws on a record.
 */
function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  try {
    const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
    return typeof text === 'string' ? text : null;
  } catch {
    return null;
  }
}

/** The number an order comparison sees; null for absent, empty, non-numeric and object values. */
function asNumber(value: unknown): number | null {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'boolean') n = Number(value);
  else if (typeof value === 'string' && value.trim() !== '') n = Number(value);
  else return null;
  return Number.isFinite(n) ? n : null;
}

type Predicate = (record: CdnLogRecord) => boolean;

function compileOne(filter: Filter, regex: RE2JS | null): Predicate {
  const { field, op, value } = filter;
  const text = (r: CdnLogRecord) => asText(readField(r, field));
  switch (op) {
    case '=':
    case '!=': {
      const want = String(value);
      const eq: Predicate = (r) => text(r) === want;
      return op === '=' ? eq : (r) => !eq(r);
    }
    case 'in':
    case 'not in': {
      const set = new Set((value as FilterScalar[]).map(String));
      const has: Predicate = (r) => {
        const v = text(r);
        return v !== null && set.has(v);
      };
      return op === 'in' ? has : (r) => !has(r);
    }
    case '>':
    case '>=':
    case '<':
    case '<=': {
      const bound = Number(value);
      return (r) => {
        const v = asNumber(readField(r, field));
        if (v === null) return false;
        return op === '>' ? v > bound : op === '>=' ? v >= bound : op === '<' ? v < bound : v <= bound;
      };
    }
    case 'contains': {
      const needle = String(value);
      return (r) => text(r)?.includes(needle) ?? false;
    }
    case '=~':
    case '!~': {
      const re = regex ?? compileRegex(String(value), field);
      const match: Predicate = (r) => {
        const v = text(r);
        return v !== null && re.test(v);
      };
      return op === '=~' ? match : (r) => !match(r);
    }
  }
}

/**
 * One predicate for all filters (they combine with AND). The one filter evaluator of the project:
 * push-down to a provider is an optimisation; this is the definition of what a filter means.
 * Every filter is validated here (a bad one is a BadInput); the predicate never throws.
 * `!=`, `not in` and `!~` match records where the field is absent.
 */
export function compileFilters(filters: readonly Filter[]): Predicate {
  const predicates = filters.map((f) => {
    const { filter, regex } = checkFilter(f);
    return compileOne(filter, regex);
  });
  if (predicates.length === 0) return () => true;
  return (record) => {
    for (const p of predicates) if (!p(record)) return false;
    return true;
  };
}

/** Free-text search: a case-insensitive substring of host, path, query, user agent, referer, client IP or message. */
export function compileSearch(search: string | undefined): Predicate {
  const needle = search?.trim().toLowerCase();
  if (!needle) return () => true;
  return (r) =>
    [r.host, r.path, r.query, r.userAgent, r.referer, r.clientIp, r.message].some((v) => v !== null && v.toLowerCase().includes(needle));
}
