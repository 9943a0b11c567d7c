/**
 * Control-plane probes (security review): authentication, lockout, limits, admin surface, approvals,
 * audit and incident controls. Each probe asserts the SAFE behaviour.
 */
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, type ScriptedUpstream, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let upstream: ScriptedUpstream;
let answerText = 'ok';
let completionTokens = 40;

beforeAll(async () => {
  upstream = await startScriptedUpstream((_req, res) =>
    json(res, 200, {
      id: 'c',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: answerText }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: completionTokens, total_tokens: 10 + completionTokens },
    }),
  );
});
afterAll(async () => {
  await upstream.close();
});

const base = () => ({ upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }], routes: [{ model: '*', upstream: 'u' }] });
const chat = (gw: TestGateway, key: string, body: Record<string, unknown> = {}) =>
  fetch(`${gw.proxyUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hello there' }], ...body }),
  });
const BOGUS = `cg_${'x'.repeat(43)}`;

describe('authentication lockout', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ ...base(), rateLimits: { authFailuresPerMinutePerIp: 3 } });
  });
  afterAll(() => gw.close());

  it('a locked-out address gets 429 for every credential: no 401/429 oracle that tells a valid key from a wrong one', async () => {
    for (let i = 0; i < 3; i++) expect((await chat(gw, BOGUS)).status).toBe(401);
    // Locked out now: a valid key is refused with 429 (existing behaviour)...
    const valid = await chat(gw, gw.clientKey);
    expect(valid.status).toBe(429);
    // ...and so must a wrong one be. Answering 401 here keeps guessing unthrottled and tells the
    // attacker which guess was right (the one answered 429).
    const wrong = await chat(gw, `cg_${'y'.repeat(43)}`);
    expect(wrong.status).toBe(429);
    expect(((await wrong.json()) as any).error.code).toBe('auth_lockout');
    // The same on GET /v1/models.
    expect((await fetch(`${gw.proxyUrl}/v1/models`, { headers: { authorization: `Bearer ${BOGUS}` } })).status).toBe(429);
  });
});

describe('authentication lockout on the dashboard login', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ ...base(), rateLimits: { authFailuresPerMinutePerIp: 3 } });
  });
  afterAll(() => gw.close());
  const login = (key: string) => fetch(`${gw.adminUrl}/ui/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: gw.adminUrl! }, body: JSON.stringify({ key }) });

  it('counts failed dashboard logins against the address, and refuses a locked-out address there too', async () => {
    // Guessing at the dashboard used to have only its own throttle (10 a minute), apart from the
    // gateway's lockout: an address locked out on the admin API could go on guessing here.
    for (let i = 0; i < 3; i++) expect((await login(BOGUS)).status).toBe(401);
    expect((await fetch(`${gw.adminUrl}/v1/keys`, { headers: { authorization: `Bearer ${gw.adminKey}` } })).status).toBe(429);
    const refused = await login(gw.adminKey);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('admin surface separation (regression)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(base());
  });
  afterAll(() => gw.close());

  it('serves nothing admin on the proxy port, and refuses a client key on the admin API and an admin key on the proxy', async () => {
    for (const path of ['/v1/keys', '/v1/approvals', '/v1/lockdowns', '/v1/quarantines', '/ui/', '/ui/api/session', '/metrics', '/v1/tool-verdicts']) {
      const res = await fetch(`${gw.proxyUrl}${path}`, { headers: { authorization: `Bearer ${gw.adminKey}` } });
      expect(res.status, path).toBe(404);
    }
    expect((await fetch(`${gw.adminUrl}/v1/keys`, { headers: { authorization: `Bearer ${gw.clientKey}` } })).status).toBe(401);
    expect((await fetch(`${gw.adminUrl}/v1/keys`, { headers: { 'x-api-key': gw.clientKey } })).status).toBe(401);
    expect((await fetch(`${gw.adminUrl}/v1/lockdowns`, { method: 'POST', headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ scope: 'all' }) })).status).toBe(401);
    expect((await chat(gw, gw.adminKey)).status).toBe(401);
    // A client (agent host) can never decide an approval: not on the admin API, not on tool verdicts.
    expect((await fetch(`${gw.adminUrl}/v1/approvals/x/approve`, { method: 'POST', headers: { authorization: `Bearer ${gw.clientKey}` } })).status).toBe(401);
    expect((await fetch(`${gw.adminUrl}/v1/tool-verdicts/approvals/x/approve`, { method: 'POST', headers: { authorization: `Bearer ${gw.clientKey}` } })).status).toBe(404);
    // A client key on the dashboard login is refused too.
    const login = await fetch(`${gw.adminUrl}/ui/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: gw.adminUrl! }, body: JSON.stringify({ key: gw.clientKey }) });
    expect(login.status).toBe(401);
  });

  it('a revoked or expired key stops working at once, and a rotated key replaces the old one', async () => {
    const { key, record } = await gw.gateway.keys.create({ kind: 'client', name: 'short' });
    expect((await chat(gw, key)).status).toBe(200);
    const rotated = (await (await fetch(`${gw.adminUrl}/v1/keys/${record.id}/rotate`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminKey}` } })).json()) as any;
    expect((await chat(gw, key)).status).toBe(401);
    expect((await chat(gw, rotated.key)).status).toBe(200);
    await fetch(`${gw.adminUrl}/v1/keys/${rotated.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${gw.adminKey}` } });
    expect((await chat(gw, rotated.key)).status).toBe(401);
    const expired = await gw.gateway.keys.create({ kind: 'client', name: 'old', expiresAt: new Date(Date.now() - 1000) });
    expect((await chat(gw, expired.key)).status).toBe(401);
  });
});

describe('per-address limits and X-Forwarded-For (regression)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ ...base(), rateLimits: { perIp: { requestsPerMinute: 2 }, authFailuresPerMinutePerIp: 2 } });
  });
  afterAll(() => gw.close());

  it('does not trust client-sent forwarding headers for the address: spoofing them neither escapes the limit nor the lockout', async () => {
    const spoofed = (key: string, i: number) =>
      fetch(`${gw.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-forwarded-for': `10.0.0.${i}`, 'x-real-ip': `10.0.1.${i}`, forwarded: `for=10.0.2.${i}` },
        body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await spoofed(gw.clientKey, i)).status);
    expect(statuses).toEqual([200, 200, 429]);
    for (let i = 0; i < 2; i++) expect((await spoofed(BOGUS, 10 + i)).status).toBe(401);
    expect((await spoofed(BOGUS, 20)).status).toBe(429);
  });
});

describe('approvals past their time', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(base());
  });
  afterAll(() => gw.close());

  it('refuses to approve a held call whose time is up (silence was a denial)', async () => {
    // A pending approval past its expiry: its waiter's replica died before expiring it, and the sweep
    // (every 30 s) has not run yet. A tool-verdicts poll on another replica would release it if approved.
    const db = new Database(join(gw.dir, 'clawguard.db'));
    const insert = (id: string) =>
      db
        .prepare(`INSERT INTO approvals (id, status, created_at, expires_at, principal, request_id, tool_name, arguments, reasons) VALUES (?, 'pending', ?, ?, 'p', ?, 'exec', '{}', '[]')`)
        .run(id, new Date(Date.now() - 120_000).toISOString(), new Date(Date.now() - 60_000).toISOString(), `r-${id}`);
    try {
      insert('late-1');
      const res = await fetch(`${gw.adminUrl}/v1/approvals/late-1/approve`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminKey}` } });
      expect(res.status).toBe(409);
      const after = (await (await fetch(`${gw.adminUrl}/v1/approvals/late-1`, { headers: { authorization: `Bearer ${gw.adminKey}` } })).json()) as any;
      expect(after.status).toBe('expired');
      // Denying late stays possible (it only narrows).
      insert('late-2');
      expect((await fetch(`${gw.adminUrl}/v1/approvals/late-2/deny`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminKey}` } })).status).toBe(200);
    } finally {
      db.close();
    }
  });
});

describe('admin API brute force', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ ...base(), rateLimits: { authFailuresPerMinutePerIp: 5 } });
  });
  afterAll(() => gw.close());

  it('locks an address out of the admin API after repeated wrong admin keys, like the proxy and the dashboard login', async () => {
    for (let i = 0; i < 5; i++) expect((await fetch(`${gw.adminUrl}/v1/keys`, { headers: { authorization: `Bearer ${BOGUS}` } })).status).toBe(401);
    const next = await fetch(`${gw.adminUrl}/v1/keys`, { headers: { authorization: `Bearer cg_${'z'.repeat(43)}` } });
    expect(next.status).toBe(429);
  });
});

describe('token budgets', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      ...base(),
      guards: { patterns: { deny: [{ id: 'forbidden', pattern: 'FORBIDDEN' }] } },
      roles: [{ name: 'default', limits: { tokensPerMinute: 500 } }],
    });
  });
  afterAll(() => {
    answerText = 'ok';
    completionTokens = 40;
    return gw.close();
  });

  it('counts the output tokens of an answer the output guards blocked (the provider billed them)', async () => {
    // The model writes 5000 tokens that the output policy blocks: the client gets a 403 but the
    // provider was paid for the tokens. They must count against the principal's token budget.
    answerText = 'Here it is: FORBIDDEN';
    completionTokens = 5000;
    const blocked = await chat(gw, gw.clientKey);
    expect(blocked.status).toBe(403);
    answerText = 'ok';
    completionTokens = 1;
    const next = await chat(gw, gw.clientKey);
    expect(next.status).toBe(429);
  });
});

describe('audit records bounded against client-controlled fields', () => {
  let gw: TestGateway;
  let closed = false;
  beforeAll(async () => {
    gw = await startTestGateway(base());
  });
  afterAll(async () => {
    if (!closed) await gw.close();
  });

  it('does not copy a huge client-chosen `user` or model name into every audit record', async () => {
    const huge = 'u'.repeat(300_000);
    const res = await chat(gw, gw.clientKey, { user: huge });
    expect(res.status).toBe(200);
    await gw.close();
    closed = true;
    const dbs = readdirSync(gw.dir).filter((f) => f.endsWith('.db'));
    let largest = 0;
    let records = 0;
    for (const f of dbs) {
      const db = new Database(join(gw.dir, f), { readonly: true });
      try {
        const has = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'audit_records'").get();
        if (!has) continue;
        const row = db.prepare('SELECT count(*) AS n, max(length(body)) AS m FROM audit_records').get() as { n: number; m: number };
        records += row.n;
        largest = Math.max(largest, row.m ?? 0);
      } finally {
        db.close();
      }
    }
    expect(records).toBeGreaterThan(0);
    // One request with payloads off: no record should carry 300 KB of client text.
    expect(largest).toBeLessThan(16 * 1024);
  });
});

describe('egress proxy under lockdown', () => {
  let site: Server;
  let sitePort: number;
  let gw: TestGateway;
  beforeAll(async () => {
    site = createHttpServer((_req, res) => res.end('reached'));
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    sitePort = (site.address() as AddressInfo).port;
    gw = await startTestGateway({ ...base(), egress: { enabled: true, allowPrivate: true, allowDomains: ['localhost', '127.0.0.1'], allowPorts: [sitePort] } });
  });
  afterAll(async () => {
    await gw.close();
    site.close();
  });

  const viaProxy = (credential: string): Promise<number> => {
    const proxy = new URL(gw.egressUrl!);
    return new Promise((resolve, reject) => {
      const req = request(
        { host: proxy.hostname, port: proxy.port, method: 'GET', path: `http://localhost:${sitePort}/x`, headers: { 'proxy-authorization': `Basic ${Buffer.from(`agent:${credential}`).toString('base64')}` } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });
  };
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${gw.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${gw.adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });

  it('refuses the egress of a locked-out principal and everyone under `lockdown --scope all`', async () => {
    expect(await viaProxy(gw.clientKey)).toBe(200);
    const principal = (await gw.gateway.keys.list('client')).find((k) => k.name === 'test-client')!.id;
    expect((await admin('POST', '/v1/lockdowns', { scope: `principal:${principal}` })).status).toBe(201);
    expect((await chat(gw, gw.clientKey)).status).toBe(403);
    const locked = await viaProxy(gw.clientKey);
    await admin('DELETE', `/v1/lockdowns/${encodeURIComponent(`principal:${principal}`)}`);
    expect((await admin('POST', '/v1/lockdowns', { scope: 'all' })).status).toBe(201);
    const all = await viaProxy(gw.clientKey);
    await admin('DELETE', '/v1/lockdowns/all');
    expect(locked).toBe(403);
    expect(all).toBe(403);
  });
});
