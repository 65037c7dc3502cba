import fc from 'fast-check';
import { CdnLogError } from './errors';
import { credentialValues, REDACTED, SecretScrubber, scrubError } from './secrets';

const TOKEN = 'Zq8vY2kLm4Np0RsT6uVw1xYz3AbCdEfGh';

describe('SecretScrubber', () => {
  const scrubber = new SecretScrubber([TOKEN, 'AKIDexample0123', undefined, 'ab']);

  it.each([
    [`HTTP 401: Authorization: Bearer ${TOKEN}`, `HTTP 401: Authorization: Bearer ${REDACTED}`],
    [`echo: ${TOKEN.slice(0, 12)}`, `echo: ${REDACTED}`],
    [`...${TOKEN.slice(10, 30)}...`, `...${REDACTED}...`],
    ['SecretId=AKIDexample0123&Signature=x', `SecretId=${REDACTED}&Signature=x`],
    ['nothing secret here', 'nothing secret here'],
    [`${TOKEN}${TOKEN}`, REDACTED],
  ])('scrubs %j', (text, expected) => {
    expect(scrubber.scrub(text)).toBe(expected);
  });

  it('leaves runs shorter than 8 characters of a secret, and ignores values under 4 characters', () => {
    expect(scrubber.scrub(`x ${TOKEN.slice(0, 7)} ab`)).toBe(`x ${TOKEN.slice(0, 7)} ab`);
  });

  it('scrubs the URL-encoded form of a secret with reserved characters', () => {
    const s = new SecretScrubber(['p+ss/word=with&chars']);
    expect(s.scrub(`body: ${encodeURIComponent('p+ss/word=with&chars')}`)).toBe(`body: ${REDACTED}`);
  });

  it('never leaves 8 consecutive characters of a secret in any text built around it (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8, maxLength: 64 }), fc.string(), fc.string(), fc.nat(), fc.nat(), (secret, before, after, a, b) => {
        const s = new SecretScrubber([secret]);
        const from = a % secret.length;
        const to = from + ((b % (secret.length - from)) + 1);
        const out = s.scrub(before + secret.slice(from, to) + after);
        for (let i = 0; i + 8 <= secret.length; i++) expect(out.includes(secret.slice(i, i + 8))).toBe(false);
      }),
    );
  });
});

describe('scrubError', () => {
  const scrubber = new SecretScrubber(credentialValues({ token: TOKEN, other: 42 }));

  it('rebuilds a CdnLogError with the same kind, status and field, the message scrubbed and no cause', () => {
    const err = scrubError(new CdnLogError('AuthFailed', `rejected Bearer ${TOKEN}`, { status: 401, field: 'f', cause: new Error(TOKEN) }), scrubber) as CdnLogError;
    expect([err.kind, err.status, err.field, err.message, err.cause]).toEqual(['AuthFailed', 401, 'f', `rejected Bearer ${REDACTED}`, undefined]);
  });

  it('scrubs the message and stack of any other error', () => {
    const err = scrubError(new TypeError(`bad ${TOKEN}`), scrubber) as TypeError;
    expect(err).toBeInstanceOf(TypeError);
    expect(`${err.message}${err.stack}`).not.toContain(TOKEN.slice(0, 8));
  });
});
