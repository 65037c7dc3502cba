import { EMULATED_PROVIDERS, startEmulators } from './index';
import { rawRequest } from './loopback-client';

const NOW_WINDOW = () => {
  const end = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
  return { start: new Date(end - 60_000).toISOString(), end: new Date(end).toISOString() };
};

describe('startEmulators', () => {
  it('starts every emulator on loopback and describes how to reach each source', async () => {
    const fleet = await startEmulators({ seed: 3, rpm: 5 });
    try {
      const descriptions = fleet.describe();
      expect(descriptions.map((d) => d.provider)).toEqual(['cloudflare', 'gcore', 'tencent-dsa', 'tencent-edgeone', 'naver-elsa']);
      expect(EMULATED_PROVIDERS).toEqual(descriptions.map((d) => d.provider));
      for (const d of descriptions) expect(d.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);

      const [cloudflare, gcore, dsa, edgeone, elsa] = descriptions;
      expect(edgeone.sources).toEqual([{ zone: 'zone-2mzegj4vln5f', domains: ['www.example.com', 'static.example.com'], proxies: expect.any(Array) }]);
      expect(dsa.sources).toHaveLength(12);
      expect(dsa.sources[0]).toEqual({ host: 'h01.dsa.example.com' });
      expect(dsa.credentials).toEqual({ secretId: expect.stringMatching(/^AKID/), secretKey: expect.any(String) });
      expect(elsa.sources).toEqual([{ projectId: 8171, projectKey: 'Pbxxxxx_elsa-test' }]);
      expect(cloudflare.credentials).toMatchObject({ apiToken: expect.stringContaining('demo'), email: expect.any(String), apiKey: expect.any(String) });
      expect(cloudflare.sources).toEqual(fleet.emulators.cloudflare!.zones.map((z) => ({ zone: z.id, name: z.name, hosts: z.hosts })));
      expect(cloudflare.sources[0].zone).toMatch(/^[0-9a-f]{32}$/);
      expect(gcore.sources).toEqual([
        { resource: 100001, cname: 'cdn.example.com' },
        { resource: 100002, cname: 'static.example.net' },
      ]);

      const zone = cloudflare.sources[0].zone as string;
      const response = await rawRequest(`${cloudflare.baseUrl}/zones/${zone}/logs/received?${new URLSearchParams(NOW_WINDOW())}`, {
        headers: { Authorization: `Bearer ${cloudflare.credentials.apiToken}` },
      });
      expect(response.status).toBe(200);
    } finally {
      await fleet.close();
    }
  });

  it('starts only the providers asked for, on consecutive ports from the base port', async () => {
    // Ports below Linux's ephemeral range (32768-60999), where client sockets of concurrent tests
    // cannot take basePort + 1 between a probe and the start; another tenant may, so try a few.
    let fleet: Awaited<ReturnType<typeof startEmulators>> | undefined;
    let basePort = 0;
    for (let attempt = 0; fleet === undefined; attempt++) {
      basePort = 20_000 + Math.floor(Math.random() * 10_000);
      try {
        fleet = await startEmulators({ providers: ['gcore', 'cloudflare'], port: basePort });
      } catch (err) {
        if (attempt >= 9 || (err as { code?: string }).code !== 'EADDRINUSE') throw err;
      }
    }
    try {
      expect(fleet.describe().map((d) => [d.provider, new URL(d.baseUrl).port])).toEqual([
        ['gcore', String(basePort)],
        ['cloudflare', String(basePort + 1)],
      ]);
      expect(fleet.emulators.gcore).toBeDefined();
    } finally {
      await fleet.close();
    }
  });

  it('closes what it started when a port is taken, and refuses unknown providers', async () => {
    const holder = await startEmulators({ providers: ['gcore'] });
    const takenPort = Number(new URL(holder.describe()[0].baseUrl).port);
    try {
      await expect(startEmulators({ providers: ['gcore', 'cloudflare'], port: takenPort - 1 })).rejects.toThrow();
      await expect(startEmulators({ providers: ['akamai' as never] })).rejects.toThrow(/no emulator for provider 'akamai'/);
    } finally {
      await holder.close();
    }
  });
});
