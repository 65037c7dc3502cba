import fc from 'fast-check';
import { main } from '../cli';
import { CdnLogError } from '../core/errors';
import { parseOptions } from './args';
import { exitCodeFor } from './exit-codes';
import type { CliIo } from './query';

const OPTIONS = {
  provider: { type: 'string' },
  from: { type: 'string' },
  host: { type: 'string', multiple: true },
  emulator: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function refusal(argv: string[]): CdnLogError {
  try {
    parseOptions(argv, OPTIONS);
  } catch (err) {
    return err as CdnLogError;
  }
  throw new Error(`parseOptions accepted ${JSON.stringify(argv)}`);
}

describe('parseOptions', () => {
  it.each([
    [['--provider', 'cloudflare', '--provider', 'gcore'], 'provider', 'provider: --provider was given twice; give it once'],
    [['--from', 'a', '--from', 'b'], 'from', 'from: --from was given twice; give it once'],
    [['--from=-1h', '--from', '-2h'], 'from', 'from: --from was given twice; give it once'],
    [['--from', '-1h', '--from', '-2h', '--from=-3h'], 'from', 'from: --from was given 3 times; give it once'],
    [['--emulator', '--emulator'], 'emulator', 'emulator: --emulator was given twice; give it once'],
    [['-h', '--help'], 'help', 'help: --help was given twice; give it once'],
  ])('refuses a repeated single-value option as bad input naming it: %j', (argv, field, message) => {
    const err = refusal(argv);
    expect(err).toBeInstanceOf(CdnLogError);
    expect(err.kind).toBe('BadInput');
    expect(err.field).toBe(field);
    expect(err.message).toBe(message);
    expect(exitCodeFor(err)).toBe(2);
  });

  it('collects every value of a multiple option', () => {
    expect(parseOptions(['--host', 'a.example.com', '--host', 'b.example.com'], OPTIONS).host).toEqual(['a.example.com', 'b.example.com']);
  });

  it('takes a value starting with one dash as the value of a string option (--from -30m)', () => {
    expect(parseOptions(['--from', '-30m', '--provider', 'gcore', '--host', '-h'], OPTIONS)).toEqual({ from: '-30m', provider: 'gcore', host: ['-h'] });
  });

  it("refuses an unknown option in parseArgs' words", () => {
    expect(refusal(['--bogus']).message).toMatch(/^arguments: Unknown option '--bogus'/);
  });

  it('refuses exactly the argument lists that repeat a single-value option, and otherwise keeps every value', () => {
    const option = fc.record({
      name: fc.constantFrom('provider', 'from', 'host'),
      value: fc.stringMatching(/^-?[a-z0-9]{1,6}$/),
      inline: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(option, { maxLength: 6 }), (given) => {
        const argv = given.flatMap(({ name, value, inline }) => (inline ? [`--${name}=${value}`] : [`--${name}`, value]));
        const singles = given.filter((g) => g.name !== 'host').map((g) => g.name);
        const repeated = singles.filter((name, i) => singles.indexOf(name) !== i);
        if (repeated.length > 0) {
          expect(repeated).toContain(refusal(argv).field);
          return;
        }
        const values = parseOptions(argv, OPTIONS);
        for (const { name, value } of given) {
          if (name === 'host') expect(values.host).toContain(value);
          else expect(values[name]).toBe(value);
        }
        expect(values.host ?? []).toHaveLength(given.filter((g) => g.name === 'host').length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('a repeated option on the command line', () => {
  it('exits 2 with one line naming the option, before any query is made', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: {}, nowMs: Date.now, interactive: false };
    const code = await main(['query', '--provider', 'cloudflare', '--provider', 'gcore', '--emulator', '--from', '-1h'], io);
    expect(code).toBe(2);
    expect(out.join('')).toBe('');
    expect(err.join('')).toBe('cdn-log-bridge: provider: --provider was given twice; give it once\n');
  });
});
