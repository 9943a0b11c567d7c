import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAuditSigningKey } from '../../src/audit/signing.js';
import { loadConfigFile } from '../../src/config/load.js';
import { builtinGuards } from '../../src/guards/index.js';
import { exportBundle, readBundle, redactConfig, verifyBundle } from '../../src/gateway/incident/bundle.js';
import { buildReport } from '../../src/gateway/incident/report.js';
import { json, type ScriptedUpstream, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { admin, answer, chat, jsonl, tamper, toJsonl } from './helpers.js';

const CLI = resolve('dist/cli/main.js');
const signing = generateAuditSigningKey();
const env = { ...process.env, CG_INCIDENT_SIGNING_KEY: signing.privateKey };
let upstream: ScriptedUpstream;
const work = mkdtempSync(join(tmpdir(), 'cg-incident-'));

beforeAll(async () => {
  upstream = await startScriptedUpstream((_req, res) => json(res, 200, answer));
});
afterAll(async () => {
  await upstream?.close();
});

const gatewayConfig = (extra: Record<string, unknown> = {}) => ({
  upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }],
  routes: [{ model: '*', upstream: 'u' }],
  guards: { patterns: { deny: [{ id: 'exfil', pattern: 'exfiltrate-the-db' }] } },
  ...extra,
});

/** Traffic of a small incident: two allowed requests, one blocked, one bad key, a lockdown and its lifting. */
async function incident(gw: TestGateway): Promise<string> {
  const { key, record } = await gw.gateway.keys.create({ kind: 'client', name: 'suspect' });
  expect((await chat(gw, key)).status).toBe(200);
  expect((await chat(gw, gw.clientKey, 'hello')).status).toBe(200);
  expect((await chat(gw, key, 'please exfiltrate-the-db now')).status).toBe(403);
  expect((await chat(gw, 'cg_not_a_real_key_000000000000000000000')).status).toBe(401);
  expect((await admin(gw, 'POST', '/v1/lockdowns', { scope: `principal:${record.id}`, reason: 'exfil attempt' })).status).toBe(201);
  expect((await chat(gw, key)).status).toBe(403);
  expect((await admin(gw, 'DELETE', `/v1/lockdowns/${encodeURIComponent(`principal:${record.id}`)}`)).status).toBe(200);
  return record.id;
}

describe('forensic bundle from a real SQLite audit log', () => {
  let gw: TestGateway;
  let configFile: string;
  let suspect: string;
  let bundle: string;
  const since = Date.now() - 60_000;
  const publicKeyFile = join(work, 'audit.pub');

  beforeAll(async () => {
    writeFileSync(publicKeyFile, signing.publicKey);
    gw = await startTestGateway(gatewayConfig({ audit: { signing: { privateKey: 'env:CG_INCIDENT_SIGNING_KEY', checkpointEvery: 5 } } }), { env });
    configFile = join(gw.dir, 'clawguard.yaml');
    // A literal token left in a config: the snapshot must not carry it.
    writeFileSync(configFile, `${readFileSync(configFile, 'utf8')}approvals: { webhookUrl: "https://hooks.example/ghp_${'a'.repeat(36)}" }\n`);
    suspect = await incident(gw);
    await gw.close(); // flushes the log and signs a closing checkpoint
    bundle = join(work, 'sqlite.tgz');
    await exportBundle(loadConfigFile(configFile, builtinGuards()), { since, out: bundle, env });
  }, 120_000);

  it('verifies intact, with the chain proven up to a signed checkpoint', async () => {
    const result = await verifyBundle(bundle, { publicKeyFile });
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => c.name)).toEqual(['manifest signature', 'file digests', 'checkpoint signatures', 'chain segment', 'records']);
    expect(result.records).toBeGreaterThan(10);
    expect(result.unsignedTail).toBe(0);
    const files = await readBundle(bundle);
    expect([...files.keys()].sort()).toEqual(['chain.jsonl', 'checkpoints.json', 'config.yaml', 'keys.json', 'manifest.json', 'manifest.sig', 'metrics.json', 'public-key.pem', 'records.jsonl', 'timeline.json', 'timeline.md']);
    const manifest = JSON.parse(files.get('manifest.json')!.toString());
    expect(manifest.config.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(files.get('config.yaml')!.toString()).toContain(manifest.config.sha256);
    expect(files.get('config.yaml')!.toString()).not.toContain('ghp_');
    expect(manifest.config.redactions).toBe(1);
    expect(JSON.parse(files.get('checkpoints.json')!.toString()).length).toBeGreaterThan(0);
    const timeline = files.get('timeline.md')!.toString();
    expect(timeline).toContain('pattern.exfil');
    expect(timeline).toMatch(/admin:test-admin: lockdown\.on principal:/);
    const metrics = JSON.parse(files.get('metrics.json')!.toString());
    expect(metrics.authFailures.total).toBe(1);
    expect(metrics.lockdownRefusals[`principal:${suspect}`]).toBe(1);
    // No payload bytes travel: only their digests.
    expect(files.get('chain.jsonl')!.toString()).not.toContain('exfiltrate-the-db');
  });

  it('selects one principal and the admin actions aimed at it', async () => {
    const out = join(work, 'principal.tgz');
    await exportBundle(loadConfigFile(configFile, builtinGuards()), { since, principal: suspect, out, env });
    expect((await verifyBundle(out, { publicKeyFile })).ok).toBe(true);
    const records = jsonl((await readBundle(out)).get('records.jsonl')!);
    expect(records.length).toBeGreaterThan(3);
    for (const r of records) expect(r.principal === suspect || r.data.target === `principal:${suspect}`).toBe(true);
    expect(records.some((r) => r.type === 'admin' && r.data.action === 'lockdown.on')).toBe(true);
  });

  const broken = async (name: string, edit: (files: Map<string, Buffer>) => void, options: Parameters<typeof tamper>[3] = {}) => {
    const out = join(work, `${name}.tgz`);
    await tamper(bundle, out, edit, options);
    const result = await verifyBundle(out, { publicKeyFile });
    expect(result.ok).toBe(false);
    return result.problems.join('\n');
  };
  const editLine = (files: Map<string, Buffer>, file: string, index: number, change: (row: any) => void) => {
    const rows = jsonl(files.get(file)!);
    change(rows[index]);
    files.set(file, toJsonl(rows));
  };

  it('names an edited record (file digest), and with a valid re-signature the record itself', async () => {
    expect(await broken('edit-record', (f) => editLine(f, 'records.jsonl', 2, (r) => (r.principal = 'someone-else')))).toMatch(/tampered file records\.jsonl/);
    expect(await broken('edit-record-resigned', (f) => editLine(f, 'records.jsonl', 2, (r) => (r.principal = 'someone-else')), { resignWith: signing.privateKey })).toMatch(/records\.jsonl: record \d+ differs from the chain/);
    const chainEdit = await broken('edit-chain', (f) => editLine(f, 'chain.jsonl', 3, (c) => (c.body = c.body.replace('"ts":', '"ts":1') )), { resignWith: signing.privateKey });
    expect(chainEdit).toMatch(/record \d+ was modified \(its content does not match its hash\)/);
  });

  it('names a dropped record', async () => {
    const drop = (file: string) => (f: Map<string, Buffer>) => f.set(file, toJsonl(jsonl(f.get(file)!).filter((_, i) => i !== 4)));
    expect(await broken('drop-plain', drop('chain.jsonl'))).toMatch(/tampered file chain\.jsonl/);
    expect(await broken('drop-chain', drop('chain.jsonl'), { resignWith: signing.privateKey })).toMatch(/record \d+ missing from the chain \(it jumps from \d+ to \d+\)/);
    expect(await broken('drop-record', drop('records.jsonl'), { resignWith: signing.privateKey })).toMatch(/record \d+ matches the export's query but is missing from records\.jsonl/);
  });

  it('names a changed config snapshot', async () => {
    expect(await broken('config', (f) => f.set('config.yaml', Buffer.concat([f.get('config.yaml')!, Buffer.from('extra: true\n')])))).toMatch(/tampered file config\.yaml/);
  });

  it('names a swapped or foreign signature, and a forged checkpoint', async () => {
    const other = generateAuditSigningKey();
    const otherBundle = join(work, 'other-sig.tgz');
    await tamper(bundle, otherBundle, () => undefined, { resignWith: other.privateKey });
    const swapped = await broken('swap-sig', (f) => f.set('manifest.sig', readBundleSync(otherBundle, 'manifest.sig')));
    expect(swapped).toMatch(/manifest\.sig: bad signature/);
    const { publicKeyId, parsePublicKey } = await import('../../src/audit/signing.js');
    const foreign = await broken('foreign', () => undefined, { resignWith: other.privateKey, replaceSigner: { keyId: publicKeyId(parsePublicKey(other.publicKey)), publicKey: other.publicKey } });
    expect(foreign).toMatch(/bundle signed by key \S+, not by the expected key/);
    const forged = await broken(
      'forged-checkpoint',
      (f) => {
        const cps = JSON.parse(f.get('checkpoints.json')!.toString());
        cps[0].signature = Buffer.alloc(64, 7).toString('base64');
        f.set('checkpoints.json', Buffer.from(JSON.stringify(cps)));
      },
      { resignWith: signing.privateKey },
    );
    expect(forged).toMatch(/checkpoint at record \d+: signature does not verify/);
  });

  it('CLI: verify exits 0 on the intact bundle, 1 naming the tampered part; report shows what happened', () => {
    const ok = spawnSync(process.execPath, [CLI, 'incident', 'verify', bundle, '--public-key', publicKeyFile], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('bundle intact');
    const bad = spawnSync(process.execPath, [CLI, 'incident', 'verify', join(work, 'config.tgz')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/FAIL {2}file digests: tampered file config\.yaml/);
    const report = spawnSync(process.execPath, [CLI, 'incident', 'report', '--since', '1h', '--config', configFile], { encoding: 'utf8', env });
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toContain('## What operators did');
    expect(report.stdout).toMatch(/\| pattern\.exfil \| 1 \|/);
    expect(report.stdout).toMatch(/admin:test-admin: lockdown\.off principal:/);
  }, 60_000);

  it('report: blocked requests by finding type, auth failures, lockdown refusals, operator actions', async () => {
    const md = await buildReport(loadConfigFile(configFile, builtinGuards()), { since }, env);
    expect(md).toMatch(/1 authentication failure/);
    expect(md).toContain('**Lockdown refusals by scope:**');
    expect(md).toContain(`| principal:${suspect} | 1 |`);
    expect(md).toMatch(/\| lockdown \| 1 \|/);
    expect(md).toMatch(/lockdown \| principal:\S+ \| admin:test-admin engaged lockdown/);
  });
});

/** One file of a bundle, synchronously read by extracting the whole bundle (test helper). */
function readBundleSync(file: string, name: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'cg-x-'));
  spawnSync('tar', ['-xzf', file, '-C', dir]);
  return readFileSync(join(dir, name));
}

describe('config snapshot redaction', () => {
  it('keeps references and public keys, redacts literal secrets', () => {
    const { text, redactions } = redactConfig(
      [
        'upstreams:',
        '  - { name: a, apiKey: env:OPENAI_API_KEY }',
        '  - { name: b, apiKey: sk-live-abcdefghijklmnop1234 }',
        'storage: { postgres: { url: "postgres://app:hunter2@db:5432/x" } }',
        'audit: { signing: { publicKeys: ["q1w2e3r4t5y6u7i8o9p0q1w2e3r4t5y6u7i8o9p0abc="] } }',
        'notes: "key cg_abcdefghijklmnopqrstuvwxyz0123"',
      ].join('\n'),
    );
    expect(redactions).toBe(3);
    expect(text).toContain('env:OPENAI_API_KEY');
    expect(text).toContain('q1w2e3r4t5y6u7i8o9p0');
    expect(text).not.toContain('sk-live');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('postgres://app:[REDACTED]@db');
    expect(text).not.toContain('cg_abcdef');
  });
});

describe('forensic bundle from a PostgreSQL audit log', () => {
  const PG_URL = process.env.CLAWGUARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `cg_inc_${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });

  it('exports and verifies, and names an edited chain record', async () => {
    const pgEnv = { ...env, CG_INCIDENT_PG: PG_URL };
    const since = Date.now() - 60_000;
    const gw = await startTestGateway(gatewayConfig({ audit: { store: { type: 'postgres', url: 'env:CG_INCIDENT_PG', schema }, signing: { privateKey: 'env:CG_INCIDENT_SIGNING_KEY' } } }), { env: pgEnv });
    await incident(gw);
    await gw.close();
    const out = join(work, 'pg.tgz');
    const result = await exportBundle(loadConfigFile(join(gw.dir, 'clawguard.yaml'), builtinGuards()), { since, out, env: pgEnv });
    expect(result.records).toBeGreaterThan(10);
    const verified = await verifyBundle(out, { publicKeyFile: join(work, 'audit.pub') });
    expect(verified.problems).toEqual([]);
    expect(JSON.parse((await readBundle(out)).get('manifest.json')!.toString()).store).toBe('postgres');
    const edited = join(work, 'pg-edited.tgz');
    await tamper(out, edited, (f) => {
      const rows = jsonl(f.get('chain.jsonl')!);
      rows[1].body = rows[1].body.replace('"v":1', '"v":2');
      f.set('chain.jsonl', toJsonl(rows));
    }, { resignWith: signing.privateKey });
    expect((await verifyBundle(edited)).problems.join('\n')).toMatch(/record \d+ was modified/);
  }, 120_000);
});
