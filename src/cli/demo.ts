import type { EmulatorDescription } from '../emulators';
import { demoEnv, demoSelector } from '../emulators/demo-client';
import { SOURCE_FLAGS } from './source-flags';

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
