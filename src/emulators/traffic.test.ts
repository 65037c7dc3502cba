import fc from 'fast-check';
import { RayIdCodec } from './ray-ids';
import { TrafficGenerator } from './traffic';

const HOSTS = ['www.example.com', 'static.example.com'];
const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
const MINUTE = 60_000;

describe('TrafficGenerator', () => {
  it('gives the same events for the same seed, source and minute, and different ones for another seed', () => {
    const a = new TrafficGenerator({ seed: 42, rpm: 100 }).events('zone-a', HOSTS, T0, T0 + MINUTE);
    const b = new TrafficGenerator({ seed: 42, rpm: 100 }).events('zone-a', HOSTS, T0, T0 + MINUTE);
    const other = new TrafficGenerator({ seed: 43, rpm: 100 }).events('zone-a', HOSTS, T0, T0 + MINUTE);
    expect(a.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
    expect(other.map((e) => e.rayId)).not.toEqual(a.map((e) => e.rayId));
  });

  it('gives each source its own traffic', () => {
    const generator = new TrafficGenerator({ seed: 1, rpm: 100 });
    const a = generator.events('zone-a', HOSTS, T0, T0 + MINUTE).map((e) => e.rayId);
    const b = generator.events('zone-b', HOSTS, T0, T0 + MINUTE).map((e) => e.rayId);
    expect(a.filter((id) => b.includes(id))).toEqual([]);
  });

  it('never changes the union when a range is split into windows at any cut points', () => {
    const generator = new TrafficGenerator({ seed: 9, rpm: 30 });
    const whole = JSON.stringify(generator.events('zone-a', HOSTS, T0, T0 + 10 * MINUTE));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 10 * MINUTE - 1 }), { maxLength: 6 }), (cuts) => {
        const bounds = [T0, ...cuts.sort((x, y) => x - y).map((c) => T0 + c), T0 + 10 * MINUTE];
        const pieces = bounds.slice(1).flatMap((end, i) => generator.events('zone-a', HOSTS, bounds[i], end));
        expect(JSON.stringify(pieces)).toBe(whole);
      }),
      { numRuns: 25 },
    );
  });

  it('sorts by timestamp then ray id, keeps every timestamp in the window, and gives unique ray ids', () => {
    const events = new TrafficGenerator({ seed: 5, rpm: 3000 }).events('zone-a', HOSTS, T0 + 1234, T0 + 3 * MINUTE + 99);
    const outOfOrder = events.filter(
      (e, i) => i > 0 && !(events[i - 1].timestampMs < e.timestampMs || (events[i - 1].timestampMs === e.timestampMs && events[i - 1].rayId < e.rayId)),
    );
    expect(outOfOrder).toEqual([]);
    expect(events[0].timestampMs).toBeGreaterThanOrEqual(T0 + 1234);
    expect(events[events.length - 1].timestampMs).toBeLessThan(T0 + 3 * MINUTE + 99);
    expect(new Set(events.map((e) => e.rayId)).size).toBe(events.length);
  });

  it('averages about rpm requests a minute, with some empty minutes when rpm is small', () => {
    const busy = new TrafficGenerator({ seed: 3, rpm: 200 }).events('zone-a', HOSTS, T0, T0 + 60 * MINUTE);
    expect(busy.length / 60).toBeGreaterThan(170);
    expect(busy.length / 60).toBeLessThan(230);

    const quiet = new TrafficGenerator({ seed: 3, rpm: 1 });
    const perMinute = Array.from({ length: 120 }, (_, m) => quiet.events('q', HOSTS, T0 + m * MINUTE, T0 + (m + 1) * MINUTE).length);
    expect(perMinute.filter((n) => n === 0).length).toBeGreaterThan(10);
    expect(perMinute.reduce((x, y) => x + y, 0) / 120).toBeGreaterThan(0.6);
    expect(new TrafficGenerator({ seed: 3, rpm: 0 }).events('z', HOSTS, T0, T0 + 10 * MINUTE)).toEqual([]);
  });

  it('produces values with the documented shapes and the awkward cases parsers must survive', () => {
    const events = new TrafficGenerator({ seed: 11, rpm: 2000 }).events('zone-a', HOSTS, T0, T0 + 5 * MINUTE);
    const share = (predicate: (e: (typeof events)[number]) => boolean) => events.filter(predicate).length / events.length;

    // One assertion over all events: an expect per event makes this test slow.
    const malformed = events.filter(
      (e) =>
        !Number.isInteger(e.timestampMs) ||
        !Number.isInteger(e.durationMs) ||
        e.durationMs < 0 ||
        !e.path.startsWith('/') ||
        e.path.includes('?') ||
        e.query === '' ||
        e.query?.startsWith('?') ||
        e.bytesSent < e.bodyBytes ||
        !/^[0-9a-f]{16}$/.test(e.rayId) ||
        !/^[A-Z]{2}$/.test(e.country) ||
        !HOSTS.includes(e.host) ||
        !Number.isInteger(e.tcpRttUs) ||
        (e.range !== null && e.status !== 206) ||
        /[\t\r\n]/.test(`${e.userAgent}${e.path}${e.referer ?? ''}`),
    );
    expect(malformed).toEqual([]);
    expect(share((e) => e.clientIp.includes(':'))).toBeGreaterThan(0.15);
    expect(share((e) => e.clientIp.includes(':'))).toBeLessThan(0.25);
    expect(share((e) => e.query !== null)).toBeGreaterThan(0.25);
    expect(share((e) => e.query !== null)).toBeLessThan(0.35);
    expect(share((e) => e.referer === null)).toBeGreaterThan(0.45);
    expect(share((e) => e.referer === null)).toBeLessThan(0.55);
    expect(share((e) => e.status === 200)).toBeGreaterThan(0.7);
    expect(share((e) => e.method === 'GET')).toBeGreaterThan(0.7);

    const seen = (pick: (e: (typeof events)[number]) => unknown) => new Set(events.map(pick));
    expect([...seen((e) => e.status)].sort()).toEqual([200, 206, 301, 302, 304, 400, 403, 404, 429, 499, 500, 502, 503, 504]);
    expect([...seen((e) => e.method)].sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
    expect(seen((e) => e.cacheStatus).size).toBe(8);
    expect(seen((e) => e.protocol).size).toBe(4);
    expect(seen((e) => e.pop.gcoreDatacenter)).toContain('Sao Paulo');
    expect(seen((e) => e.userAgent)).toContain('curl/8.5.0');
    expect(events.some((e) => e.userAgent.includes('(KHTML, like Gecko)'))).toBe(true);
    expect(events.some((e) => e.userAgent.includes('"'))).toBe(true);
    expect(events.some((e) => e.userAgent.includes('${'))).toBe(true);
    expect(events.some((e) => e.range !== null && /^bytes=\d+-\d+$/.test(e.range))).toBe(true);
  });

  it('finds an event by its ray id without scanning, and nothing for ids of another source', () => {
    const generator = new TrafficGenerator({ seed: 8, rpm: 50 });
    const events = generator.events('zone-a', HOSTS, T0, T0 + 30 * MINUTE);
    const target = events[Math.floor(events.length / 2)];
    expect(generator.findByRayId('zone-a', HOSTS, target.rayId)).toEqual(target);
    expect(generator.findByRayId('zone-b', HOSTS, target.rayId)).toBeUndefined();
    expect(generator.findByRayId('zone-a', HOSTS, 'not-a-ray-id')).toBeUndefined();
  });
});

describe('RayIdCodec', () => {
  it('decodes every id back to the source tag, minute and index it was made from', () => {
    const codec = new RayIdCodec(77);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 22 - 1 }),
        fc.integer({ min: 0, max: 2 ** 26 - 1 }),
        fc.integer({ min: 0, max: 2 ** 16 - 1 }),
        (sourceTag, minute, index) => {
          const id = codec.encode({ sourceTag, minute, index });
          expect(id).toMatch(/^[0-9a-f]{16}$/);
          expect(codec.decode(id)).toEqual({ sourceTag, minute, index });
        },
      ),
    );
  });
});
