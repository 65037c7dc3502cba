import type { TencentCredentials } from '../tencent-credentials';
import type { ProviderAdapter } from '../types';
import { checkDsaAccess, type DsaSource, dsaCredentialsFromEnv, dsaPushedDown, dsaSource, dsaSourceName, readDsaWindow } from './client';
import { DSA_API, DSA_LIMITS } from './limits';

/** Tencent Cloud DSA `GetDsaHostLogs`: hourly packages per accelerated domain, listed by day. */
export const tencentDsa: ProviderAdapter<TencentCredentials, DsaSource> = {
  id: 'tencent-dsa',
  name: 'Tencent DSA',
  limits: DSA_LIMITS,
  defaultBaseUrl: DSA_API,
  options: ['packageHosts'],
  credentialEnv: ['TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY', 'TENCENTCLOUD_SESSION_TOKEN'],
  credentialsFromEnv: dsaCredentialsFromEnv,
  parseSource: dsaSource,
  sourceName: dsaSourceName,
  pushedDown: dsaPushedDown,
  readWindow: readDsaWindow,
  checkAccess: checkDsaAccess,
};
