import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditConfigSchema } from '../../src/audit/config.js';
import { parseMasterKey } from '../../src/audit/encryption.js';
import { startAudit } from '../../src/audit/setup.js';
import { generateAuditSigningKey, parseSigningKey } from '../../src/audit/signing.js';
import { registerAuditCommands } from '../../src/cli/commands/audit.js';
import { Telemetry, telemetryConfigSchema } from '../../src/telemetry/index.js';
import { tempDir } from './helpers.js';

describe('secrets never reach the audit trail, its exports, forwarders, alerts or messages', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('scans every byte the audit and telemetry modules write for configured secrets and payload secrets', async () => {
    const pair = generateAuditSigningKey();
    const master = randomBytes(32).toString('hex');
    const siemToken = `siem-${randomBytes(12).toString('hex')}`;
    const hookToken = `hook-${randomBytes(12).toString('hex')}`;
    const promptSecret = `sk-live-${randomBytes(16).toString('hex')}`;
    const env = { SIGN: pair.privateKey, MASTER: master, SIEM: `Bearer ${siemToken}`, HOOK: `Bearer ${hookToken}` };
    const configured = [pair.privateKey, master, siemToken, hookToken];

    const captured: string[] = [];
    const server = createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        captured.push(b);
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const yaml = [
      'audit:',
      '  store: { path: audit.db }',
      '  payloads: encrypted',
      '  encryption: { activeKey: k1, keys: [{ id: k1, secret: env:MASTER }] }',
      '  signing: { privateKey: env:SIGN, checkpointEvery: 3 }',
      `  siem: [{ type: http, url: "${url}/siem", headers: { authorization: env:SIEM }, flushIntervalMs: 5 }]`,
    ].join('\n');
    const configPath = join(dir, 'clawguard.yaml');
    (await import('node:fs')).writeFileSync(configPath, yaml);
    const config = auditConfigSchema.parse((await import('yaml')).parse(yaml).audit);
    const telemetry = await Telemetry.create(
      telemetryConfigSchema.parse({ metrics: { defaultMetrics: false }, alerts: { webhooks: [{ url: `${url}/hook`, minSeverity: 'info', headers: { authorization: 'env:HOOK' } }], rules: { authFailureBurst: { count: 2 } } } }),
      { env, timers: false },
    );
    const errors: string[] = [];
    const audit = await startAudit(config, { baseDir: dir, env, hooks: { ...telemetry.auditHooks(), error: (m) => errors.push(m) } });
    const sink = telemetry.tap(audit.log);
    for (let i = 0; i < 10; i++) {
      sink.record({ type: 'request.received', principal: 'key_1', subject: 'alice', route: '/v1/chat/completions', payload: `please use ${promptSecret} to call the API` });
      sink.record({ type: 'auth', outcome: 'failure', surface: 'proxy', reason: 'invalid_key', keyId: 'cg_abc' });
    }
    await audit.close();
    await telemetry.close();

    let cli = '';
    const program = new Command().exitOverride();
    registerAuditCommands(program, { out: (t) => (cli += t), err: (t) => (cli += t), env, isTTY: false });
    for (const args of [['verify'], ['export'], ['export', '--decrypt'], ['erase', '--subject', 'alice', '--dry-run'], ['purge', '--older-than', '1', '--dry-run']]) {
      await program.parseAsync(['node', 'clawguard', 'audit', ...args, '--config', configPath]);
    }
    process.exitCode = undefined;
    const metrics = await telemetry.metrics.render();
    await new Promise<void>((r) => server.close(() => r()));

    expect(captured.some((b) => b.includes('"rule":"auth_failure_burst"'))).toBe(true);
    expect(captured.some((b) => b.includes('"type":"request.received"'))).toBe(true);
    expect(cli).toContain(promptSecret); // the operator asked for --decrypt: the payload is theirs to read
    const files = readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString('latin1'));
    const written = [...files, ...captured, metrics, errors.join('\n')];
    for (const text of written) {
      for (const secret of configured) expect(text).not.toContain(secret);
      expect(text).not.toContain(promptSecret);
    }
    for (const secret of configured) expect(cli).not.toContain(secret);
  });

  it('key parsing errors never repeat the value', () => {
    const value = `not-a-key-${randomBytes(8).toString('hex')}`;
    expect(() => parseMasterKey('k1', value)).toThrow(/must be 32 bytes/);
    try {
      parseMasterKey('k1', value);
    } catch (error) {
      expect(String(error)).not.toContain(value);
    }
    expect(() => parseSigningKey(value)).toThrow(/Ed25519 private key/);
    try {
      parseSigningKey(value);
    } catch (error) {
      expect(String(error)).not.toContain(value);
    }
  });
});
