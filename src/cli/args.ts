import { parseArgs, type ParseArgsConfig } from 'node:util';
import { badInput } from '../core/errors';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node's parseArgs refuses `--from -30m` (a value that starts with a dash looks like an option).
 * Relative times are the common case here, so a string option takes the next word as its value
 * unless that word is itself a long option.
 */
function attachValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : null;
    const next = argv[i + 1];
    if (name !== null && options[name]?.type === 'string' && next !== undefined && next.startsWith('-') && !next.startsWith('--')) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

const TIMES = ['', 'once', 'twice'];

/**
 * parseArgs keeps the last of a repeated single-value option, so `--provider cloudflare --provider
 * gcore` would quietly query Gcore only: a repeat is BadInput unless the option is `multiple`.
 */
function refuseRepeats(tokens: ReadonlyArray<{ kind: string; name?: string }>, options: Options): void {
  const counts = new Map<string, number>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined || options[token.name]?.multiple) continue;
    counts.set(token.name, (counts.get(token.name) ?? 0) + 1);
  }
  for (const [name, count] of counts) {
    if (count > 1) throw badInput(name, `--${name} was given ${TIMES[count] ?? `${count} times`}; give it once`);
  }
}

/** Parses a command's options; unknown or malformed options are BadInput with parseArgs' own words, a repeated single-value option too. */
export function parseOptions<O extends Options>(argv: readonly string[], options: O) {
  let parsed;
  try {
    parsed = parseArgs({ args: attachValues(argv, options), options, strict: true, allowPositionals: false, tokens: true });
  } catch (err) {
    throw badInput('arguments', (err as Error).message.split('\n')[0]);
  }
  refuseRepeats(parsed.tokens, options);
  return parsed.values;
}
