/**
 * Test fixture: sends batches through the sender the target picks (senders/index.ts) in a plain
 * Node process and prints one JSON line per batch (`{"ok":true}` or `{"kind","status","message"}`).
 * The official HTTP exporters load `http` with a dynamic import(), which jest's module runtime
 * refuses; plain Node (as in production) does not.
 * argv: target JSON, then the number of sends. Records come from stdin as JSON.
 */
import type { CdnLogRecord } from '../../core/record';
import type { OtlpTarget } from '../config';
import { senderFor } from '../senders';
import { batchOf } from './batches';

async function main(): Promise<void> {
  const target = JSON.parse(process.argv[3]) as OtlpTarget;
  const sends = Number(process.argv[4] ?? 1);
  const { records, observedMs } = JSON.parse(await readStdin()) as { records: CdnLogRecord[]; observedMs: number };
  const sender = senderFor(target);
  for (let i = 0; i < sends; i++) {
    const batch = batchOf(sender.batches, records, { 'service.name': 'cdn-test', 'deployment.environment.name': 'ci' }, observedMs);
    try {
      await sender.send(batch, new AbortController().signal);
      process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
    } catch (err) {
      const e = err as { kind?: string; status?: number; message?: string };
      process.stdout.write(`${JSON.stringify({ kind: e.kind, status: e.status, message: e.message })}\n`);
    }
  }
  await sender.shutdown();
}

function readStdin(): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    process.stdin.on('data', (chunk) => (text += chunk));
    process.stdin.on('end', () => resolve(text));
  });
}

void main();
