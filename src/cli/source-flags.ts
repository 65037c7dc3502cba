/** Source flags and the selector keys they fill (the adapters' parseSource reads the keys). */
export const SOURCE_FLAGS = {
  zone: 'zone',
  resource: 'resource',
  cname: 'cname',
  host: 'host',
  layer: 'layer',
  proxy: 'proxy',
  domain: 'domain',
  'project-id': 'projectId',
  'project-key': 'projectKey',
} as const;

/** Selector keys that name the source itself (the others only narrow it). */
export const IDENTITY_KEYS = new Set(['zone', 'resource', 'cname', 'host', 'projectId', 'projectKey']);
