import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, type ScriptedUpstream, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let upstream: ScriptedUpstream;
const answer = (content: string | null, toolCalls?: unknown[]) => ({
  id: 'c',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content, ...(toolCalls ? { tool_calls: toolCalls } : {}) }, finish_reason: toolCalls ? 'tool_calls' : 'stop' }],
  usage: { prompt_tokens: 10, completion_tokens: 40, total_tokens: 50 },
});

beforeAll(async () => {
  upstream = await startScriptedUpstream((_req, res) => json(res, 200, answer('ok')));
});
afterAll(async () => {
  await upstream.close();
});

const base = () => ({
  upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }],
  routes: [{ model: '*', upstream: 'u' }],
});
const chat = (gw: TestGateway, key: string, model = 'gpt-test') =>
  fetch(`${gw.proxyUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello there' }] }) });

describe('roles', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ ...base(), roles: [{ name: 'default' }, { name: 'restricted', models: ['gpt-mini'], tools: ['read'] }] });
  });
  afterAll(() => gw.close());

  it('grants only the models of the role', async () => {
    const { key } = await gw.gateway.keys.create({ kind: 'client', name: 'r', role: 'restricted' });
    const denied = await chat(gw, key, 'gpt-test');
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as any).error.code).toBe('model_not_allowed');
    expect((await chat(gw, key, 'gpt-mini')).status).toBe(200);
    expect((await chat(gw, gw.clientKey, 'gpt-test')).status).toBe(200);
  });

  it('refuses tool calls the role does not grant, keeps the granted ones', async () => {
    const { key } = await gw.gateway.keys.create({ kind: 'client', name: 'r2', role: 'restricted' });
    upstream.script = (_req, res) =>
      json(res, 200, answer(null, [
        { id: 'a', type: 'function', function: { name: 'read', arguments: '{"path":"README.md"}' } },
        { id: 'b', type: 'function', function: { name: 'exec', arguments: '{"command":"ls"}' } },
      ]));
    const client = new OpenAI({ baseURL: `${gw.proxyUrl}/v1`, apiKey: key, maxRetries: 0 });
    const res = await client.chat.completions.create({ model: 'gpt-mini', messages: [{ role: 'user', content: 'go' }] });
    expect(res.choices[0]!.message.tool_calls!.map((t) => (t as { function: { name: string } }).function.name)).toEqual(['read']);
    expect(res.choices[0]!.message.content).toContain("not allowed for the caller");
    upstream.script = (_req, res) => json(res, 200, answer('ok'));
  });

  it('rotates a key over the admin API: the new one works with the same role, the old one is refused at once', async () => {
    const { key, record } = await gw.gateway.keys.create({ kind: 'client', name: 'rot', role: 'restricted' });
    const admin = { authorization: `Bearer ${gw.adminKey}` };
    const shown = (await (await fetch(`${gw.adminUrl}/v1/keys/${record.id}`, { headers: admin })).json()) as any;
    expect(shown).toMatchObject({ id: record.id, name: 'rot', role: 'restricted', revokedAt: null });
    expect(JSON.stringify(shown)).not.toContain(key);
    const rotated = (await (await fetch(`${gw.adminUrl}/v1/keys/${record.id}/rotate`, { method: 'POST', headers: admin })).json()) as any;
    expect(rotated).toMatchObject({ name: 'rot', role: 'restricted', replaced: record.id });
    expect((await chat(gw, key, 'gpt-mini')).status).toBe(401);
    expect((await chat(gw, rotated.key, 'gpt-mini')).status).toBe(200);
    expect((await chat(gw, rotated.key, 'gpt-test')).status).toBe(403);
  });

  it('refuses a key whose role the config does not know', async () => {
    const { key } = await gw.gateway.keys.create({ kind: 'client', name: 'ghost', role: 'ghost' });
    const res = await chat(gw, key);
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error.code).toBe('unknown_role');
  });
});

describe('role APIs and policy profiles', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      upstreams: [
        { name: 'u', provider: 'openai', url: `${upstream.url}/v1` },
        { name: 'a', provider: 'anthropic', url: upstream.url },
      ],
      routes: [
        { model: 'claude-*', upstream: 'a' },
        { model: '*', upstream: 'u' },
      ],
      guards: { patterns: { deny: [{ id: 'project-name', pattern: 'project bluebird', score: 0.9 }] } },
      policy: { rules: [{ type: 'pattern.project-name', action: 'allow' }] },
      policyProfiles: { contractors: { rules: [{ type: 'pattern.project-name', action: 'block' }] } },
      roles: [{ name: 'default' }, { name: 'contractor', apis: ['openai-chat'], policyProfile: 'contractors' }],
    });
  });
  afterAll(() => gw.close());
  const say = (key: string, text: string) =>
    fetch(`${gw.proxyUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: text }] }) });

  it('judges each role by its own policy profile', async () => {
    const { key } = await gw.gateway.keys.create({ kind: 'client', name: 'c', role: 'contractor' });
    expect((await say(gw.clientKey, 'status of project bluebird?')).status).toBe(200);
    const blocked = await say(key, 'status of project bluebird?');
    expect(blocked.status).toBe(403);
    expect(((await blocked.json()) as any).error.findings).toEqual(['pattern.project-name']);
  });

  it('grants only the APIs of the role', async () => {
    const { key } = await gw.gateway.keys.create({ kind: 'client', name: 'c2', role: 'contractor' });
    const res = await fetch(`${gw.proxyUrl}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-x', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error.type).toBe('permission_error');
  });
});

describe('rate limits in memory', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      ...base(),
      roles: [{ name: 'default', limits: { requestsPerMinute: 3 } }, { name: 'tokens', limits: { tokensPerMinute: 40 } }],
      rateLimits: { authFailuresPerMinutePerIp: 3 },
    });
  });
  afterAll(() => gw.close());

  it('answers the request over the limit with 429, retry-after and x-ratelimit headers', async () => {
    const { key } = await gw.gateway.keys.create({ kind: 'client', name: 'rl' });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await chat(gw, key);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.headers.get('x-ratelimit-limit-requests')).toBe('3');
    expect(last!.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const body = (await last!.json()) as any;
    expect(body.error.code).toBe('rate_limit_exceeded');
  });

  it('counts output tokens from the upstream usage against the token limit', async () => {
    const { key } = await gw.gateway.keys.create({ kind: 'client', name: 'tok', role: 'tokens' });
    // First call: ~3 input tokens estimated, then 40 output tokens reported by the upstream.
    expect((await chat(gw, key)).status).toBe(200);
    expect((await chat(gw, key)).status).toBe(429);
  });

  it('locks out an address after repeated authentication failures, even for a valid key', async () => {
    for (let i = 0; i < 3; i++) expect((await chat(gw, `cg_${'x'.repeat(43)}`)).status).toBe(401);
    const locked = await chat(gw, gw.clientKey);
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as any).error.code).toBe('auth_lockout');
    expect(gw.logs.join('')).toContain('authentication failed');
  });
});

describe('rate limits shared through Redis', () => {
  const redisUrl = process.env.CLAWGUARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

  it('falls back to local counting with a warning when Redis is down, or refuses when told to', async () => {
    const local = await startTestGateway({ ...base(), roles: [{ name: 'default', limits: { requestsPerMinute: 100 } }], rateLimits: { store: 'redis', redisUrl: 'redis://127.0.0.1:1' } });
    try {
      expect((await chat(local, local.clientKey)).status).toBe(200);
      expect(local.logs.join('')).toContain('rate-limit store unavailable');
      const metrics = await (await fetch(`${local.adminUrl}/metrics`)).text();
      expect(metrics).toMatch(/clawguard_ratelimit_store_errors_total [1-9]/);
    } finally {
      await local.close();
    }
    const closed = await startTestGateway({ ...base(), roles: [{ name: 'default', limits: { requestsPerMinute: 100 } }], rateLimits: { store: 'redis', redisUrl: 'redis://127.0.0.1:1', onStoreError: 'block' } });
    try {
      expect((await chat(closed, closed.clientKey)).status).toBe(503);
    } finally {
      await closed.close();
    }
  });
});
