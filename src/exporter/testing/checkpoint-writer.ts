/**
 * Test fixture (checkpoint.test.ts): saves ever later checkpoints of one source as fast as it can
 * and prints each endMs once durable, until it is killed. Run with bin/run-ts.js.
 */
import { CheckpointStore } from '../checkpoint';

const [dir] = process.argv.slice(3);
const store = new CheckpointStore(dir);
const identity = { provider: 'cloudflare' as const, account: 'acct', source: 'zone-a', dataset: 'http_requests' };

async function main(): Promise<void> {
  for (let endMs = 1_000; ; endMs += 1_000) {
    // A payload of some size, so a kill can land in the middle of a write.
    const packages = Array.from({ length: 200 }, (_, i) => ({ key: `pkg-${endMs}-${i}`, sizeBytes: i, fromMs: endMs }));
    await store.save({ identity, lane: 'live', endMs, packages, savedAtMs: endMs });
    process.stdout.write(`${endMs}\n`);
  }
}

void main();
