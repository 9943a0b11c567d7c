import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScriptedUpstream, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * Real OpenClaw requests (captured from OpenClaw 2026.9.6, ../shared/bench/fixtures/openclaw) sent
 * through ClawGuard with the recorded provider streams replayed by the fake upstream.
 */
const FIXTURES = resolve(process.env.CLAWGUARD_OPENCLAW_FIXTURES ?? '../shared/bench/fixtures/openclaw');
const fixture = (name: string) => JSON.parse(readFileSync(resolve(FIXTURES, name), 'utf8'));
const recorded = (name: string) => readFileSync(resolve(FIXTURES, 'responses', name), 'utf8');

let upstream: ScriptedUpstream;
let gw: TestGateway;
let replay = '';

beforeAll(async () => {
  if (!existsSync(FIXTURES)) throw new Error(`OpenClaw fixtures not found at ${FIXTURES} (set CLAWGUARD_OPENCLAW_FIXTURES)`);
  upstream = await startScriptedUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(replay);
  });
  gw = await startTestGateway({
    upstreams: [
      { name: 'oa', provider: 'openai', url: `${upstream.url}/v1` },
      { name: 'an', provider: 'anthropic', url: upstream.url },
    ],
    routes: [
      { model: 'fake-model', upstream: 'oa' },
      { model: 'fake-claude', upstream: 'an' },
    ],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('real OpenClaw traffic through ClawGuard', () => {
  it('OpenAI: the exec tool-call turn arrives unchanged and the streamed tool call comes back whole', async () => {
    const body = fixture('openai-turn2-toolcall-request.json');
    replay = recorded('openai-turn2-toolcall-request.response.sse');
    const client = new OpenAI({ baseURL: `${gw.proxyUrl}/v1`, apiKey: gw.clientKey, maxRetries: 0 });
    const stream = await client.chat.completions.create({ ...body, stream: true } as OpenAI.ChatCompletionCreateParamsStreaming);
    let args = '';
    let name = '';
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += tc.function?.name ?? '';
        args += tc.function?.arguments ?? '';
      }
    }
    expect(name).toBe('exec');
    expect(JSON.parse(args)).toMatchObject({ command: 'ls -la' });
    expect(upstream.requests.at(-1)!.body).toEqual(body);
  });

  it('OpenAI: the follow-up with the tool result and a re-sent 47 KB system prompt passes', async () => {
    const body = fixture('openai-turn3.json');
    replay = recorded('openai-turn3.response.sse');
    const client = new OpenAI({ baseURL: `${gw.proxyUrl}/v1`, apiKey: gw.clientKey, maxRetries: 0 });
    const stream = await client.chat.completions.create({ ...body, stream: true } as OpenAI.ChatCompletionCreateParamsStreaming);
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(upstream.requests.at(-1)!.body).toEqual(body);
    expect(gw.gateway.engine.cache.hits).toBeGreaterThan(0);
  });

  it('Anthropic: the tool_use turn streams back as a complete tool_use block', async () => {
    const body = fixture('anthropic-turn2-toolcall-request.json');
    replay = recorded('anthropic-turn2-toolcall-request.response.sse');
    const client = new Anthropic({ baseURL: gw.proxyUrl, apiKey: gw.clientKey, maxRetries: 0 });
    const final = await client.messages.stream(body).finalMessage();
    expect(final.content).toEqual([expect.objectContaining({ type: 'tool_use', name: 'exec', input: expect.objectContaining({ command: 'ls -la' }) })]);
    expect(upstream.requests.at(-1)!.body).toEqual(body);
  });

  it('Anthropic: the turn carrying the tool result passes', async () => {
    const body = fixture('anthropic-turn2-toolresult.json');
    replay = recorded('anthropic-turn2-toolresult.response.sse');
    const client = new Anthropic({ baseURL: gw.proxyUrl, apiKey: gw.clientKey, maxRetries: 0 });
    const final = await client.messages.stream(body).finalMessage();
    expect(final.stop_reason).toBeTruthy();
    expect(upstream.requests.at(-1)!.body).toEqual(body);
  });
});
