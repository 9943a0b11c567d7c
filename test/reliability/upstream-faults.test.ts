import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRecords } from '../../src/audit/maintenance.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { type Fault, type FaultyUpstream, startFaultyUpstream } from './faulty-upstream.js';

/**
 * Fault injection against a local upstream that misbehaves on cue, for both provider APIs: the
 * client gets the provider-shaped 502/504 (or the provider's in-stream error once a stream has
 * started), the gateway lets go of the upstream socket, memory stays bounded under an endless
 * body, every fault is in the audit trail, and the next request is served normally.
 */
let up: FaultyUpstream;
let gw: TestGateway;
const audited: { requestId: string; status: number; fault: string }[] = [];
const MiB = 1024 * 1024;

beforeAll(async () => {
  up = await startFaultyUpstream({ kind: 'stall-before-headers' });
  const short = { timeoutMs: 600, idleTimeoutMs: 400 };
  // After an oversized answer the upstream socket is released by the idle timeout (undici keeps a
  // paused connection until then; no byte flows meanwhile): short here so the test sees it go.
  const long = { timeoutMs: 20_000, idleTimeoutMs: 1_500 };
  gw = await startTestGateway({
    upstreams: [
      { name: 'o-short', provider: 'openai', url: `${up.url}/v1`, ...short },
      { name: 'o-long', provider: 'openai', url: `${up.url}/v1`, ...long },
      { name: 'a-short', provider: 'anthropic', url: up.url, ...short },
      { name: 'a-long', provider: 'anthropic', url: up.url, ...long },
      { name: 'dead', provider: 'openai', url: 'http://127.0.0.1:9/v1' },
    ],
    routes: [
      { model: 'gpt-short', upstream: 'o-short' },
      { model: 'gpt-long', upstream: 'o-long' },
      { model: 'claude-short', upstream: 'a-short' },
      { model: 'claude-long', upstream: 'a-long' },
      { model: 'gpt-dead', upstream: 'dead' },
    ],
    audit: { writer: { flushIntervalMs: 5 } },
  });
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await up?.close();
});

type Api = 'openai' | 'anthropic';
const OK_OPENAI = { id: 'c', object: 'chat.completion', created: 1, model: 'gpt-long', choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }] };
const OK_ANTHROPIC = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-long', content: [{ type: 'text', text: 'fine' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } };

async function call(api: Api, speed: 'short' | 'long' | 'dead', stream = false): Promise<{ status: number; text: string; json: any; requestId: string }> {
  const model = api === 'openai' ? `gpt-${speed}` : `claude-${speed}`;
  const path = api === 'openai' ? '/v1/chat/completions' : '/v1/messages';
  const body = api === 'openai' ? { model, stream, messages: [{ role: 'user', content: 'hi' }] } : { model, stream, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
  const res = await fetch(`${gw.proxyUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, requestId: res.headers.get('x-request-id')! };
}

function expectProviderError(api: Api, r: { json: any }, status: number): void {
  if (api === 'openai') expect(r.json.error).toMatchObject({ type: 'upstream_error' });
  else expect(r.json).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  expect(typeof r.json.error.message).toBe('string');
  expect(status).toBeGreaterThanOrEqual(502);
}

/** The provider's own in-stream error: OpenAI a data event with `error`, Anthropic an `error` event. */
function expectStreamError(api: Api, text: string, message: RegExp): void {
  if (api === 'openai') expect(text).toMatch(/data: \{"error":\{"message":".*","type":"upstream_error"/);
  else expect(text).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"api_error"/);
  expect(text).toMatch(message);
}

/** Waits for the gateway to let go of every upstream socket; returns how many are still open. */
async function socketsFreed(waitMs = 3000): Promise<number> {
  const until = Date.now() + waitMs;
  while (up.openSockets() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return up.openSockets();
}

/** Peak RSS growth of this process (gateway, upstream and test share it) while `fn` runs. */
async function peakRssGrowth<T>(fn: () => Promise<T>): Promise<{ value: T; growth: number }> {
  global.gc?.();
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, growth: peak - base };
  } finally {
    clearInterval(timer);
  }
}

const openAiChunk = (delta: unknown) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
const anthropicStart = `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { id: 'm', type: 'message', role: 'assistant', model: 'c', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } } })}\n\nevent: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n`;
const firstEvent = (api: Api) => (api === 'openai' ? openAiChunk({ role: 'assistant', content: 'partial ' }) : `${anthropicStart}event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"partial "}}\n\n`);

for (const api of ['openai', 'anthropic'] as const) {
  describe(`upstream faults (${api})`, () => {
    const record = (r: { requestId: string }, status: number, fault: string) => audited.push({ requestId: r.requestId, status, fault: `${api}: ${fault}` });

    it('refused connection → 502', async () => {
      if (api === 'anthropic') return void expect(true).toBe(true); // one dead upstream (OpenAI-speaking) covers the TCP refusal
      const r = await call(api, 'dead');
      expect(r.status).toBe(502);
      expectProviderError(api, r, r.status);
      expect(r.json.error.message).toContain('refused the connection');
      record(r, 502, 'refused');
    });

    it('stall before headers → 504, socket closed', async () => {
      up.fault = { kind: 'stall-before-headers' };
      const r = await call(api, 'short');
      expect(r.status).toBe(504);
      expectProviderError(api, r, r.status);
      expect(r.json.error.message).toContain('timed out');
      record(r, 504, 'stall before headers');
      await socketsFreed();
    });

    it('stall mid-body (JSON) → 504; stall mid-stream → in-stream timeout error', async () => {
      up.fault = { kind: 'stall-mid-body', contentType: 'application/json', first: '{"id":"c","choices":[' };
      const r = await call(api, 'short');
      expect(r.status).toBe(504);
      expectProviderError(api, r, r.status);
      record(r, 504, 'stall mid-body');
      await socketsFreed();
      up.fault = { kind: 'stall-mid-body', contentType: 'text/event-stream', first: firstEvent(api) };
      const s = await call(api, 'short', true);
      expect(s.status).toBe(200);
      expect(s.text).toContain('partial');
      expectStreamError(api, s.text, /timed out/);
      record(s, 200, 'stall mid-stream');
      await socketsFreed();
    });

    it('invalid JSON → 502; invalid SSE → in-stream error', async () => {
      up.fault = { kind: 'invalid-json' };
      const r = await call(api, 'long');
      expect(r.status).toBe(502);
      expectProviderError(api, r, r.status);
      expect(r.json.error.message).toMatch(/invalid JSON/);
      record(r, 502, 'invalid JSON');
      up.fault = { kind: 'invalid-sse', lines: `${firstEvent(api)}data: {"choices": [ not json\n\nevent: content_block_delta\ndata: oops\n\n` };
      const s = await call(api, 'long', true);
      expect(s.status).toBe(200);
      expectStreamError(api, s.text, /not JSON/);
      record(s, 200, 'invalid SSE');
      await socketsFreed();
    });

    it('reset before headers → 502; reset mid-body → 502; reset mid-stream → in-stream error', async () => {
      up.fault = { kind: 'reset-before-headers' };
      const a = await call(api, 'long');
      expect(a.status).toBe(502);
      expectProviderError(api, a, a.status);
      record(a, 502, 'reset before headers');
      up.fault = { kind: 'reset-mid-body', contentType: 'application/json', first: '{"id":"c","choices":[' };
      const b = await call(api, 'long');
      expect(b.status).toBe(502);
      expectProviderError(api, b, b.status);
      record(b, 502, 'reset mid-body');
      up.fault = { kind: 'reset-mid-body', contentType: 'text/event-stream', first: firstEvent(api) };
      const c = await call(api, 'long', true);
      expect(c.status).toBe(200);
      expectStreamError(api, c.text, /closed the connection|could not be reached/);
      record(c, 200, 'reset mid-stream');
      await socketsFreed();
    });

    it('headers too large → 502', async () => {
      up.fault = { kind: 'huge-headers', bytes: 256 * 1024 };
      const r = await call(api, 'long');
      expect(r.status).toBe(502);
      expectProviderError(api, r, r.status);
      record(r, 502, 'huge headers');
      await socketsFreed();
    });

    it('a 10 GB JSON body (generated lazily) → 502 after the 32 MiB cap, memory bounded, socket closed', async () => {
      const block = Buffer.alloc(256 * 1024, 0x20);
      up.fault = { kind: 'huge-body', contentType: 'application/json', bytes: 10 * 1024 * MiB, chunk: () => block, prefix: '{"id":"c","pad":"' };
      const { value: r, growth } = await peakRssGrowth(() => call(api, 'long'));
      expect(r.status).toBe(502);
      expectProviderError(api, r, r.status);
      expect(r.json.error.message).toContain('exceeds');
      record(r, 502, 'huge JSON body');
      await socketsFreed();
      expect(up.sent).toBeLessThan(64 * MiB);
      expect(growth, `RSS grew ${Math.round(growth / MiB)} MiB`).toBeLessThan(200 * MiB);
    });

    it('a 10 GB error body → 502 (was 500) after the 1 MiB cap on error bodies, its connection closed at once', async () => {
      const block = Buffer.alloc(256 * 1024, 0x20);
      up.fault = { kind: 'huge-body', status: 500, contentType: 'application/json', bytes: 10 * 1024 * MiB, chunk: () => block, prefix: '{"error":{"message":"' };
      const r = await call(api, 'long');
      expect(r.status).toBe(502);
      expectProviderError(api, r, r.status);
      expect(r.json.error.message).toContain('exceeds');
      record(r, 502, 'huge error body');
      // The connection that carried it is closed at once (undici may open a fresh idle one for its pool).
      const until = Date.now() + 3000;
      while (up.servingSockets() > 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
      expect(up.servingSockets()).toBe(0);
      expect(up.sent).toBeLessThan(64 * MiB);
    });

    it('a 10 GB stream (one endless SSE line, and endless tool-call deltas) → in-stream error after 32 MiB, memory bounded', async () => {
      const line = Buffer.alloc(256 * 1024, 0x61);
      up.fault = { kind: 'huge-body', contentType: 'text/event-stream', bytes: 10 * 1024 * MiB, chunk: () => line, prefix: `${firstEvent(api)}data: {"x":"` };
      const { value: s, growth } = await peakRssGrowth(() => call(api, 'long', true));
      expect(s.status).toBe(200);
      expectStreamError(api, s.text, /exceeds/);
      record(s, 200, 'endless SSE line');
      await socketsFreed();
      expect(up.sent).toBeLessThan(64 * MiB);
      expect(growth, `RSS grew ${Math.round(growth / MiB)} MiB`).toBeLessThan(250 * MiB);

      const piece = 'A'.repeat(4000);
      const delta =
        api === 'openai'
          ? Buffer.from(openAiChunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }).repeat(16))
          : Buffer.from(`event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: piece } })}\n\n`.repeat(16));
      const start =
        api === 'openai'
          ? openAiChunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'write_file', arguments: '{"content":"' } }] })
          : `${anthropicStart}event: content_block_start\ndata: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"write_file","input":{}}}\n\n`;
      up.fault = { kind: 'huge-body', contentType: 'text/event-stream', bytes: 10 * 1024 * MiB, chunk: () => delta, prefix: start };
      const t = await peakRssGrowth(() => call(api, 'long', true));
      expect(t.value.status).toBe(200);
      expectStreamError(api, t.value.text, /exceeds/);
      expect(t.value.text).not.toContain(piece); // the held tool call was never released
      record(t.value, 200, 'endless tool-call deltas');
      await socketsFreed();
      expect(t.growth, `RSS grew ${Math.round(t.growth / MiB)} MiB`).toBeLessThan(250 * MiB);
    }, 60_000);

    it('leaves no upstream socket open once the faults are over', async () => {
      expect(await socketsFreed(10_000)).toBe(0);
    }, 20_000);

    it('serves the next request normally', async () => {
      up.fault = { kind: 'ok-json', body: api === 'openai' ? OK_OPENAI : OK_ANTHROPIC };
      const r = await call(api, 'long');
      expect(r.status).toBe(200);
      expect(r.text).toContain('fine');
    });
  });
}

describe('every fault is audited', () => {
  it('has an upstream.response event with the status and an error for each faulty request', async () => {
    expect(audited.length).toBeGreaterThanOrEqual(20);
    const dir = gw.dir;
    await gw.close();
    const store = new SqliteAuditStore({ database: join(dir, 'clawguard-audit.db') });
    try {
      const events = new Map<string, { status: unknown; error: unknown }>();
      for await (const r of exportRecords(store)) if (r.type === 'upstream.response' && r.requestId) events.set(r.requestId, { status: r.data.status, error: r.data.error });
      for (const a of audited) {
        const e = events.get(a.requestId);
        expect(e, a.fault).toBeDefined();
        expect(e!.status, a.fault).toBe(a.status);
        expect(typeof e!.error, a.fault).toBe('string');
      }
    } finally {
      await store.close();
    }
  });
});
