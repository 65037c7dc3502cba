import { badInput } from '../core/errors';
import { isProviderId, PROVIDER_IDS, type ProviderId } from '../core/record';
import { cloudflare } from './cloudflare';
import { gcore } from './gcore';
import { naverElsa } from './naver-elsa';
import { tencentDsa } from './tencent-dsa';
import { tencentEdgeOne } from './tencent-edgeone';
import type { ProviderAdapter } from './types';

/** Adding a provider: one folder and one line here. */
const ADAPTERS: Partial<Record<ProviderId, ProviderAdapter<any, any>>> = {
  cloudflare,
  gcore,
  'tencent-dsa': tencentDsa,
  'naver-elsa': naverElsa,
  'tencent-edgeone': tencentEdgeOne,
};

export function availableProviders(): ProviderId[] {
  return PROVIDER_IDS.filter((id) => ADAPTERS[id] !== undefined);
}

export function providerAdapter(id: string): ProviderAdapter<unknown, unknown> {
  const adapter = isProviderId(id) ? ADAPTERS[id] : undefined;
  if (!adapter) {
    const known = availableProviders().join(', ');
    throw badInput('provider', isProviderId(id) ? `provider "${id}" is not implemented yet; available: ${known}` : `unknown provider "${id}"; available: ${known}`);
  }
  return adapter;
}
