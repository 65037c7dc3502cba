/**
 * `node bin/run-ts.js bench/exporter.bench.ts`: what the exporter's delivery costs beside the stock
 * OpenTelemetry pipeline (issue 10).
 * (a) Records/s of one hour of Cloudflare records (~100k), gzip NDJSON to OTLP protobuf+gzip that a
 *     loopback receiver accepts. OURS is the exporter's real path: runQuery over the replayed hour →
 *     deliverWindow → the http/protobuf sender the configuration picks by default (`otlp.encoder:
 *     fast`). STOCK reads the same hour with the same adapter and mapping, then emits every record
 *     through `LoggerProvider` + `BatchLogRecordProcessor` (queue as large as the hour, so nothing
 *     drops; forceFlush at the end) + `OTLPLogExporter` of exporter-logs-otlp-proto with gzip. Both
 *     must land the same number of records (checked every pass; the official protobuf definitions
 *     decode every request of each side's first pass). Goal: OURS ≥ 2× STOCK.
 *     Also timed, for the record: OURS with `otlp.encoder: official` (the official exporter driven
 *     batch by batch), which shows what the encoder alone is worth.
 * (b) Peak RSS exporting one ~100 MB and one ~1 GB window (uncompressed NDJSON) through OURS, each
 *     in a fresh child process (bench/export-window.ts). Goal: the same within 20 %.
 *
 * The receiver (bench/otlp-sink.ts) runs in a child process: gunzipping and counting what arrives is
 * then billed to neither side, and process.cpuUsage() of this process is the CPU the exporting side
 * spent (main thread, GC and the zlib threads alike); records per CPU-second is the per-core rate.
 * Wall-clock rates are printed too, but on two shared cores the sink competes with them. The hour is
 * recorded once from the Cloudflare emulator and replayed by a static server in this process (cheap,
 * and the same for both sides), so the emulator's generation time is billed to neither side; the
 * (b) bodies are generated once into temp files and streamed from disk. Medians of alternating
 * rounds; nothing asserts on a time. `BENCH_PART=a` (or `b`) runs one part only.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, gunzipSync } from 'node:zlib';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { request } from 'undici';
import { parseQuery } from '../src/core/query';
import { HOUR_MS, MINUTE_MS } from '../src/core/time';
import { startCloudflareEmulator } from '../src/emulators';
import { cloudflareWireFields, serializeCloudflareRecord } from '../src/emulators/cloudflare/fields';
import { TrafficGenerator } from '../src/emulators/traffic';
import type { OtlpEncoder } from '../src/exporter/config';
import { deliverWindow } from '../src/exporter/delivery';
import { mapRecord, resourceOf } from '../src/exporter/mapping';
import { senderFor } from '../src/exporter/senders';
import { SCOPE } from '../src/exporter/senders/official';
import { cloudflare } from '../src/providers/cloudflare';
import { CLOUDFLARE_RECORD_FIELDS } from '../src/providers/cloudflare/limits';
import { runQuery } from '../src/providers/run';
import { HttpClient } from '../src/transport/http';
import type { WindowJob, WindowResult } from './export-window';
import { BENCH_ZONE } from './fixtures';
import { compare, type Pass, spread } from './measure';
import type { SinkStats } from './otlp-sink';

const ROUNDS = 5;
/** `BENCH_PART=a` or `b` runs that part alone; unset, both. */
const PART = process.env.BENCH_PART ?? 'ab';
const RUN_TS = path.join(__dirname, '..', 'bin', 'run-ts.js');
const BASE_RESOURCE = { 'service.name': 'cdn-log-bridge-bench' };
/** Uncompressed NDJSON per (b) window (one Cloudflare hour; the request rate is set to give about that much). */
const RSS_WINDOWS = [
  { label: '100 MB', rawBytes: 100e6 },
  { label: '1 GB', rawBytes: 1e9 },
];

/** The OTLP sink child: its URL, and its counters. */
interface Sink {
  url: string;
  reset(verify: boolean): Promise<void>;
  stats(): Promise<SinkStats>;
  close(): void;
}

async function startSink(): Promise<Sink> {
  const child: ChildProcess = spawn(process.execPath, [RUN_TS, path.join(__dirname, 'otlp-sink.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const origin = `http://127.0.0.1:${(JSON.parse(line.toString().split('\n')[0]) as { port: number }).port}`;
  return {
    url: `${origin}/v1/logs`,
    reset: async (verify) => {
      const res = await request(`${origin}/reset?verify=${verify ? 1 : 0}`, { method: 'POST' });
      await res.body.dump();
    },
    stats: async () => (await (await request(`${origin}/stats`)).body.json()) as SinkStats,
    close: () => child.stdin!.end(),
  };
}

/** The replay: every `logs/received` request gets the current body, from memory or streamed from a file. */
async function startReplay(): Promise<{ baseUrl: string; serve(body: Buffer | string): void; close(): void }> {
  let current: Buffer | string = Buffer.alloc(0);
  const server = createServer((req, res) => {
    if (!(req.url ?? '').includes('/logs/received')) return void res.writeHead(404).end();
    const body = current;
    if (typeof body !== 'string') return void res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': body.length }).end(body);
    void stat(body).then((s) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': s.size });
      createReadStream(body).pipe(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`,
    serve: (body) => {
      current = body;
    },
    close: () => server.close(),
  };
}

/** One Cloudflare line per event, as `logs/received?fields=<record fields>&timestamps=unixnano` answers. */
function wireLine(event: Parameters<typeof cloudflareWireFields>[0]): string {
  return `${serializeCloudflareRecord(cloudflareWireFields(event, BENCH_ZONE, CLOUDFLARE_RECORD_FIELDS, 'unixnano'))}\n`;
}

/** Writes an hour of generated traffic as a gzip NDJSON file, a minute at a time; returns its size uncompressed. */
async function writeWindowBody(file: string, hour: { fromMs: number; toMs: number }, rpm: number): Promise<{ records: number; rawBytes: number }> {
  const generator = new TrafficGenerator({ seed: 11, rpm });
  const gzip = createGzip();
  const writing = pipeline(gzip, createWriteStream(file));
  let records = 0;
  let rawBytes = 0;
  for (let minute = hour.fromMs; minute < hour.toMs; minute += MINUTE_MS) {
    const events = generator.events(BENCH_ZONE.id, BENCH_ZONE.hosts, minute, minute + MINUTE_MS);
    const text = events.map(wireLine).join('');
    records += events.length;
    rawBytes += Buffer.byteLength(text);
    if (!gzip.write(text)) await once(gzip, 'drain');
  }
  gzip.end();
  await writing;
  return { records, rawBytes };
}

function exportWindowInChild(job: WindowJob): Promise<WindowResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [RUN_TS, path.join(__dirname, 'export-window.ts'), JSON.stringify(job)], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`export-window failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() as string) as WindowResult);
    });
  });
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

async function main(): Promise<void> {
  const hourEnd = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS;
  const hour = { fromMs: hourEnd - HOUR_MS, toMs: hourEnd };
  const sink = await startSink();
  const replay = await startReplay();
  const http = new HttpClient();
  const tmp = await mkdtemp(path.join(tmpdir(), 'exporter-bench-'));
  try {
    // One hour from the emulator, recorded once.
    const emulator = await startCloudflareEmulator({ rpm: 1_700, seed: 5, perZoneRpmLimit: 100_000, perUserRpmLimit: 100_000 });
    const zone = emulator.zones[0].id;
    const recordedRes = await request(
      `${emulator.baseUrl}/zones/${zone}/logs/received?start=${new Date(hour.fromMs).toISOString()}&end=${new Date(hour.toMs).toISOString()}&timestamps=unixnano&fields=${CLOUDFLARE_RECORD_FIELDS.join(',')}`,
      { headers: { authorization: `Bearer ${emulator.credentials.apiToken}`, 'accept-encoding': 'gzip' } },
    );
    const recorded = Buffer.from(await recordedRes.body.arrayBuffer());
    await emulator.close();
    if (PART.includes('a')) await partA(sink, replay, http, hour, zone, recorded);
    if (PART.includes('b')) await partB(sink, replay, tmp, hour, recorded);
  } finally {
    await http.close();
    replay.close();
    sink.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

type Replay = Awaited<ReturnType<typeof startReplay>>;
type Hour = { fromMs: number; toMs: number };

/** (a) Records per CPU-second of the recorded hour, ours against the stock pipeline. */
async function partA(sink: Sink, replay: Replay, http: HttpClient, hour: Hour, zone: string, recorded: Buffer): Promise<void> {
  replay.serve(recorded);

  const query = parseQuery({ provider: 'cloudflare', source: { zone }, ...hour });
  const read = () => runQuery(cloudflare, { token: 'replay-token' }, query, { http, baseUrl: replay.baseUrl, unlimited: true }).records;
  let records = 0;
  for await (const batch of read()) records += batch.length;

  /** What the sink counted for a pass; throws when it is not the whole hour. */
  const accepted = async (what: string, verify: boolean): Promise<number> => {
    const stats = await sink.stats();
    if (stats.records !== records) throw new Error(`${what}: the receiver accepted ${stats.records} records, the hour holds ${records}`);
    if (verify && (stats.verifiedRecords !== records || stats.mismatches > 0)) {
      throw new Error(`${what}: the official decoder read ${stats.verifiedRecords} records (${stats.mismatches} requests disagreeing with the count)`);
    }
    return stats.records;
  };

  const ours = (encoder: OtlpEncoder, verify = false): Pass => async () => {
    await sink.reset(verify);
    const sender = senderFor({ kind: 'otlp', endpoint: sink.url, protocol: 'http/protobuf', headers: {}, compression: 'gzip', timeoutMs: 60_000, encoder });
    const outcome = await deliverWindow(read(), hour, { sender, resource: BASE_RESOURCE, nowMs: Date.now, signal: new AbortController().signal });
    await sender.shutdown();
    if (outcome.records !== records) throw new Error(`ours (${encoder}) delivered ${outcome.records} records of ${records}`);
    return accepted(`ours (${encoder})`, verify);
  };

  const stock = (verify = false): Pass => async () => {
    await sink.reset(verify);
    const exporter = new OTLPLogExporter({ url: sink.url, compression: CompressionAlgorithm.GZIP, timeoutMillis: 60_000 });
    const processor = new BatchLogRecordProcessor({ exporter, maxQueueSize: records });
    const provider = new LoggerProvider({ resource: resourceFromAttributes(resourceOf({ provider: 'cloudflare', source: zone }, BASE_RESOURCE)), processors: [processor] });
    const logger = provider.getLogger(SCOPE.name, SCOPE.version);
    for await (const chunk of read()) {
      const observedMs = Date.now();
      for (const record of chunk) {
        const log = mapRecord(record, observedMs);
        logger.emit({ timestamp: record.timestamp, observedTimestamp: observedMs, severityNumber: log.severityNumber, severityText: log.severityText, body: log.body, attributes: log.attributes });
      }
    }
    await provider.forceFlush();
    await provider.shutdown();
    return accepted('stock', verify);
  };

  /** Keeps each pass's CPU time (this process: main thread, GC, zlib threads). */
  const withCpu = (pass: Pass, seconds: number[]): Pass => async () => {
    const before = process.cpuUsage();
    const n = await pass();
    const used = process.cpuUsage(before);
    seconds.push((used.user + used.system) / 1e6);
    return n;
  };

  console.log(
    `Node ${process.version}; (a) one hour of ${records.toLocaleString('en-US')} Cloudflare records (${(recorded.length / 1e6).toFixed(1)} MB gzip), replayed from loopback, to an OTLP/HTTP receiver in a child process; ${ROUNDS} rounds, medians`,
  );
  // The first pass of each side is checked by the official decoder, and warms the JIT.
  await ours('fast', true)();
  const oursTotals = await sink.stats();
  await ours('official', true)();
  await stock(true)();
  const stockTotals = await sink.stats();

  const cpuOurs: number[] = [];
  const cpuStock: number[] = [];
  const headline = await compare({ name: 'exporter', full: withCpu(ours('fast'), cpuOurs), bare: withCpu(stock(), cpuStock), records, warmupRounds: 0, rounds: ROUNDS });
  const cpuOfficial: number[] = [];
  const cpuStock2: number[] = [];
  const official = await compare({ name: 'official encoder', full: withCpu(ours('official'), cpuOfficial), bare: withCpu(stock(), cpuStock2), records, warmupRounds: 0, rounds: ROUNDS });

  const perCpu = (seconds: number[]) => seconds.map((s) => records / s);
  const ratios = (a: number[], b: number[]) => spread(a.map((x, i) => x / b[i]));
  const line = (label: string, wall: number[], cpu: number[]) =>
    `    ${label.padEnd(34)} ${spread(wall).median.toFixed(0).padStart(7)} records/s  ${spread(perCpu(cpu)).median.toFixed(0).padStart(7)} records per CPU-s`;
  console.log(line('stock pipeline', headline.bareRecordsPerSec, cpuStock));
  console.log(line('ours (otlp.encoder: fast, default)', headline.fullRecordsPerSec, cpuOurs));
  console.log(line('ours (otlp.encoder: official)', official.fullRecordsPerSec, cpuOfficial));
  const wallRatio = ratios(headline.fullRecordsPerSec, headline.bareRecordsPerSec);
  const cpuRatio = ratios(perCpu(cpuOurs), perCpu(cpuStock));
  const officialCpuRatio = ratios(perCpu(cpuOfficial), perCpu(cpuStock2));
  const officialWallRatio = ratios(official.fullRecordsPerSec, official.bareRecordsPerSec);
  console.log(`(a) ours / stock: ${cpuRatio.median.toFixed(2)}x per CPU-s (${cpuRatio.min.toFixed(2)}–${cpuRatio.max.toFixed(2)}), ${wallRatio.median.toFixed(2)}x wall (${wallRatio.min.toFixed(2)}–${wallRatio.max.toFixed(2)})  goal ≥ 2x`);
  console.log(`    with otlp.encoder: official: ${officialCpuRatio.median.toFixed(2)}x per CPU-s (${officialCpuRatio.min.toFixed(2)}–${officialCpuRatio.max.toFixed(2)}), ${officialWallRatio.median.toFixed(2)}x wall`);
  console.log(
    `    every request of each side's first pass read back by the official decoder; largest request: ours ${oursTotals.maxRecords} records, ${(oursTotals.maxProtobufBytes / 2 ** 20).toFixed(2)} MiB protobuf (of ${oursTotals.requests}); stock ${stockTotals.maxRecords} records (of ${stockTotals.requests})`,
  );
}

/** (b) Peak RSS of one window, ~100 MB and ~1 GB of NDJSON, each exported in a fresh process. */
async function partB(sink: Sink, replay: Replay, tmp: string, hour: Hour, recorded: Buffer): Promise<void> {
  // What still grows with the window: readResumable's table of the ids delivered so far
  // (src/providers/id-counts.ts, 9 bytes a slot: ~19 MB for 1.3 million records), kept so that a
  // retried read can skip them.
  const ndjson = gunzipSync(recorded).toString();
  const bytesPerRecord = Buffer.byteLength(ndjson) / ndjson.split('\n').filter((line) => line !== '').length;
  const results: Array<{ label: string; rawBytes: number; result: WindowResult }> = [];
  for (const w of RSS_WINDOWS) {
    const file = path.join(tmp, `${w.label.replace(' ', '')}.ndjson.gz`);
    const rpm = Math.round(w.rawBytes / bytesPerRecord / 60);
    const body = await writeWindowBody(file, hour, rpm);
    replay.serve(file);
    await sink.reset(false);
    const result = await exportWindowInChild({ replayBaseUrl: replay.baseUrl, sinkUrl: sink.url, zone: BENCH_ZONE.id, ...hour, encoder: 'fast' });
    const stats = await sink.stats();
    if (result.records !== body.records || stats.records !== body.records) throw new Error(`(b) ${w.label}: ${body.records} records generated, ${result.records} delivered, ${stats.records} accepted`);
    await rm(file, { force: true });
    results.push({ label: w.label, rawBytes: body.rawBytes, result });
    console.log(
      `(b) ${w.label.padEnd(7)} window: ${mb(body.rawBytes)} NDJSON, ${body.records.toLocaleString('en-US')} records in ${result.batches} batches (largest: ${stats.maxRecords} records, ${(stats.maxProtobufBytes / 2 ** 20).toFixed(2)} MiB protobuf): peak RSS ${mb(result.maxRssBytes)}, peak heap ${mb(result.peakHeapBytes)}, ${(result.records / (result.cpuMs / 1000)).toFixed(0)} records per CPU-s`,
    );
  }
  const [small, large] = results;
  const growth = large.result.maxRssBytes / small.result.maxRssBytes - 1;
  console.log(`    1 GB vs 100 MB peak RSS: ${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(0)} %  goal within 20 %`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
