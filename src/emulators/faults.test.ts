import { FaultController } from './faults';

describe('FaultController', () => {
  it('hands out pending faults in injection order, each for its count, then nothing', () => {
    const faults = new FaultController(['rateLimit', 'serverError', 'truncatedBody']);
    faults.inject({ kind: 'rateLimit', count: 2, retryAfterSeconds: 5 });
    faults.inject({ kind: 'truncatedBody', count: 1 });
    expect(faults.pending()).toEqual([
      { kind: 'rateLimit', count: 2, retryAfterSeconds: 5 },
      { kind: 'truncatedBody', count: 1 },
    ]);
    const taken = [faults.takeNext(), faults.takeNext(), faults.takeNext(), faults.takeNext()].map((f) => f?.kind);
    expect(taken).toEqual(['rateLimit', 'rateLimit', 'truncatedBody', undefined]);
  });

  it('clear drops every pending fault but leaves the retention flag alone', () => {
    const faults = new FaultController(['serverError']);
    faults.retentionEnabled = false;
    faults.inject({ kind: 'serverError', count: 3 });
    faults.clear();
    expect(faults.takeNext()).toBeUndefined();
    expect(faults.retentionEnabled).toBe(false);
  });

  it('refuses a kind the emulator cannot produce and a count that is not a positive integer', () => {
    const faults = new FaultController(['serverError']);
    expect(() => faults.inject({ kind: 'corruptZip', count: 1 })).toThrow(/cannot produce a 'corruptZip' fault/);
    expect(() => faults.inject({ kind: 'serverError', count: 0 })).toThrow(/positive integer/);
    expect(faults.pending()).toEqual([]);
  });
});
