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

/**
 * Where the demo exporter starts each provider: far enough back that a window has settled within
 * seconds (package providers publish an hour hours after it ends; EdgeOne settles after a day).
 */
const DEMO_EXPORT_START: Record<string, string> = {
  cloudflare: '-30m',
  gcore: '-2h',
  'tencent-dsa': '-5h',
  'tencent-edgeone': '-26h',
  'naver-elsa': '-2h',
};

/**
 * The exporter configuration `npm start` runs: every emulator's first demo source, delivered to
 * ./data/otlp (OTLP/JSON lines) unless OTEL_EXPORTER_OTLP_[LOGS_]ENDPOINT names an endpoint, with
 * checkpoints in ./data/state so that the next start resumes. JSON is YAML.
 */
export function demoExporterConfig(emulators: readonly EmulatorDescription[]): string {
  const sources = emulators.map((d) => ({
    name: `${d.provider}-demo`,
    provider: d.provider,
    credentials: demoEnv(d.provider, d.credentials),
    source: demoSelector(d.sources[0]),
    start: DEMO_EXPORT_START[d.provider] ?? '-1h',
    baseUrl: d.baseUrl,
  }));
  // A demo keeps at most 64 MiB of files: the emulators serve a busy day of history.
  const files = { dir: './data/otlp', maxFileBytes: 16 * 1024 ** 2, maxFiles: 4 };
  return JSON.stringify({ serviceName: 'cdn-log-bridge-demo', files, sources }, null, 2);
}
