import { CdnLogError } from '../core/errors';

/**
 * A credential from the environment (or, later, a request header): undefined when unset or empty.
 * A value with a line break or another control character cannot go into a header, and retrying will
 * not change it: that is an authentication problem naming the variable, never its value.
 */
export function credentialFromEnv(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new CdnLogError(
      'AuthFailed',
      `${name} contains a line break or another control character, which no HTTP header may carry: set it without (a trailing newline from a file is the usual cause)`,
      { field: name },
    );
  }
  return value;
}
