import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, type ScriptedUpstream, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { admin, answer } from './helpers.js';

const CLI = resolve('dist/cli/main.js');
let upstream: ScriptedUpstream;
let gw: TestGateway;

const turn = (messages: unknown[], headers: Record<string, string> = {}) =>
  fetch(`${gw.proxyUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-test', messages }),
  });

/** Waits for the pending approval of a held request and decides it over the admin API. */
async function decidePending(verb: 'approve' | 'deny'): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const list = ((await (await admin(gw, 'GET', '/v1/approvals?status=pending')).json()) as any).approvals;
    if (list.length > 0) {
      expect((await admin(gw, 'POST', `/v1/approvals/${list[0].id}/${verb}`, { note: 'test' })).status).toBe(200);
      return list[0];
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no pending approval appeared');
}

beforeAll(async () => {
  upstream = await startScriptedUpstream((_req, res) => json(res, 200, answer));
  gw = await startTestGateway({ upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }], routes: [{ model: '*', upstream: 'u' }], approvals: { timeoutSeconds: 20, pollMs: 50 } });
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('incident quarantine of a conversation', () => {
  it('holds every further turn of a conversation (client header id) for review until released', async () => {
    const headers = { 'x-clawguard-conversation': 'case-7' };
    const first = await turn([{ role: 'user', content: 'hello' }], headers);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-clawguard-conversation')).toMatch(/^conv_/);
    const q = await admin(gw, 'POST', '/v1/quarantines', { conversation: 'case-7', reason: 'suspected injection' });
    expect(q.status).toBe(201);
    expect(((await (await admin(gw, 'GET', '/v1/quarantines')).json()) as any).quarantines).toEqual([expect.objectContaining({ conversation: 'case-7', mode: 'review', reason: 'suspected injection' })]);

    const before = upstream.requests.length;
    const held = turn([{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'go on' }], headers);
    const approval = await decidePending('approve');
    expect(approval.reasons).toContain('quarantine:conversation:case-7');
    const approved = await held;
    expect(approved.status).toBe(200);
    expect(upstream.requests.length).toBe(before + 1);

    const denied = turn([{ role: 'user', content: 'hello' }, { role: 'user', content: 'again' }], headers);
    await decidePending('deny');
    const refused = await denied;
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as any).error).toMatchObject({ code: 'review_required', message: expect.stringContaining('conversation:case-7') });
    expect(upstream.requests.length).toBe(before + 1);

    // Other conversations are untouched.
    expect((await turn([{ role: 'user', content: 'another chat' }], { 'x-clawguard-conversation': 'case-8' })).status).toBe(200);
    expect((await admin(gw, 'DELETE', '/v1/quarantines/case-7')).status).toBe(200);
    expect((await turn([{ role: 'user', content: 'hello' }], headers)).status).toBe(200);
  });

  it('quarantines a derived conversation id from the CLI (status shows it, release lifts it)', async () => {
    const history = [{ role: 'system', content: 'you are a helper' }, { role: 'user', content: 'first question' }];
    const first = await turn(history);
    const id = first.headers.get('x-clawguard-conversation')!;
    expect(id).toMatch(/^conv_/);
    const config = join(gw.dir, 'clawguard.yaml');
    const q = spawnSync(process.execPath, [CLI, 'incident', 'quarantine', '--conversation', id, '--reason', 'drill', '--config', config], { encoding: 'utf8' });
    expect(q.status, q.stderr).toBe(0);
    const status = spawnSync(process.execPath, [CLI, 'incident', 'status', '--json', '--config', config], { encoding: 'utf8' });
    expect(JSON.parse(status.stdout)).toEqual([expect.objectContaining({ scope: `conversation:${id}`, mode: 'review' })]);
    await gw.gateway.lockdowns.refresh();

    const next = turn([...history, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'second' }]);
    await decidePending('deny');
    expect((await next).status).toBe(403);

    const r = spawnSync(process.execPath, [CLI, 'incident', 'release', '--conversation', id, '--config', config], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    await gw.gateway.lockdowns.refresh();
    expect((await turn([...history, { role: 'user', content: 'third' }])).status).toBe(200);
    // The CLI's actions are in the audit log.
    const { buildReport } = await import('../../src/gateway/incident/report.js');
    const { loadConfigFile } = await import('../../src/config/load.js');
    const { builtinGuards } = await import('../../src/guards/index.js');
    const md = await buildReport(loadConfigFile(config, builtinGuards()), { since: Date.now() - 600_000 });
    expect(md).toMatch(new RegExp(`cli:\\S+: quarantine\\.on conversation:${id}`));
    expect(md).toMatch(new RegExp(`cli:\\S+: quarantine\\.off conversation:${id}`));
  }, 90_000);

  it('refuses a quarantine mode on other scopes and a lockdown mode on conversations', async () => {
    expect((await admin(gw, 'POST', '/v1/lockdowns', { scope: 'conversation:x', mode: 'refuse' })).status).toBe(400);
    expect((await admin(gw, 'POST', '/v1/quarantines', { conversation: 'a b' })).status).toBe(400);
    expect((await admin(gw, 'DELETE', '/v1/quarantines/not-there')).status).toBe(404);
  });
});
