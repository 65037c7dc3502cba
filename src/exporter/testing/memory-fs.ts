/** An in-memory CheckpointFs: exporter tests run on virtual time, which real disk latency would skew. */
import * as path from 'node:path';
import type { CheckpointFs } from '../checkpoint';

export function memoryCheckpointFs(): CheckpointFs & { files: Map<string, string> } {
  const files = new Map<string, string>();
  return {
    files,
    mkdir: async () => undefined,
    readFile: async (file) => files.get(file) ?? null,
    writeFileSynced: async (file, text) => {
      if (files.has(file)) throw Object.assign(new Error(`EEXIST: ${file}`), { code: 'EEXIST' });
      files.set(file, text);
    },
    rename: async (from, to) => {
      const text = files.get(from);
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${from}`), { code: 'ENOENT' });
      files.delete(from);
      files.set(to, text);
    },
    syncDir: async () => undefined,
    list: async (dir) => [...files.keys()].filter((f) => path.dirname(f) === dir).map((f) => path.basename(f)),
    remove: async (file) => {
      files.delete(file);
    },
  };
}
