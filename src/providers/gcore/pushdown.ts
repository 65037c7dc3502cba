import type { Filter, FilterOperator } from '../../core/filter';
import { GCORE_CACHE_STATUSES } from './limits';

type GcoreOp = 'eq' | 'ne' | 'in' | 'not_in' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains';

const OP: Partial<Record<FilterOperator, GcoreOp>> = {
  '=': 'eq',
  '!=': 'ne',
  in: 'in',
  'not in': 'not_in',
  '>': 'gt',
  '>=': 'gte',
  '<': 'lt',
  '<=': 'lte',
  contains: 'contains',
};

const SET_OPS: readonly GcoreOp[] = ['eq', 'ne', 'in', 'not_in'];
const NUMBER_OPS: readonly GcoreOp[] = ['gt', 'gte', 'lt', 'lte', 'eq', 'ne', 'in', 'not_in'];

/** Record field → Gcore filter family and the operators the API has for it (provider-spec §2.2). */
const FAMILIES: Record<string, { param: string; ops: readonly GcoreOp[] }> = {
  method: { param: 'method', ops: SET_OPS },
  clientIp: { param: 'client_ip', ops: SET_OPS },
  status: { param: 'status', ops: NUMBER_OPS },
  bytesSent: { param: 'size', ops: NUMBER_OPS },
  host: { param: 'cname', ops: [...SET_OPS, 'contains'] },
  source: { param: 'resource_id', ops: NUMBER_OPS },
  cacheStatus: { param: 'cache_status', ops: SET_OPS },
  edgeLocation: { param: 'datacenter', ops: SET_OPS },
};

function gcoreValue(field: string, value: string | number): string | null {
  const text = String(value);
  if (text.includes(',')) return null; // `in` lists are comma-separated: such a value cannot be sent
  if (field === 'source' && !/^\d+$/.test(text)) return null;
  if (field === 'cacheStatus') {
    const gcore = text === 'UNKNOWN' ? '-' : text;
    return (GCORE_CACHE_STATUSES as readonly string[]).includes(gcore) ? gcore : null;
  }
  return text;
}

export interface PushDown {
  /** Query parameters to add, e.g. `status__gte=500`. */
  params: Array<[string, string]>;
  pushed: Filter[];
}

/**
 * The filters Gcore can apply server-side, as query parameters. One parameter per family and
 * operator: a second filter on the same pair stays local. `contains` needs 3+ characters.
 * `alreadyUsed` holds parameters the request already carries (the source selector).
 */
export function gcorePushDown(filters: readonly Filter[], alreadyUsed: ReadonlySet<string> = new Set()): PushDown {
  const used = new Set(alreadyUsed);
  const params: Array<[string, string]> = [];
  const pushed: Filter[] = [];
  for (const filter of filters) {
    const family = FAMILIES[filter.field];
    const op = OP[filter.op];
    if (!family || !op || !family.ops.includes(op)) continue;
    const key = `${family.param}__${op}`;
    if (used.has(key)) continue;
    const values = (Array.isArray(filter.value) ? filter.value : [filter.value]).map((v) => gcoreValue(filter.field, v));
    if (values.some((v) => v === null)) continue;
    if (op === 'contains' && (values[0] as string).length < 3) continue;
    used.add(key);
    params.push([key, values.join(',')]);
    pushed.push(filter);
  }
  return { params, pushed };
}
