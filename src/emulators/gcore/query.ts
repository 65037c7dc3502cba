/**
 * The query of Gcore's `logs/download` (provider-spec §2.2, §9 Gcore): validation with Django REST
 * framework style errors (`{"errors":{"<param>":["..."]}}`, all problems at once), the filter families
 * and their operators, and the sort order.
 */

import { GCORE_DEFAULT_FIELDS, type GcoreField, type GcoreRow, isGcoreField } from './columns';
import { ceilNsToMs, DAY_MS, HOUR_MS, NS_PER_MS, parseRfc3339Ns } from '../time';
import type { TrafficEvent } from '../traffic';

export const GCORE_LIMITS = {
  /** `to − from` at most 6 h (G1, the 2026 OpenAPI). */
  maxRangeMs: 6 * HOUR_MS,
  /** "Up to 3 days starting today": today and the two days before (UTC). */
  retentionDays: 3,
  maxLimit: 10_000,
} as const;

export type FilterOperator = 'eq' | 'ne' | 'in' | 'not_in' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains';

interface FilterFamily {
  type: 'string' | 'int';
  operators: readonly FilterOperator[];
  /** Values the API accepts, where it enumerates them. */
  choices?: readonly string[];
}

const EQUALITY: readonly FilterOperator[] = ['eq', 'ne', 'in', 'not_in'];
const ORDERED: readonly FilterOperator[] = ['gt', 'gte', 'lt', 'lte', 'eq', 'ne', 'in', 'not_in'];

export const FILTER_FAMILIES = {
  method: { type: 'string', operators: EQUALITY, choices: ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'] },
  client_ip: { type: 'string', operators: EQUALITY },
  status: { type: 'int', operators: ORDERED },
  size: { type: 'int', operators: ORDERED },
  cname: { type: 'string', operators: [...EQUALITY, 'contains'] },
  resource_id: { type: 'int', operators: ORDERED },
  cache_status: { type: 'string', operators: EQUALITY, choices: ['MISS', 'BYPASS', 'EXPIRED', 'STALE', 'PENDING', 'UPDATING', 'REVALIDATED', 'HIT', '-'] },
  datacenter: { type: 'string', operators: EQUALITY },
} satisfies Record<string, FilterFamily>;

export type FilterFamilyName = keyof typeof FILTER_FAMILIES;

export interface GcoreFilter {
  family: FilterFamilyName;
  operator: FilterOperator;
  /** One value, or the comma-separated list of `in`/`not_in`. */
  values: Array<string | number>;
}

export const SORT_KEYS = ['method', 'client_ip', 'status', 'size', 'cname', 'resource_id', 'cache_status', 'datacenter', 'timestamp'] as const;
export type SortKeyName = (typeof SORT_KEYS)[number];

export interface SortKey {
  key: SortKeyName;
  descending: boolean;
}

export interface GcoreDownloadQuery {
  /** Inclusive, epoch ns as given. */
  fromNs: bigint;
  /** Exclusive, epoch ns as given. */
  toNs: bigint;
  format: 'csv' | 'tsv';
  offset: number;
  limit: number;
  fields: GcoreField[];
  sort: SortKey[];
  filters: GcoreFilter[];
}

export type FieldErrors = Record<string, string[]>;

const QUERY_PARAMETERS = new Set(['from', 'to', 'format', 'offset', 'limit', 'fields', 'sort']);
const DATETIME_FORMAT_ERROR =
  'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm:ss[.uuuuuu][+HH:MM|-HH:MM|Z].';

export function validateDownloadQuery(
  params: URLSearchParams,
  nowMs: number,
): { ok: true; value: GcoreDownloadQuery } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const addError = (param: string, message: string) => (errors[param] ??= []).push(message);

  const fromNs = requiredDatetime(params, 'from', addError);
  const toNs = requiredDatetime(params, 'to', addError);
  if (fromNs !== null && toNs !== null) {
    if (toNs <= fromNs) addError('to', '"to" must be later than "from".');
    else if (toNs - fromNs > BigInt(GCORE_LIMITS.maxRangeMs) * NS_PER_MS) {
      addError('to', 'Difference between "from" and "to" cannot exceed 6 hours.');
    }
    const oldestMs = Math.floor(nowMs / DAY_MS) * DAY_MS - (GCORE_LIMITS.retentionDays - 1) * DAY_MS;
    if (fromNs < BigInt(oldestMs) * NS_PER_MS) {
      addError('from', `Logs are available for 3 days starting today: "from" must not be earlier than ${new Date(oldestMs).toISOString()}.`);
    }
  }

  const format = params.get('format');
  if (format === null || format === '') addError('format', 'This field is required.');
  else if (format !== 'csv' && format !== 'tsv') addError('format', `"${format}" is not a valid choice.`);

  const limit = integerParam(params, 'limit', GCORE_LIMITS.maxLimit, 1, GCORE_LIMITS.maxLimit, addError);
  const offset = integerParam(params, 'offset', 0, 0, Number.MAX_SAFE_INTEGER, addError);

  const fieldsText = params.get('fields');
  const fieldNames = fieldsText === null || fieldsText === '' ? [...GCORE_DEFAULT_FIELDS] : fieldsText.split(',');
  for (const name of fieldNames) if (!isGcoreField(name)) addError('fields', `Unknown field: "${name}".`);

  const sort = parseSort(params.get('sort'), addError);
  const filters = parseFilters(params, addError);

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      fromNs: fromNs!,
      toNs: toNs!,
      format: format as 'csv' | 'tsv',
      offset,
      limit,
      fields: fieldNames as GcoreField[],
      sort,
      filters,
    },
  };
}

/** The window in whole ms for selecting integer-ms events: [fromMs, toMs). */
export function windowMs(query: GcoreDownloadQuery): { fromMs: number; toMs: number } {
  return { fromMs: ceilNsToMs(query.fromNs), toMs: ceilNsToMs(query.toNs) };
}

type AddError = (param: string, message: string) => void;

function requiredDatetime(params: URLSearchParams, name: string, addError: AddError): bigint | null {
  const text = params.get(name);
  if (text === null || text === '') {
    addError(name, 'This field is required.');
    return null;
  }
  const ns = parseRfc3339Ns(text);
  if (ns === null) addError(name, DATETIME_FORMAT_ERROR);
  return ns;
}

function integerParam(
  params: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
  addError: AddError,
): number {
  const text = params.get(name);
  if (text === null || text === '') return fallback;
  if (!/^-?\d{1,15}$/.test(text)) {
    addError(name, 'A valid integer is required.');
    return fallback;
  }
  const value = Number(text);
  if (value < min) addError(name, `Ensure this value is greater than or equal to ${min}.`);
  if (value > max) addError(name, `Ensure this value is less than or equal to ${max}.`);
  return value;
}

function parseSort(text: string | null, addError: AddError): SortKey[] {
  if (text === null || text === '') return [{ key: 'timestamp', descending: false }];
  const keys: SortKey[] = [];
  for (const item of text.split(',')) {
    const descending = item.startsWith('-');
    const key = descending ? item.slice(1) : item;
    if ((SORT_KEYS as readonly string[]).includes(key)) keys.push({ key: key as SortKeyName, descending });
    else addError('sort', `Unknown sort key: "${item}".`);
  }
  return keys;
}

/** Every `<family>__<operator>` parameter; other unknown parameters are ignored, as Django does. */
function parseFilters(params: URLSearchParams, addError: AddError): GcoreFilter[] {
  const filters: GcoreFilter[] = [];
  for (const [param, text] of params) {
    if (QUERY_PARAMETERS.has(param) || !param.includes('__')) continue;
    const split = param.lastIndexOf('__');
    const familyName = param.slice(0, split);
    const operator = param.slice(split + 2) as FilterOperator;
    if (!Object.hasOwn(FILTER_FAMILIES, familyName)) {
      addError(param, `Unknown filter "${param}".`);
      continue;
    }
    const family: FilterFamily = FILTER_FAMILIES[familyName as FilterFamilyName];
    if (!family.operators.includes(operator)) {
      addError(param, `Unknown filter "${param}": ${familyName} supports ${family.operators.join(', ')}.`);
      continue;
    }
    const rawValues = operator === 'in' || operator === 'not_in' ? text.split(',') : [text];
    const values = filterValues(param, family, operator, rawValues, addError);
    if (values !== null) filters.push({ family: familyName as FilterFamilyName, operator, values });
  }
  return filters;
}

function filterValues(
  param: string,
  family: FilterFamily,
  operator: FilterOperator,
  rawValues: string[],
  addError: AddError,
): Array<string | number> | null {
  if (family.type === 'int') {
    if (!rawValues.every((value) => /^-?\d{1,15}$/.test(value))) {
      addError(param, 'A valid integer is required.');
      return null;
    }
    return rawValues.map(Number);
  }
  const invalid = family.choices === undefined ? undefined : rawValues.find((value) => !family.choices!.includes(value));
  if (invalid !== undefined) {
    addError(param, `"${invalid}" is not a valid choice.`);
    return null;
  }
  if (operator === 'contains' && rawValues[0].length < 3) {
    addError(param, 'Ensure this value has at least 3 characters.');
    return null;
  }
  return rawValues;
}

/** True when the row passes every filter (filters combine with AND). */
export function matchesFilters(row: GcoreRow, filters: readonly GcoreFilter[]): boolean {
  return filters.every(({ family, operator, values }) => {
    const value = row[family];
    switch (operator) {
      case 'eq':
        return value === values[0];
      case 'ne':
        return value !== values[0];
      case 'in':
        return values.includes(value);
      case 'not_in':
        return !values.includes(value);
      case 'gt':
        return value > values[0];
      case 'gte':
        return value >= values[0];
      case 'lt':
        return value < values[0];
      case 'lte':
        return value <= values[0];
      case 'contains':
        return String(value).includes(String(values[0]));
    }
  });
}

export interface SortableRow {
  event: TrafficEvent;
  row: GcoreRow;
}

/**
 * The order of `sort`, then time and ray id: every row has a distinct ray id, so the order is total
 * and offset paging never repeats or skips a row.
 */
export function rowComparator(sort: readonly SortKey[]): (a: SortableRow, b: SortableRow) => number {
  return (a, b) => {
    for (const { key, descending } of sort) {
      const order = compareValues(sortValue(a, key), sortValue(b, key));
      if (order !== 0) return descending ? -order : order;
    }
    return a.event.timestampMs - b.event.timestampMs || compareValues(a.event.rayId, b.event.rayId);
  };
}

function sortValue({ event, row }: SortableRow, key: SortKeyName): string | number {
  // The rendered timestamp may be whole seconds; sort on the full-precision time.
  return key === 'timestamp' ? event.timestampMs : row[key];
}

function compareValues(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
