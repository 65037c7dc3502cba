/**
 * Filters added from Explore's log details ("filter for" / "filter out") and its string filters,
 * as edits of the query's filter list (as OpenSearch keeps them apart in modifyQuery.ts).
 */

import type { QueryFixAction, ToggleFilterAction } from '@grafana/data';
import type { CdnLogsQuery, QueryFilter } from '../types';

function same(f: QueryFilter, key: string, value: string, op: '=' | '!='): boolean {
  return f.field === key && f.op === op && f.value === value;
}

/** True when the query keeps only records whose `key` is `value` (lights Explore's filter button). */
export function hasFilter(query: CdnLogsQuery, key: string, value: string): boolean {
  return (query.filters ?? []).some((f) => same(f, key, value, '='));
}

/**
 * FILTER_FOR adds `key = value`, FILTER_OUT `key != value`; the same filter again removes it, and
 * the opposite one is replaced.
 */
export function toggleFilter(query: CdnLogsQuery, action: ToggleFilterAction): CdnLogsQuery {
  const key = action.options.key;
  const value = action.options.value;
  if (!key || value === undefined) return query;
  const op = action.type === 'FILTER_FOR' ? '=' : '!=';
  const opposite = op === '=' ? '!=' : '=';
  const filters = query.filters ?? [];
  if (filters.some((f) => same(f, key, value, op))) {
    return { ...query, filters: filters.filter((f) => !same(f, key, value, op)) };
  }
  return { ...query, filters: [...filters.filter((f) => !same(f, key, value, opposite)), { field: key, op, value }] };
}

export const SUPPORTED_MODIFICATIONS = ['ADD_FILTER', 'ADD_FILTER_OUT', 'ADD_STRING_FILTER'] as const;

/** Explore's query fixes: a filter in or out (not twice), or a string to search for. */
export function applyModification(query: CdnLogsQuery, action: QueryFixAction): CdnLogsQuery {
  const key = action.options?.key;
  const value = action.options?.value;
  switch (action.type) {
    case 'ADD_FILTER':
    case 'ADD_FILTER_OUT': {
      if (!key || value === undefined) return query;
      const op = action.type === 'ADD_FILTER' ? '=' : '!=';
      const filters = (query.filters ?? []).filter((f) => !(f.field === key && f.value === value && (f.op === '=' || f.op === '!=')));
      return { ...query, filters: [...filters, { field: key, op, value }] };
    }
    case 'ADD_STRING_FILTER':
      // The bridge's free-text search is one string matched in host, path, query, user agent, referer, client IP and message.
      return value ? { ...query, search: value } : query;
    default:
      return query;
  }
}
