import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestGateway } from '../helpers/gateway.js';

const CLI = resolve('dist/cli/main.js');
const run = (args: string[], cwd: string) => spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });

describe('integrity at start-up', () => {
  it('refuses to start once a signed file changed, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-int-'));
    mkdirSync(join(dir, 'models'));
    writeFileSync(join(dir, 'models', 'weights.bin'), 'weights v1');
    writeFileSync(join(dir, 'system-prompt.md'), 'You are careful.');
    expect(run(['integrity', 'keygen', '--out-dir', dir], dir).status).toBe(0);
    expect(run(['integrity', 'sign', 'models', 'system-prompt.md', '--key', join(dir, 'clawguard-signing.key'), '--out', join(dir, 'manifest.json')], dir).status).toBe(0);
    const init = JSON.parse(run(['init', '--dir', join(dir, 'cg'), '--port', '0', '--admin-port', '0', '--json'], dir).stdout);
    appendFileSync(init.config, `integrity:\n  manifest: ${join(dir, 'manifest.json')}\n  publicKey: ${join(dir, 'clawguard-signing.pub')}\n`);
    expect(run(['config', 'validate', init.config], dir).status).toBe(0);
    // Intact: the gateway starts.
    const { loadConfigFile } = await import('../../src/config/load.js');
    const { builtinGuards } = await import('../../src/guards/index.js');
    const { createGateway } = await import('../../src/gateway/server.js');
    const { createLogger } = await import('../../src/gateway/server.js');
    const gateway = await createGateway(loadConfigFile(init.config, builtinGuards()), { logger: createLogger('silent') });
    await gateway.close();
    appendFileSync(join(dir, 'models', 'weights.bin'), ' tampered');
    const refused = run(['serve', '--config', init.config], dir);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('weights.bin');
  });

  it('refuses model aliases when pinning is on', async () => {
    const gw = await startTestGateway({ integrity: { pinModels: true, allowModels: ['demo'] } });
    try {
      const ask = (model: string) =>
        fetch(`${gw.proxyUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
      const alias = await ask('gpt-4o');
      expect(alias.status).toBe(403);
      expect(((await alias.json()) as any).error.code).toBe('model_not_pinned');
      expect((await ask('demo')).status).toBe(200);
      expect((await ask('gpt-4o-2024-08-06')).status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});
