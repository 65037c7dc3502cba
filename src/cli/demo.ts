import type { EmulatorDescription } from '../emulators';

/**
 * The environment a provider's credentials would come from, filled with an emulator's demo values:
 * `query --emulator` reads credentials exactly as it would for a real account.
 */
export function demoEnv(provider: string, credentials: Record<string, string>): Record<string, string> {
  if (provider === 'cloudflare') return { CLOUDFLARE_API_TOKEN: credentials.apiToken };
  if (provider === 'gcore') return { GCORE_API_KEY: credentials.apiKey };
  return {};
}

/** The query source selector (`--zone`, `--resource`) of an emulator's demo source. */
export function demoSelector(source: Record<string, unknown> | undefined): Record<string, string> {
  if (!source) return {};
  if (typeof source.zone === 'string') return { zone: source.zone };
  if (source.resource !== undefined) return { resource: String(source.resource) };
  return {};
}

const SAMPLE_RANGE: Record<string, string> = { cloudflare: '--from -30m --to -2m', gcore: '--from -2h --to now' };

/** A command a person can paste to query a running emulator as if it were the real API. */
export function demoCommand(emulator: EmulatorDescription): string {
  const env = Object.entries(demoEnv(emulator.provider, emulator.credentials)).map(([k, v]) => `${k}='${v}'`);
  const source = Object.entries(demoSelector(emulator.sources[0])).map(([k, v]) => `--${k} ${v}`);
  const range = SAMPLE_RANGE[emulator.provider] ?? '--from -1h --to -2m';
  return [...env, 'npx cdn-log-bridge query --provider', emulator.provider, '--base-url', emulator.baseUrl, ...source, range, '--limit 10 --output table'].join(' ');
}
