/**
 * Answers of queries whose every window has settled, kept in memory so that the same query asked
 * again (a dashboard reloaded, eight viewers of one panel over a fixed range) is answered without
 * reading its windows again, not even from the window cache. Bounded by the answers' JSON size;
 * least recently used first. Keys are hashes: they hold no credential.
 */

import { createHash } from 'node:crypto';

export class AnswerCache<T> {
  private readonly entries = new Map<string, { value: T; bytes: number }>();
  private bytes = 0;
  hits = 0;

  constructor(private readonly maxBytes: number) {}

  static key(parts: unknown): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  }

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.hits++;
    return entry.value;
  }

  /** Keeps `value` (whose JSON is `bytes` long); an answer larger than a quarter of the bound is not kept. */
  set(key: string, value: T, bytes: number): void {
    if (bytes > this.maxBytes / 4) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.bytes;
    }
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    for (const [k, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= entry.bytes;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
