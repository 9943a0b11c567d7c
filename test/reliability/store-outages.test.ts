import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRecords } from '../../src/audit/maintenance.js';
import { PostgresAuditStore } from '../../src/audit/postgres-store.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { json, type ScriptedUpstream, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { freePort, ThrowawayPostgres, ThrowawayRedis } from './stores.js';

/**
 * Shared stores killed and restarted under load, on instances this test starts itself (never the
 * machine's own PostgreSQL and Redis): behaviour as configured while they are down, nothing
 * acknowledged lost, recovery without restarting the gateway.
 */
const OK = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] };
let upstream: ScriptedUpstream;
beforeAll(async () => {
  upstream = await startScriptedUpstream((_req, res) => json(res, 200, OK));
});
afterAll(async () => {
  await upstream?.close();
});

const chat = async (gw: TestGateway, key = gw.clientKey) => {
  const res = await fetch(`${gw.proxyUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }) });
  const body = await res.text();
  return { status: res.status, body, requestId: res.headers.get('x-request-id') ?? '' };
};

async function until(fn: () => Promise<boolean>, ms: number): Promise<number> {
  const started = Date.now();
  while (!(await fn())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - started;
}

describe('Redis killed and restarted under load', () => {
  let redis: ThrowawayRedis;
  let degrade: TestGateway;
  let closed: TestGateway;
  beforeAll(async () => {
    redis = new ThrowawayRedis(await freePort());
    await redis.start();
    const base = { upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }], routes: [{ model: '*', upstream: 'u' }], audit: { enabled: false } };
    degrade = await startTestGateway({ ...base, rateLimits: { store: 'redis', redisUrl: redis.url, onStoreError: 'local', perIp: { requestsPerMinute: 100_000 } } });
    closed = await startTestGateway({ ...base, rateLimits: { store: 'redis', redisUrl: redis.url, onStoreError: 'block', perIp: { requestsPerMinute: 100_000 } } });
  }, 30_000);
  afterAll(async () => {
    await degrade?.close();
    await closed?.close();
    await redis?.kill();
  });

  it('degrades (onStoreError: local) or fails closed (block, 503) while down, and both recover on their own', async () => {
    expect((await chat(degrade)).status).toBe(200);
    expect((await chat(closed)).status).toBe(200);
    expect(redis.dbsize()).toBeGreaterThan(0);

    // Load while Redis dies.
    const during: Promise<{ status: number; body: string }>[] = [];
    for (let i = 0; i < 20; i++) during.push(chat(i % 2 ? degrade : closed));
    await redis.kill();
    for (let i = 0; i < 20; i++) during.push(chat(i % 2 ? degrade : closed));
    const results = await Promise.all(during);
    for (const r of results) expect([200, 503]).toContain(r.status);

    const down = await Promise.all([chat(degrade), chat(closed)]);
    expect(down[0].status).toBe(200);
    expect(down[1].status).toBe(503);
    expect(JSON.parse(down[1].body).error).toMatchObject({ type: 'service_unavailable', message: 'rate limiting is unavailable and configured to fail closed' });

    await redis.start();
    const recovered = await until(async () => (await chat(closed)).status === 200, 15_000);
    expect((await chat(degrade)).status).toBe(200);
    // Counting is shared again: the restarted (empty) Redis holds the gateways' counters.
    expect(redis.dbsize()).toBeGreaterThan(0);
    expect(recovered).toBeLessThan(15_000);
  }, 60_000);
});

describe('PostgreSQL killed and restarted under load', () => {
  let postgres: ThrowawayPostgres;
  let gw: TestGateway;
  beforeAll(async () => {
    postgres = new ThrowawayPostgres(await freePort());
    await postgres.init();
    gw = await startTestGateway(
      {
        upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }],
        routes: [{ model: '*', upstream: 'u' }],
        storage: { backend: 'postgres', postgres: { url: postgres.url } },
        audit: { store: { type: 'postgres', url: 'env:CG_AUDIT_PG' }, writer: { flushIntervalMs: 10 } },
      },
      { env: { ...process.env, CG_AUDIT_PG: postgres.url } },
    );
  }, 90_000);
  afterAll(async () => {
    await gw?.close();
    await postgres?.destroy();
  });

  it('refuses what it cannot verify while down, loses no audit record of an answered request, and recovers without a restart', async () => {
    const answered: string[] = [];
    const statuses: number[] = [];
    const note = (r: { status: number; requestId: string }) => {
      statuses.push(r.status);
      if (r.status === 200) answered.push(r.requestId);
    };
    for (let i = 0; i < 10; i++) note(await chat(gw));
    expect(answered).toHaveLength(10);

    // Load while PostgreSQL crashes (immediate shutdown), then a while down.
    const inflight = Array.from({ length: 20 }, () => chat(gw).then(note));
    await postgres.kill();
    await Promise.all(inflight);
    for (let i = 0; i < 10; i++) note(await chat(gw));
    // Keys live in PostgreSQL: a request it cannot authenticate is refused, never let through; never a hang.
    for (const s of statuses) expect([200, 401, 500, 503]).toContain(s);
    const downStatuses = statuses.slice(-10);
    // Refused, not forwarded, not misreported as a bad key, and reported as an outage to retry (503).
    expect(downStatuses).toEqual(Array(10).fill(503));

    await postgres.start();
    const recovered = await until(async () => {
      const r = await chat(gw);
      note(r);
      return r.status === 200;
    }, 30_000);
    for (let i = 0; i < 5; i++) note(await chat(gw));
    expect(statuses.slice(-5)).toEqual([200, 200, 200, 200, 200]);

    // Nothing acknowledged is lost: every answered request is in the audit chain, which verifies.
    const store = await PostgresAuditStore.open({ connectionString: postgres.url });
    try {
      await until(async () => {
        const seen = new Set<string>();
        for await (const r of exportRecords(store)) if (r.type === 'upstream.response' && r.requestId) seen.add(r.requestId);
        return answered.every((id) => seen.has(id));
      }, 15_000);
      expect((await verifyAuditLog(store)).ok).toBe(true);
    } finally {
      await store.close();
    }
    expect(recovered).toBeLessThan(30_000);
  }, 120_000);
});
