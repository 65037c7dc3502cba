import type { ProviderAdapter } from '../types';
import { checkGcoreAccess, type GcoreCredentials, type GcoreSource, gcoreCredentialsFromEnv, gcorePushedDown, gcoreSource, gcoreSourceName, readGcoreWindow } from './client';
import { GCORE_API, GCORE_LIMITS } from './limits';

/** Gcore CDN logs download: server-side filters for every family the API has. */
export const gcore: ProviderAdapter<GcoreCredentials, GcoreSource> = {
  id: 'gcore',
  name: 'Gcore',
  limits: GCORE_LIMITS,
  // Pages are requested sorted by timestamp (GCORE_PAGE_ORDER), so a window streams oldest first.
  sortedByTime: true,
  defaultBaseUrl: GCORE_API,
  options: ['format', 'pageSize'],
  credentialEnv: ['GCORE_API_KEY'],
  credentialsFromEnv: gcoreCredentialsFromEnv,
  parseSource: gcoreSource,
  sourceName: gcoreSourceName,
  pushedDown: gcorePushedDown,
  readWindow: readGcoreWindow,
  checkAccess: checkGcoreAccess,
};
