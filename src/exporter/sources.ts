/**
 * Configured sources → what the exporter runs: the adapter, the credentials read as the provider
 * reads them, the checkpoint identity, the pacing and the resolved start.
 */

import type { ProviderId } from '../core/record';
import { credentialValues } from '../core/secrets';
import { parseTime } from '../core/time';
import { providerAdapter } from '../providers/registry';
import { accountHash, type CheckpointLane, type SourceIdentity } from './checkpoint';
import type { ExporterConfig, SourceConfig } from './config';
import type { ExportSource } from './exporter';
import { defaultPacing } from './scheduler';

/** What a provider's source yields: part of the identity, so a new dataset is a new cursor. */
function datasetOf(provider: ProviderId, selector: Record<string, string | string[]>): string {
  switch (provider) {
    case 'cloudflare':
      return 'http_requests';
    case 'tencent-edgeone':
      return selector.layer === 'l4' || (selector.proxy !== undefined && selector.layer === undefined) ? 'l4' : 'l7';
    case 'naver-elsa':
      return 'logs';
    default:
      return 'access';
  }
}

/** Package URLs from the base URL's own origin are trusted only on loopback: the emulators. */
function trustedOrigins(baseUrl: string | undefined): string[] {
  if (!baseUrl) return [];
  const url = new URL(baseUrl);
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) ? [url.origin] : [];
}

export function sourceIdentity(source: SourceConfig): SourceIdentity {
  const adapter = providerAdapter(source.provider);
  const credentials = adapter.credentialsFromEnv(source.credentials);
  const parsed = adapter.parseSource(source.selector);
  return {
    provider: source.provider,
    account: accountHash(source.account !== undefined ? `label:${source.account}` : `credentials:${credentialValues(credentials).join('\n')}`),
    source: adapter.sourceName(parsed),
    dataset: datasetOf(source.provider, source.selector),
  };
}

/** The exporter's sources; throws AuthFailed naming the variable when credentials are missing. */
export function exportSources(config: ExporterConfig, nowMs: number, lane?: { lane: CheckpointLane; fromMs: number; toMs: number }): ExportSource[] {
  return config.sources.map((source) => {
    const adapter = providerAdapter(source.provider);
    const credentials = adapter.credentialsFromEnv(source.credentials);
    return {
      name: source.name,
      identity: sourceIdentity(source),
      adapter,
      credentials,
      query: { provider: source.provider, source: source.selector, filters: [], options: source.options },
      pacing: defaultPacing(source.provider, adapter.limits, source.settleMs),
      startMs: lane ? lane.fromMs : parseTime(source.start, nowMs, 'start'),
      resource: { 'service.name': config.serviceName, ...config.resource, ...source.resource },
      baseUrl: source.baseUrl,
      trustedPackageOrigins: trustedOrigins(source.baseUrl),
      ...(lane ? { lane: lane.lane, untilMs: lane.toMs } : {}),
    };
  });
}
