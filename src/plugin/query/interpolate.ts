/**
 * `$variable` interpolation of every text field of a query, and dashboard ad-hoc filters as query
 * filters. The replace function is Grafana's template service (getTemplateSrv().replace).
 */

import type { AdHocVariableFilter, ScopedVars } from '@grafana/data';
import type { FilterOperator } from '../../core/filter';
import type { CdnLogsQuery, QueryFilter } from '../types';

export type Replace = (text: string, scopedVars?: ScopedVars, format?: string) => string;

/** Multi-value variables: a list for in / not in and list selectors, an alternation for regexes. */
function formatFor(op: FilterOperator): string | undefined {
  if (op === 'in' || op === 'not in') return 'csv';
  if (op === '=~' || op === '!~') return 'regex';
  return undefined;
}

const LIST_SELECTORS = new Set(['host', 'domain', 'proxy']);

export function interpolateQuery(query: CdnLogsQuery, replace: Replace, scopedVars: ScopedVars = {}): CdnLogsQuery {
  const r = (text: string | undefined, format?: string) => (text === undefined ? undefined : replace(text, scopedVars, format));
  const source = query.source
    ? Object.fromEntries(Object.entries(query.source).map(([key, value]) => [key, replace(value ?? '', scopedVars, LIST_SELECTORS.has(key) ? 'csv' : undefined)]))
    : undefined;
  return {
    ...query,
    source,
    filters: query.filters?.map((f) => ({ ...f, field: replace(f.field, scopedVars), value: replace(f.value ?? '', scopedVars, formatFor(f.op)) })),
    search: r(query.search),
    fields: query.fields?.flatMap((f) => replace(f, scopedVars, 'csv').split(',')).filter((f) => f !== ''),
    groupBy: r(query.groupBy),
    interval: r(query.interval),
  };
}

/** Grafana's ad-hoc operators as the bridge's: `=|` is "one of". */
const ADHOC_OPS: Record<string, FilterOperator> = {
  '=': '=',
  '!=': '!=',
  '=~': '=~',
  '!~': '!~',
  '<': '<',
  '>': '>',
  '<=': '<=',
  '>=': '>=',
  '=|': 'in',
  '!=|': 'not in',
};

/** Dashboard ad-hoc filters as query filters; an operator the bridge lacks is dropped, not guessed. */
export function adHocFilters(filters: readonly AdHocVariableFilter[] | undefined): QueryFilter[] {
  return (filters ?? []).flatMap((f) => {
    const op = ADHOC_OPS[f.operator];
    if (!op || !f.key) return [];
    const value = op === 'in' || op === 'not in' ? (f.values ?? [f.value]).join(',') : f.value;
    return [{ field: f.key, op, value }];
  });
}
