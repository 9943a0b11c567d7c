import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicTextEvents, anthropicToolUseEvents, json, type ScriptedUpstream, sse, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const UPSTREAM_KEY = 'sk-ant-upstream-secret-456';
let upstream: ScriptedUpstream;
let gw: TestGateway;
let client: Anthropic;

beforeAll(async () => {
  const keyFile = join(mkdtempSync(join(tmpdir(), 'cg-key-')), 'anthropic.key');
  writeFileSync(keyFile, `${UPSTREAM_KEY}\n`, { mode: 0o600 });
  upstream = await startScriptedUpstream((_req, res) => json(res, 500, {}));
  gw = await startTestGateway({
    upstreams: [{ name: 'anthropic', provider: 'anthropic', url: upstream.url, apiKey: `file:${keyFile}` }],
    routes: [{ model: 'claude-*', upstream: 'anthropic' }],
    guards: { patterns: { maxMatchChars: 16, deny: [{ id: 'launch-code', pattern: 'LAUNCH-\\d{4}' }, { id: 'rm-rf', pattern: 'rm\\s+-rf\\s+/' }] } },
  });
  client = new Anthropic({ baseURL: gw.proxyUrl, apiKey: gw.clientKey, maxRetries: 0 });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});
beforeEach(() => {
  upstream.requests.length = 0;
});

const message = (content: unknown[], stop = 'end_turn') => ({ id: 'msg_x', type: 'message', role: 'assistant', model: 'claude-test', content, stop_reason: stop, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } });

describe('Anthropic messages through ClawGuard (official @anthropic-ai/sdk client)', () => {
  it('forwards with x-api-key from a file: secret and the client anthropic-version, and returns the answer', async () => {
    upstream.script = (_req, res) => json(res, 200, message([{ type: 'text', text: 'pong' }]));
    const answer = await client.messages.create({ model: 'claude-test', max_tokens: 50, system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: 'ping' }] });
    expect(answer.content).toEqual([{ type: 'text', text: 'pong' }]);
    const seen = upstream.requests[0]!;
    expect(seen.url).toBe('/v1/messages');
    expect(seen.headers['x-api-key']).toBe(UPSTREAM_KEY);
    expect(seen.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/); // the SDK's own version, passed on
    expect(JSON.stringify(seen.headers)).not.toContain(gw.clientKey);
    expect(seen.body.system[0].cache_control).toEqual({ type: 'ephemeral' });
  });

  it('streams text', async () => {
    upstream.script = (_req, res) => sse(res, anthropicTextEvents(['Hel', 'lo ', 'there']));
    const stream = client.messages.stream({ model: 'claude-test', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    const final = await stream.finalMessage();
    expect(final.content).toHaveLength(1);
    expect((final.content[0] as { text: string }).text).toBe('Hello there');
    expect(final.stop_reason).toBe('end_turn');
  });

  it('streams a tool_use block whole after judging it, and forwards tool results', async () => {
    upstream.script = (_req, res) => sse(res, anthropicToolUseEvents('exec', ['{"com', 'mand":"ls', ' -la"}']));
    const final = await client.messages.stream({ model: 'claude-test', max_tokens: 50, tools: [{ name: 'exec', description: 'Run shell', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }], messages: [{ role: 'user', content: 'list' }] }).finalMessage();
    expect(final.content).toEqual([{ type: 'tool_use', id: 'toolu_1', name: 'exec', input: { command: 'ls -la' } }]);
    expect(final.stop_reason).toBe('tool_use');

    upstream.script = (_req, res) => json(res, 200, message([{ type: 'text', text: 'Two files.' }]));
    const followUp = await client.messages.create({
      model: 'claude-test',
      max_tokens: 50,
      messages: [
        { role: 'user', content: 'list' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'exec', input: { command: 'ls -la' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'a.txt\nb.txt' }] }] },
      ],
    });
    expect((followUp.content[0] as { text: string }).text).toBe('Two files.');
    expect(upstream.requests[1]!.body.messages[2].content[0].content[0].text).toBe('a.txt\nb.txt');
  });

  it('blocks a tool result with a denied pattern and never contacts the upstream', async () => {
    const error = await client.messages
      .create({
        model: 'claude-test',
        max_tokens: 50,
        messages: [
          { role: 'user', content: 'read' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_2', name: 'read', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'secret LAUNCH-4321' }] },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'policy_violation', findings: ['pattern.launch-code'] } });
    expect(JSON.stringify((error as InstanceType<typeof Anthropic.APIError>).error)).not.toContain('4321');
    expect(upstream.requests).toHaveLength(0);
  });

  it('stops a stream with stop_reason refusal when the text turns denied, without the denied text', async () => {
    upstream.script = (_req, res) => sse(res, anthropicTextEvents(['The code ', 'is LAU', 'NCH-', '9876 and ', 'more']));
    const final = await client.messages.stream({ model: 'claude-test', max_tokens: 50, messages: [{ role: 'user', content: 'tell' }] }).finalMessage();
    const text = (final.content[0] as { text: string }).text;
    expect(final.stop_reason).toBe('refusal');
    expect(text).not.toContain('9876');
    expect('The code is '.startsWith(text)).toBe(true);
  });

  it('replaces a refused streamed tool_use with a refusal text block', async () => {
    upstream.script = (_req, res) => sse(res, anthropicToolUseEvents('exec', ['{"command":"rm -', 'rf /"}']));
    const final = await client.messages.stream({ model: 'claude-test', max_tokens: 50, messages: [{ role: 'user', content: 'clean' }] }).finalMessage();
    expect(final.content).toHaveLength(1);
    expect(final.content[0]!.type).toBe('text');
    expect((final.content[0] as { text: string }).text).toContain('tool call "exec" was refused');
    expect(final.stop_reason).toBe('end_turn'); // the agent reads the refusal and goes on
  });

  it('refuses a denied tool_use in a non-streaming answer', async () => {
    upstream.script = (_req, res) => json(res, 200, message([{ type: 'tool_use', id: 'toolu_3', name: 'exec', input: { command: 'rm -rf /' } }], 'tool_use'));
    const answer = await client.messages.create({ model: 'claude-test', max_tokens: 50, messages: [{ role: 'user', content: 'x' }] });
    expect(answer.content[0]!.type).toBe('text');
    expect(answer.stop_reason).toBe('end_turn');
  });

  it('answers an unknown model with not_found in the Anthropic error shape', async () => {
    const error = await client.messages.create({ model: 'gpt-4o', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});
