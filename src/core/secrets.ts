import { CdnLogError } from './errors';

/**
 * Credentials never leave the process in a text: not in a message, a note, a log line or an HTTP
 * answer, whatever a provider (or a proxy in between) echoes back. Providers quote request headers
 * and bodies in error bodies, and messages truncate what they quote, so a secret can arrive whole,
 * URL-encoded, or cut anywhere: every run of FRAGMENT_CHARS or more characters that stands in a
 * secret is replaced, which also catches the head of a secret that a truncation cut off.
 */

export const REDACTED = '[redacted]';

/** Shorter runs of a secret are left: an 8-character run of a random token does not occur by chance. */
const FRAGMENT_CHARS = 8;
/** A value this short is a placeholder, not a secret worth a scan (and would redact common words). */
const MIN_SECRET_CHARS = 4;

export class SecretScrubber {
  private readonly fragments = new Set<string>();
  private readonly whole: string[] = [];

  constructor(secrets: Iterable<string | undefined | null> = []) {
    for (const secret of secrets) this.add(secret);
  }

  /** Adds a value (and its URL-encoded form) to what is scrubbed. */
  add(secret: string | undefined | null): void {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_CHARS) return;
    for (const form of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) {
      if (form.length < FRAGMENT_CHARS) {
        this.whole.push(form);
        continue;
      }
      for (let i = 0; i + FRAGMENT_CHARS <= form.length; i++) this.fragments.add(form.slice(i, i + FRAGMENT_CHARS));
    }
  }

  get empty(): boolean {
    return this.fragments.size === 0 && this.whole.length === 0;
  }

  /** The text with every run of a secret replaced by [redacted]. */
  scrub(text: string): string {
    if (this.empty || text.length === 0) return text;
    let out = text;
    for (const secret of this.whole) out = out.split(secret).join(REDACTED);
    if (this.fragments.size === 0 || out.length < FRAGMENT_CHARS) return out;
    // Mark every character covered by a fragment, then replace each covered run once.
    let covered: Uint8Array | null = null;
    for (let i = 0; i + FRAGMENT_CHARS <= out.length; i++) {
      if (!this.fragments.has(out.slice(i, i + FRAGMENT_CHARS))) continue;
      covered ??= new Uint8Array(out.length);
      covered.fill(1, i, i + FRAGMENT_CHARS);
    }
    if (covered === null) return out;
    let result = '';
    for (let i = 0; i < out.length; ) {
      if (covered[i] === 0) {
        result += out[i++];
        continue;
      }
      while (i < out.length && covered[i] === 1) i++;
      result += REDACTED;
    }
    return result;
  }
}

/** The string values of a credentials object (token, key, secret id...): what a scrubber must remove. */
export function credentialValues(credentials: unknown): string[] {
  if (credentials === null || typeof credentials !== 'object') return [];
  return Object.values(credentials as Record<string, unknown>).filter((v): v is string => typeof v === 'string');
}

/**
 * The error with its message scrubbed. A CdnLogError is rebuilt without its cause (a cause holds the
 * raw provider text); any other error keeps its class with message and stack scrubbed.
 */
export function scrubError(err: unknown, scrubber: SecretScrubber): unknown {
  if (scrubber.empty) return err;
  if (err instanceof CdnLogError) {
    return new CdnLogError(err.kind, scrubber.scrub(err.message), { field: err.field, retryAfterMs: err.retryAfterMs, status: err.status });
  }
  if (err instanceof Error) {
    err.message = scrubber.scrub(err.message);
    if (err.stack) err.stack = scrubber.scrub(err.stack);
    return err;
  }
  return typeof err === 'string' ? scrubber.scrub(err) : err;
}
