/**
 * How a client (the CLI's --emulator, the bridge in demo mode) reaches a running emulator as if it
 * were the real API: the environment its credentials would come from, and the query selector of a
 * demo source.
 */

/**
 * The environment a provider's credentials would come from, filled with an emulator's demo values:
 * `query --emulator` reads credentials exactly as it would for a real account.
 */
export function demoEnv(provider: string, credentials: Record<string, string>): Record<string, string> {
  switch (provider) {
    case 'cloudflare':
      return { CLOUDFLARE_API_TOKEN: credentials.apiToken };
    case 'gcore':
      return { GCORE_API_KEY: credentials.apiKey };
    case 'tencent-dsa':
    case 'tencent-edgeone':
      return { TENCENTCLOUD_SECRET_ID: credentials.secretId, TENCENTCLOUD_SECRET_KEY: credentials.secretKey };
    case 'naver-elsa':
      return { NCLOUD_ACCESS_KEY: credentials.accessKey, NCLOUD_SECRET_KEY: credentials.secretKey };
    default:
      return {};
  }
}

/** The query source selector (`zone`, `resource`, `host`, `projectId`…) of an emulator's demo source. */
export function demoSelector(source: Record<string, unknown> | undefined): Record<string, string> {
  if (!source) return {};
  if (typeof source.projectKey === 'string') return { projectId: String(source.projectId), projectKey: source.projectKey };
  if (typeof source.zone === 'string') return Array.isArray(source.domains) ? { zone: source.zone, layer: 'l7' } : { zone: source.zone };
  if (typeof source.host === 'string') return { host: source.host };
  if (source.resource !== undefined) return { resource: String(source.resource) };
  return {};
}
