import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ upstreams: [{ name: 'u', provider: 'demo' }], routes: [{ model: '*', upstream: 'u' }] });
});
afterAll(async () => {
  await gw.close();
});

async function createKey(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${gw.adminUrl}/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('admin API: creating a key (shared with the dashboard)', () => {
  it('names the bad field, refuses unknown roles and fields, and creates nothing then', async () => {
    const before = (await gw.gateway.keys.list()).length;
    for (const [body, message] of [
      [{}, 'name:'],
      [{ name: '   ' }, 'name:'],
      [{ name: 'x', role: 'nope' }, 'role: no role named "nope"'],
      [{ name: 'x', kind: 'root' }, 'kind:'],
      [{ name: 'x', expiresInDays: 0 }, 'expiresInDays:'],
      [{ name: 'x', extra: 1 }, 'body:'],
    ] as const) {
      const r = await createKey(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect((r.json.error as { message: string }).message).toContain(message);
    }
    expect((await gw.gateway.keys.list()).length).toBe(before);
  });

  it('creates a trimmed, expiring key and shows it once', async () => {
    const r = await createKey({ name: '  ci bot  ', expiresInDays: 7 });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ name: 'ci bot', kind: 'client' });
    expect(String(r.json.key)).toMatch(/^cg_/);
    const listed = await fetch(`${gw.adminUrl}/v1/keys`, { headers: { authorization: `Bearer ${gw.adminKey}` } }).then((x) => x.text());
    expect(listed).not.toContain(String(r.json.key));
  });
});

describe('admin API: errors in its own shape', () => {
  it('answers a body that is not JSON, and an unknown path, with {error: {type, message}} (found by QA)', async () => {
    const bad = await fetch(`${gw.adminUrl}/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminKey}`, 'content-type': 'application/json' }, body: '{"name": ' });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error?: { type: string; message: string }; code?: string };
    expect(body.error?.type).toBe('invalid_request_error');
    expect(body.error?.message).toMatch(/JSON/i);
    expect(body).not.toHaveProperty('code');
    const missing = await fetch(`${gw.adminUrl}/v1/nothing-here?x=1`, { headers: { authorization: `Bearer ${gw.adminKey}` } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { type: 'not_found_error', message: 'no admin endpoint GET /v1/nothing-here' } });
  });
});
