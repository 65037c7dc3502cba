import type { CdnLogRecord } from './record';

/**
 * The `capacity` oldest (or newest) records of a stream, in memory bounded by the capacity whatever
 * the stream's length: a binary heap whose root is the record that goes first when a better one
 * comes. Providers do not sort a window's records, so a limited read keeps the window's best N here.
 */
export class BoundedSelection {
  private readonly heap: CdnLogRecord[] = [];
  /** Records offered and not kept (the stream held more than `capacity`). */
  dropped = 0;

  constructor(
    readonly capacity: number,
    readonly keep: 'oldest' | 'newest',
  ) {}

  /** True when `a` should be given up before `b`: the heap's root is the worst record kept. */
  private worse(a: CdnLogRecord, b: CdnLogRecord): boolean {
    return this.keep === 'oldest' ? a.timestamp > b.timestamp : a.timestamp < b.timestamp;
  }

  add(record: CdnLogRecord): void {
    const heap = this.heap;
    if (heap.length < this.capacity) {
      heap.push(record);
      this.siftUp(heap.length - 1);
      return;
    }
    this.dropped++;
    if (heap.length === 0 || !this.worse(heap[0], record)) return;
    heap[0] = record;
    this.siftDown(0);
  }

  get size(): number {
    return this.heap.length;
  }

  /** The records kept, best first (oldest first for 'oldest'); the selection is empty afterwards. */
  take(): CdnLogRecord[] {
    return this.sorted(this.heap.splice(0));
  }

  /** The records kept so far, best first, leaving the selection as it is (a copy: O(n log n)). */
  peek(): CdnLogRecord[] {
    return this.sorted([...this.heap]);
  }

  private sorted(records: CdnLogRecord[]): CdnLogRecord[] {
    return this.keep === 'oldest' ? records.sort((a, b) => a.timestamp - b.timestamp) : records.sort((a, b) => b.timestamp - a.timestamp);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(heap[i], heap[parent])) return;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < heap.length && this.worse(heap[left], heap[worst])) worst = left;
      if (right < heap.length && this.worse(heap[right], heap[worst])) worst = right;
      if (worst === i) return;
      [heap[i], heap[worst]] = [heap[worst], heap[i]];
      i = worst;
    }
  }
}
