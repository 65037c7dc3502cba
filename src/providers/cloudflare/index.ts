import type { ProviderAdapter } from '../types';
import { type CloudflareCredentials, type CloudflareSource, checkCloudflareAccess, cloudflareCredentialsFromEnv, cloudflareSource, readCloudflareWindow } from './client';
import { CLOUDFLARE_API, CLOUDFLARE_LIMITS } from './limits';

/** Cloudflare Logpull: nothing is pushed down, every filter runs while streaming. */
export const cloudflare: ProviderAdapter<CloudflareCredentials, CloudflareSource> = {
  id: 'cloudflare',
  name: 'Cloudflare',
  limits: CLOUDFLARE_LIMITS,
  defaultBaseUrl: CLOUDFLARE_API,
  options: ['fieldSet', 'sample'],
  credentialEnv: ['CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_EMAIL', 'CLOUDFLARE_API_KEY'],
  credentialsFromEnv: cloudflareCredentialsFromEnv,
  parseSource: cloudflareSource,
  sourceName: (source) => source.zone,
  pushedDown: () => [],
  readWindow: readCloudflareWindow,
  checkAccess: checkCloudflareAccess,
};
