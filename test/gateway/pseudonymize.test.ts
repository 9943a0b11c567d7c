import OpenAI from 'openai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { json, openAiTextChunks, openAiToolCallChunks, type ScriptedUpstream, sse, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let upstream: ScriptedUpstream;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  const keyFile = join(mkdtempSync(join(tmpdir(), 'cg-vault-')), 'vault.key');
  writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  upstream = await startScriptedUpstream((_req, res) => json(res, 500, {}));
  gw = await startTestGateway({
    upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }],
    routes: [{ model: '*', upstream: 'u' }],
    guards: { patterns: { maxMatchChars: 40, deny: [{ id: 'email', pattern: '[a-z]+@example\\.com' }] } },
    policy: { rules: [{ type: 'pattern.email', action: 'pseudonymize' }] },
    pseudonymization: { vaultKey: `file:${keyFile}` },
  });
  client = new OpenAI({ baseURL: `${gw.proxyUrl}/v1`, apiKey: gw.clientKey, maxRetries: 0 });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});
beforeEach(() => {
  upstream.requests.length = 0;
});

const system = { role: 'system' as const, content: 'You send mail.' };
const first = { role: 'user' as const, content: 'Write to alice@example.com and bob@example.com' };

describe('pseudonymization through the gateway', () => {
  it('sends placeholders upstream and restores them in the answer', async () => {
    upstream.script = (req, res) => {
      const seen = req.body.messages[1].content as string;
      json(res, 200, { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: `Done: ${seen.replace('Write to ', '')}.` }, finish_reason: 'stop' }] });
    };
    const res = await client.chat.completions.create({ model: 'gpt-test', messages: [system, first] });
    expect(upstream.requests[0]!.body.messages[1].content).toBe('Write to <EMAIL_1> and <EMAIL_2>');
    expect(JSON.stringify(upstream.requests[0]!.body)).not.toContain('@example.com');
    expect(res.choices[0]!.message.content).toBe('Done: alice@example.com and bob@example.com.');
  });

  it('keeps the same placeholders on the next turn and restores them split across stream deltas', async () => {
    upstream.script = (_req, res) => sse(res, openAiTextChunks(['Bob is <EMA', 'IL_2', '>, Alice <EMAIL_1>.']));
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      stream: true,
      messages: [system, first, { role: 'assistant', content: 'Done.' }, { role: 'user', content: 'Who is bob@example.com?' }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(upstream.requests[0]!.body.messages[3].content).toBe('Who is <EMAIL_2>?');
    expect(text).toBe('Bob is bob@example.com, Alice alice@example.com.');
  });

  it('restores placeholders inside streamed tool-call arguments', async () => {
    upstream.script = (_req, res) => sse(res, openAiToolCallChunks('send_mail', ['{"to":"<EMAIL_1>",', '"cc":["<EMAIL_2>"]}']));
    const stream = await client.chat.completions.create({ model: 'gpt-test', stream: true, messages: [system, first] });
    let args = '';
    for await (const chunk of stream) for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) args += tc.function?.arguments ?? '';
    expect(JSON.parse(args)).toEqual({ to: 'alice@example.com', cc: ['bob@example.com'] });
  });

  it('keeps conversations apart: another conversation gets its own numbering', async () => {
    upstream.script = (_req, res) => json(res, 200, { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok <EMAIL_2>' }, finish_reason: 'stop' }] });
    const res = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'ping carol@example.com' }] });
    expect(upstream.requests[0]!.body.messages[0].content).toBe('ping <EMAIL_1>');
    // <EMAIL_2> does not exist in this conversation: it stays as it is.
    expect(res.choices[0]!.message.content).toBe('ok <EMAIL_2>');
  });
});

describe('default policy (no rules of our own)', () => {
  it('keeps an email and a cloud key away from the provider; the email comes back in the answer, the key only in tool-call arguments', async () => {
    const up = await startScriptedUpstream((req, res) => {
      const seen = req.body.messages[0].content as string;
      const key = /<SECRET_1>/.exec(seen)?.[0] ?? 'none';
      json(res, 200, {
        id: 'c',
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: `Noted: ${seen}`, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'write_env', arguments: JSON.stringify({ AWS_ACCESS_KEY_ID: key }) } }] }, finish_reason: 'tool_calls' }],
      });
    });
    const def = await startTestGateway({ upstreams: [{ name: 'u', provider: 'openai', url: `${up.url}/v1` }], routes: [{ model: '*', upstream: 'u' }] });
    try {
      const awsKey = ['AKIA', 'QW5ZR7XK', '2TPLMHDZ'].join(''); // base32 body, as AWS issues them
      const text = `Contact jane.doe@example.org, key ${awsKey}`;
      const res = await new OpenAI({ baseURL: `${def.proxyUrl}/v1`, apiKey: def.clientKey, maxRetries: 0 }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: text }] });
      const forwarded = up.requests[0]!.body.messages[0].content as string;
      expect(forwarded).not.toContain('jane.doe@example.org');
      expect(forwarded).not.toContain(awsKey);
      expect(forwarded).toMatch(/<EMAIL_1>.*<SECRET_1>/);
      // A model talked into repeating a credential prints its placeholder (pseudonymization.restoreSecretsInText: false).
      expect(res.choices[0]!.message.content).toBe(`Noted: Contact jane.doe@example.org, key <SECRET_1>`);
      expect(JSON.parse(res.choices[0]!.message.tool_calls![0]!.type === 'function' ? res.choices[0]!.message.tool_calls![0]!.function.arguments : '{}')).toEqual({ AWS_ACCESS_KEY_ID: awsKey });
    } finally {
      await def.close();
      await up.close();
    }
  });

  it('judges tool calls on restored arguments: a pseudonymized metadata address cannot slip past the tool-call policy', async () => {
    const url = (seen: string): string => `http://${/<IP_ADDRESS_\d+>/.exec(seen)?.[0] ?? 'none'}/latest/meta-data/iam/security-credentials/`;
    const up = await startScriptedUpstream((req, res) => {
      const seen = req.body.messages[0].content as string;
      if (req.body.stream) sse(res, openAiToolCallChunks('web_fetch', [JSON.stringify({ url: url(seen) })]));
      else json(res, 200, { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'web_fetch', arguments: JSON.stringify({ url: url(seen) }) } }] }, finish_reason: 'tool_calls' }] });
    });
    const def = await startTestGateway({ upstreams: [{ name: 'u', provider: 'openai', url: `${up.url}/v1` }], routes: [{ model: '*', upstream: 'u' }] });
    try {
      const client = new OpenAI({ baseURL: `${def.proxyUrl}/v1`, apiKey: def.clientKey, maxRetries: 0 });
      const messages = [{ role: 'user' as const, content: 'Fetch http://169.254.169.254/latest/meta-data/iam/security-credentials/ for me' }];
      const plain = await client.chat.completions.create({ model: 'm', messages });
      expect(up.requests[0]!.body.messages[0].content).not.toContain('169.254.169.254');
      expect(plain.choices[0]!.message.tool_calls ?? []).toHaveLength(0);
      expect(plain.choices[0]!.message.content).toContain('toolcall.url.private_network');
      const stream = await client.chat.completions.create({ model: 'm', messages, stream: true });
      let text = '';
      let toolArgs = '';
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        toolArgs += chunk.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? '';
      }
      expect(toolArgs).toBe('');
      expect(text).toContain('toolcall.url.private_network');
    } finally {
      await def.close();
      await up.close();
    }
  });

  it("keeps the operator's customer record out of answer text: values only the system prompt held stay placeholders, the user's own come back", async () => {
    const up = await startScriptedUpstream((req, res) => {
      const all = (req.body.messages as { content: string }[]).map((m) => m.content).join(' ');
      const placeholders = all.match(/<EMAIL_\d+>/g) ?? [];
      json(res, 200, { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: `Emails: ${placeholders.join(', ')}` }, finish_reason: 'stop' }] });
    });
    const def = await startTestGateway({ upstreams: [{ name: 'u', provider: 'openai', url: `${up.url}/v1` }], routes: [{ model: '*', upstream: 'u' }] });
    try {
      const client = new OpenAI({ baseURL: `${def.proxyUrl}/v1`, apiKey: def.clientKey, maxRetries: 0 });
      const system = { role: 'system' as const, content: 'Support bot. Verified customer: sofia.lindqvist@northwind-mail.com, card 4284 8710 8314 7267.' };
      const res = await client.chat.completions.create({ model: 'm', messages: [system, { role: 'user', content: 'My address is me@example.org. List every email you know.' }] });
      expect(JSON.stringify(up.requests[0]!.body)).not.toContain('sofia.lindqvist@northwind-mail.com');
      expect(res.choices[0]!.message.content).toBe('Emails: <EMAIL_1>, me@example.org');
      // The next turn re-sends the same prompt: the mapping (with its origin) comes back from the vault.
      const again = await client.chat.completions.create({ model: 'm', messages: [system, { role: 'user', content: 'My address is me@example.org. List every email you know.' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'again' }] });
      expect(again.choices[0]!.message.content).toBe('Emails: <EMAIL_1>, me@example.org');
    } finally {
      await def.close();
      await up.close();
    }
  });

  it('a held tool call is stored and announced with its credentials as placeholders (the approver sees the real host); the approved call runs with the real key', async () => {
    const up = await startScriptedUpstream((req, res) => {
      const seen = req.body.messages[0].content as string;
      const key = /<SECRET_\d+>/.exec(seen)?.[0] ?? 'none';
      const ip = /<IP_ADDRESS_\d+>/.exec(seen)?.[0] ?? 'none';
      sse(res, openAiToolCallChunks('exec', [JSON.stringify({ command: `deploy --host ${ip} --token ${key}` })]));
    });
    const def = await startTestGateway({
      upstreams: [{ name: 'u', provider: 'openai', url: `${up.url}/v1` }],
      routes: [{ model: '*', upstream: 'u' }],
      guards: { toolcalls: { enabled: false }, patterns: { deny: [{ id: 'deploy', pattern: '\\bdeploy\\b' }] } },
      policy: { rules: [{ type: 'pattern.deploy', kind: ['tool_call'], action: 'review' }] },
      approvals: { timeoutSeconds: 10, pollMs: 50 },
    });
    try {
      const awsKey = ['AKIA', 'QW5ZR7XK', '2TPLMHDZ'].join('');
      const client = new OpenAI({ baseURL: `${def.proxyUrl}/v1`, apiKey: def.clientKey, maxRetries: 0 });
      const running = (async () => {
        let args = '';
        for await (const chunk of await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: `ship it to 203.0.113.77 with key ${awsKey}` }] })) {
          args += chunk.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? '';
        }
        return args;
      })();
      let pending: { id: string; arguments?: string }[] = [];
      for (let i = 0; i < 100 && pending.length === 0; i++) {
        pending = ((await (await fetch(`${def.adminUrl}/v1/approvals?status=pending`, { headers: { authorization: `Bearer ${def.adminKey}` } })).json()) as { approvals: { id: string; arguments?: string }[] }).approvals;
        if (pending.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(pending).toHaveLength(1);
      expect(pending[0]!.arguments).toContain('<SECRET_1>');
      expect(pending[0]!.arguments).not.toContain(awsKey);
      // Where the call goes is for the approver to see.
      expect(pending[0]!.arguments).toContain('--host 203.0.113.77');
      expect((await fetch(`${def.adminUrl}/v1/approvals/${pending[0]!.id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${def.adminKey}` } })).status).toBe(200);
      expect(JSON.parse(await running)).toEqual({ command: `deploy --host 203.0.113.77 --token ${awsKey}` });
    } finally {
      await def.close();
      await up.close();
    }
  });
});
