/**
 * The browser test's stand-in for Grafana's server, on loopback: the host page and its script, the
 * plugin's dist/, SystemJS, the data source settings (GET/PUT /api/datasources/uid/<uid>, secrets
 * kept here and answered only as secureJsonFields, as Grafana does) and the data proxy
 * (/api/datasources/proxy/uid/<uid>/...) applying the plugin's own plugin.json routes
 * (grafana-route.ts) to the data source's settings, with its jsonData.timeout.
 */

import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { applyRoute, matchRoute, type PluginRoute } from './grafana-route';

export interface DataSourceConfig {
  uid: string;
  name: string;
  jsonData: Record<string, unknown>;
  secureJsonData: Record<string, string>;
}

export interface ProxiedRequest {
  method: string;
  /** The path after /api/datasources/proxy/uid/<uid>/, with the query string. */
  proxyPath: string;
  uid: string;
  /** Where the proxy sent it, and the route's templated headers. */
  target: string;
  headers: Record<string, string>;
  status: number;
  atMs: number;
  /** A query's id and state from the bridge's JSON answer, when it has them. */
  answer?: { queryId?: string; state?: string };
}

export interface HostServerOptions {
  /** The host page's script (build-host.ts). */
  hostScript: string;
  distDir: string;
  systemjsDir: string;
  /** @grafana/ui's icons (its dist/public/img/icons), which Grafana serves at public/build/img/icons/. */
  iconsDir: string;
  /** window.grafanaBootData. */
  bootData: unknown;
  title: string;
  /** Grafana's data proxy timeout when the data source sets none (30 s). */
  defaultTimeoutS?: number;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.md': 'text/markdown; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'application/json; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A file under dir, never outside it. */
async function serveFile(res: ServerResponse, dir: string, relative: string): Promise<void> {
  const file = path.resolve(dir, `.${path.posix.normalize(`/${relative}`)}`);
  if (!file.startsWith(path.resolve(dir) + path.sep)) return send(res, 403, '{"message":"forbidden"}');
  try {
    send(res, 200, await readFile(file), TYPES[path.extname(file)] ?? 'application/octet-stream');
  } catch {
    send(res, 404, JSON.stringify({ message: `not found: ${relative}` }));
  }
}

export class HostServer {
  readonly dataSources = new Map<string, DataSourceConfig>();
  readonly proxied: ProxiedRequest[] = [];
  /** Errors of the page's console and uncaught exceptions, filled in by the test. */
  url = '';
  private server: Server | null = null;
  private readonly started = Date.now();

  constructor(
    private readonly options: HostServerOptions,
    private readonly routes: readonly PluginRoute[],
  ) {}

  /** As Grafana answers GET /api/datasources/uid/<uid>: secrets as secureJsonFields only. */
  view(uid: string) {
    const ds = this.dataSources.get(uid);
    if (!ds) return null;
    const secureJsonFields = Object.fromEntries(Object.entries(ds.secureJsonData).map(([k, v]) => [k, v !== '']));
    return { uid: ds.uid, name: ds.name, jsonData: ds.jsonData, secureJsonFields };
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, JSON.stringify({ message: String(err) }));
        else res.destroy();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private page(): string {
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${this.options.title}</title>
<script>window.grafanaBootData = ${JSON.stringify(this.options.bootData)};</script>
<!-- The shared dependencies first: with SystemJS's AMD define already there, lodash's UMD wrapper would register itself through it. -->
<script src="/host.js"></script>
<script src="/systemjs/system.js"></script>
<script src="/systemjs/extras/amd.js"></script>
<script src="/systemjs/extras/named-register.js"></script>
</head>
<body><div id="root"></div></body>
</html>
`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    const p = url.pathname;
    if (req.method === 'GET' && p === '/') return send(res, 200, this.page(), 'text/html; charset=utf-8');
    // Grafana's Inter font files are not in any package: the page falls back to the system's sans-serif.
    if (req.method === 'GET' && (p === '/favicon.ico' || p.startsWith('/public/fonts/'))) return send(res, 204, '', 'application/octet-stream');
    if (req.method === 'GET' && p === '/host.js') return send(res, 200, await readFile(this.options.hostScript), TYPES['.js']);
    if (req.method === 'GET' && p.startsWith('/systemjs/')) return serveFile(res, this.options.systemjsDir, p.slice('/systemjs/'.length));
    if (req.method === 'GET' && p.startsWith('/public/build/img/icons/')) return serveFile(res, this.options.iconsDir, p.slice('/public/build/img/icons/'.length));
    if (req.method === 'GET' && p.startsWith('/dist/')) return serveFile(res, this.options.distDir, p.slice('/dist/'.length));

    const settings = /^\/api\/datasources\/uid\/([^/]+)$/.exec(p);
    if (settings) {
      const uid = decodeURIComponent(settings[1]);
      const ds = this.dataSources.get(uid);
      if (!ds) return send(res, 404, JSON.stringify({ message: 'Data source not found' }));
      if (req.method === 'PUT') {
        const body = JSON.parse((await readBody(req)).toString() || '{}') as Partial<DataSourceConfig>;
        ds.name = body.name ?? ds.name;
        ds.jsonData = body.jsonData ?? {};
        // A secret sent replaces the stored one; one not sent is kept (the browser never had it); '' clears it.
        for (const [key, value] of Object.entries(body.secureJsonData ?? {})) ds.secureJsonData[key] = value;
      }
      return send(res, 200, JSON.stringify(this.view(uid)));
    }

    const proxy = /^\/api\/datasources\/proxy\/uid\/([^/]+)\/(.*)$/.exec(p);
    if (proxy) return this.proxy(req, res, decodeURIComponent(proxy[1]), proxy[2], url.search);
    return send(res, 404, JSON.stringify({ message: `not found: ${p}` }));
  }

  private async proxy(req: IncomingMessage, res: ServerResponse, uid: string, proxyPath: string, search: string): Promise<void> {
    const ds = this.dataSources.get(uid);
    const method = req.method ?? 'GET';
    if (!ds) return send(res, 404, JSON.stringify({ message: 'Unable to find datasource' }));
    const route = matchRoute(this.routes, proxyPath, method);
    // Grafana proxies a path no route matches to the data source's own URL; this plugin's data sources have none.
    if (!route) return send(res, 404, JSON.stringify({ message: `no plugin route matches ${proxyPath}` }));
    const applied = applyRoute(route, proxyPath, search, { JsonData: ds.jsonData, SecureJsonData: ds.secureJsonData });
    const record: ProxiedRequest = { method, proxyPath: proxyPath + search, uid, target: applied.url, headers: applied.headers, status: 0, atMs: Date.now() - this.started };
    this.proxied.push(record);

    const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req);
    const headers: Record<string, string> = { 'user-agent': 'Grafana/host-test', ...applied.headers };
    for (const name of ['content-type', 'accept']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const timeoutS = Number(ds.jsonData.timeout) > 0 ? Number(ds.jsonData.timeout) : (this.options.defaultTimeoutS ?? 30);
    // A browser that goes away (an unsubscribed query) closes the upstream request too, as Go's reverse proxy does.
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    let upstream: Response;
    try {
      upstream = await fetch(applied.url, {
        method,
        headers,
        body: body && body.length > 0 ? new Uint8Array(body) : undefined,
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutS * 1000)]),
        redirect: 'manual',
      });
    } catch (err) {
      record.status = 502;
      if (abort.signal.aborted) return;
      return send(res, 502, JSON.stringify({ message: `Bad Gateway: ${String(err)}` }));
    }
    const payload = Buffer.from(await upstream.arrayBuffer());
    record.status = upstream.status;
    if ((upstream.headers.get('content-type') ?? '').includes('json')) {
      try {
        const json = JSON.parse(payload.toString()) as { queryId?: string; state?: string };
        if (json && typeof json === 'object' && 'queryId' in json) record.answer = { queryId: json.queryId, state: json.state };
      } catch {
        // Not JSON after all: nothing to note.
      }
    }
    send(res, upstream.status, payload, upstream.headers.get('content-type') ?? 'application/octet-stream');
  }
}
