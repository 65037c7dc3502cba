/**
 * Provider and core messages name what to fix as the command line spells it (`check --zone`). A
 * bridge caller writes JSON, not flags: its messages name the query's fields instead.
 */

const QUERY_NAMES: Record<string, string> = {
  zone: 'source.zone',
  resource: 'source.resource',
  cname: 'source.cname',
  host: 'source.host',
  layer: 'source.layer',
  proxy: 'source.proxy',
  domain: 'source.domain',
  'project-id': 'source.projectId',
  'project-key': 'source.projectKey',
  'field-set': 'options.fieldSet',
  'package-host': 'options.packageHosts',
  'base-url': 'baseUrl',
};

/** The message with each command-line option it names replaced by the bridge query's field. */
export function inQueryTerms(message: string): string {
  return message.replace(/(?<![\w-])--([a-z]+(?:-[a-z]+)*)/g, (flag: string, name: string) => (QUERY_NAMES[name] ? `\`${QUERY_NAMES[name]}\`` : flag));
}
