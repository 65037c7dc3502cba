import { z } from 'zod';
import { CdnLogError } from './errors';
import { FIELD_NAMES } from './fields';
import { FILTER_OPERATORS, type Filter, validateFilter } from './filter';
import { PROVIDER_IDS, type ProviderId } from './record';

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 1_000_000;

const scalar = z.union([z.string(), z.number()]);

const filterSchema = z.object({
  field: z.string().min(1),
  op: z.enum(FILTER_OPERATORS),
  value: z.union([scalar, z.array(scalar)]),
});

/**
 * A query, shared by the CLI, the plugin and the bridge. `source` is the provider's selector
 * (Cloudflare `{zone}`, Gcore `{resource}` or `{cname}`, ...), checked by the provider's adapter.
 */
export const querySchema = z.object({
  provider: z.enum(PROVIDER_IDS),
  source: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
  fromMs: z.number().finite(),
  toMs: z.number().finite(),
  filters: z.array(filterSchema).default([]),
  search: z.string().optional(),
  /** Record fields wanted in the output; all when absent. */
  fields: z.array(z.string()).optional(),
  limit: z.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
  /** Provider-specific options, e.g. Cloudflare `{ fieldSet: 'record' | 'default' | 'all' | 'A,B,C' }`. */
  options: z.record(z.string(), z.string()).default({}),
});

export type CdnQuery = z.infer<typeof querySchema> & { filters: Filter[]; provider: ProviderId };

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.join('.') : 'query';
  return `${where}: ${issue.message}`;
}

/** Validates a query from any caller (the bridge re-validates everything it receives). */
export function parseQuery(input: unknown): CdnQuery {
  const parsed = querySchema.safeParse(input);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new CdnLogError('BadInput', describeIssue(first), { field: first.path.join('.') || 'query' });
  }
  const query = parsed.data;
  const filters = query.filters.map((f) => validateFilter(f as Filter));
  for (const name of query.fields ?? []) {
    if (!FIELD_NAMES.includes(name)) {
      throw new CdnLogError('BadInput', `fields: unknown field "${name}"; known fields: ${FIELD_NAMES.join(', ')}`, { field: 'fields' });
    }
  }
  if (!(query.toMs > query.fromMs)) {
    throw new CdnLogError('BadInput', 'range: "from" must be before "to"', { field: 'range' });
  }
  return { ...query, filters };
}
