/**
 * The running exporter's health, written to `<stateDir>/health.json` every few seconds (atomically),
 * so `cdn-log-bridge sources` can show state, lag, last success and last error of a process it does
 * not talk to. Holds no credential: messages are scrubbed before they reach the health.
 */

import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { SourceHealth } from './exporter';

export const HEALTH_FILE = 'health.json';

export interface HealthFile {
  pid: number;
  writtenAtMs: number;
  sources: SourceHealth[];
}

export async function writeHealthFile(stateDir: string, sources: SourceHealth[], nowMs: number): Promise<void> {
  await fsp.mkdir(stateDir, { recursive: true });
  const file = path.join(stateDir, HEALTH_FILE);
  const temp = `${file}.${process.pid}.health-tmp`;
  await fsp.writeFile(temp, JSON.stringify({ pid: process.pid, writtenAtMs: nowMs, sources } satisfies HealthFile));
  await fsp.rename(temp, file);
}

/** The health a live exporter wrote, or null (none, unreadable, or its process is gone). */
export async function readHealthFile(stateDir: string): Promise<HealthFile | null> {
  try {
    const parsed = JSON.parse(await fsp.readFile(path.join(stateDir, HEALTH_FILE), 'utf8')) as HealthFile;
    if (!Number.isSafeInteger(parsed.pid) || !Array.isArray(parsed.sources)) return null;
    try {
      process.kill(parsed.pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') return null;
    }
    return parsed;
  } catch {
    return null;
  }
}
