import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, type ScriptedUpstream, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** Two replicas sharing the real PostgreSQL (keys) and Redis (limits) on this machine. */
const PG_URL = process.env.CLAWGUARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.CLAWGUARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const schema = `cg_test_${randomBytes(4).toString('hex')}`;

let upstream: ScriptedUpstream;
let a: TestGateway;
let b: TestGateway;

beforeAll(async () => {
  upstream = await startScriptedUpstream((_req, res) => json(res, 200, { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }));
  const config = {
    upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }],
    routes: [{ model: '*', upstream: 'u' }],
    storage: { backend: 'postgres', postgres: { url: PG_URL, schema } },
    roles: [{ name: 'default' }, { name: 'metered', limits: { requestsPerMinute: 6 } }],
    rateLimits: { store: 'redis', redisUrl: REDIS_URL },
    guards: { patterns: { deny: [{ id: 'email', pattern: '[a-z]+@example\\.com' }] } },
    policy: { rules: [{ type: 'pattern.email', action: 'pseudonymize' }] },
    pseudonymization: { vaultKey: 'env:CG_TEST_VAULT_KEY' },
  };
  process.env.CG_TEST_VAULT_KEY = randomBytes(32).toString('base64');
  a = await startTestGateway(config);
  b = await startTestGateway(config);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await upstream?.close();
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

const chat = (gw: TestGateway, key: string) =>
  fetch(`${gw.proxyUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }) });

describe('a fleet of replicas on PostgreSQL and Redis', () => {
  it('accepts a key created on one replica on the other, and refuses it everywhere right after revocation', async () => {
    const { key, record } = await a.gateway.keys.create({ kind: 'client', name: 'fleet' });
    expect((await chat(b, key)).status).toBe(200);
    // Revoked by another process (the CLI) against the shared database.
    const revoked = spawnSync(process.execPath, [resolve('dist/cli/main.js'), 'keys', 'revoke', record.id, '--config', join(b.dir, 'clawguard.yaml')], { encoding: 'utf8' });
    expect(revoked.status, revoked.stderr).toBe(0);
    const started = Date.now();
    expect((await chat(a, key)).status).toBe(401);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('holds one rate limit across both replicas', async () => {
    const { key } = await a.gateway.keys.create({ kind: 'client', name: 'metered', role: 'metered' });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await chat(i % 2 === 0 ? a : b, key)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
  });

  it('shares pseudonym mappings: the second replica continues the first one\'s numbering', async () => {
    const system = { role: 'system', content: 'fleet test' };
    const first = { role: 'user', content: 'mail ann@example.com' };
    const send = (gw: TestGateway, messages: unknown[]) =>
      fetch(`${gw.proxyUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-test', messages }) });
    upstream.requests.length = 0;
    expect((await send(a, [system, first])).status).toBe(200);
    // Same principal on both replicas: the conversation id is derived from it.
    const res = await fetch(`${b.proxyUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${a.clientKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-test', messages: [system, first, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'and bob@example.com' }] }) });
    expect(res.status).toBe(200);
    expect(upstream.requests[0]!.body.messages[1].content).toBe('mail <EMAIL_1>');
    expect(upstream.requests[1]!.body.messages[3].content).toBe('and <EMAIL_2>');
  });

  it('reports ready while PostgreSQL answers', async () => {
    expect(await (await fetch(`${a.proxyUrl}/readyz`)).json()).toEqual({ status: 'ready' });
  });
});
