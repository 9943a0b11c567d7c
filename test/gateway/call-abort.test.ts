import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScriptedUpstream, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { CallAbort, Upstream, UpstreamError } from '../../src/gateway/upstream.js';

describe('CallAbort', () => {
  it('calls its listeners once, with the reason set, and follows into a signal made before or after', () => {
    const abort = new CallAbort();
    const early = abort.signal;
    const seen: unknown[] = [];
    const listener = (): void => void seen.push(abort.reason);
    const removed = (): void => void seen.push('removed');
    abort.once('abort', listener).on('abort', removed).removeListener('abort', removed);
    const reason = new Error('client went away');
    abort.abort(reason);
    abort.abort(new Error('second'));
    expect(seen).toEqual([reason]);
    expect(abort.aborted).toBe(true);
    expect(early.aborted).toBe(true);
    expect(early.reason).toBe(reason);
    expect(abort.signal.reason).toBe(reason);
    abort.once('abort', listener);
    expect(seen).toEqual([reason]);
  });

  it('aborts an undici call: the upstream connection closes and the budget reason is what the call fails with', async () => {
    let closed!: () => void;
    const upstreamClosed = new Promise<void>((resolve) => (closed = resolve));
    const upstream = await startScriptedUpstream((_req, res) => {
      res.on('close', closed);
    });
    const target = new Upstream('u', 'openai', `${upstream.url}/v1`, undefined, { timeoutMs: 60_000, connectTimeoutMs: 5_000, idleTimeoutMs: 60_000, tls: { rejectUnauthorized: true } });
    try {
      const abort = new CallAbort();
      const sent = target.send('POST', '/chat/completions', { 'content-type': 'application/json' }, '{}', abort);
      while (upstream.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
      const reason = new UpstreamError(504, 'upstream "u" timed out');
      abort.abort(reason);
      await expect(sent).rejects.toBe(reason);
      await upstreamClosed;
    } finally {
      await target.close();
      await upstream.close();
    }
  });
});

describe('a client that goes away', () => {
  let upstream: ScriptedUpstream;
  let gw: TestGateway;
  let closed: Promise<void>;
  beforeAll(async () => {
    let resolve!: () => void;
    closed = new Promise<void>((r) => (resolve = r));
    // Never answers; records when the gateway gives its call up.
    upstream = await startScriptedUpstream((_req, res) => {
      res.on('close', resolve);
    });
    gw = await startTestGateway({
      upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1`, apiKey: 'env:K' }],
      routes: [{ model: 'gpt-*', upstream: 'u' }],
    }, { env: { K: 'sk-x' } });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('has its upstream call aborted', async () => {
    const client = new AbortController();
    const answer = fetch(`${gw.proxyUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hello' }] }),
      signal: client.signal,
    }).catch((e: unknown) => e);
    while (upstream.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    client.abort();
    await answer;
    await closed;
    expect(upstream.requests).toHaveLength(1);
  });
});
