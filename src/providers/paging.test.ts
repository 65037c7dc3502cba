import { isCdnLogError } from '../core/errors';
import { PageGuard } from './paging';

describe('PageGuard', () => {
  it('lets distinct pages through and stops at a page that repeats an earlier one, in any order', () => {
    const guard = new PageGuard('Gcore 1', 100);
    guard.check(['a', 'b'], 0);
    guard.check(['c', 'd'], 2);
    guard.check([], 4);
    let error: unknown;
    try {
      guard.check(['b', 'a'], 4);
    } catch (err) {
      error = err;
    }
    expect(isCdnLogError(error, 'ProviderError')).toBe(true);
    expect((error as Error).message).toBe('Gcore 1: the provider answered offset 4 with the same 2 items as offset 0, so it is not paging; the read stopped here rather than loop');
  });

  it('stops after maxPages pages', () => {
    const guard = new PageGuard('EdgeOne', 3);
    for (let i = 0; i < 3; i++) guard.check([String(i)], i);
    expect(() => guard.check(['x'], 3)).toThrow(/still paging after 3 pages \(offset 3\)/);
  });
});
