import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnServe } from '../helpers/gateway.js';

const CLI = resolve('dist/cli/main.js');

describe('request log lines on stdout', () => {
  it('reach stdout within about a second on a quiet gateway, not only once 4 KB of lines have gathered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-logflush-'));
    const init = JSON.parse(spawnSync(process.execPath, [CLI, 'init', '--dir', dir, '--port', '0', '--admin-port', '0', '--json'], { encoding: 'utf8' }).stdout);
    const { child, address } = spawnServe(init.config);
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const proxyUrl = await address('LLM proxy');
      const res = await fetch(`${proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${init.clientKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hello' }] }),
      });
      await res.arrayBuffer();
      const requestId = res.headers.get('x-request-id')!;
      // One line (~400 bytes) is far below the 4 KB the buffer waits for; the flush timer sends it.
      const deadline = Date.now() + 5000;
      while (!output.includes(requestId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const line = output.split('\n').find((l) => l.includes(requestId));
      expect(line).toBeDefined();
      expect(JSON.parse(line!)).toMatchObject({ msg: 'request', requestId, status: 200 });
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
