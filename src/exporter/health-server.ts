/**
 * For `export` alone (`--listen`): `GET /api/v1/exporter` (the sources' health as JSON) and
 * `GET /metrics` (Prometheus text). Inside `serve --config` the bridge serves the same two.
 * Loopback by default; nothing it answers holds a credential.
 */

import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { SourceHealth } from './exporter';

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

/** The exporter's answer to `GET /api/v1/exporter`. */
export function exporterHealthBody(health: SourceHealth[]): { status: 'ok' | 'degraded'; sources: SourceHealth[] } {
  const degraded = health.some((h) => h.state === 'stalled' || h.state === 'stopped');
  return { status: degraded ? 'degraded' : 'ok', sources: health };
}

export async function startHealthServer(listen: { host: string; port: number }, health: () => SourceHealth[], registry: Registry): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const route = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET') return void res.writeHead(405, { allow: 'GET' }).end();
    if (route === '/api/v1/exporter') {
      const body = exporterHealthBody(health());
      return void res.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    }
    if (route === '/metrics') {
      registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text))
        .catch(() => res.writeHead(500).end());
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"kind":"BadInput","message":"unknown route: GET /api/v1/exporter or /metrics"}}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `127.0.0.1:9464`, `:9464` (loopback) or `[::1]:9464`. */
export function parseListen(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65_535) return null;
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}
