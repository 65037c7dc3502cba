/**
 * What the plugin must know about each provider to configure and address it: the credential
 * variables its adapter reads (they travel as `X-Cdn-<VAR>` headers added by the data proxy route
 * from secureJsonData) and the source selector keys its adapter's parseSource takes. The plugin
 * imports nothing from src/providers (it runs in the browser); providers.test.ts checks this table
 * against the adapters and plugin.json's route.
 */

import type { ProviderId } from '../core/record';

export interface CredentialSpec {
  /** The adapter's variable, e.g. CLOUDFLARE_API_TOKEN. */
  env: string;
  label: string;
  description: string;
  /** Only some providers need it (Tencent's session token, Cloudflare's email + key pair). */
  optional?: boolean;
}

export type SelectorKind = 'text' | 'list' | 'layer';

export interface SelectorSpec {
  /** The bridge's source key (src/bridge/server.ts SELECTOR_PARAMS). */
  key: string;
  label: string;
  placeholder: string;
  kind: SelectorKind;
  description: string;
}

export interface ProviderSpec {
  id: ProviderId;
  name: string;
  credentials: CredentialSpec[];
  selectors: SelectorSpec[];
  /** Which filters the provider applies itself (src/providers/<id> pushedDown); the rest run in the bridge. */
  pushDown: string;
}

const TENCENT_CREDENTIALS: CredentialSpec[] = [
  { env: 'TENCENTCLOUD_SECRET_ID', label: 'SecretId', description: 'API key SecretId of the account or of a CAM user' },
  { env: 'TENCENTCLOUD_SECRET_KEY', label: 'SecretKey', description: 'API key SecretKey' },
  { env: 'TENCENTCLOUD_SESSION_TOKEN', label: 'Session token', description: 'Only for temporary credentials (STS)', optional: true },
];

export const PROVIDERS: readonly ProviderSpec[] = [
  {
    id: 'cloudflare',
    name: 'Cloudflare',
    credentials: [
      { env: 'CLOUDFLARE_API_TOKEN', label: 'API token', description: 'An API token with Logs Read on the zone (preferred)', optional: true },
      { env: 'CLOUDFLARE_EMAIL', label: 'Account email', description: 'With a Global API key, instead of a token', optional: true },
      { env: 'CLOUDFLARE_API_KEY', label: 'Global API key', description: 'With the account email, instead of a token', optional: true },
    ],
    selectors: [{ key: 'zone', label: 'Zone ID', placeholder: '32 hex characters', kind: 'text', description: "The zone ID from the zone's Overview page" }],
    pushDown: 'Cloudflare Logpull filters nothing: every filter and the search run in the bridge while it streams.',
  },
  {
    id: 'gcore',
    name: 'Gcore',
    credentials: [{ env: 'GCORE_API_KEY', label: 'API key', description: 'A permanent API token from the Gcore Customer Portal' }],
    selectors: [
      { key: 'resource', label: 'Resource ID', placeholder: '100001', kind: 'text', description: 'The CDN resource id (a number); or give the CNAME' },
      { key: 'cname', label: 'CNAME', placeholder: 'cdn.example.com', kind: 'text', description: 'The CDN resource custom domain, when no resource id is given' },
    ],
    pushDown:
      'Gcore applies filters on method, clientIp, status, bytesSent, host, source, cacheStatus and edgeLocation itself (one per field and operator); the search and every other filter run in the bridge.',
  },
  {
    id: 'tencent-dsa',
    name: 'Tencent DSA',
    credentials: TENCENT_CREDENTIALS,
    selectors: [{ key: 'host', label: 'Hosts', placeholder: 'a.example.com,b.example.com', kind: 'list', description: 'Accelerated domains, comma-separated' }],
    pushDown: 'Tencent DSA serves whole hourly packages: every filter and the search run in the bridge.',
  },
  {
    id: 'naver-elsa',
    name: 'NAVER ELSA',
    credentials: [
      { env: 'NCLOUD_ACCESS_KEY', label: 'Access key', description: 'API authentication key of the account or a sub account allowed to use ELSA' },
      { env: 'NCLOUD_SECRET_KEY', label: 'Secret key', description: 'The secret key of that access key' },
    ],
    selectors: [
      { key: 'projectId', label: 'Project ID', placeholder: '8171', kind: 'text', description: 'The ELSA project id (a number)' },
      { key: 'projectKey', label: 'Project key', placeholder: 'Pbxxxxx_project', kind: 'text', description: 'The project key shown on the ELSA project page' },
    ],
    pushDown: 'NAVER ELSA downloads filter nothing but time: every filter and the search run in the bridge.',
  },
  {
    id: 'tencent-edgeone',
    name: 'Tencent EdgeOne',
    credentials: TENCENT_CREDENTIALS,
    selectors: [
      { key: 'zone', label: 'Zone ID', placeholder: 'zone-2mzegj4vln5f', kind: 'text', description: 'The site zone ID (zone-…)' },
      { key: 'layer', label: 'Layer', placeholder: 'l7', kind: 'layer', description: 'l7: HTTP requests by domain; l4: proxy connections by proxy' },
      { key: 'domain', label: 'Domains', placeholder: 'www.example.com', kind: 'list', description: 'L7: domains, comma-separated (all when empty)' },
      { key: 'proxy', label: 'Proxies', placeholder: 'proxy-…', kind: 'list', description: 'L4: proxy IDs, comma-separated (all when empty)' },
    ],
    pushDown: 'Tencent EdgeOne serves whole packages per domain or proxy: every filter and the search run in the bridge.',
  },
];

export function providerSpec(id: string | undefined): ProviderSpec | undefined {
  return PROVIDERS.find((p) => p.id === id);
}

/** Selector keys that name a source (the others only narrow it), as the bridge has them. */
export const IDENTITY_SELECTORS: readonly string[] = ['zone', 'resource', 'cname', 'host', 'projectId', 'projectKey'];

/** secureJsonData key of a credential variable: CLOUDFLARE_API_TOKEN → cloudflareApiToken. */
export function secureKey(env: string): string {
  return env.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The header a credential variable travels in, as the bridge reads it (src/bridge/credentials.ts). */
export function credentialHeaderName(env: string): string {
  return `X-Cdn-${env
    .toLowerCase()
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('-')}`;
}

/** Every credential variable of every provider, once: the route sends one header each (empty when unset). */
export function allCredentialEnvs(): string[] {
  return [...new Set(PROVIDERS.flatMap((p) => p.credentials.map((c) => c.env)))];
}
