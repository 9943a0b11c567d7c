import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../reliability/stores.js';

const CLI = resolve('dist/cli/main.js');
const run = (args: string[], timeout?: number) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout, env: { ...process.env, FORCE_COLOR: '0' } });

const held: Server[] = [];
afterEach(async () => {
  for (const s of held.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

/** A port some other process holds for the whole test. */
async function busyPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  held.push(s);
  return (s.address() as { port: number }).port;
}


beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli/main.js is missing: run `npm test` (it builds first) or `npm run build`');
});

describe('clawguard serve on a port already in use', () => {
  // It used to print the error and then hang for ever: the stores and timers it had opened kept it alive.
  for (const surface of ['proxy', 'admin'] as const) {
    it(`exits 1 with a clear message when the ${surface} port is taken`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cg-port-'));
      const taken = await busyPort();
      const other = await freePort();
      const [port, adminPort] = surface === 'proxy' ? [taken, other] : [other, taken];
      const init = JSON.parse(run(['init', '--dir', dir, '--port', String(port), '--admin-port', String(adminPort), '--json']).stdout);
      const r = run(['serve', '--config', init.config], 20_000);
      expect(r.error, 'serve did not exit').toBeUndefined();
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`EADDRINUSE: address already in use 127.0.0.1:${taken}`);
      expect(r.stderr).toContain('change server.port / admin.port');
      expect(r.stdout).not.toContain('ClawGuard is listening');
    });
  }
});
