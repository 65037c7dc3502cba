import fc from 'fast-check';
import { emptyRecord } from './record';
import { BoundedSelection } from './selection';

const at = (timestamp: number) => ({ ...emptyRecord('cloudflare', 'z', timestamp), id: String(timestamp) });

describe('BoundedSelection', () => {
  it('keeps exactly the N oldest (or newest) of any stream, best first, and counts the rest as dropped', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e6 })), fc.integer({ min: 1, max: 50 }), fc.constantFrom('oldest' as const, 'newest' as const), (times, capacity, keep) => {
        const selection = new BoundedSelection(capacity, keep);
        for (const t of times) selection.add(at(t));
        expect(selection.dropped).toBe(Math.max(0, times.length - capacity));
        const sorted = [...times].sort((a, b) => (keep === 'oldest' ? a - b : b - a)).slice(0, capacity);
        // peek shows what take will give, and leaves it there.
        expect(selection.peek().map((r) => r.timestamp)).toEqual(sorted);
        expect(selection.take().map((r) => r.timestamp)).toEqual(sorted);
        expect(selection.size).toBe(0);
      }),
    );
  });
});
