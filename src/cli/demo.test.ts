import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';

const BIN = path.join(__dirname, '..', '..', 'bin', 'cdn-log-bridge.js');

describe('npm start (cdn-log-bridge demo)', () => {
  it('prints the bridge URL, its token and curl lines that work as printed; exports all five providers to ./data/otlp; SIGTERM stops it with exit 0', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'demo-test-'));
    const child = spawn(process.execPath, [BIN, 'demo'], { cwd, env: { ...process.env, CDN_LOG_BRIDGE_TOKEN: '', OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const checkpoints = () => {
      const dir = path.join(cwd, 'data', 'state');
      return existsSync(dir) ? readdirSync(dir).filter((f) => /^(cloudflare|gcore|naver-elsa|tencent-dsa|tencent-edgeone)-[0-9a-f]{32}\.json$/.test(f)) : [];
    };
    child.stdout.on('data', (chunk) => (out += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 600 && !/Ctrl-C stops/.test(out); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      const url = /The bridge .* is at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      const token = /bridge token: ([0-9a-f]{48})/.exec(out)?.[1];
      expect([url, token]).toEqual([expect.stringMatching(/^http/), expect.stringMatching(/^[0-9a-f]{48}$/)]);
      const curls = out.split('\n').filter((l) => l.trim().startsWith('curl ') && l.includes('/api/v1/query'));
      expect(curls).toHaveLength(2);
      for (const line of curls) {
        const auth = /'Authorization: Bearer ([^']+)'/.exec(line)![1];
        const target = / (http:\/\/\S+) -d /.exec(line)![1];
        const body = /-d '(.*)'$/.exec(line)![1];
        const res = await request(target, { method: 'POST', headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' }, body });
        const answer = (await res.body.json()) as { state: string };
        expect([res.statusCode, answer.state]).toEqual([200, 'done']);
      }
      // The exporter: its health on the bridge, and OTLP/JSON lines of every provider in ./data/otlp.
      const health = await request(`${url}/api/v1/exporter`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await health.body.json()) as { sources: Array<{ provider: string }> };
      expect(body.sources.map((s) => s.provider).sort()).toEqual(['cloudflare', 'gcore', 'naver-elsa', 'tencent-dsa', 'tencent-edgeone']);
      const providers = () => {
        const dir = path.join(cwd, 'data', 'otlp');
        const text = existsSync(dir) ? readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8')).join('') : '';
        return [...new Set([...text.matchAll(/"cdn\.provider","value":\{"stringValue":"([a-z-]+)"/g)].map((m) => m[1]))].sort();
      };
      // Records reach the files batch by batch, before their window's checkpoint: wait for both.
      for (let i = 0; i < 1200 && (providers().length < 5 || checkpoints().length < 5); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(providers()).toEqual(['cloudflare', 'gcore', 'naver-elsa', 'tencent-dsa', 'tencent-edgeone']);
      expect(checkpoints()).toHaveLength(5);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    // Checkpoints were kept: the next start resumes.
    expect(checkpoints()).toHaveLength(5);
    rmSync(cwd, { recursive: true, force: true });
  });
});
