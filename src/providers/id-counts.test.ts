import fc from 'fast-check';
import { IdCounts } from './id-counts';

describe('IdCounts', () => {
  it('counts occurrences exactly as a Map of the ids does, through many growths', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.uuid(), fc.constantFrom('', 'a', 'b', '\u{1f600}')), { maxLength: 3000 }), (ids) => {
        const counts = new IdCounts();
        const truth = new Map<string, number>();
        for (const id of ids) {
          truth.set(id, (truth.get(id) ?? 0) + 1);
          expect(counts.add(id)).toBe(truth.get(id));
        }
        for (const [id, n] of truth) expect(counts.get(id)).toBe(n);
        expect(counts.get('never added \u0000')).toBe(0);
      }),
      { numRuns: 50 },
    );
  });

  it('tells 300,000 distinct record-like ids apart', () => {
    const counts = new IdCounts();
    let taken = 0;
    for (let i = 0; i < 300_000; i++) if (counts.add(`7d5c${i.toString(16).padStart(12, '0')}-AMS`) !== 1) taken++;
    expect(taken).toBe(0);
    expect(counts.get('7d5c000000000000-AMS')).toBe(1);
    expect(counts.get('7d5c000000000000-FRA')).toBe(0);
  });
});
