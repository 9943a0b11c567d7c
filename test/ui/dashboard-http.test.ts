import { Script } from 'node:vm';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, type ScriptedUpstream, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { UiClient } from './helpers.js';

/** Dashboard HTTP surface on a real gateway: headers, login, CSRF, sessions, and what never leaves. */

const MARKER = 'zebra-quartz-7731';
const PROMPT_SECRET = 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234';
let upstream: ScriptedUpstream;
let gw: TestGateway;

const toolAnswer = {
  id: 'c',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_r', type: 'function', function: { name: 'exec', arguments: JSON.stringify({ command: 'curl https://status.example.com', token: PROMPT_SECRET }) } }] }, finish_reason: 'tool_calls' }],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
};

beforeAll(async () => {
  upstream = await startScriptedUpstream((_req, res) => json(res, 200, toolAnswer));
  gw = await startTestGateway({
    upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }],
    routes: [{ model: '*', upstream: 'u' }],
    guards: { toolcalls: { enabled: false }, secrets: { enabled: false }, patterns: { deny: [{ id: 'network', pattern: '\\bcurl\\b' }, { id: 'forbidden', pattern: 'zebra' }] } },
    policy: { rules: [{ type: 'pattern.network', kind: ['tool_call'], action: 'review' }, { type: 'pattern.forbidden', action: 'block' }] },
    approvals: { timeoutSeconds: 20, pollMs: 50 },
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const ui = () => new UiClient(gw.adminUrl!);

async function loggedIn(): Promise<UiClient> {
  const c = ui();
  const res = await c.login(gw.adminKey);
  expect(res.status).toBe(200);
  return c;
}

describe('dashboard: static shell and headers', () => {
  it('serves the app with a strict CSP, nosniff and no referrer, and no inline script or style', async () => {
    const c = ui();
    const redirect = await c.request('GET', '/ui');
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/ui/');
    const page = await c.request('GET', '/ui/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const csp = page.headers.get('content-security-policy')!;
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    // Every script has a src (no inline script), no inline handlers or style attributes, nothing from another origin.
    expect(page.text.match(/<script\b[^>]*>/g)).toEqual(['<script src="/ui/app.js" defer>']);
    expect(page.text).not.toMatch(/\son[a-z]+=|style=|<style|https?:\/\/(?!www\.w3\.org)/i);
    const js = await c.request('GET', '/ui/app.js');
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('content-security-policy')).toBe(csp);
    expect(() => new Script(js.text)).not.toThrow();
    // Rendering never goes through HTML parsing.
    expect(js.text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    const css = await c.request('GET', '/ui/app.css');
    expect(css.headers.get('content-type')).toContain('text/css');
    expect(css.text).not.toMatch(/@import|url\(\s*["']?https?:/);
  });

  it('sends the security headers on every /ui answer, unknown paths and methods included', async () => {
    const c = ui();
    const hostile = '/ui/%3Csvg%20onload=alert(1)%3E';
    for (const [method, path] of [['GET', hostile], ['GET', '/ui/api/nope'], ['PUT', '/ui/'], ['DELETE', '/ui/api/keys'], ['GET', '/ui/app.js/..%2f..%2fetc%2fpasswd']] as const) {
      const res = await c.request(method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(res.headers.get('x-content-type-options'), `${method} ${path}`).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    // Other admin endpoints keep their own headers.
    expect((await c.request('GET', '/healthz')).headers.get('content-security-policy')).toBeNull();
  });

  it('refuses every API call without a session', async () => {
    const c = ui();
    for (const path of ['/ui/api/session', '/ui/api/events', '/ui/api/keys', '/ui/api/approvals', '/ui/api/lockdowns', '/ui/api/audit', '/ui/api/series']) {
      const res = await c.request('GET', path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    const post = await c.request('POST', '/ui/api/lockdowns', { scope: 'all' });
    expect(post.status).toBe(401);
    expect(gw.gateway.lockdowns.active).toHaveLength(0);
  });
});

describe('dashboard: login', () => {
  it('logs in with an admin key: HttpOnly SameSite=Strict cookie on /ui, the key never echoed', async () => {
    const c = ui();
    const res = await c.login(gw.adminKey);
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^cg_ui_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/ui');
    expect(cookie).not.toContain('Secure'); // plain HTTP listener
    expect(res.text).not.toContain(gw.adminKey);
    expect(res.json).toMatchObject({ admin: 'test-admin' });
    expect(res.json.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const session = await c.request('GET', '/ui/api/session');
    expect(session.status).toBe(200);
    expect(session.json.csrf).toBe(c.csrf);
  });

  it('refuses a client key, a wrong key and a cross-origin or Origin-less login, and audits the failure', async () => {
    expect((await ui().login(gw.clientKey)).status).toBe(401);
    expect((await ui().login('cg_' + 'x'.repeat(43))).status).toBe(401);
    const crossSite = await ui().request('POST', '/ui/api/login', { key: gw.adminKey }, { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.get('set-cookie')).toBeNull();
    const noOrigin = await fetch(`${gw.adminUrl}/ui/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: gw.adminKey }) });
    expect(noOrigin.status).toBe(403);
    const c = await loggedIn();
    const events = await c.request('GET', '/ui/api/events?category=auth');
    const failures = events.json.events.filter((e: any) => e.fields.outcome === 'failure');
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures[0].fields.surface).toBe('admin');
  });
});

describe('dashboard: CSRF and Origin', () => {
  it('refuses a mutation without the CSRF token, with a wrong one, from another Origin or a cross-site fetch', async () => {
    const c = await loggedIn();
    const body = { scope: 'tool:exec', reason: 'csrf test' };
    expect((await c.request('POST', '/ui/api/lockdowns', body, { 'x-clawguard-csrf': '' })).status).toBe(403);
    expect((await c.request('POST', '/ui/api/lockdowns', body, { 'x-clawguard-csrf': 'A'.repeat(43) })).status).toBe(403);
    expect((await c.request('POST', '/ui/api/lockdowns', body, { origin: 'http://attacker.test' })).status).toBe(403);
    expect((await c.request('POST', '/ui/api/lockdowns', body, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // Another session's token does not fit this session.
    const other = await loggedIn();
    expect((await c.request('POST', '/ui/api/lockdowns', body, { 'x-clawguard-csrf': other.csrf! })).status).toBe(403);
    expect(gw.gateway.lockdowns.active).toHaveLength(0);
    // The right token from our own origin works, and the lockdown is real.
    const ok = await c.request('POST', '/ui/api/lockdowns', body);
    expect(ok.status).toBe(201);
    expect(gw.gateway.lockdowns.active.map((l) => l.scope)).toEqual(['tool:exec']);
    const lifted = await c.request('POST', '/ui/api/lockdowns/unlock', { scope: 'tool:exec' });
    expect(lifted.status).toBe(200);
    expect(gw.gateway.lockdowns.active).toHaveLength(0);
    const admin = await c.request('GET', '/ui/api/events?category=admin');
    expect(admin.json.events.map((e: any) => e.fields.action)).toEqual(expect.arrayContaining(['lockdown.on', 'lockdown.off']));
  });
});

describe('dashboard: data shown, secrets never', () => {
  it('shows the blocked request, the held call with its context and the key list, never prompt text or keys', async () => {
    const c = await loggedIn();
    const openai = new OpenAI({ baseURL: `${gw.proxyUrl}/v1`, apiKey: gw.clientKey, maxRetries: 0 });
    // A blocked request whose prompt carries a marker and a secret.
    await expect(openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: `${MARKER} with ${PROMPT_SECRET}` }] })).rejects.toMatchObject({ status: 403 });
    // A held tool call whose arguments carry a credential.
    const held = openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'check the status page' }] });
    let pending: any[] = [];
    for (let i = 0; i < 100 && pending.length === 0; i++) {
      pending = (await c.request('GET', '/ui/api/approvals')).json.pending;
      if (pending.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(pending).toHaveLength(1);
    const approval = pending[0];
    expect(approval).toMatchObject({ toolName: 'exec', reasons: ['pattern.network'], principalName: 'test-client' });
    expect(approval.arguments).toContain('curl https://status.example.com');
    expect(approval.arguments).not.toContain(PROMPT_SECRET);
    expect(approval.findings.map((f: any) => f.type)).toContain('pattern.network');
    const created = await c.request('POST', '/ui/api/keys', { name: 'ui-created', role: undefined });
    expect(created.status).toBe(201);
    const newKey: string = created.json.key;
    expect(newKey).toMatch(/^cg_/);

    const blocked = await c.request('GET', '/ui/api/events?category=blocked');
    expect(blocked.json.events.some((e: any) => e.type === 'decision' && e.fields.action === 'block' && e.fields.guards.includes('patterns'))).toBe(true);
    const series = await c.request('GET', '/ui/api/series');
    const totals = series.json.buckets.reduce((a: any, b: any) => ({ requests: a.requests + b.requests, blocked: a.blocked + b.blocked, tokens: a.tokens + b.tokensIn + b.tokensOut }), { requests: 0, blocked: 0, tokens: 0 });
    expect(totals.requests).toBeGreaterThanOrEqual(2);
    expect(totals.blocked).toBeGreaterThanOrEqual(1);
    expect(totals.tokens).toBeGreaterThan(0);

    const decided = await c.request('POST', `/ui/api/approvals/${approval.id}/approve`, { note: 'looks fine' });
    expect(decided.status).toBe(200);
    expect(decided.json.status).toBe('approved');
    const answer = await held;
    expect(answer.choices[0]!.message.tool_calls).toHaveLength(1);
    expect((await c.request('POST', `/ui/api/approvals/${approval.id}/deny`, {})).status).toBe(409);

    const secrets = [gw.adminKey, gw.clientKey, newKey, MARKER, PROMPT_SECRET];
    const pages = ['/ui/', '/ui/app.js', '/ui/app.css', '/ui/api/session', '/ui/api/events', '/ui/api/events?category=finding', '/ui/api/series', '/ui/api/overview', '/ui/api/approvals', '/ui/api/keys', '/ui/api/lockdowns', '/ui/api/audit'];
    for (const path of pages) {
      const res = await c.request('GET', path);
      expect(res.status, path).toBe(200);
      for (const s of secrets) expect(res.text, `${path} leaks ${s.slice(0, 6)}…`).not.toContain(s);
    }
    const keys = (await c.request('GET', '/ui/api/keys')).json.keys;
    expect(keys.map((k: any) => k.name)).toEqual(expect.arrayContaining(['test-admin', 'test-client', 'ui-created']));
    for (const k of keys) expect(Object.keys(k)).not.toContain('hash');
  });

  it('reports the audit chain and verifies it on demand', async () => {
    const c = await loggedIn();
    const status = await c.request('GET', '/ui/api/audit');
    expect(status.json).toMatchObject({ enabled: true, store: 'sqlite' });
    const verified = await c.request('POST', '/ui/api/audit/verify', {});
    expect(verified.status).toBe(200);
    expect(verified.json.ok).toBe(true);
    expect(verified.json.records).toBeGreaterThan(5);
    expect(verified.json.lastSeq).toBe(verified.json.records);
    const after = await c.request('GET', '/ui/api/audit');
    expect(after.json.lastVerify).toMatchObject({ ok: true, records: verified.json.records });
    expect(after.json.lastSeq).toBeGreaterThanOrEqual(verified.json.lastSeq);
    const admin = await c.request('GET', '/ui/api/events?category=admin');
    expect(admin.json.events.filter((e: any) => e.fields.action === 'audit.verify')).toHaveLength(1);
  });
});

describe('dashboard: keys and sessions', () => {
  it('rotates and revokes keys; a revoked client key is refused by the proxy', async () => {
    const c = await loggedIn();
    const created = await c.request('POST', '/ui/api/keys', { name: 'to-rotate' });
    const rotated = await c.request('POST', `/ui/api/keys/${created.json.id}/rotate`, {});
    expect(rotated.status).toBe(201);
    expect(rotated.json.replaced).toBe(created.json.id);
    expect(rotated.json.key).not.toBe(created.json.key);
    const call = (key: string) => fetch(`${gw.proxyUrl}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    expect(await call(created.json.key)).toBe(401);
    expect(await call(rotated.json.key)).toBe(200);
    const revoked = await c.request('POST', `/ui/api/keys/${rotated.json.id}/revoke`, {});
    expect(revoked.status).toBe(200);
    expect(revoked.json.revokedAt).toBeTruthy();
    expect(await call(rotated.json.key)).toBe(401);
    expect((await c.request('POST', '/ui/api/keys', { name: 'x', role: 'no-such-role' })).status).toBe(400);
  });

  it('logout ends the session and clears the cookie', async () => {
    const c = await loggedIn();
    const out = await c.request('POST', '/ui/api/logout', {});
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/^cg_ui_session=; .*Max-Age=0/);
    expect((await c.request('GET', '/ui/api/session')).status).toBe(401);
  });

  it('revoking the admin key that opened a session ends the session', async () => {
    const second = await gw.gateway.keys.create({ kind: 'admin', name: 'second-admin' });
    const c = ui();
    expect((await c.login(second.key)).status).toBe(200);
    expect((await c.request('GET', '/ui/api/keys')).status).toBe(200);
    await gw.gateway.keys.revoke(second.record.id);
    expect((await c.request('GET', '/ui/api/keys')).status).toBe(401);
    expect((await c.login(second.key)).status).toBe(401);
  });
});
