/**
 * Three ClawGuard processes (`clawguard serve`, each with its own ports, config folder and audit spool)
 * behind a round-robin balancer, sharing one PostgreSQL database (keys, approvals, lockdowns, vault,
 * audit chain) and Redis (rate limits, lockdown pub/sub), driven through the balancer with the real
 * `openai` client. test/auth/fleet.test.ts covers two in-process gateways; this is the multi-process,
 * balanced test of every shared feature, and of a replica killed with SIGKILL in the middle of a stream.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Balancer, startBalancer } from './balancer.js';

const PG_BASE = process.env.CLAWGUARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.CLAWGUARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The built CLI; CLAWGUARD_FLEET_CLI points at another build (e.g. a copy of dist/ while dist/ is being rebuilt). */
const CLI = resolve(process.env.CLAWGUARD_FLEET_CLI ?? 'dist/cli/main.js');
const DB = `clawguard_fleet_${randomBytes(4).toString('hex')}`;
const PG_URL = (() => {
  const u = new URL(PG_BASE);
  u.pathname = `/${DB}`;
  return u.toString();
})();
const REPLICAS = 3;
const SLOW_CHUNKS = 40;
/** 36 characters a delta: the stream scanner holds back 255 (the deny pattern's longest match), so text must flow past that. */
const word = (i: number): string => `w${String(i).padStart(2, '0')}-${'x'.repeat(31)} `;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The provider: JSON answers, short streams, and a slow 40-chunk stream for model `slow`. */
function startUpstream(): Promise<http.Server & { url: string }> {
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      void (async () => {
        const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { model: string; stream?: boolean };
        if (!body.stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: 'fleet ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const n = body.model === 'slow' ? SLOW_CHUNKS : 3;
        const chunk = (delta: unknown, finish: string | null): string => `data: ${JSON.stringify({ id: 's', object: 'chat.completion.chunk', created: 1, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        res.write(chunk({ role: 'assistant', content: '' }, null));
        for (let i = 0; i < n && !res.destroyed; i++) {
          res.write(chunk({ content: word(i) }, null));
          if (body.model === 'slow') await sleep(100);
        }
        res.end(`${chunk({}, 'stop')}data: [DONE]\n\n`);
      })();
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(Object.assign(server, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }))));
}

interface Replica {
  dir: string;
  config: string;
  port: number;
  adminUrl: string;
  child: ChildProcess;
  exited: Promise<void>;
}

const env = { ...process.env, FLEET_PG_URL: PG_URL, FLEET_VAULT_KEY: randomBytes(32).toString('base64'), FLEET_UPSTREAM_KEY: 'sk-fleet' };

function serve(r: Pick<Replica, 'config'>): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', r.config], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  child.once('exit', (code, signal) => {
    if (code && signal !== 'SIGKILL') process.stderr.write(`replica exited ${code}: ${stderr.slice(-2000)}\n`);
  });
  return { child, exited };
}

async function ready(url: string, exited?: Promise<void>, ms = 100_000): Promise<void> {
  const until = Date.now() + ms;
  let gone = false;
  void exited?.then(() => (gone = true));
  while (Date.now() < until) {
    if (gone) throw new Error(`the replica behind ${url} exited before it was ready`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      /* not up yet */
    }
    await sleep(150);
  }
  throw new Error(`${url} not ready`);
}

let upstream: http.Server & { url: string };
let balancer: Balancer;
const replicas: Replica[] = [];
let adminKey: string;
/** x-request-id of every request the client saw answered (200), for the audit check at the end. */
const answered: string[] = [];
let db: pg.Client;

const admin = async (replica: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
  const res = await fetch(`${replicas[replica]!.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, json: await res.json().catch(() => undefined) };
};
const newKey = async (role?: string, tenant?: string): Promise<{ id: string; key: string }> => {
  const r = await admin(0, 'POST', '/v1/keys', { name: `fleet-${randomBytes(3).toString('hex')}`, ...(role ? { role } : {}), ...(tenant ? { tenant } : {}) });
  expect(r.status).toBe(201);
  return { id: r.json.id, key: r.json.key };
};
const client = (key: string): OpenAI => new OpenAI({ baseURL: `${balancer.url}/v1`, apiKey: key, maxRetries: 0, timeout: 30_000 });

/** One chat completion through the balancer: the status (200 or the error's) and the replica that answered. */
async function chat(key: string, content = 'hello fleet'): Promise<{ status: number; replica: number; code?: string }> {
  try {
    const { data, response } = await client(key).chat.completions.create({ model: 'gpt-fleet', messages: [{ role: 'user', content }] }).withResponse();
    expect(data.choices[0]!.message.content).toBe('fleet ok');
    answered.push(response.headers.get('x-request-id')!);
    return { status: response.status, replica: Number(response.headers.get('x-fleet-replica')) };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return { status: error.status ?? 0, replica: Number(error.headers?.get('x-fleet-replica')), ...(error.code ? { code: String(error.code) } : {}) };
  }
}

beforeAll(async () => {
  const started = Date.now();
  const boot = new pg.Client({ connectionString: PG_BASE });
  await boot.connect();
  await boot.query(`CREATE DATABASE ${DB}`);
  await boot.end();
  upstream = await startUpstream();
  const base = 21000 + Math.floor(Math.random() * 2000) * 2;
  for (let i = 0; i < REPLICAS; i++) {
    const dir = mkdtempSync(join(tmpdir(), `clawguard-fleet-${i}-`));
    const port = base + i * 10;
    const config = join(dir, 'clawguard.yaml');
    // JSON is YAML: every replica the same but for its ports (and so its own audit spool in its folder).
    writeFileSync(
      config,
      JSON.stringify({
        server: { host: '127.0.0.1', port },
        admin: { enabled: true, host: '127.0.0.1', port: port + 1 },
        storage: { backend: 'postgres', postgres: { url: 'env:FLEET_PG_URL' } },
        rateLimits: { store: 'redis', redisUrl: REDIS_URL, authFailuresPerMinutePerIp: 100_000 },
        upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1`, apiKey: 'env:FLEET_UPSTREAM_KEY' }],
        routes: [{ model: '*', upstream: 'u' }],
        roles: [{ name: 'default' }, { name: 'metered', limits: { requestsPerMinute: 5 } }],
        guards: { patterns: { deny: [{ id: 'hold', pattern: 'HOLD-FOR-REVIEW' }] } },
        policy: { rules: [{ type: 'pattern.hold', action: 'review' }] },
        approvals: { pollMs: 100, timeoutSeconds: 60 },
        pseudonymization: { vaultKey: 'env:FLEET_VAULT_KEY' },
        audit: { store: { type: 'postgres', url: 'env:FLEET_PG_URL' } },
        logging: { level: 'warn' },
      }),
    );
    replicas.push({ dir, config, port, adminUrl: `http://127.0.0.1:${port + 1}`, ...serve({ config }) });
  }
  await Promise.all(replicas.map((r) => ready(`http://127.0.0.1:${r.port}`, r.exited)));
  const created = spawnSync(process.execPath, [CLI, 'keys', 'create', '--admin', '--name', 'fleet-admin', '--json', '--config', replicas[0]!.config], { env, encoding: 'utf8' });
  expect(created.status, created.stderr).toBe(0);
  adminKey = JSON.parse(created.stdout).key;
  balancer = await startBalancer(replicas.map((r) => r.port));
  db = new pg.Client({ connectionString: PG_URL });
  await db.connect();
  process.stderr.write(`fleet: 3 replicas ready in ${Date.now() - started} ms\n`);
}, 150_000);

afterAll(async () => {
  await balancer?.close();
  for (const r of replicas) {
    r.child.kill('SIGTERM');
    await Promise.race([r.exited, sleep(5000)]);
    rmSync(r.dir, { recursive: true, force: true });
  }
  await db?.end();
  await new Promise((r) => upstream?.close(r));
  const boot = new pg.Client({ connectionString: PG_BASE });
  await boot.connect();
  await boot.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await boot.end();
}, 30_000);

describe('a fleet of three ClawGuard processes behind a round-robin balancer', () => {
  it('counts one rate limit for the fleet: request N+1 is refused whichever replica gets it', { timeout: 60_000 }, async () => {
    const { key } = await newKey('metered');
    // Windows are fixed minutes (floor(now / 60 s)): start early in one so all eight requests share it.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await sleep(60_000 - intoMinute + 200);
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await chat(key));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    // The five allowed and the three refused requests were spread over all three replicas.
    expect(new Set(results.slice(0, 5).map((r) => r.replica)).size).toBe(3);
    expect(new Set(results.slice(5).map((r) => r.replica)).size).toBe(3);
  });

  it('refuses a key on every replica once one replica\'s admin API revoked it', async () => {
    const { id, key } = await newKey();
    const before = await Promise.all([chat(key), chat(key), chat(key)]);
    expect(before.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await admin(2, 'DELETE', `/v1/keys/${id}`)).status).toBe(200);
    const after = [];
    for (let i = 0; i < 3; i++) after.push(await chat(key));
    expect(after.map((r) => r.status)).toEqual([401, 401, 401]);
    expect(new Set(after.map((r) => r.replica))).toEqual(new Set([0, 1, 2]));
  });

  it('enforces a lockdown set through one replica on all of them, and lifts it everywhere', async () => {
    const locked = await newKey(undefined, 'fleet-locked');
    const other = await newKey(undefined, 'fleet-other');
    expect((await admin(1, 'POST', '/v1/lockdowns', { scope: 'tenant:fleet-locked', reason: 'fleet test' })).status).toBe(201);
    // Redis pub/sub tells every replica at once; no waiting for the refresh interval.
    const refused = [];
    for (let i = 0; i < 3; i++) refused.push(await chat(locked.key));
    expect(refused.map((r) => [r.status, r.code])).toEqual(Array(3).fill([403, 'lockdown']));
    expect(new Set(refused.map((r) => r.replica))).toEqual(new Set([0, 1, 2]));
    const unaffected = [];
    for (let i = 0; i < 3; i++) unaffected.push((await chat(other.key)).status);
    expect(unaffected).toEqual([200, 200, 200]);
    expect((await admin(0, 'DELETE', '/v1/lockdowns/tenant:fleet-locked')).status).toBe(200);
    const lifted = [];
    for (let i = 0; i < 3; i++) lifted.push((await chat(locked.key)).status);
    expect(lifted).toEqual([200, 200, 200]);
  });

  it('completes a request held for review on replica A once replica B\'s admin API approves it', async () => {
    const { key } = await newKey();
    const held = chat(key, 'please HOLD-FOR-REVIEW this one');
    let pending: { id: string }[] = [];
    for (let i = 0; i < 100 && pending.length === 0; i++) {
      await sleep(100);
      pending = (await admin(0, 'GET', '/v1/approvals?status=pending')).json.approvals;
    }
    expect(pending).toHaveLength(1);
    const a = balancer.backends.findIndex((b) => b.inflight > 0);
    expect(a).toBeGreaterThanOrEqual(0);
    const b = (a + 1) % REPLICAS;
    const decided = await admin(b, 'POST', `/v1/approvals/${pending[0]!.id}/approve`, { note: 'fleet' });
    expect(decided.status).toBe(200);
    expect(decided.json.status).toBe('approved');
    const result = await held;
    expect(result).toMatchObject({ status: 200, replica: a });
  });

  it('survives a replica killed with SIGKILL mid-stream: that stream errors, the others and later requests succeed, the audit chain verifies with nothing answered missing', async () => {
    const { key } = await newKey();
    const openai = client(key);
    const streams = await Promise.all(
      Array.from({ length: REPLICAS }, async () => {
        const { data, response } = await openai.chat.completions.create({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'stream please' }] }).withResponse();
        return { stream: data, replica: Number(response.headers.get('x-fleet-replica')), requestId: response.headers.get('x-request-id')! };
      }),
    );
    expect(new Set(streams.map((s) => s.replica))).toEqual(new Set([0, 1, 2]));
    const victim = 1;
    const outcomes = streams.map(async (s) => {
      let text = '';
      let chunks = 0;
      try {
        for await (const chunk of s.stream) {
          text += chunk.choices[0]?.delta?.content ?? '';
          // A few chunks in, every stream is flowing: kill the victim now.
          if (++chunks === 5 && s.replica === victim) replicas[victim]!.child.kill('SIGKILL');
        }
        return { replica: s.replica, requestId: s.requestId, ok: true, text };
      } catch (error) {
        return { replica: s.replica, requestId: s.requestId, ok: false, text, error: String(error) };
      }
    });
    const done = await Promise.all(outcomes);
    const expected = Array.from({ length: SLOW_CHUNKS }, (_, i) => word(i)).join('');
    for (const d of done) {
      if (d.replica === victim) {
        expect(d.ok, `the killed replica's stream must fail, not end short as if complete: ${JSON.stringify({ ...d, signal: replicas[victim]!.child.signalCode })}`).toBe(false);
        expect(d.text.length).toBeLessThan(expected.length);
      } else {
        expect(d).toMatchObject({ ok: true, text: expected });
        answered.push(d.requestId);
      }
    }
    await replicas[victim]!.exited;
    // Later requests: the balancer takes the dead replica out; every one is answered.
    const later = [];
    for (let i = 0; i < 6; i++) later.push(await chat(key));
    expect(later.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(later.some((r) => r.replica === victim)).toBe(false);

    // The replica comes back on the same folder: its audit spool (journal of events not yet stored)
    // is replayed into the shared chain, and the balancer puts it back once /readyz answers.
    Object.assign(replicas[victim]!, serve(replicas[victim]!));
    await ready(`http://127.0.0.1:${replicas[victim]!.port}`, replicas[victim]!.exited);
    const back = [];
    for (let i = 0; i < 3; i++) back.push(await chat(key));
    expect(back.map((r) => r.status)).toEqual([200, 200, 200]);
    // Give each replica's audit writer time to store what it queued (flush every 50 ms).
    await sleep(1000);

    // One chain for three writers (appends serialized by an advisory lock): it verifies end to end…
    const verify = spawnSync(process.execPath, [CLI, 'audit', 'verify', '--json', '--config', replicas[0]!.config], { env, encoding: 'utf8' });
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    const seqs = await db.query<{ n: string; lo: string; hi: string }>('SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM clawguard_audit.audit_records');
    const { n, lo, hi } = seqs.rows[0]!;
    expect(Number(lo)).toBe(1);
    expect(Number(hi)).toBe(Number(n));
    // …interleaves records from all three replicas' requests, and holds every request the client saw answered.
    const stored = await db.query<{ request_id: string }>("SELECT DISTINCT request_id FROM clawguard_audit.audit_records WHERE type = 'upstream.response' AND request_id = ANY($1)", [answered]);
    expect(answered.length).toBe(5 + 3 + 6 + 1 + 2 + 6 + 3);
    expect(new Set(stored.rows.map((r) => r.request_id))).toEqual(new Set(answered));
    // The cut stream's request is in the chain too (stored before the kill, or replayed from the spool at restart).
    const cut = done.find((d) => d.replica === victim)!;
    const cutRows = await db.query<{ type: string }>('SELECT type FROM clawguard_audit.audit_records WHERE request_id = $1', [cut.requestId]);
    expect(cutRows.rows.map((r) => r.type)).toContain('request.received');
  }, 120_000);
});
