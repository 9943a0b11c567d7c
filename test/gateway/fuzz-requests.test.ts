import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, type ScriptedUpstream, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let upstream: ScriptedUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startScriptedUpstream((_req, res) => json(res, 200, { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }));
  gw = await startTestGateway({ upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }, { name: 'a', provider: 'anthropic', url: upstream.url }], routes: [{ model: 'claude*', upstream: 'a' }, { model: '*', upstream: 'u' }] });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

const post = async (path: string, body: string, contentType = 'application/json') => {
  const res = await fetch(`${gw.proxyUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': contentType }, body });
  await res.arrayBuffer();
  return res.status;
};

/** Payloads shaped like provider requests, with random types and values wherever they can go wrong. */
const messageLike = fc.record(
  { role: fc.oneof(fc.constantFrom('system', 'user', 'assistant', 'tool', 'developer'), fc.string(), fc.integer()), content: fc.oneof(fc.string(), fc.constant(null), fc.array(fc.record({ type: fc.constantFrom('text', 'image_url', 'tool_result', 'x'), text: fc.oneof(fc.string(), fc.integer()) })), fc.jsonValue()) },
  { requiredKeys: [] },
);
const payload = fc.record({ model: fc.oneof(fc.constantFrom('gpt-test', 'claude-x'), fc.string(), fc.integer()), max_tokens: fc.oneof(fc.integer(), fc.string()), messages: fc.oneof(fc.array(messageLike, { maxLength: 4 }), fc.jsonValue()), stream: fc.oneof(fc.boolean(), fc.string()) }, { requiredKeys: [] });

describe('malformed requests never crash the gateway and only ever get 4xx (fixed seed)', () => {
  for (const path of ['/v1/chat/completions', '/v1/messages']) {
    it(`${path}: structured garbage`, async () => {
      await fc.assert(
        fc.asyncProperty(payload, async (body) => {
          const status = await post(path, JSON.stringify(body));
          // Either a valid request (200 from the fake upstream) or a client error; never a 5xx.
          return status === 200 || (status >= 400 && status < 500);
        }),
        { numRuns: 150, seed: 20261125 },
      );
    });
    it(`${path}: arbitrary bytes and JSON values`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null')), async (text) => {
          const status = await post(path, text);
          return status >= 400 && status < 500;
        }),
        { numRuns: 150, seed: 7 },
      );
    });
  }

  it('refuses a non-JSON content type with 415 and absurd nesting with 400', async () => {
    expect(await post('/v1/chat/completions', '{}', 'text/plain')).toBe(415);
    const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
    expect(await post('/v1/chat/completions', `{"model":"gpt-test","messages":[{"role":"user","content":"x"}],"x":${deep}}`)).toBe(400);
  });
});
