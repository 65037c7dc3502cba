import { type ErrorKind, isCdnLogError } from '../core/errors';

/** 0 ok, 1 a bug (unexpected error), 2 bad input, 3 authentication, 4 provider error after retries. */
export const EXIT = { ok: 0, bug: 1, badInput: 2, auth: 3, provider: 4 } as const;

const BY_KIND: Record<ErrorKind, number> = {
  BadInput: EXIT.badInput,
  WindowTooOld: EXIT.badInput,
  WindowTooRecent: EXIT.badInput,
  AuthFailed: EXIT.auth,
  RateLimited: EXIT.provider,
  WindowTooLong: EXIT.provider,
  Transient: EXIT.provider,
  TooLarge: EXIT.provider,
  ProviderError: EXIT.provider,
};

export function exitCodeFor(err: unknown): number {
  return isCdnLogError(err) ? BY_KIND[err.kind] : EXIT.bug;
}
