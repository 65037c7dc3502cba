import { CdnLogError } from '../core/errors';
import { stableId } from './record-id';

/**
 * Guards an offset-paged read against a provider that does not page: one that ignores the offset
 * and answers the same page again, or claims a total that never ends. Either would loop forever
 * (and, with a limit, return the same records several times), so the read stops with a
 * ProviderError instead; what earlier pages delivered stays delivered. Memory: one hash per page.
 */
export class PageGuard {
  private readonly offsets = new Map<string, number>();
  private pages = 0;

  constructor(
    /** Names the listing in messages: "Gcore resource 1 window 10:00Z..16:00Z". */
    private readonly what: string,
    /** More pages than any real window holds. */
    private readonly maxPages: number,
  ) {}

  /** Checks a page (the ids of what it holds, in any order) before anything of it is used. */
  check(ids: readonly string[], offset: number): void {
    this.pages++;
    if (this.pages > this.maxPages) {
      throw new CdnLogError('ProviderError', `${this.what}: the provider is still paging after ${this.maxPages} pages (offset ${offset}), more than any window holds; the read stopped here`);
    }
    if (ids.length === 0) return;
    const fingerprint = stableId([...ids].sort().join('\n'));
    const earlier = this.offsets.get(fingerprint);
    if (earlier !== undefined) {
      throw new CdnLogError(
        'ProviderError',
        `${this.what}: the provider answered offset ${offset} with the same ${ids.length} items as offset ${earlier}, so it is not paging; the read stopped here rather than loop`,
      );
    }
    this.offsets.set(fingerprint, offset);
  }
}
