import type { EmulatorDescription } from '../emulators';
import { SOURCE_FLAGS } from './source-flags';

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

/** Ranges with data in each emulator: package providers publish an hour some time after it ends. */
const SAMPLE_RANGE: Record<string, string> = {
  cloudflare: '--from -30m --to -2m',
  gcore: '--from -2h --to now',
  'tencent-dsa': '--from -6h --to -3h',
  'tencent-edgeone': '--from -6h --to -3h',
  'naver-elsa': '--from -1h --to now',
};

const FLAG_OF_KEY = new Map<string, string>(Object.entries(SOURCE_FLAGS).map(([flag, key]) => [key, flag]));

/** A command a person can paste to query a running emulator as if it were the real API. */
export function demoCommand(emulator: EmulatorDescription): string {
  const env = Object.entries(demoEnv(emulator.provider, emulator.credentials)).map(([k, v]) => `${k}='${v}'`);
  const source = Object.entries(demoSelector(emulator.sources[0])).map(([k, v]) => `--${FLAG_OF_KEY.get(k) ?? k} ${v}`);
  const range = SAMPLE_RANGE[emulator.provider] ?? '--from -1h --to -2m';
  return [...env, 'npx cdn-log-bridge query --provider', emulator.provider, '--base-url', emulator.baseUrl, ...source, range, '--limit 10 --output table'].join(' ');
}
