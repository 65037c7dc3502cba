/**
 * Part (b) of the exporter benchmark, run in a fresh process per window (`node bin/run-ts.js
 * bench/export-window.ts '<json>'`): exports one Cloudflare window through the exporter's real path
 * (runQuery over the replay server, deliverWindow, the sender `otlp.encoder` picks) to the bench's
 * OTLP sink, then prints one JSON line: records, batches, wall and CPU time, and the process's peak
 * RSS (process.resourceUsage().maxRSS) with, for the report, the peak V8 heap seen between batches.
 */

import { performance } from 'node:perf_hooks';
import { parseQuery } from '../src/core/query';
import type { OtlpEncoder } from '../src/exporter/config';
import { deliverWindow } from '../src/exporter/delivery';
import { senderFor } from '../src/exporter/senders';
import { cloudflare } from '../src/providers/cloudflare';
import { runQuery } from '../src/providers/run';
import { HttpClient } from '../src/transport/http';

export interface WindowJob {
  replayBaseUrl: string;
  sinkUrl: string;
  zone: string;
  fromMs: number;
  toMs: number;
  encoder: OtlpEncoder;
}

export interface WindowResult {
  records: number;
  batches: number;
  wallMs: number;
  cpuMs: number;
  maxRssBytes: number;
  peakHeapBytes: number;
}

async function main(): Promise<void> {
  // argv: node, bin/run-ts.js, this file, the job.
  const job = JSON.parse(process.argv[3]) as WindowJob;
  const window = { fromMs: job.fromMs, toMs: job.toMs };
  const http = new HttpClient();
  const sender = senderFor({ kind: 'otlp', endpoint: job.sinkUrl, protocol: 'http/protobuf', headers: {}, compression: 'gzip', timeoutMs: 60_000, encoder: job.encoder });
  const started = performance.now();
  const cpu = process.cpuUsage();
  let peakHeapBytes = 0;
  const run = runQuery(cloudflare, { token: 'replay-token' }, parseQuery({ provider: 'cloudflare', source: { zone: job.zone }, ...window }), {
    http,
    baseUrl: job.replayBaseUrl,
    unlimited: true,
  });
  const outcome = await deliverWindow(run.records, window, {
    sender,
    resource: { 'service.name': 'cdn-log-bridge-bench' },
    nowMs: Date.now,
    signal: new AbortController().signal,
    onBatch: () => {
      peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
    },
  });
  const used = process.cpuUsage(cpu);
  const result: WindowResult = {
    records: outcome.records,
    batches: outcome.batches,
    wallMs: performance.now() - started,
    cpuMs: (used.user + used.system) / 1000,
    // maxRSS is in kilobytes.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    peakHeapBytes,
  };
  await sender.shutdown();
  await http.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
