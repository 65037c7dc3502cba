import type { TencentCredentials } from '../tencent-credentials';
import type { ProviderAdapter } from '../types';
import { checkEdgeOneAccess, type EdgeOneSource, edgeOneCredentialsFromEnv, edgeOnePushedDown, edgeOneSource, edgeOneSourceName, readEdgeOneWindow } from './client';
import { EDGEONE_API, EDGEONE_LIMITS } from './limits';

/** Tencent EdgeOne `DownloadL7Logs` (HTTP requests) and `DownloadL4Logs` (proxy connections): paged package lists. */
export const tencentEdgeOne: ProviderAdapter<TencentCredentials, EdgeOneSource> = {
  id: 'tencent-edgeone',
  name: 'Tencent EdgeOne',
  limits: EDGEONE_LIMITS,
  defaultBaseUrl: EDGEONE_API,
  options: ['packageHosts'],
  credentialEnv: ['TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY', 'TENCENTCLOUD_SESSION_TOKEN'],
  credentialsFromEnv: edgeOneCredentialsFromEnv,
  parseSource: edgeOneSource,
  sourceName: edgeOneSourceName,
  pushedDown: edgeOnePushedDown,
  readWindow: readEdgeOneWindow,
  checkAccess: checkEdgeOneAccess,
};
