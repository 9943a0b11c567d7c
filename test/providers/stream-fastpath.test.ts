import { beforeAll, describe, expect, it } from 'vitest';
import type { GuardEngine } from '../../src/gateway/guard-engine.js';
import { GatewayStreamInspector } from '../../src/gateway/stream-inspector.js';
import type { ProviderAdapter } from '../../src/providers/adapter.js';
import { anthropicMessagesAdapter } from '../../src/providers/anthropic-messages.js';
import { openAiChatAdapter } from '../../src/providers/openai-chat.js';
import { jsonStringAt } from '../../src/providers/text-envelope.js';
import { SseParser } from '../../src/providers/sse.js';
import { engineFromConfig, outputCtx } from '../fuzz/engine.js';
import { STREAM_TEST_CONFIG } from './stream-engine.js';
import { rng } from '../helpers/rng.js';

/**
 * The fast paths of an OpenAI stream: the SSE parser's Latin-1 reads, the text events read by their
 * envelope (`head` + a JSON string + `tail`, the string read without a parse when it has no escapes),
 * events passed on as sent. The reference is the same stream with a different `id` in every chunk:
 * no envelope repeats, so every event is parsed whole. With the ids made equal again, the client must
 * get the same bytes, whatever the text (escapes, quotes, non-ASCII, secrets and PII split across
 * chunks) and however the upstream bytes are cut into reads.
 */

let engine: GuardEngine;
let n = 0;
beforeAll(async () => {
  engine = await engineFromConfig(STREAM_TEST_CONFIG);
}, 60_000);

const PIECES = [
  'The', ' quick', ' brown', ' fox', ' "quoted"', ' back\\slash', ' line\nbreak', '\ttab', ' Grüße', ' 😀', ' 日本語', ' é',
  ' mail me at ', 'jane.doe', '@example.com', ' TIC', 'KET-', '123', ' LAU', 'NCH-', '4242', ' ghp_A1b2C3d4E5', 'f6G7h8I9j0K1l2M3n4O5p6Q7r8', ' \u2028sep', ' ctl\u0001', ' ok.',
];

function chunkLine(id: string, delta: unknown, finish: string | null): string {
  return `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: 'gpt-test', system_fingerprint: 'fp_x', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
}

/** The upstream's bytes: role chunk, one chunk per piece, stop, [DONE]; `id(k)` is chunk k's id. */
function upstream(pieces: readonly string[], id: (k: number) => string): Buffer {
  const lines = [chunkLine(id(0), { role: 'assistant', content: '' }, null)];
  pieces.forEach((p, k) => lines.push(chunkLine(id(k + 1), { content: p }, null)));
  lines.push(chunkLine(id(pieces.length + 1), {}, 'stop'), 'data: [DONE]\n\n');
  return Buffer.from(lines.join(''));
}

/** Anthropic's events for the same pieces; `x(k)` is a field every event k carries (a value of four characters). */
function anthropicUpstream(pieces: readonly string[], x: (k: number) => string): Buffer {
  const ev = (name: string, data: Record<string, unknown>, k: number): string => `event: ${name}\ndata: ${JSON.stringify({ ...data, x: x(k) })}\n\n`;
  const lines = [
    ev('message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-test', content: [], usage: { input_tokens: 3, output_tokens: 1 } } }, 0),
    ev('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 0),
    ev('ping', { type: 'ping' }, 0),
  ];
  pieces.forEach((p, k) => lines.push(ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } }, k + 1)));
  lines.push(
    ev('content_block_stop', { type: 'content_block_stop', index: 0 }, 0),
    ev('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: pieces.length } }, 0),
    ev('message_stop', { type: 'message_stop' }, 0),
  );
  return Buffer.from(lines.join(''));
}

/** As the gateway's relay drives a rewriter: events one by one until text is released, then each read's rest together. */
async function relay(reads: readonly Uint8Array[], adapter: ProviderAdapter = openAiChatAdapter): Promise<string> {
  const inspector = new GatewayStreamInspector(engine, outputCtx(`fast${n++}`), () => true);
  const rewriter = adapter.createStreamRewriter(inspector, {});
  const parser = new SseParser();
  const out: string[] = [];
  let first = true;
  for (const read of reads) {
    const events = parser.push(read);
    let next = 0;
    while (first && next < events.length && !rewriter.done) {
      out.push(...(await rewriter.push(events[next++]!)));
      if (inspector.releasedChars > 0) first = false;
    }
    if (next < events.length && !rewriter.done) out.push(...(await rewriter.pushMany!(events.slice(next))));
    if (rewriter.done) break;
  }
  if (!rewriter.done) {
    out.push(...(await rewriter.pushMany!(parser.end())));
    out.push(...(await rewriter.end()));
  }
  return out.join('');
}

/** Read boundaries for `size` bytes: sometimes one read, otherwise cuts anywhere. */
function cuts(size: number, r: () => number): number[] {
  const ends: number[] = [];
  for (let at = 0; at < size; ) {
    at = r() < 0.3 ? size : Math.min(size, at + 1 + Math.floor(r() * 400));
    ends.push(at);
  }
  return ends;
}

function reads(bytes: Buffer, ends: readonly number[]): Uint8Array[] {
  return ends.map((end, k) => bytes.subarray(k === 0 ? 0 : ends[k - 1], end));
}

/**
 * 300 random streams, each built twice by `build(pieces, varied)`: with one envelope on every text
 * event, and with a field that differs per event (`varied`, every event parsed whole). The client's
 * bytes must be the same once `vary` is replaced by `same`.
 */
async function sameBytes(seed: number, adapter: ProviderAdapter, build: (pieces: readonly string[], varied: boolean) => Buffer, vary: RegExp, same: string): Promise<void> {
  const r = rng(seed);
  for (let i = 0; i < 300; i++) {
    const count = 1 + Math.floor(r() * 24);
    const pieces: string[] = [];
    for (let k = 0; k < count; k++) pieces.push(PIECES[Math.floor(r() * PIECES.length)]!);
    const fastBytes = build(pieces, false);
    const ends = cuts(fastBytes.length, r);
    const fast = await relay(reads(fastBytes, ends), adapter);
    const slow = await relay(reads(build(pieces, true), ends), adapter);
    expect(fast, `stream ${i}: ${JSON.stringify(pieces)}`).toBe(slow.replace(vary, same));
  }
}

describe('stream fast paths against whole parses', () => {
  it('jsonStringAt reads what JSON.parse reads, or nothing where that is not one JSON string', () => {
    const r = rng(7);
    const alphabet = ['a', ' ', '"', '\\', 'n', 'u', '0', '1', 'é', '😀', '\u0001', '\n', '/', 't'];
    for (let i = 0; i < 20_000; i++) {
      let s = '"';
      const len = Math.floor(r() * 8);
      for (let k = 0; k < len; k++) s += alphabet[Math.floor(r() * alphabet.length)];
      if (r() < 0.9) s += '"';
      if (r() < 0.05) s += ' ';
      const text = `xx${s}yy`;
      let expected: unknown;
      try {
        expected = JSON.parse(s);
      } catch {
        expected = undefined;
      }
      expect(jsonStringAt(text, 2, text.length - 2), JSON.stringify(s)).toBe(typeof expected === 'string' ? expected : undefined);
    }
  });

  it('OpenAI: gives the client the same bytes as the whole-parse path for 300 random streams, each cut into random reads', async () => {
    // Ids of one length: the same cuts fall at the same places of both streams.
    await sameBytes(20261126, openAiChatAdapter, (pieces, k) => upstream(pieces, (c) => (k ? `chatcmpl-${String(c).padStart(4, '0')}` : 'chatcmpl-same')), /"id":"chatcmpl-\d{4}"/g, '"id":"chatcmpl-same"');
  }, 60_000);

  it('Anthropic: gives the client the same bytes as the whole-parse path for 300 random streams, each cut into random reads', async () => {
    await sameBytes(4242, anthropicMessagesAdapter, (pieces, k) => anthropicUpstream(pieces, (c) => (k ? String(c).padStart(4, '0') : 'same')), /"x":"\d{4}"/g, '"x":"same"');
  }, 60_000);
});
