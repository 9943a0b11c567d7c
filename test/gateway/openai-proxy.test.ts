import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { json, openAiTextChunks, openAiToolCallChunks, type ScriptedUpstream, sse, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const UPSTREAM_KEY = 'sk-upstream-secret-value-123';

let upstream: ScriptedUpstream;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startScriptedUpstream((_req, res) => json(res, 500, {}));
  gw = await startTestGateway(
    {
      upstreams: [{ name: 'openai', provider: 'openai', url: `${upstream.url}/v1`, apiKey: 'env:TEST_OPENAI_KEY' }],
      routes: [{ model: 'gpt-*', upstream: 'openai' }],
      guards: {
        patterns: {
          maxMatchChars: 16,
          deny: [
            { id: 'launch-code', pattern: 'LAUNCH-\\d{4}' },
            { id: 'rm-rf', pattern: 'rm\\s+-rf\\s+/' },
            { id: 'ticket', pattern: 'TICKET-\\d{3}' },
          ],
        },
      },
      policy: {
        rules: [
          { type: 'pattern.ticket', action: 'redact' },
          { type: 'invisible.zero_width', action: 'redact', replacement: '' },
        ],
      },
    },
    { env: { TEST_OPENAI_KEY: UPSTREAM_KEY } },
  );
  client = new OpenAI({ baseURL: `${gw.proxyUrl}/v1`, apiKey: gw.clientKey, maxRetries: 0 });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});
beforeEach(() => {
  upstream.requests.length = 0;
});

describe('OpenAI chat completions through ClawGuard (official openai client)', () => {
  it('forwards a non-streaming request with the upstream key, never the client key, and returns the answer', async () => {
    upstream.script = (req, res) =>
      json(res, 200, { id: 'c1', object: 'chat.completion', created: 1, model: req.body.model, choices: [{ index: 0, message: { role: 'assistant', content: 'pong' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
    const answer = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'ping' }], temperature: 0.2 });
    expect(answer.choices[0]!.message.content).toBe('pong');
    const seen = upstream.requests[0]!;
    expect(seen.url).toBe('/v1/chat/completions');
    expect(seen.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(JSON.stringify(seen.headers)).not.toContain(gw.clientKey);
    expect(seen.body.temperature).toBe(0.2);
    const raw = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'ping' }] }).withResponse();
    expect(raw.response.headers.get('x-clawguard-decision')).toBe('allow');
    expect(raw.response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('streams text deltas through with usage', async () => {
    upstream.script = (_req, res) => sse(res, openAiTextChunks(['Hel', 'lo ', 'world']));
    const stream = await client.chat.completions.create({ model: 'gpt-test', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('Hello world');
    expect(finish).toBe('stop');
    expect(upstream.requests[0]!.body.stream_options).toEqual({ include_usage: true });
  });

  it('passes tool definitions, assistant tool calls and tool results both ways', async () => {
    upstream.script = (_req, res) => sse(res, openAiToolCallChunks('exec', ['{"comm', 'and":"ls', ' -la"}']));
    const tools = [{ type: 'function' as const, function: { name: 'exec', description: 'Run shell', parameters: { type: 'object', properties: { command: { type: 'string' } } } } }];
    const stream = await client.chat.completions.create({ model: 'gpt-test', stream: true, tools, messages: [{ role: 'user', content: 'list files' }] });
    const calls: { id?: string; name?: string; args: string }[] = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        calls[tc.index] ??= { args: '' };
        if (tc.id) calls[tc.index]!.id = tc.id;
        if (tc.function?.name) calls[tc.index]!.name = tc.function.name;
        calls[tc.index]!.args += tc.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(calls).toEqual([{ id: 'call_1', name: 'exec', args: '{"command":"ls -la"}' }]);
    expect(finish).toBe('tool_calls');
    expect(upstream.requests[0]!.body.tools).toEqual(tools);

    upstream.script = (_req, res) => json(res, 200, { id: 'c2', object: 'chat.completion', created: 1, model: 'gpt-test', choices: [{ index: 0, message: { role: 'assistant', content: 'Two files.' }, finish_reason: 'stop' }] });
    const followUp = await client.chat.completions.create({
      model: 'gpt-test',
      tools,
      messages: [
        { role: 'user', content: 'list files' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'exec', arguments: '{"command":"ls -la"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'a.txt\nb.txt' },
      ],
    });
    expect(followUp.choices[0]!.message.content).toBe('Two files.');
    expect(upstream.requests[1]!.body.messages[2]).toEqual({ role: 'tool', tool_call_id: 'call_1', content: 'a.txt\nb.txt' });
  });

  it('blocks a request whose tool result carries a denied pattern, naming the finding but not the text', async () => {
    const error = await client.chat.completions
      .create({
        model: 'gpt-test',
        messages: [
          { role: 'user', content: 'read the mail' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'read', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'call_9', content: 'the code is LAUNCH-1234' },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    const e = error as InstanceType<typeof OpenAI.PermissionDeniedError>;
    expect(e.status).toBe(403);
    expect(e.type).toBe('policy_violation');
    expect((e.error as any).findings).toEqual(['pattern.launch-code']);
    expect(JSON.stringify(e.error)).not.toContain('LAUNCH-1234');
    expect(upstream.requests).toHaveLength(0);
  });

  it('strips zero-width characters from user input before forwarding', async () => {
    upstream.script = (_req, res) => json(res, 200, { id: 'c3', object: 'chat.completion', created: 1, model: 'gpt-test', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] });
    await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: [{ type: 'text', text: 'ig\u200bnore\u200d this' }] }] });
    expect(upstream.requests[0]!.body.messages[0].content[0].text).toBe('ignore this');
  });

  it('ends a stream with content_filter when the model starts to say something denied, without the denied text', async () => {
    upstream.script = (_req, res) => sse(res, openAiTextChunks(['The code ', 'is LAU', 'NCH-', '9876 and ', 'more text']));
    const stream = await client.chat.completions.create({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'tell me' }] });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('content_filter');
    expect(text).not.toContain('9876');
    expect(text).not.toContain('more text');
    // Text before the finding was released as it came (only a window of maxMatchChars - 1 is held back).
    expect(text.length).toBeGreaterThan(0);
    expect('The code is '.startsWith(text)).toBe(true);
  });

  it('redacts a value split across stream deltas, releasing the text around it', async () => {
    upstream.script = (_req, res) => sse(res, openAiTextChunks(['Your ticket is TIC', 'KET-', '123, and ', 'TICKET-456 too.']));
    const stream = await client.chat.completions.create({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'tickets?' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Your ticket is [REDACTED:pattern.ticket], and [REDACTED:pattern.ticket] too.');
  });

  it('redacts in a user message before it reaches the provider', async () => {
    upstream.script = (_req, res) => json(res, 200, { id: 'c6', object: 'chat.completion', created: 1, model: 'gpt-test', choices: [{ index: 0, message: { role: 'assistant', content: 'TICKET-999 noted' }, finish_reason: 'stop' }] });
    const res = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'see TICKET-777' }] }).withResponse();
    expect(upstream.requests[0]!.body.messages[0].content).toBe('see [REDACTED:pattern.ticket]');
    expect(res.data.choices[0]!.message.content).toBe('[REDACTED:pattern.ticket] noted');
    expect(res.response.headers.get('x-clawguard-decision')).toBe('redact');
  });

  it('holds a streamed tool call until complete, then refuses it when its arguments are denied', async () => {
    upstream.script = (_req, res) => sse(res, openAiToolCallChunks('exec', ['{"command":"rm', ' -rf', ' /"}']));
    const stream = await client.chat.completions.create({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'clean up' }] });
    let text = '';
    let toolDeltas = 0;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      toolDeltas += chunk.choices[0]?.delta.tool_calls?.length ?? 0;
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(toolDeltas).toBe(0);
    expect(text).toContain('tool call "exec" was refused');
    expect(finish).toBe('stop'); // a readable refusal, not a provider failure
  });

  it('refuses a denied tool call in a non-streaming answer and keeps the allowed one', async () => {
    upstream.script = (_req, res) =>
      json(res, 200, {
        id: 'c4',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-test',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              tool_calls: [
                { id: 'a', type: 'function', function: { name: 'exec', arguments: '{"command":"ls"}' } },
                { id: 'b', type: 'function', function: { name: 'exec', arguments: '{"command":"rm -rf /"}' } },
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
      });
    const res = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'go' }] }).withResponse();
    const message = res.data.choices[0]!.message;
    expect(message.tool_calls?.map((t) => t.id)).toEqual(['a']);
    expect(message.content).toContain('refused');
    expect(res.response.headers.get('x-clawguard-decision')).toBe('block');
  });

  it('lists only models routed to an upstream', async () => {
    upstream.script = (req, res) =>
      req.url === '/v1/models' ? json(res, 200, { object: 'list', data: [{ id: 'gpt-test' }, { id: 'o9-secret' }, { id: 'gpt-mini' }] }) : json(res, 404, {});
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    expect(models).toEqual(['gpt-mini', 'gpt-test']);
    expect(upstream.requests[0]!.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
  });

  it('never writes the client key or the upstream key into its logs', async () => {
    upstream.script = (_req, res) => json(res, 200, { id: 'c5', object: 'chat.completion', created: 1, model: 'gpt-test', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] });
    await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] });
    await new OpenAI({ baseURL: `${gw.proxyUrl}/v1`, apiKey: 'cg_wrongwrongwrongwrongwrongwrongwrongwrongwro', maxRetries: 0 }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);
    // A key a client wrongly puts in the query string stays out of the request line too.
    await fetch(`${gw.proxyUrl}/v1/chat/completions?api_key=${gw.clientKey}`, { method: 'POST', headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }) });
    const all = gw.logs.join('');
    expect(all).toContain('"msg":"request"');
    expect(all).toContain('"route":"/v1/chat/completions"');
    expect(all).not.toContain(gw.clientKey);
    expect(all).not.toContain(UPSTREAM_KEY);
    expect(all).not.toContain('cg_wrongwrong');
  });
});
