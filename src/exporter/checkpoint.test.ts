import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isCdnLogError } from '../core/errors';
import { CANARY } from '../testing/hostile-suite';
import {
  accountHash,
  backfillLane,
  type Checkpoint,
  checkpointFileName,
  CheckpointStore,
  type CheckpointFs,
  nodeCheckpointFs,
  type SourceIdentity,
} from './checkpoint';

const IDENTITY: SourceIdentity = { provider: 'cloudflare', account: accountHash('acct-1'), source: 'zone-a', dataset: 'http_requests' };

function checkpoint(endMs: number, extra: Partial<Checkpoint> = {}): Checkpoint {
  return { identity: IDENTITY, lane: 'live', endMs, packages: [], savedAtMs: endMs + 5, ...extra };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpoint-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('CheckpointStore', () => {
  it('has no checkpoint for a new source, then returns what was saved', async () => {
    const store = new CheckpointStore(dir);
    expect(await store.load(IDENTITY)).toBeNull();
    const saved = checkpoint(1_764_000_000_000, { packages: [{ key: 'h1|2026112210', sizeBytes: 1234, fromMs: 1_764_000_000_000 }] });
    await store.save(saved);
    expect(await new CheckpointStore(dir).load(IDENTITY)).toEqual(saved);
  });

  it('keys by source identity only: another dataset, account or lane is another cursor', async () => {
    const store = new CheckpointStore(dir);
    await store.save(checkpoint(1000));
    expect(await store.load({ ...IDENTITY, dataset: 'l7' })).toBeNull();
    expect(await store.load({ ...IDENTITY, account: accountHash('acct-2') })).toBeNull();
    expect(await store.load(IDENTITY, backfillLane(0, 10))).toBeNull();
    await store.save(checkpoint(5, { lane: backfillLane(0, 10) }));
    expect((await store.load(IDENTITY))?.endMs).toBe(1000);
    expect((await store.load(IDENTITY, backfillLane(0, 10)))?.endMs).toBe(5);
    expect(checkpointFileName(IDENTITY, 'live')).toMatch(/^cloudflare-[0-9a-f]{32}\.json$/);
  });

  it('serialises saves of one source: the last save wins', async () => {
    const store = new CheckpointStore(dir);
    await Promise.all([1, 2, 3, 4, 5].map((n) => store.save(checkpoint(n * 1000))));
    expect((await store.load(IDENTITY))?.endMs).toBe(5000);
    expect(fs.readdirSync(dir)).toEqual([checkpointFileName(IDENTITY, 'live')]);
  });

  it('keeps the old value when a save dies between writing the temp file and the rename', async () => {
    await new CheckpointStore(dir).save(checkpoint(1000));
    const crashing: CheckpointFs = { ...nodeCheckpointFs, rename: async () => Promise.reject(new Error('killed before rename')) };
    await expect(new CheckpointStore(dir, { fs: crashing }).save(checkpoint(2000))).rejects.toThrow('killed before rename');
    expect((await new CheckpointStore(dir).load(IDENTITY))?.endMs).toBe(1000);
  });

  it('ignores a torn temp file a killed process left behind, and removes it before its first save', async () => {
    await new CheckpointStore(dir).save(checkpoint(1000));
    const target = path.join(dir, checkpointFileName(IDENTITY, 'live'));
    // A pid no process has (above the kernel's pid_max).
    const torn = `${target}.99999999.1.tmp`;
    fs.writeFileSync(torn, '{"format":"cdn-log-bridge.checkpoint/1","identity":{"provider":"cloud');
    const store = new CheckpointStore(dir);
    expect((await store.load(IDENTITY))?.endMs).toBe(1000);
    await store.save(checkpoint(2000));
    expect(fs.existsSync(torn)).toBe(false);
  });

  it('never removes the temp file of a save another live process has in flight (a reader beside the exporter)', async () => {
    const target = path.join(dir, checkpointFileName(IDENTITY, 'live'));
    const inFlight = `${target}.${process.ppid}.7.tmp`;
    fs.writeFileSync(inFlight, '{"partial":');
    const reader = new CheckpointStore(dir);
    await reader.loadAll();
    await reader.save(checkpoint(3000));
    expect(fs.existsSync(inFlight)).toBe(true);
  });

  it('refuses a torn or foreign checkpoint file instead of restarting from the configured start', async () => {
    const target = path.join(dir, checkpointFileName(IDENTITY, 'live'));
    fs.writeFileSync(target, '{"format":"cdn-log-bridge.checkpoint/1","identity":{"prov');
    const err = await new CheckpointStore(dir).load(IDENTITY).catch((e: unknown) => e);
    expect(isCdnLogError(err, 'BadInput')).toBe(true);
    expect((err as Error).message).toContain(target);
    expect((err as Error).message).toContain('delete it to start the source from its configured start');

    // A valid file of another source copied over this one's name.
    const other = new CheckpointStore(fs.mkdtempSync(path.join(os.tmpdir(), 'checkpoint-other-')));
    await other.save(checkpoint(7, { identity: { ...IDENTITY, source: 'zone-b' } }));
    fs.copyFileSync(path.join(other.dir, checkpointFileName({ ...IDENTITY, source: 'zone-b' }, 'live')), target);
    await expect(new CheckpointStore(dir).load(IDENTITY)).rejects.toThrow(/belongs to cloudflare source zone-b/);
    fs.rmSync(other.dir, { recursive: true, force: true });
  });

  it('refuses to save a value no load could read back (a negative or fractional end)', async () => {
    const store = new CheckpointStore(dir);
    await expect(store.save(checkpoint(-1))).rejects.toThrow(/invalid checkpoint/);
    await expect(store.save(checkpoint(1.5))).rejects.toThrow(/invalid checkpoint/);
    expect(await store.load(IDENTITY)).toBeNull();
  });

  it('never writes a credential: the account is a hash', async () => {
    const identity = { ...IDENTITY, account: accountHash(CANARY.CLOUDFLARE_API_TOKEN) };
    await new CheckpointStore(dir).save(checkpoint(1000, { identity }));
    const text = fs.readFileSync(path.join(dir, checkpointFileName(identity, 'live')), 'utf8');
    expect(text).toContain('"endMs":1000');
    for (let i = 0; i + 8 <= CANARY.CLOUDFLARE_API_TOKEN.length; i++) expect(text).not.toContain(CANARY.CLOUDFLARE_API_TOKEN.slice(i, i + 8));
  });

  it('lists every checkpoint and names an unreadable one', async () => {
    const store = new CheckpointStore(dir);
    await store.save(checkpoint(1000));
    fs.writeFileSync(path.join(dir, 'gcore-broken.json'), 'nope');
    const all = await new CheckpointStore(dir).loadAll();
    expect(all).toHaveLength(2);
    expect(all.find((c) => 'endMs' in c)).toMatchObject({ endMs: 1000 });
    expect(all.find((c) => 'error' in c)).toMatchObject({ file: path.join(dir, 'gcore-broken.json') });
  });

  it('survives SIGKILL at random points of a save loop: the file always holds a value that was saved, never less than the last one reported durable', async () => {
    const runTs = path.join(__dirname, '..', '..', 'bin', 'run-ts.js');
    const writer = path.join(__dirname, 'testing', 'checkpoint-writer.ts');
    for (let kill = 0; kill < 4; kill++) {
      const child = spawn(process.execPath, [runTs, writer, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      let durable = 0;
      let out = '';
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const lines = out.split('\n');
          out = lines.pop() ?? '';
          for (const line of lines) durable = Math.max(durable, Number(line));
          // Kill once some saves are done, at a point that varies with the machine's timing.
          if (durable >= 3_000 + kill * 7_000) child.kill('SIGKILL');
        });
        child.on('exit', () => resolve());
      });
      const loaded = await new CheckpointStore(dir).load({ provider: 'cloudflare', account: 'acct', source: 'zone-a', dataset: 'http_requests' });
      expect(loaded).not.toBeNull();
      expect(loaded!.endMs % 1000).toBe(0);
      expect(loaded!.endMs).toBeGreaterThanOrEqual(durable);
      expect(loaded!.packages).toHaveLength(200);
      expect(loaded!.packages[0].key).toBe(`pkg-${loaded!.endMs}-0`);
      // A kill between the temp file's write and its rename leaves that temp file (only that one).
      expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')).length).toBeLessThanOrEqual(1);
    }
    // Leftover temp files of dead processes are cleaned by the next store, before its first save.
    fs.writeFileSync(path.join(dir, `${path.basename(checkpointFileName({ provider: 'cloudflare', account: 'acct', source: 'zone-a', dataset: 'http_requests' }, 'live'))}.2147483646.1.tmp`), '{');
    await new CheckpointStore(dir).save({ identity: { provider: 'cloudflare', account: 'acct', source: 'zone-b', dataset: 'http_requests' }, lane: 'live', endMs: 1_000, packages: [], savedAtMs: 1_000 });
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
