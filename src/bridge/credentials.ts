/**
 * Provider credentials of a bridge request. One Grafana data source is one provider account: its
 * secrets live in Grafana's secureJsonData and reach the bridge only as headers that the plugin's
 * data proxy route adds, one per credential variable of the provider (`CLOUDFLARE_API_TOKEN` travels
 * as `X-Cdn-Cloudflare-Api-Token`). The bridge reads them per request and never stores them.
 */

import type { ProviderAdapter } from '../providers/types';

/** The header a credential variable travels in: `GCORE_API_KEY` → `x-cdn-gcore-api-key`. */
export function credentialHeader(variable: string): string {
  return `x-cdn-${variable.toLowerCase().replaceAll('_', '-')}`;
}

/** The provider's credential variables found in the request's headers, as the adapter reads them from an environment. */
export function credentialEnvFromHeaders(adapter: ProviderAdapter, headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of adapter.credentialEnv) {
    const value = headers[credentialHeader(variable)];
    const text = Array.isArray(value) ? value[0] : value;
    if (text !== undefined && text !== '') env[variable] = text;
  }
  return env;
}

/** Every credential header any provider uses: what request logs must never show. */
export function allCredentialHeaders(adapters: readonly ProviderAdapter[]): string[] {
  return [...new Set(adapters.flatMap((a) => a.credentialEnv.map(credentialHeader)))];
}
