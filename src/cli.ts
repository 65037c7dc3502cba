import { isCdnLogError } from './core/errors';
import { visibleText } from './core/printable';
import { emulateCommand, startFromArgs, untilStopped } from './cli/emulate';
import { demoCommand } from './cli/demo';
import { EXIT, exitCodeFor } from './cli/exit-codes';
import { type CliIo, queryCommand } from './cli/query';

const HELP = `cdn-log-bridge: CDN and edge logs from Gcore, Cloudflare, Tencent DSA, Tencent EdgeOne and NAVER ELSA as one stream.

Commands:
  query     read one range of one source and print records   (cdn-log-bridge query --help)
  emulate   run the provider emulators on loopback             (cdn-log-bridge emulate --help)
  demo      what npm start runs: the emulators, and how to query them`;

async function runDemo(argv: string[], io: CliIo): Promise<number> {
  const emulators = await startFromArgs(argv);
  if (!emulators) return (io.stdout(HELP + "\n"), EXIT.ok);
  const described = emulators.describe();
  for (const line of described) io.stdout(JSON.stringify(line) + '\n');
  io.stdout(
    '\nThe emulators serve synthetic traffic with demo credentials (no account needed). In another terminal, try:\n' +
      described.map((d) => `  ${demoCommand(d)}\n`).join('') +
      'The bridge and the exporter join this demo as they land. Ctrl-C stops.\n',
  );
  await untilStopped();
  await emulators.close();
  return 0;
}


/** The one command. Returns the exit code; prints one line, never a stack trace, on bad input. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'query':
        return await queryCommand(rest, io);
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
        io.stderr(`cdn-log-bridge: unknown command "${command}"; commands: query, emulate, demo\n`);
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
