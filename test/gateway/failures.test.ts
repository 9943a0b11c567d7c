import OpenAI from 'openai';
import { createServer } from 'node:net';
import { z } from 'zod';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GuardRegistry, type GuardFactory } from '../../src/core/index.js';
import { invisibleTextGuardFactory } from '../../src/guards/invisible/index.js';
import { limitsGuardFactory } from '../../src/guards/limits/index.js';
import { patternsGuardFactory } from '../../src/guards/patterns/index.js';
import { json, openAiTextChunks, type ScriptedUpstream, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** A guard family whose guard always throws, or never answers: to prove guards fail closed. */
const brokenGuardFactory: GuardFactory<{ mode: 'throw' | 'hang' }> = {
  name: 'broken',
  description: 'test guard that fails',
  schema: z.strictObject({ mode: z.enum(['throw', 'hang']).default('throw') }),
  create(config, options) {
    return {
      id: options.id,
      fingerprint: `broken:${config.mode}`,
      failOpen: options.failOpen,
      timeoutMs: options.timeoutMs,
      maxSpan: 1,
      inspect() {
        if (config.mode === 'throw') throw new Error('detector crashed');
        return new Promise(() => undefined);
      },
    };
  },
};

function registryWithBroken(): GuardRegistry {
  return new GuardRegistry().register(limitsGuardFactory).register(patternsGuardFactory).register(invisibleTextGuardFactory).register(brokenGuardFactory);
}

const ok = { id: 'c', object: 'chat.completion', created: 1, model: 'gpt-test', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] };

async function post(gw: TestGateway, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${gw.proxyUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, json: await res.json(), headers: res.headers };
}

describe('bad requests get provider-shaped errors', () => {
  let upstream: ScriptedUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    upstream = await startScriptedUpstream((_req, res) => json(res, 200, ok));
    gw = await startTestGateway({
      upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1`, apiKey: 'env:K' }],
      routes: [{ model: 'gpt-*', upstream: 'u' }],
      guards: { limits: { maxBodyBytes: 4096, maxMessages: 3 } },
    }, { env: { K: 'sk-x' } });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('rejects invalid JSON with 400', async () => {
    const r = await post(gw, '{"model": "gpt-test", "messages": [');
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ type: 'invalid_request_error', message: 'the request body is not valid JSON' });
  });

  it('names the bad field of a malformed body', async () => {
    const r = await post(gw, JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }, { role: 'user', content: 42 }] }));
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe('messages[1].content');
    const missing = await post(gw, JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }));
    expect(missing.json.error.param).toBe('model');
  });

  it('rejects an oversize body with 413 before reading it all', async () => {
    const r = await post(gw, JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] }));
    expect(r.status).toBe(413);
    expect(r.json.error.type).toBe('request_too_large');
    expect(upstream.requests).toHaveLength(0);
  });

  it('blocks too many messages with the limits guard', async () => {
    const messages = Array.from({ length: 4 }, () => ({ role: 'user', content: 'x' }));
    const r = await post(gw, JSON.stringify({ model: 'gpt-test', messages }));
    expect(r.status).toBe(403);
    expect(r.json.error.findings).toEqual(['limits.messages']);
  });

  it('answers an unknown model with 404 model_not_found', async () => {
    const r = await post(gw, JSON.stringify({ model: 'claude-3', messages: [{ role: 'user', content: 'x' }] }));
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('model_not_found');
  });

  it('rejects missing, malformed and revoked client keys with 401', async () => {
    const none = await fetch(`${gw.proxyUrl}/v1/chat/completions`, { method: 'POST', body: '{}' });
    expect(none.status).toBe(401);
    const { key, record } = await gw.gateway.keys.create({ kind: 'client', name: 'temp' });
    expect((await post(gw, JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }), { authorization: `Bearer ${key}` })).status).toBe(200);
    await gw.gateway.keys.revoke(record.id);
    expect((await post(gw, JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }), { authorization: `Bearer ${key}` })).status).toBe(401);
    // An admin key is not a client key.
    expect((await post(gw, JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }), { authorization: `Bearer ${gw.adminKey}` })).status).toBe(401);
  });

  it('passes a provider error through with its status', async () => {
    upstream.script = (_req, res) => json(res, 429, { error: { message: 'slow down', type: 'rate_limit_error' } });
    const r = await post(gw, JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }));
    expect(r.status).toBe(429);
    expect(r.json.error.type).toBe('rate_limit_error');
    upstream.script = (_req, res) => json(res, 200, ok);
  });
});

describe('upstream failures', () => {
  let upstream: ScriptedUpstream;
  let gw: TestGateway;
  let deadPort: number;
  beforeAll(async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    deadPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    upstream = await startScriptedUpstream((_req, res) => json(res, 200, ok));
    gw = await startTestGateway({
      upstreams: [
        { name: 'live', provider: 'openai', url: `${upstream.url}/v1`, timeoutMs: 300, idleTimeoutMs: 300 },
        { name: 'dead', provider: 'openai', url: `http://127.0.0.1:${deadPort}/v1` },
      ],
      routes: [
        { model: 'dead-*', upstream: 'dead' },
        { model: '*', upstream: 'live' },
      ],
    });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });
  afterEach(() => {
    upstream.script = (_req, res) => json(res, 200, ok);
  });
  const client = () => new OpenAI({ baseURL: `${gw.proxyUrl}/v1`, apiKey: gw.clientKey, maxRetries: 0 });

  it('answers 502 when the upstream refuses connections', async () => {
    const error = await client().chat.completions.create({ model: 'dead-model', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain('refused the connection');
  });

  it('answers 504 when the upstream is too slow', async () => {
    upstream.script = (_req, res) => {
      setTimeout(() => json(res, 200, ok), 2000).unref();
    };
    const error = await client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
  });

  it('answers 502 when the upstream sends invalid JSON', async () => {
    upstream.script = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"choices": [');
    };
    const error = await client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
  });

  it('ends a stream with an in-stream error when the upstream resets mid-stream', async () => {
    upstream.script = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const [first] = openAiTextChunks(['partial']);
      res.write(`data: ${JSON.stringify(first!.data)}\n\n`);
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const stream = await client().chat.completions.create({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'x' }] });
    const error = await (async () => {
      for await (const _ of stream) {
        /* drain */
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toMatch(/closed the connection|could not be reached/);
  });

  it('ends a stalled stream with an in-stream error after the idle timeout', async () => {
    upstream.script = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(openAiTextChunks(['a'])[0]!.data)}\n\n`);
    };
    const stream = await client().chat.completions.create({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'x' }] });
    const error = await (async () => {
      for await (const _ of stream) {
        /* drain */
      }
    })().catch((e: unknown) => e);
    expect(String((error as Error).message)).toContain('timed out');
  });
});

describe('guards fail closed', () => {
  let upstream: ScriptedUpstream;
  beforeAll(async () => {
    upstream = await startScriptedUpstream((_req, res) => json(res, 200, ok));
  });
  afterAll(async () => {
    await upstream.close();
  });

  for (const mode of ['throw', 'hang'] as const) {
    it(`blocks the request when a guard fails (${mode})`, async () => {
      const gw = await startTestGateway(
        { upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }], routes: [{ model: '*', upstream: 'u' }], guards: { broken: { mode, timeoutMs: 50 } } },
        { registry: registryWithBroken() },
      );
      try {
        upstream.requests.length = 0;
        const r = await post(gw, JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hello' }] }));
        expect(r.status).toBe(403);
        expect(r.json.error.findings).toEqual([mode === 'throw' ? 'guard.error' : 'guard.timeout']);
        expect(upstream.requests).toHaveLength(0);
        expect(gw.gateway.counters.guardFailures).toBe(1);
        expect(gw.logs.join('')).toContain('"msg":"guard failed"');
      } finally {
        await gw.close();
      }
    });
  }

  it('lets the request pass when the failing guard is failOpen, and counts it', async () => {
    const gw = await startTestGateway(
      { upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }], routes: [{ model: '*', upstream: 'u' }], guards: { broken: { mode: 'throw', failOpen: true } } },
      { registry: registryWithBroken() },
    );
    try {
      const r = await post(gw, JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hello' }] }));
      expect(r.status).toBe(200);
      expect(gw.gateway.counters.guardFailuresFailOpen).toBeGreaterThanOrEqual(1);
      expect(gw.logs.join('')).toContain('"failOpen":true');
    } finally {
      await gw.close();
    }
  });
});

describe('misbehaving upstreams are contained', () => {
  let upstream: ScriptedUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    upstream = await startScriptedUpstream((_req, res) => json(res, 200, ok));
    gw = await startTestGateway({ upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1`, timeoutMs: 5000 }], routes: [{ model: '*', upstream: 'u' }] });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });
  const call = () => post(gw, JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }));

  it('answers 502 to an endless body instead of buffering it (the read stops at 32 MiB)', async () => {
    let sent = 0;
    upstream.script = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const pump = (): void => {
        // Bounded: at most 64 MiB, far beyond the cap, then give up.
        while (sent < 64 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    };
    const r = await call();
    expect(r.status).toBe(502);
    expect(r.json.error.message).toContain('exceeds');
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('answers 502 to response headers that are too large', async () => {
    upstream.script = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-huge': 'h'.repeat(70 * 1024) });
      res.end('{}');
    };
    const r = await call();
    expect(r.status).toBe(502);
  });

  it('keeps serving after each of those', async () => {
    upstream.script = (_req, res) => json(res, 200, ok);
    expect((await call()).status).toBe(200);
  });
});
