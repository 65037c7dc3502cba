/**
 * A provider for exporter tests: Cloudflare's limits, one record every `everyMs` per source at
 * fixed instants (so the ground truth of any range is known), a log of the windows requested, and
 * scriptable failures. Reads use the injected clock, like the real adapters.
 */
import { CdnLogError } from '../../core/errors';
import { type CdnLogRecord, emptyRecord } from '../../core/record';
import { DAY_MS, MINUTE_MS, SECOND_MS } from '../../core/time';
import type { ProviderLimits, TimeRange } from '../../core/windows';
import type { ProviderAdapter } from '../../providers/types';

export const FAKE_LIMITS: ProviderLimits = {
  maxWindowMs: 60 * MINUTE_MS,
  retention: { rollingMs: 7 * DAY_MS },
  retentionMarginMs: MINUTE_MS,
  settleDelayMs: MINUTE_MS + 5 * SECOND_MS,
  immutableAfterMs: 5 * MINUTE_MS,
};

export interface FakeCredentials {
  token: string;
}

export interface FakeProvider {
  adapter: ProviderAdapter<FakeCredentials, string>;
  /** Windows read, per source, in order, with the clock at the read. */
  reads: Array<{ source: string; window: TimeRange; atMs: number }>;
  /** Per source: errors thrown by its next reads. */
  failures: Map<string, CdnLogError[]>;
  /** The records a source holds in [fromMs, toMs). */
  truth(source: string, range: TimeRange): CdnLogRecord[];
}

export function fakeProvider(options: { everyMs?: (source: string) => number; nowMs: () => number }): FakeProvider {
  const everyOf = options.everyMs ?? (() => 10 * SECOND_MS);
  const reads: FakeProvider['reads'] = [];
  const failures = new Map<string, CdnLogError[]>();
  const truth = (source: string, range: TimeRange): CdnLogRecord[] => {
    const every = everyOf(source);
    const out: CdnLogRecord[] = [];
    for (let t = Math.ceil(range.fromMs / every) * every; t < range.toMs; t += every) {
      out.push({ ...emptyRecord('cloudflare', source, t), id: `${source}@${t}`, method: 'GET', host: `${source}.example`, path: '/', status: 200 });
    }
    return out;
  };
  const adapter: ProviderAdapter<FakeCredentials, string> = {
    id: 'cloudflare',
    name: 'Fake',
    limits: FAKE_LIMITS,
    defaultBaseUrl: 'http://fake.invalid',
    options: [],
    credentialEnv: ['FAKE_TOKEN'],
    credentialsFromEnv: (env) => ({ token: env.FAKE_TOKEN ?? '' }),
    parseSource: (selector) => String(selector.zone),
    sourceName: (source) => source,
    pushedDown: () => [],
    async *readWindow(ctx, window) {
      reads.push({ source: ctx.source, window, atMs: ctx.nowMs() });
      const failure = failures.get(ctx.source)?.shift();
      if (failure) throw failure;
      const records = truth(ctx.source, window);
      // Providers do not sort a window: the fake sends it newest first, in chunks.
      records.reverse();
      for (let i = 0; i < records.length; i += 500) {
        ctx.signal?.throwIfAborted();
        yield records.slice(i, i + 500);
      }
    },
    checkAccess: async () => 'ok',
  };
  return { adapter, reads, failures, truth };
}
