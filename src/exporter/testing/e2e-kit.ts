/**
 * What the end-to-end exporter tests share: a configuration for the emulators, the exporter as a
 * child process (`cdn-log-bridge export`, as in production), reading its checkpoints, and comparing
 * what a receiver accepted with what the providers serve.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CdnLogRecord } from '../../core/record';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../core/time';
import type { EmulatorFleet } from '../../emulators';
import { demoEnv, demoSelector } from '../../emulators/demo-client';
import { providerAdapter } from '../../providers/registry';
import { runQuery } from '../../providers/run';
import { HttpClient } from '../../transport/http';
import { CheckpointStore } from '../checkpoint';
import type { OtlpProtocol } from '../config';
import { mapRecord, resourceOf } from '../mapping';
import type { ReceivedLog } from './otlp-receiver';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'cdn-log-bridge.js');

/**
 * How far behind now each provider's delivery settles by default, and its grid: the settle delay,
 * or for the package providers the emulator's publish delay (their packages are taken as they appear).
 */
export const SETTLE: Record<string, { behindMs: number; gridMs: number }> = {
  cloudflare: { behindMs: 5 * MINUTE_MS, gridMs: MINUTE_MS },
  gcore: { behindMs: HOUR_MS, gridMs: MINUTE_MS },
  'naver-elsa': { behindMs: HOUR_MS, gridMs: MINUTE_MS },
  'tencent-dsa': { behindMs: 2 * HOUR_MS, gridMs: HOUR_MS },
  'tencent-edgeone': { behindMs: 30 * MINUTE_MS, gridMs: HOUR_MS },
};

export const RESOURCE_EXTRA = { 'deployment.environment.name': 'e2e' };
export const SERVICE = 'cdn-e2e';

export interface Setup {
  fleet: EmulatorFleet;
  stateDir: string;
  /** Start of each provider's source, epoch ms (whole minutes). */
  starts: Record<string, number>;
  /** When the test began: what "caught up" is measured from. */
  startedMs: number;
}

export function configJson(setup: Setup, otlp: { endpoint: string; protocol: OtlpProtocol; timeout?: string }): string {
  const sources = setup.fleet.describe().map((d) => ({
    name: `${d.provider}-demo`,
    provider: d.provider,
    credentials: demoEnv(d.provider, d.credentials),
    source: demoSelector(d.sources[0]),
    start: new Date(setup.starts[d.provider]).toISOString(),
    baseUrl: d.baseUrl,
    resource: RESOURCE_EXTRA,
  }));
  // JSON is YAML.
  return JSON.stringify({ stateDir: setup.stateDir, serviceName: SERVICE, otlp: { ...otlp, headers: { authorization: 'Bearer e2e-otlp-token' } }, sources });
}

/**
 * How far each live source's delivery is acknowledged, by provider: the checkpoint's end, or past it
 * the end of the last open hour whose package was taken (a pass takes every package listed, so the
 * hours before it were taken too).
 */
export async function checkpoints(stateDir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const c of await new CheckpointStore(stateDir).loadAll()) {
    if ('endMs' in c && c.lane === 'live') out[c.identity.provider] = Math.max(c.endMs, ...c.packages.map((p) => p.fromMs + HOUR_MS));
  }
  return out;
}

export function caughtUpAt(setup: Setup, provider: string): number {
  const { behindMs, gridMs } = SETTLE[provider];
  return Math.floor((setup.startedMs - behindMs) / gridMs) * gridMs - gridMs;
}

export interface ExporterChild {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function spawnExporter(configFile: string, extraArgs: string[] = []): ExporterChild {
  const child = spawn(process.execPath, [BIN, 'export', '--config', configFile, ...extraArgs], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      // For debugging a failing run: E2E_LOG=/tmp/exporter.log keeps the last run's log lines.
      if (process.env.E2E_LOG) fs.writeFileSync(process.env.E2E_LOG, output);
      resolve(code);
    }),
  );
  return { child, output: () => output, exited };
}

export async function waitFor(check: () => Promise<boolean>, run: ExporterChild | null, what: string, timeoutMs = 120_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; ) {
    if (run && run.child.exitCode !== null) throw new Error(`the exporter exited (${run.child.exitCode}) before ${what}:\n${run.output().slice(-3000)}`);
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`never happened: ${what}\n${run?.output().slice(-3000) ?? ''}`);
}

/** A received or expected log as one comparable line (the observed time, the download time, left out). */
export function canonical(log: Pick<ReceivedLog, 'resource' | 'timeUnixNano' | 'severityNumber' | 'severityText' | 'body' | 'attributes'>): string {
  const sorted = (o: Record<string, unknown>) => Object.keys(o).sort().map((k) => [k, o[k]]);
  return JSON.stringify([sorted(log.resource), log.timeUnixNano, log.severityNumber, log.severityText, log.body, sorted(log.attributes)]);
}

export function canonicalRecord(record: CdnLogRecord): string {
  return canonical({ ...mapRecord(record, 0), resource: resourceOf(record, { 'service.name': SERVICE, ...RESOURCE_EXTRA }) });
}

/** Multiset difference, small enough to read when it is not empty. */
export function difference(got: string[], want: string[]): { missing: number; extra: number; sample: string[] } {
  const counts = new Map<string, number>();
  for (const line of want) counts.set(line, (counts.get(line) ?? 0) + 1);
  const extra: string[] = [];
  for (const line of got) {
    const n = counts.get(line) ?? 0;
    if (n > 0) counts.set(line, n - 1);
    else extra.push(line);
  }
  const missing = [...counts.values()].reduce((a, b) => a + b, 0);
  const brief = (line: string) => JSON.parse(line).slice(1, 5).join(' ');
  return { missing, extra: extra.length, sample: extra.slice(0, 3).map(brief) };
}

/** What a provider serves for a range, read in one query in this process. */
export async function served(fleet: EmulatorFleet, provider: string, fromMs: number, toMs: number): Promise<CdnLogRecord[]> {
  if (!(toMs > fromMs)) return [];
  const d = fleet.describe().find((x) => x.provider === provider)!;
  const adapter = providerAdapter(provider);
  const run = runQuery(
    adapter,
    adapter.credentialsFromEnv(demoEnv(provider, d.credentials)),
    { provider: provider as never, source: demoSelector(d.sources[0]), fromMs, toMs, filters: [], limit: 1, options: {} },
    { http: new HttpClient(), unlimited: true, baseUrl: d.baseUrl, trustedPackageOrigins: [new URL(d.baseUrl).origin] },
  );
  const out: CdnLogRecord[] = [];
  for await (const batch of run.records) out.push(...batch);
  return out;
}

/** The received logs of one provider. */
export function receivedOf(accepted: readonly ReceivedLog[], provider: string): ReceivedLog[] {
  return accepted.filter((r) => r.resource['cdn.provider'] === provider);
}
