import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAuditConfigFile } from '../../src/audit/config.js';
import { startAudit } from '../../src/audit/setup.js';
import { generateAuditSigningKey } from '../../src/audit/signing.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { registerAuditCommands } from '../../src/cli/commands/audit.js';
import { tempDir } from './helpers.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);

describe('clawguard audit (CLI)', () => {
  let dir: string;
  let cleanup: () => void;
  let configPath: string;
  let env: NodeJS.ProcessEnv;
  let secrets: string[];

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    const pair = generateAuditSigningKey();
    const master = randomBytes(32).toString('base64');
    secrets = [pair.privateKey, master];
    env = { CG_AUDIT_SIGNING: pair.privateKey, CG_AUDIT_MASTER: master };
    configPath = join(dir, 'clawguard.yaml');
    writeFileSync(
      configPath,
      [
        'server:',
        '  port: 0',
        'audit:',
        '  store: { type: sqlite, path: data/audit.db }',
        '  payloads: encrypted',
        '  encryption:',
        '    activeKey: k1',
        '    keys: [{ id: k1, secret: env:CG_AUDIT_MASTER }]',
        '  signing:',
        '    privateKey: env:CG_AUDIT_SIGNING',
        `    publicKeys: [${pair.publicKey}]`,
        '    checkpointEvery: 5',
        '  retention: { days: 30 }',
        '  spool: { path: data/audit.spool }',
        '',
      ].join('\n'),
    );
  });
  afterEach(() => {
    process.exitCode = undefined;
    cleanup();
  });

  async function seed(): Promise<void> {
    const { config, baseDir } = loadAuditConfigFile(configPath);
    const audit = await startAudit(config, { baseDir, env });
    for (let i = 0; i < 40; i++) {
      const time = NOW - (40 - i) * DAY;
      audit.log.record({ type: 'request.received', time, principal: i % 2 ? 'key_odd' : 'key_even', subject: `user-${i % 4}`, route: '/v1/chat/completions', payload: `prompt number ${i}` });
    }
    audit.log.record({ type: 'auth', time: NOW - DAY / 2, outcome: 'failure', surface: 'proxy', reason: 'invalid_key' });
    await audit.close();
  }

  async function run(...args: string[]): Promise<{ out: string; err: string; code: number }> {
    return runWith(false, ...args);
  }

  async function runWith(isTTY: boolean, ...args: string[]): Promise<{ out: string; err: string; code: number }> {
    let out = '';
    let err = '';
    const program = new Command().exitOverride();
    registerAuditCommands(program, { out: (t) => (out += t), err: (t) => (err += t), env, isTTY, now: () => NOW });
    process.exitCode = undefined;
    await program.parseAsync(['node', 'clawguard', ...args]);
    const code = Number(process.exitCode ?? 0);
    process.exitCode = undefined;
    for (const s of secrets) {
      expect(out).not.toContain(s);
      expect(err).not.toContain(s);
    }
    return { out, err, code };
  }

  it('verify exits 0 on an intact log and 1 naming the record after tampering', async () => {
    await seed();
    const ok = await run('audit', 'verify', '--config', configPath);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('audit log intact: 41 records');

    const json = await run('audit', 'verify', '--config', configPath, '--json');
    expect(JSON.parse(json.out)).toMatchObject({ ok: true, records: 41, signaturesChecked: true });

    const store = new SqliteAuditStore({ database: join(dir, 'data', 'audit.db') });
    store.db.prepare(`UPDATE audit_records SET body = replace(body, '"key_odd"', '"key_even"') WHERE seq = 8`).run();
    await store.close();
    const broken = await run('audit', 'verify', '--config', configPath);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('BROKEN at record 8 (edited)');
  });

  it('draws a progress bar on a terminal and none otherwise', async () => {
    await seed();
    const tty = await runWith(true, 'audit', 'verify', '--config', configPath);
    expect(tty.err).toMatch(/\rverifying \[#+\] 100% 41\/41/);
    const plain = await run('audit', 'verify', '--config', configPath);
    expect(plain.err).not.toContain('verifying [');
  });

  it('export filters by principal, type and time and decrypts only with --decrypt', async () => {
    await seed();
    const odd = await run('audit', 'export', '--config', configPath, '--principal', 'key_odd');
    const lines = odd.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(20);
    expect(lines.every((l) => l.principal === 'key_odd' && l.payload.mode === 'encrypted' && l.payload.text === undefined)).toBe(true);

    const recent = await run('audit', 'export', '--config', configPath, '--since', '3d', '--type', 'request.received', '--decrypt');
    const texts = recent.out.trim().split('\n').map((l) => JSON.parse(l).payload.text);
    expect(texts).toEqual(['prompt number 37', 'prompt number 38', 'prompt number 39']);

    const file = join(dir, 'out.log');
    const syslog = await run('audit', 'export', '--config', configPath, '--type', 'auth', '--format', 'syslog', '-o', file);
    expect(syslog.err).toContain('exported 1 records');
    expect(readFileSync(file, 'utf8')).toMatch(/^<108>1 \S+ \S+ clawguard \d+ auth \[clawguard@32473 seq="41" hash="[^"]+"\] \uFEFF\{/);
  });

  it('purge with --dry-run deletes nothing; purge cuts behind an anchor and verify still passes', async () => {
    await seed();
    const dry = await run('audit', 'purge', '--config', configPath, '--dry-run', '--json');
    expect(JSON.parse(dry.out)).toMatchObject({ records: 10, cutSeq: 10, dryRun: true });
    const done = await run('audit', 'purge', '--config', configPath);
    expect(done.out).toContain('deleted 10 records (through 10)');
    const v = await run('audit', 'verify', '--config', configPath, '--json');
    expect(JSON.parse(v.out)).toMatchObject({ ok: true, records: 31, anchoredAt: 10 });
    expect(v.code).toBe(0);
  });

  it('erase crypto-shreds one subject; the log still verifies', async () => {
    await seed();
    const dry = await run('audit', 'erase', '--config', configPath, '--subject', 'user-1', '--dry-run', '--json');
    expect(JSON.parse(dry.out)).toMatchObject({ keys: 1, payloads: 10, dryRun: true });
    const before = new SqliteAuditStore({ database: join(dir, 'data', 'audit.db') });
    const wrapped = (await before.subjectKeys('user-1'))[0]!.wrapped!;
    await before.close();
    expect(readFileSync(join(dir, 'data', 'audit.db')).includes(wrapped)).toBe(true);
    const done = await run('audit', 'erase', '--config', configPath, '--subject', 'user-1');
    expect(done.out).toContain('erased 1 data keys of subject "user-1": 10 stored payloads are now unreadable');
    const exported = (await run('audit', 'export', '--config', configPath, '--subject', 'user-1', '--decrypt')).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(exported.every((r) => r.payload.erased === true && r.payload.text === undefined)).toBe(true);
    const other = (await run('audit', 'export', '--config', configPath, '--subject', 'user-2', '--decrypt')).out.trim().split('\n').map((l) => JSON.parse(l));
    expect(other[0].payload.text).toBe('prompt number 2');
    expect((await run('audit', 'verify', '--config', configPath)).code).toBe(0);
    // The shredded key's bytes are gone from the database file and its write-ahead log.
    expect(readFileSync(join(dir, 'data', 'audit.db')).includes(wrapped)).toBe(false);
    const wal = join(dir, 'data', 'audit.db-wal');
    if (existsSync(wal)) expect(readFileSync(wal).includes(wrapped)).toBe(false);
  });

  it('a bad config section is reported with its path, exit code 2', async () => {
    writeFileSync(configPath, 'audit:\n  payloads: encrypted\n');
    const r = await run('audit', 'verify', '--config', configPath);
    expect(r.code).toBe(2);
    expect(r.err).toContain('audit.encryption: is required for payloads "encrypted"');
  });
});
