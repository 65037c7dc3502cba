import net from 'node:net';
import { main } from '../cli';
import { startEmulators, type StartEmulatorsOptions } from '../emulators';
import { startFromArgs, untilStopped } from './emulate';
import type { CliIo } from './query';

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: {}, nowMs: Date.now, interactive: false };
  const code = await main(['emulate', ...args], io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Listens on 127.0.0.1:`port` (0: a free one); resolves null when the port is taken. */
function occupy(port: number): Promise<net.Server | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

function release(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A free port whose next port is held by another server: the second emulator's port is the taken one. */
async function freePortBeforeATakenOne(): Promise<{ free: number; holder: net.Server }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const probe = (await occupy(0))!;
    const free = portOf(probe);
    await release(probe);
    const holder = free < 65_535 ? await occupy(free + 1) : null;
    if (holder) return { free, holder };
  }
  throw new Error('found no free port followed by a free one in 20 tries');
}

describe('cdn-log-bridge emulate --port', () => {
  it.each([
    [['--port', '99999'], 'port: "99999" is not a port: give 1-65535, or 0 for free ports'],
    [['--port', '65536'], 'port: "65536" is not a port: give 1-65535, or 0 for free ports'],
    [['--port', '-1'], 'port: "-1" is not a port: give 1-65535, or 0 for free ports'],
    [['--port', 'abc'], 'port: "abc" is not a whole number; give a port 1-65535, or 0 for free ports'],
    [['--port', '80.5'], 'port: "80.5" is not a whole number; give a port 1-65535, or 0 for free ports'],
    [['--port', '0x50'], 'port: "0x50" is not a whole number; give a port 1-65535, or 0 for free ports'],
    [['--port', ''], 'port: "" is not a whole number; give a port 1-65535, or 0 for free ports'],
    [['--port', '65534'], 'port: 5 emulators need ports 65534..65538, past 65535; give --port 65531 or lower, or 0 for free ports'],
    [['--provider', 'gcore', '--provider', 'cloudflare', '--port', '65535'], 'port: 2 emulators need ports 65535..65536, past 65535; give --port 65534 or lower, or 0 for free ports'],
    [['--port', '8080', '--port', '8081'], 'port: --port was given twice; give it once'],
    [['--provider', 'gcore', '--provider', 'gcore'], 'provider: --provider gcore was given twice; give each provider once'],
    [['--rpm', '1e3'], 'rpm: "1e3" is not a whole number'],
  ])('exits 2 with one line naming the problem: %j', async (args, message) => {
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`cdn-log-bridge: ${message}\n`);
  });

  it('exits 2 naming the port when the port is in use', async () => {
    const holder = (await occupy(0))!;
    const port = portOf(holder);
    try {
      const { code, stderr } = await run(['--provider', 'gcore', '--port', String(port)]);
      expect(code).toBe(2);
      expect(stderr).toBe(`cdn-log-bridge: port: port ${port} is in use (EADDRINUSE); give another --port, or 0 for free ports\n`);
    } finally {
      await release(holder);
    }
  });

  it('names the second emulator’s port when that one is in use, and frees the first', async () => {
    const { free, holder } = await freePortBeforeATakenOne();
    try {
      const { code, stderr } = await run(['--provider', 'gcore', '--provider', 'cloudflare', '--port', String(free)]);
      expect(code).toBe(2);
      expect(stderr).toBe(`cdn-log-bridge: port: port ${free + 1} is in use (EADDRINUSE); give another --port, or 0 for free ports\n`);
      const again = await occupy(free);
      expect(again).not.toBeNull();
      await release(again!);
    } finally {
      await release(holder);
    }
  });

  it('exits 2 naming the port when listening on it needs privileges (EACCES)', async () => {
    // Tests may run as root, where a low port opens: the refusal is simulated at listen().
    const listen = jest.spyOn(net.Server.prototype, 'listen').mockImplementation(function (this: net.Server) {
      const refusal = Object.assign(new Error('listen EACCES: permission denied 127.0.0.1:80'), { code: 'EACCES', errno: -13, syscall: 'listen', address: '127.0.0.1', port: 80 });
      process.nextTick(() => this.emit('error', refusal));
      return this;
    });
    try {
      const { code, stderr } = await run(['--provider', 'gcore', '--port', '80']);
      expect(code).toBe(2);
      expect(stderr).toBe('cdn-log-bridge: port: port 80 needs privileges (EACCES); give a port from 1024 up, or 0 for free ports\n');
    } finally {
      listen.mockRestore();
    }
  });

  it('starts on the last port, 65535, when one emulator is asked for', async () => {
    const fleet = await startFromArgs(['--provider', 'naver-elsa', '--port', '65535']);
    try {
      expect(fleet!.describe().map((d) => d.baseUrl)).toEqual(['http://127.0.0.1:65535']);
    } finally {
      await fleet!.close();
    }
  });

  it('starts every emulator on a free port with --port 0', async () => {
    const fleet = await startFromArgs(['--port', '0']);
    try {
      const ports = fleet!.describe().map((d) => Number(new URL(d.baseUrl).port));
      expect(ports).toHaveLength(5);
      for (const port of ports) expect(port).toBeGreaterThan(0);
    } finally {
      await fleet!.close();
    }
  });
});

describe('startEmulators', () => {
  it.each<[StartEmulatorsOptions, string]>([
    [{ port: 65534 }, '5 emulators need ports 65534..65538, past 65535 (0: free ports)'],
    [{ port: 65535, providers: ['gcore', 'cloudflare'] }, '2 emulators need ports 65535..65536, past 65535 (0: free ports)'],
    [{ port: -1, providers: ['gcore'] }, 'Port -1 is not a port: ports are 1-65535 (0: free ports)'],
    [{ port: 70_000, providers: ['gcore'] }, 'Port 70000 is not a port: ports are 1-65535 (0: free ports)'],
    [{ port: 1.5, providers: ['gcore'] }, 'Port 1.5 is not a port: ports are 1-65535 (0: free ports)'],
  ])('refuses a port outside 1-65535, or a range running past it, before any emulator listens: %j', async (options, message) => {
    await expect(startEmulators(options)).rejects.toThrow(new RangeError(message));
  });
});

describe('untilStopped', () => {
  it('removes its SIGINT and SIGTERM handlers when the work it waits beside finishes first', async () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    let finish!: () => void;
    const waiting = untilStopped(new Promise<void>((resolve) => (finish = resolve)));
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual([before[0] + 1, before[1] + 1]);
    finish();
    await waiting;
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });

  it('resolves on SIGTERM and removes its handlers', async () => {
    const before = process.listenerCount('SIGTERM');
    const waiting = untilStopped();
    process.emit('SIGTERM', 'SIGTERM');
    await waiting;
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
