import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuardEngine } from '../../src/gateway/guard-engine.js';
import type { ProviderAdapter } from '../../src/providers/adapter.js';
import { anthropicMessagesAdapter } from '../../src/providers/anthropic-messages.js';
import { openAiChatAdapter } from '../../src/providers/openai-chat.js';
import { createSecretsDetector, secretsConfigSchema } from '../../src/guards/secrets/index.js';
import { json, type ScriptedUpstream, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { engineFromConfig, inputCtx } from './engine.js';
import { awsKeyId, checkAsyncProperty, checkProperty, githubToken, nastyString } from './harness.js';

/**
 * Request and response bodies of both adapters. In process (fast, most cases): validation never
 * throws; a body that validates yields segments, and rewriting every segment lands and never throws;
 * the guards' redaction leaves no detected credential in what would be forwarded. Through real HTTP
 * (capped, a few thousand in `npm run fuzz`): never a 5xx for anything a client sends, never a
 * detected credential upstream, never a blocked request forwarded.
 */
const adapters: [string, ProviderAdapter][] = [
  ['openai', openAiChatAdapter],
  ['anthropic', anthropicMessagesAdapter],
];

const text = fc.oneof(nastyString(20), fc.string({ maxLength: 20 }), fc.constantFrom('hello', 'run ls', 'see attached'));
const part = fc.oneof(
  fc.record({ type: fc.constant('text'), text }),
  fc.record({ type: fc.constant('image_url'), image_url: fc.record({ url: fc.constantFrom('https://x.test/a.png', 'data:image/png;base64,AAAA') }) }),
  fc.record({ type: fc.constant('tool_result'), tool_use_id: fc.constantFrom('toolu_1', 'x'), content: fc.oneof(text, fc.array(fc.record({ type: fc.constant('text'), text }), { maxLength: 2 })) }),
  fc.record({ type: fc.constant('tool_use'), id: fc.constantFrom('toolu_1', 'x'), name: fc.constantFrom('exec', 'read_file', 'x'), input: fc.dictionary(fc.constantFrom('command', 'path', 'x'), text, { maxKeys: 2 }) }),
  fc.jsonValue({ maxDepth: 2 }),
);
const toolCalls = fc.array(fc.record({ id: fc.constantFrom('call_1', 'c2'), type: fc.constant('function'), function: fc.record({ name: fc.constantFrom('exec', 'web_fetch', 'x'), arguments: fc.oneof(text, fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null')) }) }, { requiredKeys: [] }), { maxLength: 2 });
const message = fc.record(
  {
    role: fc.oneof(fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool', 'function'), fc.string({ maxLength: 5 })),
    content: fc.oneof(text, fc.constant(null), fc.array(part, { maxLength: 3 })),
    tool_calls: toolCalls,
    tool_call_id: fc.constantFrom('call_1', 'c2'),
    name: fc.constantFrom('exec', 'x'),
  },
  { requiredKeys: ['role', 'content'] },
);
const body = fc.record(
  {
    model: fc.oneof(fc.constantFrom('gpt-test', 'claude-x'), fc.string({ maxLength: 6 })),
    max_tokens: fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.string({ maxLength: 3 })),
    messages: fc.array(message, { maxLength: 4 }),
    system: fc.oneof(text, fc.array(fc.record({ type: fc.constant('text'), text }), { maxLength: 2 })),
    stream: fc.boolean(),
    tools: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 2 }),
  },
  { requiredKeys: ['messages'] },
);
const anyJson = fc.oneof(body, fc.jsonValue({ maxDepth: 4 }));

let engine: GuardEngine;
const detectSecrets = createSecretsDetector(secretsConfigSchema.parse({}));
beforeAll(async () => {
  engine = await engineFromConfig();
}, 60_000);

describe('fuzz: request and response bodies in process', () => {
  for (const [name, adapter] of adapters) {
    it(`${name}: validation, segments and rewrites never throw, and rewrites land`, () => {
      checkProperty(
        `requests ${name}: validate/segments/rewrite`,
        anyJson,
        (value) => {
          const copy = structuredClone(value);
          const check = adapter.validateRequest(copy);
          if (!check.ok) {
            expect(typeof check.param).toBe('string');
            return;
          }
          const { segments } = adapter.requestSegments(copy);
          // Tool-call segments are argument JSON: their rewrites are JSON too.
          const rewrites = segments.map((s, i) => ({ segmentId: s.id, text: s.kind === 'tool_call' ? JSON.stringify({ r: i }) : `<R${i}>` }));
          adapter.applyRequestRewrites(copy, rewrites);
          const again = adapter.requestSegments(copy).segments;
          for (const s of again) {
            const r = rewrites.find((w) => w.segmentId === s.id);
            if (r) expect(s.kind === 'tool_call' ? JSON.parse(s.text) : s.text).toEqual(s.kind === 'tool_call' ? JSON.parse(r.text) : r.text);
          }
          // Still valid for the upstream after the rewrite.
          expect(adapter.validateRequest(JSON.parse(JSON.stringify(copy))).ok).toBe(true);
        },
        { base: 80 },
      );
    });

    it(`${name}: response segments and rewrites never throw on arbitrary answers`, () => {
      checkProperty(
        `responses ${name}: segments/rewrite`,
        fc.oneof(fc.jsonValue({ maxDepth: 5 }), fc.record({ choices: fc.array(fc.record({ index: fc.nat(2), message: message, finish_reason: fc.constantFrom('stop', 'tool_calls') }), { maxLength: 2 }), content: fc.array(part, { maxLength: 3 }) }, { requiredKeys: [] })),
        (answer) => {
          const copy = structuredClone(answer) as any;
          const segments = adapter.responseSegments(copy);
          adapter.applyResponseRewrites(copy, segments.filter((s) => s.kind !== 'tool_call').map((s) => ({ segmentId: s.id, text: '[x]' })), segments.filter((s) => s.kind === 'tool_call').map((s) => ({ segmentId: s.id, message: 'refused' })));
          adapter.outputTokens(copy);
        },
        { base: 80 },
      );
    });

    it(`${name}: redaction of the input leaves no detected credential in the forwarded body`, async () => {
      let n = 0;
      await checkAsyncProperty(
        `requests ${name}: input redaction`,
        fc.record({ before: text, secret: fc.oneof(githubToken, awsKeyId), after: text, where: fc.nat(3) }),
        async ({ before, secret, after, where }) => {
          const content = `${before} ${secret} ${after}`;
          const payload: any =
            name === 'openai'
              ? { model: 'gpt-test', messages: [{ role: 'system', content: where === 0 ? content : 'be brief' }, { role: 'user', content: where === 1 ? content : 'hi' }, { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'exec', arguments: JSON.stringify({ command: where === 2 ? content : 'ls' }) } }] }, { role: 'tool', tool_call_id: 'call_1', content: where === 3 ? content : 'ok' }] }
              : { model: 'claude-x', max_tokens: 10, system: where === 0 ? content : 'be brief', messages: [{ role: 'user', content: where === 1 ? content : 'hi' }, { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'exec', input: { command: where === 2 ? content : 'ls' } }] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: where === 3 ? content : 'ok' }] }] };
          expect(adapter.validateRequest(payload).ok).toBe(true);
          const { segments, messageCount } = adapter.requestSegments(payload);
          const inspection = await engine.inspect(segments, inputCtx(`r${n++}`), messageCount);
          if (inspection.decision.action === 'block' || inspection.decision.action === 'review') return; // never forwarded
          adapter.applyRequestRewrites(payload, engine.rewrites(inspection));
          const forwarded = JSON.stringify(payload);
          for (const s of segments) for (const m of detectSecrets(s.text)) expect(forwarded).not.toContain(s.text.slice(m.start, m.end));
        },
        { base: 40 },
      );
    });
  }
});

describe('fuzz: requests through real HTTP', () => {
  let upstream: ScriptedUpstream;
  let gw: TestGateway;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    upstream = await startScriptedUpstream((req, res) =>
      req.url.includes('/messages')
        ? json(res, 200, { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } })
        : json(res, 200, { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }),
    );
    gw = await startTestGateway({ upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }, { name: 'a', provider: 'anthropic', url: upstream.url }], routes: [{ model: 'claude*', upstream: 'a' }, { model: '*', upstream: 'u' }], rateLimits: { perIp: { requestsPerMinute: 1_000_000 } }, audit: { enabled: false } });
  }, 60_000);
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await gw?.close();
    await upstream?.close();
  });

  const planted = fc.record({ body, secret: fc.option(fc.oneof(githubToken, awsKeyId), { nil: undefined }), tag: fc.boolean(), path: fc.constantFrom('/v1/chat/completions', '/v1/messages') });
  it('never a 5xx, never a detected credential upstream, never a blocked request forwarded', async () => {
    await checkAsyncProperty(
      'http: both adapters, planted values',
      planted,
      async ({ body: b, secret, tag, path }) => {
        const payload: any = structuredClone(b);
        if (secret && Array.isArray(payload.messages)) payload.messages.push({ role: 'user', content: `my key ${secret} thanks` });
        // Unicode tag characters (invisible instructions) are blocked by default.
        if (tag && Array.isArray(payload.messages)) payload.messages.push({ role: 'user', content: `hi${String.fromCodePoint(0xe0069, 0xe0067, 0xe006e)}` });
        const before = upstream.requests.length;
        const res = await fetch(`${gw.proxyUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json' }, body: JSON.stringify(payload) });
        await res.arrayBuffer();
        expect(res.status, `status ${res.status} ${gw.logs.filter((l) => l.includes('"internalError"')).slice(-1)[0] ?? ''}`).toBeLessThan(500);
        const forwarded = upstream.requests.slice(before);
        if (res.status === 403) expect(forwarded).toHaveLength(0);
        for (const r of forwarded) {
          const sent = JSON.stringify(r.body);
          if (secret) expect(sent).not.toContain(secret);
          expect(sent).not.toContain(String.fromCodePoint(0xe0069));
        }
        upstream.requests.length = 0;
      },
      { base: 15, cap: 5000, fuzzScale: 4 },
    );
    expect(unhandled).toEqual([]);
  }, 600_000);
});
