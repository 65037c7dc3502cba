import { badInput } from './errors';
import { FIELD_NAMES, fieldInfo } from './fields';
import type { AttributeValue, CdnLogRecord } from './record';

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

const LIST_OPS = new Set<FilterOperator>(['in', 'not in']);
const ORDER_OPS = new Set<FilterOperator>(['>', '>=', '<', '<=']);
// Word operators need whitespace around them; symbol operators may stand between field and value.
const FILTER_TEXT = /^\s*([A-Za-z][\w.-]*)\s*(?:\s(not\s+in|in|contains)\s|(!=|>=|<=|=~|!~|=|>|<))\s*(.*?)\s*$/i;

function unquote(text: string): string {
  const t = text.trim();
  return t.length >= 2 && ((t[0] === '"' && t.endsWith('"')) || (t[0] === "'" && t.endsWith("'"))) ? t.slice(1, -1) : t;
}

/** Checks a field name: a catalogue field or `attributes.<name>`. */
export function checkFilterField(field: string): void {
  if (field.startsWith('attributes.') && field.length > 'attributes.'.length) return;
  if (!fieldInfo(field) || field === 'attributes') {
    throw badInput('filter', `unknown field "${field}"; known fields: ${FIELD_NAMES.filter((f) => f !== 'attributes').join(', ')}, attributes.<name>`);
  }
}

/**
 * Parses `status>=500`, `method in (GET,HEAD)`, `path contains /img`, `host=~^cdn\.`, `cacheStatus!=HIT`.
 * Numeric fields get numeric values; a bad field, operator or regex is a BadInput naming it.
 */
export function parseFilter(text: string): Filter {
  const m = FILTER_TEXT.exec(text);
  if (!m) {
    throw badInput('filter', `"${text}" is not a filter: write field, operator, value (operators: ${FILTER_OPERATORS.join(' ')}), e.g. status>=500`);
  }
  const field = m[1];
  const op = (m[2] ?? m[3]).toLowerCase().replace(/\s+/, ' ') as FilterOperator;
  const raw = m[4];
  if (raw === '') throw badInput('filter', `"${text}" has no value after "${op}"`);
  let value: FilterScalar | FilterScalar[];
  if (LIST_OPS.has(op)) {
    const inner = raw.startsWith('(') && raw.endsWith(')') ? raw.slice(1, -1) : raw;
    value = inner.split(',').map(unquote).filter((v) => v !== '');
  } else {
    value = unquote(raw);
  }
  return validateFilter({ field, op, value });
}

/** Validates field, operator and value types; turns numeric-field values into numbers. */
export function validateFilter(filter: Filter): Filter {
  checkFilterField(filter.field);
  if (!(FILTER_OPERATORS as readonly string[]).includes(filter.op)) {
    throw badInput('filter', `unknown operator "${filter.op}" in a filter on ${filter.field}; operators: ${FILTER_OPERATORS.join(' ')}`);
  }
  const info = fieldInfo(filter.field);
  const numeric = info?.type === 'number' || info?.type === 'time';
  const toValue = (v: FilterScalar): FilterScalar => {
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
    return { ...filter, value: list.map(toValue) };
  }
  if (Array.isArray(filter.value)) throw badInput('filter', `"${filter.field} ${filter.op}" takes one value, not a list`);
  if (ORDER_OPS.has(filter.op) && !numeric && !filter.field.startsWith('attributes.')) {
    throw badInput('filter', `"${filter.op}" compares numbers; ${filter.field} is not a number field`);
  }
  if (filter.op === '=~' || filter.op === '!~') compileRegex(String(filter.value), filter.field);
  return { ...filter, value: toValue(filter.value) };
}

function compileRegex(source: string, field: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw badInput('filter', `the regular expression for ${field} is invalid: ${(err as Error).message}`);
  }
}

function readField(record: CdnLogRecord, field: string): AttributeValue | undefined {
  if (field.startsWith('attributes.')) return record.attributes[field.slice('attributes.'.length)];
  return (record as unknown as Record<string, AttributeValue>)[field];
}

type Predicate = (record: CdnLogRecord) => boolean;

function compileOne(filter: Filter): Predicate {
  const { field, op, value } = filter;
  const get = (r: CdnLogRecord) => readField(r, field);
  const asText = (v: AttributeValue | undefined) => (v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : String(v));
  switch (op) {
    case '=':
    case '!=': {
      const want = String(value);
      const eq: Predicate = (r) => asText(get(r)) === want;
      return op === '=' ? eq : (r) => !eq(r);
    }
    case 'in':
    case 'not in': {
      const set = new Set((value as FilterScalar[]).map(String));
      const has: Predicate = (r) => {
        const v = asText(get(r));
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
        const raw = get(r);
        if (raw === null || raw === undefined || raw === '') return false;
        const v = Number(raw);
        if (!Number.isFinite(v)) return false;
        return op === '>' ? v > bound : op === '>=' ? v >= bound : op === '<' ? v < bound : v <= bound;
      };
    }
    case 'contains': {
      const needle = String(value);
      return (r) => asText(get(r))?.includes(needle) ?? false;
    }
    case '=~':
    case '!~': {
      const re = compileRegex(String(value), field);
      const match: Predicate = (r) => {
        const v = asText(get(r));
        return v !== null && re.test(v);
      };
      return op === '=~' ? match : (r) => !match(r);
    }
  }
}

/**
 * One predicate for all filters (they combine with AND). The one filter evaluator of the project:
 * push-down to a provider is an optimisation; this is the definition of what a filter means.
 * `!=`, `not in` and `!~` match records where the field is absent.
 */
export function compileFilters(filters: readonly Filter[]): Predicate {
  const predicates = filters.map(compileOne);
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
