import { spawn } from 'node:child_process';
import path from 'node:path';
import { request } from 'undici';

const BIN = path.join(__dirname, '..', '..', 'bin', 'cdn-log-bridge.js');

describe('npm start (cdn-log-bridge demo)', () => {
  it('prints the bridge URL, its token and curl lines that work as printed; SIGTERM stops it with exit 0', async () => {
    const child = spawn(process.execPath, [BIN, 'demo'], { env: { ...process.env, CDN_LOG_BRIDGE_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 600 && !/Ctrl-C stops/.test(out); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      const url = /The bridge .* is at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      const token = /bridge token: ([0-9a-f]{48})/.exec(out)?.[1];
      expect([url, token]).toEqual([expect.stringMatching(/^http/), expect.stringMatching(/^[0-9a-f]{48}$/)]);
      const curls = out.split('\n').filter((l) => l.trim().startsWith('curl '));
      expect(curls).toHaveLength(2);
      for (const line of curls) {
        const auth = /'Authorization: Bearer ([^']+)'/.exec(line)![1];
        const target = / (http:\/\/\S+) -d /.exec(line)![1];
        const body = /-d '(.*)'$/.exec(line)![1];
        const res = await request(target, { method: 'POST', headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' }, body });
        const answer = (await res.body.json()) as { state: string };
        expect([res.statusCode, answer.state]).toEqual([200, 'done']);
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
