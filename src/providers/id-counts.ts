/**
 * How many times each record id was delivered, for a read that may be retried (resumable.ts): kept
 * as 64-bit hashes of the ids in flat typed arrays, 9 bytes a slot with tables at most three
 * quarters full (12–24 bytes a record), where a Map of the id strings took about 200. Reading a
 * window of 1.3 million records (1 GB) then holds 19 MB instead of about 260 MB.
 *
 * Two different ids share a hash with a probability of about n²/2^65 (5·10⁻⁸ for 1.3 million ids);
 * that matters only when a read is retried, where the second of them would be taken for already
 * delivered. Counts stop at 255 occurrences of one id (more are delivered again on a retry).
 */
export class IdCounts {
  private high = new Uint32Array(1024);
  private low = new Uint32Array(1024);
  private counts = new Uint8Array(1024);
  private used = 0;

  get(id: string): number {
    const slot = this.find(id);
    return slot < 0 ? 0 : this.counts[slot];
  }

  /** Adds one occurrence of `id`; returns how many there are now. */
  add(id: string): number {
    if (4 * (this.used + 1) > 3 * this.counts.length) this.grow();
    hash(id);
    const slot = this.slotOf(hashHigh, hashLow);
    if (this.counts[slot] === 0) {
      this.high[slot] = hashHigh;
      this.low[slot] = hashLow;
      this.used++;
    }
    if (this.counts[slot] < 0xff) this.counts[slot]++;
    return this.counts[slot];
  }

  private find(id: string): number {
    hash(id);
    const slot = this.slotOf(hashHigh, hashLow);
    return this.counts[slot] === 0 ? -1 : slot;
  }

  /** The slot holding the hash, or the empty slot where it goes (linear probing). */
  private slotOf(h1: number, h2: number): number {
    const mask = this.counts.length - 1;
    let slot = h2 & mask;
    while (this.counts[slot] !== 0 && (this.high[slot] !== h1 || this.low[slot] !== h2)) slot = (slot + 1) & mask;
    return slot;
  }

  private grow(): void {
    const { high, low, counts } = this;
    this.high = new Uint32Array(counts.length * 2);
    this.low = new Uint32Array(counts.length * 2);
    this.counts = new Uint8Array(counts.length * 2);
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] === 0) continue;
      const slot = this.slotOf(high[i], low[i]);
      this.high[slot] = high[i];
      this.low[slot] = low[i];
      this.counts[slot] = counts[i];
    }
  }
}

/** The last hash(): module state rather than an object per call, on a path taken once per record. */
let hashHigh = 0;
let hashLow = 0;

/** Two independent 32-bit hashes of the UTF-16 code units (FNV-1a and a multiply-xorshift mix). */
function hash(id: string): void {
  let h1 = 0x811c9dc5;
  let h2 = 0x9e3779b9 ^ id.length;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  hashHigh = h1 >>> 0;
  hashLow = h2 >>> 0;
}
