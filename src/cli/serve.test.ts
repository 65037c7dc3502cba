import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { main } from '../cli';
import type { CliIo } from './query';
import { serveSettings } from './serve';

async function run(args: string[], env: Record<string, string> = {}) {
  const err: string[] = [];
  const io: CliIo = { stdout: () => undefined, stderr: (t) => void err.push(t), env, nowMs: Date.now, interactive: false };
  const code = await main(args, io);
  return { code, stderr: err.join('') };
}

describe('cdn-log-bridge serve', () => {
  it.each([
    [['serve'], {}, /token: the bridge needs a token: pass --token or set CDN_LOG_BRIDGE_TOKEN/],
    [['serve', '--token', 'short'], {}, /token: the bridge token must be at least 16 characters/],
    [['serve'], { CDN_LOG_BRIDGE_TOKEN: 'short' }, /at least 16 characters/],
    [['serve', '--demo', '--port', '70000'], {}, /port: "70000" is not a whole number from 0 to 65535/],
    [['serve', '--demo', '--cache-max-bytes', '-1'], {}, /cache-max-bytes/],
  ] as const)('exits 2 with one line naming the problem: %j %j', async (args, env, message) => {
    const { code, stderr } = await run([...args], { ...env });
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('exits 2 naming the port when it is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const { code, stderr } = await run(['serve', '--token', 'a-token-of-sixteen-chars', '--port', String(port), '--cache-dir', '/tmp/cdn-log-bridge-serve-test']);
      expect(code).toBe(2);
      expect(stderr).toMatch(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use \\(EADDRINUSE\\)`));
    } finally {
      blocker.close();
    }
  });

  it('takes the token from CDN_LOG_BRIDGE_TOKEN, and makes one up only in demo mode', () => {
    expect(serveSettings([], { CDN_LOG_BRIDGE_TOKEN: 'from-the-environment-123' })).toMatchObject({ token: 'from-the-environment-123', tokenGenerated: false, demo: false, port: 8787 });
    const demo = serveSettings(['--demo'], {})!;
    expect(demo.tokenGenerated).toBe(true);
    expect(demo.token).toMatch(/^[0-9a-f]{48}$/);
  });
});
