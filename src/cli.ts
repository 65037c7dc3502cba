import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_BRIDGE_PORT, type RunningBridge, startBridge } from './bridge/server';
import { isCdnLogError } from './core/errors';
import { visibleText } from './core/printable';
import { emulateCommand, startFromArgs, untilStopped } from './cli/emulate';
import { backfillCommand } from './cli/backfill';
import { exportCommand } from './cli/export';
import { sourcesCommand } from './cli/sources';
import { demoCommand, demoExporterConfig } from './cli/demo';
import { parseExporterConfig } from './exporter/config';
import { EXIT, exitCodeFor } from './cli/exit-codes';
import { type CliIo, queryCommand } from './cli/query';
import { curlExample, exporterInBridge, serveCommand } from './cli/serve';

const HELP = `cdn-log-bridge: CDN and edge logs from Gcore, Cloudflare, Tencent DSA, Tencent EdgeOne and NAVER ELSA as one stream.

Commands:
  query     read one range of one source and print records   (cdn-log-bridge query --help)
  serve     run the bridge, the HTTP API for Grafana           (cdn-log-bridge serve --help)
  export    deliver sources to an OTLP endpoint, checkpointed  (cdn-log-bridge export --help)
  sources   checkpoint, lag and health of each exported source (cdn-log-bridge sources --help)
  backfill  deliver one range of one source, beside export     (cdn-log-bridge backfill --help)
  emulate   run the provider emulators on loopback             (cdn-log-bridge emulate --help)
  demo      what npm start runs: the emulators and the bridge in demo mode, and how to query them`;

const DEMO_HELP = `Usage: cdn-log-bridge demo [--provider <id>]... [--port N] [--rpm N] [--seed N]

What npm start runs: the emulators (options as for emulate) and the bridge in demo mode on
${DEFAULT_BRIDGE_PORT} (or a free port when that one is taken), with a made-up token (or
CDN_LOG_BRIDGE_TOKEN), then ready-to-paste query and curl commands.`;

async function runDemo(argv: string[], io: CliIo): Promise<number> {
  const emulators = await startFromArgs(argv);
  if (!emulators) return (io.stdout(DEMO_HELP + '\n'), EXIT.ok);
  let bridge: RunningBridge;
  const token = io.env.CDN_LOG_BRIDGE_TOKEN || randomBytes(24).toString('hex');
  // A cache of its own, removed at exit: two demos never share one, and none is left behind.
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'cdn-log-bridge-demo-'));
  // The exporter of every emulator's first source, into ./data/otlp (or the OTLP endpoint of the environment).
  const exporterConfig = parseExporterConfig(demoExporterConfig(emulators.describe()), 'the demo exporter configuration', io.env);
  const exporter = exporterInBridge(exporterConfig);
  const bridgeOptions = { token, demo: emulators, cacheDir, logLevel: 'warn', logDestination: process.stderr, exporter };
  try {
    bridge = await startBridge({ ...bridgeOptions, port: DEFAULT_BRIDGE_PORT });
  } catch (err) {
    // Another bridge (or anything) on 8787: the demo takes a free port rather than fail.
    if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
    bridge = await startBridge({ ...bridgeOptions, port: 0 });
  }
  const described = emulators.describe();
  for (const line of described) io.stdout(JSON.stringify(line) + '\n');
  io.stdout(
    '\nThe emulators serve synthetic traffic with demo credentials (no account needed). In another terminal, try:\n' +
      described.map((d) => `  ${demoCommand(d)}\n`).join('') +
      `\nThe bridge (demo mode: requests without credentials use the emulators' demo accounts) is at ${bridge.url}\n` +
      `bridge token: ${token}\n` +
      `  ${curlExample(bridge.url, token, { provider: 'cloudflare', from: '-30m', to: '-2m', limit: 5 })}\n` +
      `  ${curlExample(bridge.url, token, { provider: 'gcore', from: '-2h', mode: 'stats', groupBy: 'statusClass', intervalMs: 600000 })}\n` +
      `\nThe exporter delivers every emulator's records as OTLP logs to ${exporterConfig.target.kind === 'files' ? `${exporterConfig.target.dir} (OTLP/JSON lines; set OTEL_EXPORTER_OTLP_ENDPOINT to send them to a collector)` : 'the OTLP endpoint of OTEL_EXPORTER_OTLP_ENDPOINT'}, checkpoints in ${exporterConfig.stateDir}:\n` +
      `  curl -s -H 'Authorization: Bearer ${token}' ${bridge.url}/api/v1/exporter\n` +
      'Ctrl-C stops.\n',
  );
  await untilStopped();
  await bridge.close();
  await emulators.close();
  await rm(cacheDir, { recursive: true, force: true });
  return 0;
}

/** The one command. Returns the exit code; prints one line, never a stack trace, on bad input. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'query':
        return await queryCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case 'export':
        return await exportCommand(rest, io);
      case 'sources':
        return await sourcesCommand(rest, io);
      case 'backfill':
        return await backfillCommand(rest, io);
      case 'emulate':
        return await emulateCommand(rest, io);
      case 'demo':
        return await runDemo(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(HELP + '\n');
        return EXIT.ok;
      default:
        io.stderr(`cdn-log-bridge: unknown command "${command}"; commands: query, serve, export, sources, backfill, emulate, demo\n`);
        return EXIT.badInput;
    }
  } catch (err) {
    const code = exitCodeFor(err);
    const message = isCdnLogError(err) ? err.message : `unexpected error: ${(err as Error)?.message ?? String(err)}`;
    io.stderr(`cdn-log-bridge: ${visibleText(message)}\n`);
    if (!isCdnLogError(err) && io.env.DEBUG) io.stderr(`${(err as Error)?.stack}\n`);
    return code;
  }
}

export function processIo(): CliIo {
  // `cdn-log-bridge query ... | head` closes stdout early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  return {
    stdout: (text) => process.stdout.write(text),
    drained: () => new Promise((resolve) => process.stdout.once('drain', () => resolve())),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    nowMs: Date.now,
    interactive: Boolean(process.stderr.isTTY),
  };
}
