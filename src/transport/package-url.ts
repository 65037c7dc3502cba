/**
 * Log package URLs are untrusted input: DSA and EdgeOne answer a listing with URLs to download,
 * and a client that fetches whatever it is handed can be steered at the cloud metadata service or
 * an internal host (SSRF). A package URL is fetched only over https, only from the provider's known
 * download hosts (extendable by configuration), and never from a loopback, private, link-local or
 * otherwise non-public address; the one exception is an origin trusted as a whole, the emulator's
 * own base URL in demo and test mode.
 */

import { isIP } from 'node:net';
import { CdnLogError } from '../core/errors';
import { redactUrl } from './http';
import { isNonPublicAddress } from './public-address';

export interface PackageUrlPolicy {
  /** Host names packages may come from: `host.example.com` exactly, or `.example.com` for any name under it. */
  hosts: readonly string[];
  /** Origins trusted whole (`http://127.0.0.1:8080`): the emulator in demo and test mode. */
  trustedOrigins: readonly string[];
  /**
   * Fetch an `http://` URL of an allowed host over https instead of refusing it. Tencent DSA's
   * documentation shows its download links as http://; the bytes still never travel in clear.
   */
  upgradeHttp?: boolean;
}

export interface CheckedPackageUrl {
  /** What to fetch (possibly upgraded to https). */
  url: string;
  /** True for a trusted origin: fetched as any API request, without the public-address check. */
  trusted: boolean;
}

function hostAllowed(hostname: string, hosts: readonly string[]): boolean {
  return hosts.some((h) => (h.startsWith('.') ? hostname.endsWith(h) && hostname.length > h.length : hostname === h));
}

/**
 * Decides whether a package URL may be fetched, before anything is sent. Refusals are
 * ProviderError (retrying will not change the URL) with a message that names the rule, the
 * redacted URL (no signed query string) and how to allow a genuine host.
 */
export function checkPackageUrl(raw: string, policy: PackageUrlPolicy, who: string): CheckedPackageUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CdnLogError('ProviderError', `${who} listed a package URL that does not parse; nothing was fetched`);
  }
  if (policy.trustedOrigins.includes(url.origin)) return { url: url.href, trusted: true };
  const shown = redactUrl(url.href);
  const refuse = (why: string) => new CdnLogError('ProviderError', `${who} listed the package ${shown}: refused, ${why}; nothing was fetched`);
  if (url.username || url.password) throw refuse('it carries credentials');
  // URL keeps IPv6 literals in brackets.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (isIP(hostname) !== 0 && isNonPublicAddress(hostname)) throw refuse('it points at a loopback, private or reserved address');
  if (!hostAllowed(hostname, policy.hosts)) {
    throw refuse(`${hostname} is not a known download host of ${who} (allowed: ${policy.hosts.join(', ')}); if it is genuine, add it with --package-host`);
  }
  if (url.protocol === 'http:' && policy.upgradeHttp) {
    url.protocol = 'https:';
    return { url: url.href, trusted: false };
  }
  if (url.protocol !== 'https:') throw refuse(`packages are fetched over https only, not ${url.protocol.replace(':', '')}`);
  return { url: url.href, trusted: false };
}
