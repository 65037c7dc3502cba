import type { ProviderAdapter } from '../types';
import { checkElsaAccess, type ElsaCredentials, type ElsaSource, elsaCredentialsFromEnv, elsaPushedDown, elsaSource, elsaSourceName, readElsaWindow } from './client';
import { ELSA_API, ELSA_LIMITS } from './limits';

/** NAVER Cloud ELSA logs download: application logs of a project, zipped JSON or CSV, split on the row cap. */
export const naverElsa: ProviderAdapter<ElsaCredentials, ElsaSource> = {
  id: 'naver-elsa',
  name: 'NAVER ELSA',
  limits: ELSA_LIMITS,
  defaultBaseUrl: ELSA_API,
  options: ['format', 'count', 'includeFields'],
  credentialEnv: ['NCLOUD_ACCESS_KEY', 'NCLOUD_SECRET_KEY'],
  credentialsFromEnv: elsaCredentialsFromEnv,
  parseSource: elsaSource,
  sourceName: elsaSourceName,
  pushedDown: elsaPushedDown,
  readWindow: readElsaWindow,
  checkAccess: checkElsaAccess,
};
