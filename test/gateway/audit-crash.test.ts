import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = resolve('dist/cli/main.js');

describe('audit through a crash', () => {
  it('a gateway killed with SIGKILL loses no audit record of a request it answered: after a restart the chain verifies and holds them all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-crash-'));
    const init = JSON.parse(spawnSync(process.execPath, [CLI, 'init', '--dir', dir, '--port', '0', '--admin-port', '0', '--json'], { encoding: 'utf8' }).stdout);
    const serve = () => {
      const child = spawn(process.execPath, [CLI, 'serve', '--config', init.config], { stdio: ['ignore', 'pipe', 'pipe'] });
      const url = new Promise<string>((resolvePromise, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(out)), 15_000);
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /LLM proxy:\s+(\S+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolvePromise(m[1]!);
          }
        });
      });
      return { child, url };
    };
    const first = serve();
    const gateway = first.child;
    const proxyUrl = await first.url;
    const answered: string[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${proxyUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${init.clientKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: `n${i}` }] }) });
      await res.arrayBuffer();
      if (res.status === 200) answered.push(res.headers.get('x-request-id')!);
    }
    gateway.kill('SIGKILL');
    await new Promise((r) => gateway.once('exit', r));
    expect(answered).toHaveLength(40);
    // The next start replays what the crashed process had journaled but not yet stored.
    const second = serve();
    await second.url;
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));

    const verify = spawnSync(process.execPath, [CLI, 'audit', 'verify', '--config', init.config], { encoding: 'utf8' });
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    const exported = spawnSync(process.execPath, [CLI, 'audit', 'export', '--config', init.config, '--type', 'upstream.response'], { encoding: 'utf8' });
    const recorded = new Set(exported.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).requestId ?? JSON.parse(l).event?.requestId ?? JSON.parse(l).body?.requestId));
    for (const id of answered) expect(recorded.has(id), id).toBe(true);
  }, 60_000);
});
