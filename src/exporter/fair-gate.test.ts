import { FairGate, FairGates } from './fair-gate';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('FairGate', () => {
  it('hands a freed slot to the longest waiter, so a source that comes back at once queues behind the others', async () => {
    const gate = new FairGate(1);
    const order: string[] = [];
    const releaseA = await gate.acquire();
    const b = gate.acquire().then((release) => (order.push('b'), release));
    const c = gate.acquire().then((release) => (order.push('c'), release));
    releaseA();
    // A comes straight back for another window: it waits behind b and c.
    const a2 = gate.acquire().then((release) => (order.push('a'), release));
    (await b)();
    (await c)();
    (await a2)();
    expect(order).toEqual(['b', 'c', 'a']);
  });

  it('runs up to its slots at once', async () => {
    const gate = new FairGate(2);
    const r1 = await gate.acquire();
    await gate.acquire();
    let third = false;
    void gate.acquire().then(() => (third = true));
    await tick();
    expect(third).toBe(false);
    expect(gate.queued).toBe(1);
    r1();
    await tick();
    expect(third).toBe(true);
  });

  it('releases once however often the releaser is called', async () => {
    const gate = new FairGate(1);
    const r1 = await gate.acquire();
    r1();
    r1();
    await gate.acquire();
    let more = false;
    void gate.acquire().then(() => (more = true));
    await tick();
    expect(more).toBe(false);
  });

  it('drops a waiter whose signal aborts, and its place goes to the next', async () => {
    const gate = new FairGate(1);
    const r1 = await gate.acquire();
    const controller = new AbortController();
    const aborted = gate.acquire(controller.signal);
    const next = gate.acquire();
    controller.abort(new Error('stopping'));
    await expect(aborted).rejects.toThrow('stopping');
    r1();
    await expect(next).resolves.toBeInstanceOf(Function);
  });

  it('refuses a gate without slots', () => {
    expect(() => new FairGate(0)).toThrow(RangeError);
    expect(() => new FairGate(Number.NaN)).toThrow(RangeError);
  });

  it('keeps one gate per provider account', () => {
    const gates = new FairGates(1);
    expect(gates.forAccount('cloudflare', 'a')).toBe(gates.forAccount('cloudflare', 'a'));
    expect(gates.forAccount('cloudflare', 'a')).not.toBe(gates.forAccount('cloudflare', 'b'));
    expect(gates.forAccount('cloudflare', 'a')).not.toBe(gates.forAccount('gcore', 'a'));
  });
});
