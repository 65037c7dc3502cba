import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CdnLogError } from '../core/errors';
import { HttpClient } from './http';
import { checkPackageUrl, type PackageUrlPolicy } from './package-url';
import { isNonPublicAddress } from './public-address';

const POLICY: PackageUrlPolicy = { hosts: ['log-download.example.com', '.edgeone.example.com'], trustedOrigins: ['http://127.0.0.1:4010'] };

function refusal(url: string, policy = POLICY): CdnLogError {
  try {
    checkPackageUrl(url, policy, 'Tencent EdgeOne');
  } catch (err) {
    return err as CdnLogError;
  }
  throw new Error(`${url} was not refused`);
}

describe('checkPackageUrl', () => {
  it('passes https URLs of listed hosts and of names under a listed suffix', () => {
    expect(checkPackageUrl('https://log-download.example.com/a.gz?sign=x', POLICY, 'p')).toEqual({ url: 'https://log-download.example.com/a.gz?sign=x', trusted: false });
    expect(checkPackageUrl('https://log-down04-cn.edgeone.example.com/b.log.gz', POLICY, 'p').trusted).toBe(false);
  });

  it('passes a trusted origin as it is, http and loopback included', () => {
    expect(checkPackageUrl('http://127.0.0.1:4010/packages/x.log.gz?t=1', POLICY, 'p')).toEqual({ url: 'http://127.0.0.1:4010/packages/x.log.gz?t=1', trusted: true });
  });

  it.each([
    ['a host outside the allowlist', 'https://evil.example.net/x.gz', /evil\.example\.net is not a known download host of Tencent EdgeOne .*--package-host/],
    ['the bare suffix itself', 'https://edgeone.example.com/x.gz', /not a known download host/],
    ['a look-alike suffix', 'https://log-download.example.com.evil.net/x.gz', /not a known download host/],
    ['plain http', 'http://log-download.example.com/x.gz', /https only, not http/],
    ['another scheme', 'ftp://log-download.example.com/x.gz', /https only, not ftp/],
    ['loopback', 'https://127.0.0.1/x.gz', /loopback, private or reserved/],
    ['loopback written as a number', 'https://2130706433/x.gz', /loopback, private or reserved/],
    ['the metadata service', 'https://169.254.169.254/latest/meta-data/', /loopback, private or reserved/],
    ['a private network', 'https://10.1.2.3/x.gz', /loopback, private or reserved/],
    ['IPv6 loopback', 'https://[::1]/x.gz', /loopback, private or reserved/],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/x.gz', /loopback, private or reserved/],
    ['IPv6 unique-local', 'https://[fd00::1]/x.gz', /loopback, private or reserved/],
    ['the emulator port on another origin', 'http://127.0.0.1:4011/x.gz', /loopback, private or reserved/],
    ['credentials in the URL', 'https://user:pw@log-download.example.com/x.gz', /carries credentials/],
  ])('refuses %s, naming the rule, without the query string', (_name, url, message) => {
    const err = refusal(url.includes('?') ? url : `${url}?sign=SECRET`);
    expect(err).toBeInstanceOf(CdnLogError);
    expect(err.kind).toBe('ProviderError');
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/nothing was fetched/);
    expect(err.message).not.toContain('SECRET');
  });

  it('upgrades http to https for allowed hosts when the provider documents http links (DSA)', () => {
    const dsa = { ...POLICY, upgradeHttp: true };
    expect(checkPackageUrl('http://log-download.example.com/20181010/00/x?st=a&e=1', dsa, 'p').url).toBe('https://log-download.example.com/20181010/00/x?st=a&e=1');
    expect(refusal('http://evil.example.net/x', dsa).message).toMatch(/not a known download host/);
  });
});

describe('isNonPublicAddress', () => {
  it.each(['127.0.0.1', '10.0.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '169.254.169.254', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fc00::1', '::ffff:10.0.0.1', '64:ff9b::7f00:1', 'not-an-ip'])('%s is not public', (ip) => {
    expect(isNonPublicAddress(ip)).toBe(true);
  });
  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])('%s is public', (ip) => {
    expect(isNonPublicAddress(ip)).toBe(false);
  });
});

describe('untrusted requests', () => {
  it('refuses to connect when an allowed name resolves to a loopback address, and sends nothing', async () => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end('package');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const http = new HttpClient({ retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    try {
      const err = await http.send({ method: 'GET', url: `http://localhost:${port}/x.gz`, untrusted: true }).catch((e: unknown) => e as CdnLogError);
      expect(err).toBeInstanceOf(CdnLogError);
      expect((err as CdnLogError).kind).toBe('ProviderError');
      expect((err as CdnLogError).message).toMatch(/localhost resolves to the non-public address (127\.0\.0\.1|::1)/);
      expect(hits).toBe(0);
      // The same URL as an ordinary (trusted) request connects: the refusal is the lookup's doing.
      const res = await http.send({ method: 'GET', url: `http://127.0.0.1:${port}/x.gz` });
      expect(await res.text()).toBe('package');
      expect(hits).toBe(1);
    } finally {
      await http.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
