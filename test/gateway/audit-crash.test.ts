import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnServe } from '../helpers/gateway.js';

const CLI = resolve('dist/cli/main.js');

describe('audit through a crash', () => {
  it('a gateway killed with SIGKILL loses no audit record of a request it answered: after a restart the chain verifies and holds them all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-crash-'));
    const init = JSON.parse(spawnSync(process.execPath, [CLI, 'init', '--dir', dir, '--port', '0', '--admin-port', '0', '--json'], { encoding: 'utf8' }).stdout);
    const serve = () => {
      const { child, address } = spawnServe(init.config);
      return { child, url: address('LLM proxy') };
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

  it('the events of a request up to the forward are journaled before the upstream sees it: killed while the upstream holds it, they are all in the log after a restart', async () => {
    let reached!: () => void;
    const upstreamReached = new Promise<void>((r) => (reached = r));
    const upstream = createServer((req) => {
      req.resume();
      reached(); // and never answer
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'cg-crash-'));
    const port = (upstream.address() as AddressInfo).port;
    const init = JSON.parse(
      spawnSync(process.execPath, [CLI, 'init', '--dir', dir, '--port', '0', '--admin-port', '0', '--upstream', `openai=http://127.0.0.1:${port}/v1`, '--upstream-key', 'env:HELD_KEY', '--json'], { encoding: 'utf8' }).stdout,
    );
    const serve = () => {
      const { child, address } = spawnServe(init.config, { ...process.env, HELD_KEY: 'sk-held' });
      return { child, url: address('LLM proxy') };
    };
    try {
      const first = serve();
      const proxyUrl = await first.url;
      const pending = fetch(`${proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${init.clientKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'held by the upstream' }] }),
      }).catch(() => undefined);
      await upstreamReached;
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      await pending;
      const second = serve();
      await second.url;
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
      const exported = spawnSync(process.execPath, [CLI, 'audit', 'export', '--config', init.config], { encoding: 'utf8' });
      const rows = exported.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; requestId?: string; data: { direction?: string; outcome?: string } });
      const held = rows.find((r) => r.type === 'request.received')?.requestId;
      expect(held).toBeDefined();
      const steps = rows.filter((r) => r.requestId === held).map((r) => (r.type === 'decision' ? `decision:${r.data.direction}` : r.type === 'auth' ? `auth:${r.data.outcome}` : r.type));
      expect(steps).toEqual(['auth:success', 'request.received', 'decision:input']);
    } finally {
      upstream.closeAllConnections();
      upstream.close();
    }
  }, 60_000);
});
