/**
 * A template service with a few dashboard variables, replacing `$name` and `${name}` as Grafana's
 * does for the formats the plugin asks for (csv, regex, default), scoped variables first.
 */

import type { ScopedVars } from '@grafana/data';

export function fakeTemplateSrv(variables: Record<string, string | string[]>) {
  const calls: Array<{ text: string; format?: string }> = [];
  const format = (value: string | string[], how?: string): string => {
    if (!Array.isArray(value)) return value;
    if (how === 'csv') return value.join(',');
    if (how === 'regex') return `(${value.join('|')})`;
    return value.length === 1 ? value[0] : `{${value.join(',')}}`;
  };
  return {
    calls,
    replace(text: string, scopedVars?: ScopedVars, how?: string | Function): string {
      calls.push({ text, format: typeof how === 'string' ? how : undefined });
      return (text ?? '').replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
        const name = braced ?? bare ?? '';
        const scoped = scopedVars?.[name]?.value as string | string[] | undefined;
        const value = scoped ?? variables[name];
        return value === undefined ? whole : format(value, typeof how === 'string' ? how : undefined);
      });
    },
    getVariables: () => [],
    containsTemplate: (text?: string) => Boolean(text?.includes('$')),
    updateTimeRange: () => undefined,
  };
}
