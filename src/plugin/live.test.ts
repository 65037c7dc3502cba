import { LoadingState } from '@grafana/data';
import { lastValueFrom, take, toArray } from 'rxjs';
import { BridgeClient } from './bridge/client';
import { liveTail } from './live';
import { FakeBridge, logsAnswer, PROXY_URL } from './testing/fake-bridge';
import type { BridgeQueryBody } from './types';

let mockBridge = new FakeBridge();
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ fetch: mockBridge.fetch }),
}));

const NOW = Date.parse('2026-12-01T12:00:00Z');
const BODY: BridgeQueryBody = { provider: 'cloudflare', fromMs: 0, toMs: 1, mode: 'logs' };

describe('live tail', () => {
  it('keeps the newest rows up to its bound, the oldest going first', async () => {
    mockBridge = new FakeBridge();
    let n = 0;
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => {
      n += 2;
      return logsAnswer([{ id: `r${n}`, timestamp: NOW - 100 + n }, { id: `r${n - 1}`, timestamp: NOW - 101 + n }]);
    });
    const live = liveTail({ client: new BridgeClient(PROXY_URL), refId: 'A', key: 'k', body: BODY, nowMs: () => NOW, pollMs: 1, maxRows: 3 });
    const responses = await lastValueFrom(live.pipe(take(3), toArray()));
    const ids = responses.map((r) => r.data[0].fields.find((f: { name: string }) => f.name === 'id').values);
    expect(ids).toEqual([['r2', 'r1'], ['r4', 'r3', 'r2'], ['r6', 'r5', 'r4']]);
    expect(responses.every((r) => r.state === LoadingState.Streaming)).toBe(true);
  });

  it('does not stack a poll on one still waiting for the bridge', async () => {
    mockBridge = new FakeBridge();
    mockBridge.hold = true;
    mockBridge.on('POST', /^\/api\/v1\/query$/, () => logsAnswer([{ id: 'a', timestamp: NOW }]));
    const subscription = liveTail({ client: new BridgeClient(PROXY_URL), refId: 'A', key: 'k', body: BODY, nowMs: () => NOW, pollMs: 1 }).subscribe();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(mockBridge.calls('POST')).toHaveLength(1);
    subscription.unsubscribe();
    // Leaving the live view aborts the request in flight.
    expect(mockBridge.aborted.map((r) => r.path)).toEqual(['/api/v1/query']);
  });
});
