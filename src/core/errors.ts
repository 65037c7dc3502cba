/**
 * Errors are values with a kind the caller can act on. Adapters classify once, at their boundary;
 * everything above switches on `kind`. Messages say what was wrong and what to do, and never carry
 * a secret, a signature or a signed URL's query string.
 */

export type ErrorKind =
  /** The input (query, time, field, option) is wrong: fix the input. */
  | 'BadInput'
  /** Credentials missing, wrong or without permission: stop and fix them. */
  | 'AuthFailed'
  /** The provider asked us to slow down; retry after `retryAfterMs`. */
  | 'RateLimited'
  /** The window lies (partly) before the provider's retention. */
  | 'WindowTooOld'
  /** The window is newer than the provider serves (settle delay) or in the future. */
  | 'WindowTooRecent'
  /** The window is longer than the provider accepts: split it. */
  | 'WindowTooLong'
  /** Network errors, 5xx, truncated or corrupt bodies: retry. */
  | 'Transient'
  /** A body that decodes to more than the configured bound (zip bomb, runaway member). */
  | 'TooLarge'
  /** The provider answered with an error that retrying will not fix. */
  | 'ProviderError';

export class CdnLogError extends Error {
  readonly kind: ErrorKind;
  /** For BadInput: the field or option that was wrong. */
  readonly field?: string;
  /** For RateLimited (and Transient with Retry-After): how long the provider asked us to wait. */
  readonly retryAfterMs?: number;
  /** HTTP status when the error came from a response. */
  readonly status?: number;

  constructor(
    kind: ErrorKind,
    message: string,
    details: { field?: string; retryAfterMs?: number; status?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = `CdnLogError(${kind})`;
    this.kind = kind;
    this.field = details.field;
    this.retryAfterMs = details.retryAfterMs;
    this.status = details.status;
  }
}

export function badInput(field: string, reason: string): CdnLogError {
  return new CdnLogError('BadInput', `${field}: ${reason}`, { field });
}

/** Credentials that are not configured at all: an authentication failure (exit 3), named before any request. */
export function missingCredentials(message: string): CdnLogError {
  return new CdnLogError('AuthFailed', message, { field: 'credentials' });
}

export function isCdnLogError(err: unknown, kind?: ErrorKind): err is CdnLogError {
  return err instanceof CdnLogError && (kind === undefined || err.kind === kind);
}

/** Transient, rate-limited and oversize-window errors are worth another attempt; the rest are not. */
export function isRetryable(err: unknown): boolean {
  return err instanceof CdnLogError && (err.kind === 'Transient' || err.kind === 'RateLimited');
}

