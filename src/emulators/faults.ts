/**
 * Fault switches for the emulators: a test injects the failures a real provider produces (throttling,
 * 5xx, stalled or cut bodies, Cloudflare's trailing "Error streaming data.", a damaged zip) and the next
 * data requests hit them in order. A data request is one that would otherwise have been served with
 * logs: requests that fail auth, validation or a real rate limit do not consume faults.
 */

export type Fault =
  /** 429 with `Retry-After: retryAfterSeconds` (default 1). */
  | { kind: 'rateLimit'; count: number; retryAfterSeconds?: number }
  | { kind: 'serverError'; count: number; status?: 500 | 502 | 503 }
  /** Status, headers and the first part of the body, then a stall of delayMs before the rest. */
  | { kind: 'slowBody'; count: number; delayMs: number }
  /** Part of the body, then the socket is destroyed. */
  | { kind: 'truncatedBody'; count: number }
  /** Cloudflare: 200, about half the records, then the line `Error streaming data.`. */
  | { kind: 'streamError'; count: number }
  /** Gcore: 200 with a zip whose compressed member data cannot be inflated. */
  | { kind: 'corruptZip'; count: number }
  /** Package downloads (DSA, EdgeOne): 200 with a `.gz` body that cannot be inflated. */
  | { kind: 'corruptGzip'; count: number }
  /** Package listings (DSA, EdgeOne): every URL in the listing has already expired (403 when fetched). */
  | { kind: 'expiredUrl'; count: number }
  /** Package listings (DSA, EdgeOne): every package is listed twice. */
  | { kind: 'duplicateListing'; count: number };

export type FaultKind = Fault['kind'];

/** The faults a package listing (DSA GetDsaHostLogs, EdgeOne DownloadL7Logs/DownloadL4Logs) can take. */
export const PACKAGE_LISTING_FAULTS: readonly FaultKind[] = ['rateLimit', 'serverError', 'expiredUrl', 'duplicateListing'];

/** The faults a package download (a listed DSA or EdgeOne URL) can take. */
export const PACKAGE_DOWNLOAD_FAULTS: readonly FaultKind[] = ['corruptGzip', 'truncatedBody', 'slowBody'];

export class FaultController {
  /** Cloudflare log retention (`/logs/control/retention/flag`); when off, logs/received answers 400. */
  retentionEnabled = true;

  private readonly queue: Array<{ fault: Fault; remaining: number }> = [];

  /** @param supportedKinds the kinds the owning emulator can produce; injecting another is a test bug. */
  constructor(private readonly supportedKinds: readonly FaultKind[]) {}

  inject(fault: Fault): void {
    if (!this.supportedKinds.includes(fault.kind)) {
      throw new Error(
        `This emulator cannot produce a '${fault.kind}' fault; it supports ${this.supportedKinds.join(', ')}`,
      );
    }
    if (!Number.isInteger(fault.count) || fault.count < 1) {
      throw new RangeError(`Fault '${fault.kind}' needs a positive integer count, got ${fault.count}`);
    }
    this.queue.push({ fault: { ...fault }, remaining: fault.count });
  }

  /** Drops every pending fault (retention is left as it is). */
  clear(): void {
    this.queue.length = 0;
  }

  /** The faults still waiting, with the requests each has left. */
  pending(): Fault[] {
    return this.queue.map(({ fault, remaining }) => ({ ...fault, count: remaining }));
  }

  /**
   * Called by a server once per data request: the fault that hits it, if any. An emulator with two
   * kinds of data request (a package listing and a package download) names the kinds that can hit
   * this one; a fault of another kind at the head of the queue waits for its own kind of request.
   */
  takeNext(applicable?: readonly FaultKind[]): Fault | undefined {
    const head = this.queue[0];
    if (head === undefined) return undefined;
    if (applicable !== undefined && !applicable.includes(head.fault.kind)) return undefined;
    head.remaining--;
    if (head.remaining === 0) this.queue.shift();
    return head.fault;
  }
}

/** The retry delay an injected rateLimit fault advertises. */
export function retryAfterSeconds(fault: Extract<Fault, { kind: 'rateLimit' }>): number {
  return fault.retryAfterSeconds ?? 1;
}
