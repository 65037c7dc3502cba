import { bridgeBody, effectiveSource, firstAnswerWaitMs, statsIntervalMs } from './request';

describe('the bridge request of a query', () => {
  it("takes the query's source when it names one, else the default narrowed by the query's other keys", () => {
    expect(effectiveSource({ resource: '100001' }, { cname: 'cdn.example.com' })).toEqual({ cname: 'cdn.example.com' });
    expect(effectiveSource({ zone: 'zone-2mzegj4vln5f', layer: 'l7' }, { layer: 'l4', proxy: ' proxy-1 ', domain: '' })).toEqual({ zone: 'zone-2mzegj4vln5f', layer: 'l4', proxy: 'proxy-1' });
    expect(effectiveSource(undefined, { host: '' })).toEqual({});
  });

  it("waits for the first answer well inside the data proxy's timeout", () => {
    expect(firstAnswerWaitMs({})).toBe(5_000);
    expect(firstAnswerWaitMs({ timeout: 8 })).toBe(3_000);
    expect(firstAnswerWaitMs({ timeout: 3 })).toBe(0);
  });

  it('rounds stats buckets up to whole seconds and to at most 10,000 buckets', () => {
    expect(statsIntervalMs(undefined, 0, 3_600_000)).toBe(1_000);
    expect(statsIntervalMs(90_500, 0, 3_600_000)).toBe(91_000);
    expect(statsIntervalMs(1_000, 0, 30 * 86_400_000)).toBe(260_000);
  });

  it('sends the EdgeOne API root of the settings, and leaves logs options out of stats', () => {
    const body = bridgeBody(
      { refId: 'A', mode: 'stats', fields: ['path'], limit: 5, sort: 'asc', topK: 3 },
      { settings: { provider: 'tencent-edgeone', apiBaseUrl: 'https://teo.intl.tencentcloudapi.com', defaultSource: { zone: 'zone-2mzegj4vln5f' } }, fromMs: 0, toMs: 3_600_000, intervalMs: 60_000 },
    );
    expect(body).toEqual({
      provider: 'tencent-edgeone',
      source: { zone: 'zone-2mzegj4vln5f' },
      baseUrl: 'https://teo.intl.tencentcloudapi.com',
      fromMs: 0,
      toMs: 3_600_000,
      mode: 'stats',
      waitMs: 5_000,
      groupBy: null,
      metric: 'count',
      topK: 3,
      intervalMs: 60_000,
    });
  });
});
