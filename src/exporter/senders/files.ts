/**
 * The embedded default when no OTLP endpoint is configured: each batch as one line of OTLP/JSON
 * (an ExportLogsServiceRequest, serialised by the official JsonLogsSerializer, the format the
 * Collector's file exporter writes and its otlpjsonfile receiver reads) appended to
 * `logs-NNNNNN.jsonl` under the directory. A batch is acknowledged once its line is written and
 * fsynced. A file past `maxFileBytes` is closed and a new one started; the oldest files beyond
 * `maxFiles` are deleted (rotation is the one place this sink lets data go, by its configuration).
 */

import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import { CdnLogError } from '../../core/errors';
import type { FileTarget } from '../config';
import { type LogBatch, MAPPED_BATCHES, type OtlpSender, type SendResult } from '../delivery';
import { toReadableLogs } from './official';

const NAME = /^logs-(\d{6,})\.jsonl$/;

function fileName(seq: number): string {
  return `logs-${String(seq).padStart(6, '0')}.jsonl`;
}

export function fileSender(target: FileTarget): OtlpSender<LogBatch> & { shutdown(): Promise<void>; files(): Promise<string[]> } {
  let queue: Promise<unknown> = Promise.resolve();
  let handle: fsp.FileHandle | null = null;
  let seq = 0;
  let size = 0;
  let opened = false;

  const list = async (): Promise<string[]> => {
    const names = await fsp.readdir(target.dir).catch(() => [] as string[]);
    return names.filter((n) => NAME.test(n)).sort();
  };

  /** Opens the next file: after a restart always a new one, so a line torn by a kill is never continued. */
  const rotate = async () => {
    if (handle) await handle.close();
    handle = null;
    if (!opened) {
      await fsp.mkdir(target.dir, { recursive: true });
      const last = (await list()).pop();
      seq = last ? Number(NAME.exec(last)?.[1]) : 0;
      opened = true;
    }
    seq++;
    handle = await fsp.open(path.join(target.dir, fileName(seq)), 'a', 0o640);
    size = 0;
    const all = await list();
    for (const old of all.slice(0, Math.max(0, all.length - target.maxFiles))) await fsp.rm(path.join(target.dir, old), { force: true });
  };

  const write = async (batch: LogBatch): Promise<SendResult> => {
    const json = JsonLogsSerializer.serializeRequest(toReadableLogs(batch));
    if (!json) throw new CdnLogError('ProviderError', 'the OTLP/JSON serializer returned nothing for a batch');
    const line = Buffer.concat([Buffer.from(json), Buffer.from('\n')]);
    if (!handle || (size > 0 && size + line.length > target.maxFileBytes)) await rotate();
    try {
      await handle!.write(line);
      await handle!.datasync();
    } catch (err) {
      // A full disk or a removed directory: retried (the source stalls) until it is fixed.
      throw new CdnLogError('Transient', `writing OTLP/JSON to ${target.dir} failed: ${(err as Error).message}`);
    }
    size += line.length;
    return { bytes: line.length, rejected: 0 };
  };

  return {
    description: `OTLP/JSON lines in ${target.dir}`,
    batches: MAPPED_BATCHES,
    send(batch: LogBatch, signal: AbortSignal): Promise<SendResult> {
      signal.throwIfAborted();
      // One writer at a time: lines of concurrent sources never interleave.
      const next = queue.then(() => write(batch));
      queue = next.catch(() => undefined);
      return next;
    },
    async shutdown() {
      await queue;
      await handle?.close();
      handle = null;
    },
    files: async () => (await list()).map((n) => path.join(target.dir, n)),
  };
}
