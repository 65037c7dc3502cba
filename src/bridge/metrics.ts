/**
 * The bridge's Prometheus metrics (prom-client, its own registry): requests and their latency,
 * errors by kind, provider calls and bytes, windows from the cache or downloaded, queries running.
 * Labels hold route templates, provider ids and kinds only: never a source, a value or a credential.
 */

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export class BridgeMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({ name: 'cdn_bridge_http_requests_total', help: 'HTTP requests answered, by route template, method and status', labelNames: ['route', 'method', 'status'], registers: [this.registry] });
  readonly httpLatency = new Histogram({
    name: 'cdn_bridge_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route template',
    labelNames: ['route'],
    buckets: [0.005, 0.02, 0.1, 0.5, 1, 2.5, 5, 10, 20, 30],
    registers: [this.registry],
  });
  readonly errors = new Counter({ name: 'cdn_bridge_errors_total', help: 'Queries and checks that failed, by error kind', labelNames: ['kind'], registers: [this.registry] });
  readonly providerRequests = new Counter({ name: 'cdn_bridge_provider_requests_total', help: 'Requests sent to providers (listings, pages, packages)', labelNames: ['provider'], registers: [this.registry] });
  readonly providerBytes = new Counter({ name: 'cdn_bridge_provider_bytes_total', help: 'Bytes received from providers, compressed as sent', labelNames: ['provider'], registers: [this.registry] });
  readonly windows = new Counter({
    name: 'cdn_bridge_windows_total',
    help: 'Windows read, by where their records came from: cache (a hit), download (a miss), shared (joined another query\'s download)',
    labelNames: ['provider', 'source'],
    registers: [this.registry],
  });
  readonly answersFromMemory = new Counter({ name: 'cdn_bridge_answers_from_memory_total', help: 'Queries over settled ranges answered from the answers kept in memory', registers: [this.registry] });
  readonly queriesRunning = new Gauge({ name: 'cdn_bridge_queries_running', help: 'Queries running now', registers: [this.registry] });
  readonly queryDuration = new Histogram({
    name: 'cdn_bridge_query_duration_seconds',
    help: 'Time from a query\'s start to its end, by provider, mode and final state',
    labelNames: ['provider', 'mode', 'state'],
    buckets: [0.05, 0.25, 1, 5, 15, 30, 60, 120, 300],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'cdn_bridge_' });
  }
}
