/**
 * Checkpoints: per source, the exclusive end of the last window whose every record the OTLP endpoint
 * acknowledged, plus the log packages already taken in the open horizon (DSA, EdgeOne). One small
 * JSON file per source under the state directory, replaced atomically (temp file, fsync, rename,
 * fsync of the directory), so a kill at any instant leaves either the old value or the new one.
 *
 * Keyed by source identity only (provider, account hash, source, dataset), never by labels, window
 * size or other configuration: changing those must not move or lose the position (Alloy keys by
 * labels and loses it; lessons-from-peers #3).
 */

import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { CdnLogError } from '../core/errors';
import { isProviderId, type ProviderId } from '../core/record';
import { formatTime } from '../core/time';

/** What a source is, whatever it is called in the configuration. */
export interface SourceIdentity {
  provider: ProviderId;
  /** A hash naming the account (never a credential): see accountHash. */
  account: string;
  /** The provider's source: zone id, resource id, host list, project key, zone/layer. */
  source: string;
  /** What is read from it: `http_requests`, `l7`, `l4`, `logs`. */
  dataset: string;
}

/**
 * Which cursor of a source: `live` follows now; a backfill has its own lane per range, so it never
 * moves the live cursor (issue 10 §6).
 */
export type CheckpointLane = 'live' | `backfill:${number}-${number}`;

export function backfillLane(fromMs: number, toMs: number): CheckpointLane {
  return `backfill:${fromMs}-${toMs}`;
}

/** A package taken (all its records acknowledged) while its hour was still open. */
export interface TakenPackage {
  /** The provider's package identity (host and hour, packet name). */
  key: string;
  /** Its size as listed: a package re-listed with another size was rewritten and is taken again. */
  sizeBytes: number | null;
  /** Start of the hour it covers: packages before the checkpoint are forgotten. */
  fromMs: number;
}

export interface Checkpoint {
  identity: SourceIdentity;
  lane: CheckpointLane;
  /** Exclusive end of the last fully acknowledged window, epoch ms. */
  endMs: number;
  /** Packages taken after endMs (the open horizon). */
  packages: TakenPackage[];
  /** When it was saved (the exporter's clock), for `sources` and health. */
  savedAtMs: number;
}

const FORMAT = 'cdn-log-bridge.checkpoint/1';

/**
 * The account part of an identity: a label the operator chose (stable across key rotation), else the
 * credentials themselves; hashed either way, so the file never holds a secret.
 */
export function accountHash(accountLabelOrCredentials: string): string {
  return createHash('sha256').update(`cdn-log-bridge account\n${accountLabelOrCredentials}`).digest('base64url').slice(0, 22);
}

const identitySchema = z.strictObject({
  provider: z.string().refine(isProviderId, 'unknown provider'),
  account: z.string().min(1).max(200),
  source: z.string().min(1).max(4096),
  dataset: z.string().min(1).max(200),
});

const fileSchema = z.strictObject({
  format: z.literal(FORMAT),
  identity: identitySchema,
  lane: z.string().regex(/^(live|backfill:\d+-\d+)$/),
  endMs: z.number().int().min(0).max(8.64e15),
  packages: z
    .array(z.strictObject({ key: z.string().min(1).max(4096), sizeBytes: z.number().int().min(0).nullable(), fromMs: z.number().int().min(0).max(8.64e15) }))
    .max(1_000_000),
  savedAtMs: z.number().int().min(0).max(8.64e15),
});

/** The file name of a source's checkpoint: readable provider prefix, hash of identity and lane. */
export function checkpointFileName(identity: SourceIdentity, lane: CheckpointLane): string {
  const key = JSON.stringify([identity.provider, identity.account, identity.source, identity.dataset, lane]);
  return `${identity.provider}-${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`;
}

/** The file operations the store needs; tests inject failures between them (a crash mid-save). */
export interface CheckpointFs {
  mkdir(dir: string): Promise<void>;
  readFile(file: string): Promise<string | null>;
  /** Writes the temp file and fsyncs it before resolving. */
  writeFileSynced(file: string, text: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Makes the rename itself durable. */
  syncDir(dir: string): Promise<void>;
  list(dir: string): Promise<string[]>;
  remove(file: string): Promise<void>;
}

export const nodeCheckpointFs: CheckpointFs = {
  mkdir: async (dir) => {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  },
  readFile: async (file) => {
    try {
      return await fsp.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  },
  writeFileSynced: async (file, text) => {
    const handle = await fsp.open(file, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => fsp.rename(from, to),
  syncDir: async (dir) => {
    // Windows cannot open a directory for fsync; its rename is durable enough (MoveFileEx).
    if (process.platform === 'win32') return;
    const handle = await fsp.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  list: async (dir) => {
    try {
      return await fsp.readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  },
  remove: async (file) => {
    await fsp.rm(file, { force: true });
  },
};

const TEMP_SUFFIX = '.tmp';

export interface CheckpointStoreOptions {
  fs?: CheckpointFs;
}

/**
 * The checkpoint files of one state directory. Saves of one source are serialised; different
 * sources save concurrently. A checkpoint that exists but cannot be read is an error, never "no
 * checkpoint": starting over from the configured start could skip data for good.
 */
export class CheckpointStore {
  private readonly fs: CheckpointFs;
  private readonly queues = new Map<string, Promise<unknown>>();
  private tempCounter = 0;
  private prepared: Promise<void> | null = null;
  private cleaned: Promise<void> | null = null;

  constructor(
    readonly dir: string,
    options: CheckpointStoreOptions = {},
  ) {
    this.fs = options.fs ?? nodeCheckpointFs;
  }

  /**
   * Creates the directory and, before the first save, removes temp files a killed process left
   * behind. Only those of processes that are gone: a reader (`sources`, a test) or another process
   * on the same directory must never delete a save in flight.
   */
  private prepare(): Promise<void> {
    this.prepared ??= this.fs.mkdir(this.dir);
    return this.prepared;
  }

  private cleanLeftovers(): Promise<void> {
    this.cleaned ??= (async () => {
      await this.prepare();
      for (const name of await this.fs.list(this.dir)) {
        if (!name.endsWith(TEMP_SUFFIX)) continue;
        const pid = Number(/\.json\.(\d+)\.\d+\.tmp$/.exec(name)?.[1]);
        if (Number.isSafeInteger(pid) && pid !== process.pid && processIsAlive(pid)) continue;
        await this.fs.remove(path.join(this.dir, name));
      }
    })();
    return this.cleaned;
  }

  /** The saved checkpoint of a source, or null when it has none yet. */
  async load(identity: SourceIdentity, lane: CheckpointLane = 'live'): Promise<Checkpoint | null> {
    await this.prepare();
    const file = path.join(this.dir, checkpointFileName(identity, lane));
    const text = await this.fs.readFile(file);
    if (text === null) return null;
    return parseCheckpoint(text, file, identity, lane);
  }

  /** Every checkpoint in the directory (for `sources`); unreadable files are reported, not hidden. */
  async loadAll(): Promise<Array<Checkpoint | { file: string; error: string }>> {
    await this.prepare();
    const out: Array<Checkpoint | { file: string; error: string }> = [];
    for (const name of (await this.fs.list(this.dir)).sort()) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(this.dir, name);
      const text = await this.fs.readFile(file);
      if (text === null) continue;
      try {
        out.push(parseCheckpoint(text, file, null, null));
      } catch (err) {
        out.push({ file, error: (err as Error).message });
      }
    }
    return out;
  }

  /** Replaces a source's checkpoint atomically; resolves once it is durable. */
  save(checkpoint: Checkpoint): Promise<void> {
    const name = checkpointFileName(checkpoint.identity, checkpoint.lane);
    const previous = this.queues.get(name) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.write(name, checkpoint));
    this.queues.set(name, next);
    void next.finally(() => {
      if (this.queues.get(name) === next) this.queues.delete(name);
    }).catch(() => undefined);
    return next;
  }

  private async write(name: string, checkpoint: Checkpoint): Promise<void> {
    await this.cleanLeftovers();
    const body = { format: FORMAT, ...checkpoint };
    const checked = fileSchema.safeParse(body);
    if (!checked.success) {
      throw new CdnLogError('BadInput', `refusing to save an invalid checkpoint for ${describe(checkpoint.identity)}: ${checked.error.issues[0]?.message}`);
    }
    const file = path.join(this.dir, name);
    const temp = `${file}.${process.pid}.${++this.tempCounter}${TEMP_SUFFIX}`;
    try {
      await this.fs.writeFileSynced(temp, `${JSON.stringify(body)}\n`);
      await this.fs.rename(temp, file);
    } catch (err) {
      await this.fs.remove(temp).catch(() => undefined);
      throw err;
    }
    await this.fs.syncDir(this.dir);
  }
}

/** Whether a process of that id exists (EPERM: it does, owned by someone else). */
function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describe(identity: SourceIdentity): string {
  return `${identity.provider} source ${identity.source} (${identity.dataset})`;
}

function parseCheckpoint(text: string, file: string, identity: SourceIdentity | null, lane: CheckpointLane | null): Checkpoint {
  const unreadable = (why: string) =>
    new CdnLogError(
      'BadInput',
      `the checkpoint ${file} is unreadable (${why}); the source is stopped rather than restarted from its configured start, ` +
        'which could skip data: restore the file, or delete it to start the source from its configured start',
      { field: 'checkpoint' },
    );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw unreadable('not JSON: a torn or foreign file');
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw unreadable(`${issue?.path.join('.') || 'file'}: ${issue?.message}`);
  }
  const { format: _format, ...value } = parsed.data;
  const checkpoint = value as Checkpoint;
  if (identity !== null && !sameIdentity(checkpoint.identity, identity)) {
    throw unreadable(`it belongs to ${describe(checkpoint.identity)}, not ${describe(identity)}`);
  }
  if (lane !== null && checkpoint.lane !== lane) throw unreadable(`it is the ${checkpoint.lane} cursor, not ${lane}`);
  return checkpoint;
}

export function sameIdentity(a: SourceIdentity, b: SourceIdentity): boolean {
  return a.provider === b.provider && a.account === b.account && a.source === b.source && a.dataset === b.dataset;
}

/** For logs and `sources`: the checkpoint as one line. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const packages = checkpoint.packages.length > 0 ? ` + ${checkpoint.packages.length} packages taken after it` : '';
  return `${describe(checkpoint.identity)} [${checkpoint.lane}]: acknowledged up to ${formatTime(checkpoint.endMs)}${packages}`;
}
