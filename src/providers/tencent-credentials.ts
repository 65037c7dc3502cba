import { missingCredentials } from '../core/errors';
import { credentialFromEnv } from './credentials';
import { stableId } from './record-id';

/** A Tencent Cloud API key pair (DSA and EdgeOne share them); `token` for temporary (STS) keys. */
export interface TencentCredentials {
  secretId: string;
  secretKey: string;
  token?: string;
}

/** TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, as the official SDKs and CLI read them. */
export function tencentCredentialsFromEnv(env: Record<string, string | undefined>, product: string): TencentCredentials {
  const secretId = credentialFromEnv(env, 'TENCENTCLOUD_SECRET_ID');
  const secretKey = credentialFromEnv(env, 'TENCENTCLOUD_SECRET_KEY');
  if (!secretId || !secretKey) {
    const missing = [!secretId && 'TENCENTCLOUD_SECRET_ID', !secretKey && 'TENCENTCLOUD_SECRET_KEY'].filter(Boolean).join(' and ');
    throw missingCredentials(`${product} needs TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (an API key of the account or of a CAM user allowed to download logs); ${missing} is not set`);
  }
  const token = credentialFromEnv(env, 'TENCENTCLOUD_SESSION_TOKEN');
  return token ? { secretId, secretKey, token } : { secretId, secretKey };
}

/** The rate-limit key of a key pair: Tencent counts calls per SecretId (hashed: keys never hold a credential). */
export function tencentRateKey(product: string, credentials: TencentCredentials): string {
  return `${product}:${stableId(credentials.secretId)}`;
}
