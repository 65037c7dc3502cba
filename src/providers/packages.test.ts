/**
 * The package ledger of a continuous reader, through the real DSA and EdgeOne adapters and their
 * emulators: a package the ledger took is neither downloaded nor read; the ledger hears of a
 * package read to its end, with the hour the listing gives it, and only when the window holds
 * that whole hour.
 */
import { HOUR_MS, MINUTE_MS } from '../core/time';
import { startTencentDsaEmulator, startTencentEdgeOneEmulator } from '../emulators';
import { demoEnv } from '../emulators/demo-client';
import { HttpClient } from '../transport/http';
import type { LogPackage, PackageLedger } from './packages';
import { providerAdapter } from './registry';
import { runQuery } from './run';

const HOUR = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 6 * HOUR_MS;

async function read(provider: 'tencent-dsa' | 'tencent-edgeone', emulator: { baseUrl: string; credentials: { secretId: string; secretKey: string } }, selector: Record<string, string>, fromMs: number, toMs: number, ledger: PackageLedger) {
  const adapter = providerAdapter(provider);
  const run = runQuery(adapter, adapter.credentialsFromEnv(demoEnv(provider, emulator.credentials)), { provider, source: selector, fromMs, toMs, filters: [], limit: 1, options: {} } as never, {
    http: new HttpClient(),
    unlimited: true,
    baseUrl: emulator.baseUrl,
    trustedPackageOrigins: [emulator.baseUrl],
    packages: ledger,
  });
  const records = [];
  for await (const batch of run.records) records.push(...batch);
  return records;
}

function recordingLedger(taken: (pkg: LogPackage) => boolean = () => false) {
  const read: LogPackage[] = [];
  return { read, ledger: { taken, read: (pkg: LogPackage) => read.push(pkg) } };
}

it.each(['tencent-dsa', 'tencent-edgeone'] as const)('%s: the ledger hears of whole hours read, with their hour, and what it took is skipped', async (provider) => {
  const emulator = provider === 'tencent-dsa' ? await startTencentDsaEmulator({ rpm: 20, seed: 5 }) : await startTencentEdgeOneEmulator({ rpm: 20, seed: 5 });
  const selector: Record<string, string> = 'hosts' in emulator ? { host: emulator.hosts.join(',') } : { zone: emulator.zones[0].id, layer: 'l7' };
  try {
    // The window cuts the first hour: its packages are read but not reported (the next window reads them again).
    const first = recordingLedger();
    const atStart = emulator.requests.length;
    const all = await read(provider, emulator, selector, HOUR + 30 * MINUTE_MS, HOUR + 2 * HOUR_MS, first.ledger);
    expect(all.length).toBeGreaterThan(0);
    expect(all.some((r) => r.timestamp < HOUR + HOUR_MS)).toBe(true);
    expect(first.read.length).toBeGreaterThan(0);
    expect(first.read.every((p) => p.hourStartMs === HOUR + HOUR_MS)).toBe(true);

    // What the ledger took is not downloaded again: only the cut hour's records remain.
    const requestsBefore = emulator.requests.length;
    const firstDownloads = emulator.requests.slice(atStart, requestsBefore).filter((r) => r.method === 'GET').length;
    const second = recordingLedger((pkg) => first.read.some((p) => p.key === pkg.key));
    const rest = await read(provider, emulator, selector, HOUR + 30 * MINUTE_MS, HOUR + 2 * HOUR_MS, second.ledger);
    expect(rest.map((r) => r.id).sort()).toEqual(all.filter((r) => r.timestamp < HOUR + HOUR_MS).map((r) => r.id).sort());
    const downloads = emulator.requests.slice(requestsBefore).filter((r) => r.method === 'GET');
    expect(downloads.length).toBe(firstDownloads - first.read.length);
    expect(second.read).toEqual([]);
  } finally {
    await emulator.close();
  }
});
