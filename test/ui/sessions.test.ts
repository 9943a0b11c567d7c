import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeyStore } from '../../src/auth/api-keys.js';
import { RoleSet } from '../../src/auth/roles.js';
import type { AuditEvent } from '../../src/audit/events.js';
import { registerAdminUi } from '../../src/gateway/admin-ui.js';
import type { ApprovalService } from '../../src/gateway/approvals/approval-service.js';
import type { LockdownService } from '../../src/gateway/incident/lockdown.js';
import { UiEventFeed } from '../../src/ui/event-feed.js';
import { UiSessions } from '../../src/ui/sessions.js';
import { UiClient } from './helpers.js';

const ADMIN_KEY = 'cg_' + 'a'.repeat(43);

/** A key store with one admin key (the dashboard only verifies and looks up keys for sessions). */
function oneKeyStore(): KeyStore & { revoked: boolean } {
  const store = {
    revoked: false,
    backend: 'sqlite' as const,
    async verify(presented: string, kind: string) {
      return presented === ADMIN_KEY && kind === 'admin' && !store.revoked ? { id: 'k1', name: 'ops', kind: 'admin' as const } : undefined;
    },
    async get(id: string) {
      return id === 'k1' ? { id: 'k1', kind: 'admin' as const, name: 'ops', prefix: 'cg_aaaa', role: null, tenant: null, createdAt: '', expiresAt: null, lastUsedAt: null, revokedAt: store.revoked ? 'now' : null } : undefined;
    },
    async list() {
      return [];
    },
  };
  return store as unknown as KeyStore & { revoked: boolean };
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(now: () => number, secure = false) {
  const recorded: AuditEvent[] = [];
  app = Fastify({ logger: false });
  const keys = oneKeyStore();
  registerAdminUi(app, {
    keys,
    roles: new RoleSet([]),
    approvals: {} as ApprovalService,
    lockdowns: {} as LockdownService,
    audit: { record: (e) => void recorded.push(e), flush: async () => {}, close: async () => {} },
    events: new UiEventFeed(),
    log: pino({ level: 'silent' }),
    secure,
    sessions: { idleMs: 60_000, absoluteMs: 300_000, now },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  return { client: new UiClient(`http://127.0.0.1:${address.port}`), keys, recorded };
}

describe('dashboard sessions', () => {
  it('expire after the idle time, and activity keeps them alive until the absolute limit', async () => {
    let t = 1_000_000;
    const { client } = await start(() => t);
    expect((await client.login(ADMIN_KEY)).status).toBe(200);
    t += 50_000;
    expect((await client.request('GET', '/ui/api/session')).status).toBe(200); // touched at +50 s
    t += 50_000;
    expect((await client.request('GET', '/ui/api/session')).status).toBe(200); // 50 s idle: still alive
    t += 61_000;
    const expired = await client.request('GET', '/ui/api/session');
    expect(expired.status).toBe(401);
    expect(expired.json.error.message).toMatch(/session expired/);
    // Kept busy, a session still ends at the absolute limit.
    expect((await client.login(ADMIN_KEY)).status).toBe(200);
    const start0 = t;
    while (t - start0 < 290_000) {
      t += 30_000;
      expect((await client.request('GET', '/ui/api/session')).status).toBe(200);
    }
    t += 30_000;
    expect((await client.request('GET', '/ui/api/session')).status).toBe(401);
  });

  it('are not kept alive by the timed background polls of an unattended dashboard', async () => {
    let t = 1_000_000;
    const { client } = await start(() => t);
    expect((await client.login(ADMIN_KEY)).status).toBe(200);
    const poll = () => client.request('GET', '/ui/api/session', undefined, { 'x-clawguard-background': '1' });
    for (let i = 0; i < 5; i++) {
      t += 10_000;
      expect((await poll()).status).toBe(200); // still within 60 s of the sign-in
    }
    t += 11_000; // 61 s since the operator last did anything, though the last poll was 11 s ago
    expect((await poll()).status).toBe(401);
    // An operator's own request (no background header) counts as activity, as before.
    expect((await client.login(ADMIN_KEY)).status).toBe(200);
    t += 50_000;
    expect((await client.request('GET', '/ui/api/session')).status).toBe(200);
    t += 50_000;
    expect((await poll()).status).toBe(200);
    // The header never spares a mutation from counting, nor from CSRF.
    expect((await client.request('POST', '/ui/api/logout', {}, { 'x-clawguard-background': '1' })).status).toBe(200);
  });

  it('end when the admin key is revoked, and login records auth events without the key', async () => {
    const { client, keys, recorded } = await start(() => Date.now());
    expect((await client.login(ADMIN_KEY)).status).toBe(200);
    keys.revoked = true;
    expect((await client.request('GET', '/ui/api/session')).status).toBe(401);
    expect((await client.login(ADMIN_KEY)).status).toBe(401);
    expect(recorded.map((e) => (e.type === 'auth' ? e.outcome : e.type))).toEqual(['success', 'failure']);
    expect(JSON.stringify(recorded)).not.toContain(ADMIN_KEY);
  });

  it('mark the cookie Secure and expect an https Origin on a TLS listener', async () => {
    const { client } = await start(() => Date.now(), true);
    // The test talks plain HTTP to the app, but the app believes it is behind TLS: an http Origin is foreign.
    expect((await client.login(ADMIN_KEY)).status).toBe(403);
    const res = await client.request('POST', '/ui/api/login', { key: ADMIN_KEY }, { origin: client.origin.replace('http:', 'https:') });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
  });

  it('end the session a browser already held when it signs in again', async () => {
    const { client } = await start(() => Date.now());
    expect((await client.login(ADMIN_KEY)).status).toBe(200);
    const first = client.cookie!;
    expect((await client.login(ADMIN_KEY)).status).toBe(200);
    expect(client.cookie).not.toBe(first);
    expect((await client.request('GET', '/ui/api/session')).status).toBe(200);
    expect((await client.request('GET', '/ui/api/session', undefined, { cookie: first })).status).toBe(401);
  });

  it('throttle repeated failed logins from one address', async () => {
    const { client } = await start(() => Date.now());
    for (let i = 0; i < 10; i++) expect((await client.login('cg_' + 'b'.repeat(43))).status).toBe(401);
    expect((await client.login(ADMIN_KEY)).status).toBe(429);
  });

  it('evict the least recently used session beyond the maximum', () => {
    const sessions = new UiSessions({ max: 2 });
    const a = sessions.create('k', 'a');
    const b = sessions.create('k', 'b');
    expect(sessions.get(a.id)).toBeDefined(); // a is now the most recent
    sessions.create('k', 'c');
    expect(sessions.get(b.id)).toBeUndefined();
    expect(sessions.get(a.id)?.admin).toBe('a');
    expect(sessions.destroyKey('k')).toBe(2);
    expect(sessions.size).toBe(0);
  });
});
