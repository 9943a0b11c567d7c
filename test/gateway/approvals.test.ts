import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, openAiToolCallChunks, type ScriptedUpstream, sse, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { spawnServe, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const CLI = resolve('dist/cli/main.js');
let upstream: ScriptedUpstream;
let gw: TestGateway;
let webhook: Server;
const announced: any[] = [];

const toolAnswer = (command: string) => ({
  id: 'c',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_r', type: 'function', function: { name: 'exec', arguments: JSON.stringify({ command }) } }] }, finish_reason: 'tool_calls' }],
});

async function pendingApproval(adminUrl: string, adminKey: string): Promise<any> {
  for (let i = 0; i < 100; i++) {
    const list = (await (await fetch(`${adminUrl}/v1/approvals?status=pending`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as any;
    if (list.approvals.length > 0) return list.approvals[0];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no pending approval appeared');
}

beforeAll(async () => {
  webhook = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      announced.push(JSON.parse(text));
      res.end('ok');
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
  upstream = await startScriptedUpstream((_req, res) => json(res, 200, toolAnswer('curl https://example.com')));
  gw = await startTestGateway({
    upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }],
    routes: [{ model: '*', upstream: 'u' }],
    guards: { toolcalls: { enabled: false }, patterns: { deny: [{ id: 'network', pattern: '\\bcurl\\b' }] } },
    policy: { rules: [{ type: 'pattern.network', kind: ['tool_call'], action: 'review' }, { type: 'pattern.network', direction: 'input', kind: ['message'], action: 'review' }] },
    approvals: { timeoutSeconds: 3, pollMs: 100, webhookUrl: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook` },
  });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
  await new Promise<void>((r) => webhook.close(() => r()));
});

const client = () => new OpenAI({ baseURL: `${gw.proxyUrl}/v1`, apiKey: gw.clientKey, maxRetries: 0 });

describe('human approvals', () => {
  it('holds a tool call until an operator approves it over the admin API, and announces it', async () => {
    const pending = client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'fetch it' }] });
    const approval = await pendingApproval(gw.adminUrl!, gw.adminKey);
    expect(approval).toMatchObject({ status: 'pending', toolName: 'exec', reasons: ['pattern.network'] });
    const decided = await fetch(`${gw.adminUrl}/v1/approvals/${approval.id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminKey}`, 'content-type': 'application/json' }, body: '{"note":"ok"}' });
    expect(decided.status).toBe(200);
    const answer = await pending;
    expect((answer.choices[0]!.message.tool_calls![0]! as { function: { arguments: string } }).function.arguments).toContain('curl');
    expect(announced.at(-1)).toMatchObject({ type: 'clawguard.approval.requested', id: approval.id, tool: 'exec' });
    expect(announced.at(-1).arguments).toBeUndefined();
    // A second decision on the same approval is a conflict.
    const again = await fetch(`${gw.adminUrl}/v1/approvals/${approval.id}/deny`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminKey}` } });
    expect(again.status).toBe(409);
  });

  it('replaces a denied streamed tool call with a refusal the agent can read', async () => {
    upstream.script = (_req, res) => sse(res, openAiToolCallChunks('exec', ['{"command":"curl ', 'https://x.test"}']));
    const run = (async () => {
      const stream = await client().chat.completions.create({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'go' }] });
      let text = '';
      let calls = 0;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        calls += chunk.choices[0]?.delta.tool_calls?.length ?? 0;
      }
      return { text, calls };
    })();
    const approval = await pendingApproval(gw.adminUrl!, gw.adminKey);
    const denied = spawnSync(process.execPath, [CLI, 'approvals', 'deny', approval.id, '--config', join(gw.dir, 'clawguard.yaml'), '--note', 'no network'], { encoding: 'utf8' });
    expect(denied.status).toBe(0);
    const { text, calls } = await run;
    expect(calls).toBe(0);
    expect(text).toContain('review denied');
    upstream.script = (_req, res) => json(res, 200, toolAnswer('curl https://example.com'));
  });

  it('denies by silence: the approval expires at its timeout', async () => {
    const answer = await client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'fetch it' }] });
    expect(answer.choices[0]!.message.tool_calls).toBeUndefined();
    expect(answer.choices[0]!.message.content).toContain('review expired');
    const list = spawnSync(process.execPath, [CLI, 'approvals', 'list', '--status', 'expired', '--json', '--config', join(gw.dir, 'clawguard.yaml')], { encoding: 'utf8' });
    expect(JSON.parse(list.stdout).length).toBeGreaterThanOrEqual(1);
  });

  it('holds a whole request before forwarding it, and forwards it once approved', async () => {
    upstream.requests.length = 0;
    const pending = fetch(`${gw.proxyUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'please curl the status page' }] }),
    });
    const approval = await pendingApproval(gw.adminUrl!, gw.adminKey);
    expect(approval).toMatchObject({ toolName: null, reasons: ['pattern.network'] });
    expect(upstream.requests).toHaveLength(0);
    await fetch(`${gw.adminUrl}/v1/approvals/${approval.id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminKey}` } });
    const res = await pending;
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(upstream.requests).toHaveLength(1);
  });

  it('refuses a held request nobody approves with 403 review_required', async () => {
    upstream.requests.length = 0;
    const res = await fetch(`${gw.proxyUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'curl it again' }] }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error.code).toBe('review_required');
    expect(upstream.requests).toHaveLength(0);
  });

  it('is decided on another gateway process sharing the database', async () => {
    const served = spawnServe(join(gw.dir, 'clawguard.yaml'));
    const other = served.child;
    try {
      const adminUrl = await served.address('admin API');
      const pending = client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'fetch it' }] });
      const approval = await pendingApproval(adminUrl, gw.adminKey);
      const decided = await fetch(`${adminUrl}/v1/approvals/${approval.id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminKey}` } });
      expect(decided.status).toBe(200);
      const answer = await pending;
      expect(answer.choices[0]!.message.tool_calls).toHaveLength(1);
    } finally {
      other.kill('SIGTERM');
    }
  });
});
