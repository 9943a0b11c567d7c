import { beforeAll, describe, expect, it } from 'vitest';
import type { GuardEngine } from '../../src/gateway/guard-engine.js';
import { GatewayStreamInspector } from '../../src/gateway/stream-inspector.js';
import { openAiChatAdapter } from '../../src/providers/openai-chat.js';
import { formatSse, SseParser, type SseEvent } from '../../src/providers/sse.js';
import { engineFromConfig, outputCtx } from '../fuzz/engine.js';
import { DEFAULTS_UNHURRIED, STREAM_TEST_CONFIG } from './stream-engine.js';

/**
 * The gateway hands the events of one upstream read to `pushMany` (after the first token, which goes
 * out alone): runs of plain text deltas are judged in one scan, and events released whole go out as
 * the upstream sent them. Whatever the batch, the client must get what event-by-event `push` gives
 * whenever something is changed or blocked, and the same text otherwise.
 */

const BASE = { id: 'chatcmpl-b', object: 'chat.completion.chunk', created: 1, model: 'gpt-test', system_fingerprint: 'fp_b' };
const chunk = (delta: unknown, finish: string | null = null): SseEvent => ({ data: JSON.stringify({ ...BASE, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] }) });
const DONE: SseEvent = { data: '[DONE]' };

/** A stream: the role chunk, one chunk per piece, the stop chunk and [DONE]. */
function stream(pieces: readonly string[]): SseEvent[] {
  return [chunk({ role: 'assistant', content: '' }), ...pieces.map((p) => chunk({ content: p })), chunk({}, 'stop'), DONE];
}

let engine: GuardEngine;
/** Default guards and policy: nothing is held back after a plain word. */
let defaults: GuardEngine;
let n = 0;
beforeAll(async () => {
  defaults = await engineFromConfig(DEFAULTS_UNHURRIED);
  engine = await engineFromConfig(STREAM_TEST_CONFIG);
}, 60_000);

/** Counts how the rewriter asks the inspector. */
function counted(): { inspector: GatewayStreamInspector; calls: { text: number; cleanText: number[] } } {
  const inspector = new GatewayStreamInspector(defaults, outputCtx(`batch${n++}`), () => true);
  const calls = { text: 0, cleanText: [] as number[] };
  const text = inspector.text.bind(inspector);
  const cleanText = inspector.cleanText.bind(inspector);
  inspector.text = (channel, delta) => {
    calls.text++;
    return text(channel, delta);
  };
  inspector.cleanText = (channel, deltas) => {
    calls.cleanText.push(deltas.length);
    return cleanText(channel, deltas);
  };
  return { inspector, calls };
}

/** Event by event, as before batching. */
async function oneByOne(events: readonly SseEvent[]): Promise<string> {
  const rewriter = openAiChatAdapter.createStreamRewriter(new GatewayStreamInspector(engine, outputCtx(`one${n++}`), () => true), {});
  const out: string[] = [];
  for (const e of events) out.push(...(await rewriter.push(e)));
  out.push(...(await rewriter.end()));
  return out.join('');
}

/** The role chunk alone, then each read (a list of events) through `pushMany`. */
async function byReads(reads: readonly (readonly SseEvent[])[], inspector = new GatewayStreamInspector(engine, outputCtx(`reads${n++}`), () => true)): Promise<string> {
  const rewriter = openAiChatAdapter.createStreamRewriter(inspector, {});
  const out: string[] = [];
  for (const read of reads) out.push(...(await rewriter.pushMany!(read)));
  out.push(...(await rewriter.end()));
  return out.join('');
}

function parse(wire: string): { text: string; finish: string | undefined; events: SseEvent[] } {
  const p = new SseParser();
  const events = [...p.push(wire), ...p.end()];
  let text = '';
  let finish: string | undefined;
  for (const e of events) {
    if (e.data === '[DONE]') continue;
    const c = JSON.parse(e.data);
    text += c.choices?.[0]?.delta?.content ?? '';
    finish = c.choices?.[0]?.finish_reason ?? finish;
  }
  return { text, finish, events };
}

describe('streams: the events of one read judged together', () => {
  it('releases a run of plain text events with one scan, each event exactly as the upstream sent it', async () => {
    const pieces = ['The', ' quick', ' brown', ' fox', ' jumps', ' over', ' the', ' lazy', ' dog'];
    const events = stream(pieces);
    const { inspector, calls } = counted();
    const wire = await byReads([events.slice(0, 1), events.slice(1)], inspector);
    expect(calls.cleanText).toEqual([pieces.length]);
    expect(calls.text).toBe(0);
    for (const e of events.slice(1, -2)) expect(wire).toContain(formatSse(e));
    const out = parse(wire);
    expect(out.text).toBe(pieces.join(''));
    expect(out.finish).toBe('stop');
    expect(wire.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(parse(await oneByOne(events)).text).toBe(out.text);
  });

  it('redacts a secret split over the events of one read, as event by event does', async () => {
    const token = `ghp_${'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'}`;
    const events = stream(['Use ', token.slice(0, 6), token.slice(6, 20), token.slice(20), ' to deploy', ' now.']);
    const wire = await byReads([events.slice(0, 2), events.slice(2)]);
    expect(wire).not.toContain(token.slice(1));
    expect(wire).toContain('[REDACTED:secret.github_token]');
    expect(wire).toBe(await oneByOne(events));
  });

  it('redacts a value split over two reads, the text around it released', async () => {
    const events = stream(['Your ticket is TIC', 'KET-', '123, and ', 'TICKET-456 too.']);
    // The first read is clean so far: released in one piece, not as event by event cuts it.
    const wire = await byReads([events.slice(0, 3), events.slice(3)]);
    expect(parse(wire).text).toBe('Your ticket is [REDACTED:pattern.ticket], and [REDACTED:pattern.ticket] too.');
    expect(parse(await oneByOne(events)).text).toBe(parse(wire).text);
  });

  it('a block inside a read ends the stream with content_filter, releasing what event by event releases', async () => {
    const events = stream(['The code ', 'is ', 'LAU', 'NCH-', '9876 and ', 'more text']);
    const wire = await byReads([events.slice(0, 2), events.slice(2)]);
    const out = parse(wire);
    expect(out.finish).toBe('content_filter');
    expect(out.text).not.toContain('9876');
    expect(out.text).not.toContain('more');
    expect(wire).toBe(await oneByOne(events));
  });

  it('holds the tail of a read that could still become a finding: the event is cut, the rest follows later', async () => {
    const events = stream(['Ready.', ' Card', ' 4111', ' 1111']);
    const rewriter = openAiChatAdapter.createStreamRewriter(new GatewayStreamInspector(engine, outputCtx(`held${n++}`), () => true), {});
    const first = parse((await rewriter.pushMany!(events.slice(0, 5))).join(''));
    // The number may go on: it is not released yet.
    expect(first.text).not.toContain('4111');
    expect('Ready. Card'.startsWith(first.text)).toBe(true);
    const rest = parse((await rewriter.pushMany!([chunk({ content: ' 1111 1111 ok' }), ...events.slice(5)])).join(''));
    const whole = first.text + rest.text;
    expect(whole).toBe(parse(await oneByOne([...events.slice(0, 5), chunk({ content: ' 1111 1111 ok' }), ...events.slice(5)])).text);
    expect(whole).not.toContain('4111');
    expect(whole).toMatch(/^Ready\. Card \[REDACTED:pii\.[a-z_]+\] ok$/);
  });

  it('text held from an earlier read goes out in front of the next read, the rest of that read as sent', async () => {
    const events = stream(['Call', ' me', ' at', ' 555-01', '23 or', ' later', ' today']);
    const wire = await byReads([events.slice(0, 5), events.slice(5)], new GatewayStreamInspector(defaults, outputCtx(`carry${n++}`), () => true));
    expect(parse(wire).text).toBe('Call me at 555-0123 or later today');
    expect(wire).toContain(formatSse(events[7]!));
  });

  it('anthropic: a run of text deltas is judged in one scan, held text carried in front', async () => {
    const ev = (type: string, data: Record<string, unknown>): SseEvent => ({ event: type, data: JSON.stringify({ type, ...data }) });
    const delta = (text: string): SseEvent => ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
    const token = `ghp_${'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'}`;
    const events = [
      ev('message_start', { message: { id: 'msg_b', type: 'message', role: 'assistant', model: 'claude-test', content: [], usage: { input_tokens: 1, output_tokens: 1 } } }),
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      delta('Hello'),
      delta(' there, 555-01'),
      delta('23 is'),
      delta(' the'),
      delta(' number'),
      delta(` and ${token.slice(0, 9)}`),
      delta(`${token.slice(9)} is`),
      delta(' the key'),
      ev('content_block_stop', { index: 0 }),
      ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 9 } }),
      ev('message_stop', {}),
    ];
    const { anthropicMessagesAdapter } = await import('../../src/providers/anthropic-messages.js');
    const inspector = new GatewayStreamInspector(defaults, outputCtx(`anth${n++}`), () => true);
    const rewriter = anthropicMessagesAdapter.createStreamRewriter(inspector, {});
    const wire = [...(await rewriter.push(events[0]!)), ...(await rewriter.pushMany!(events.slice(1, 5))), ...(await rewriter.pushMany!(events.slice(5)))].join('');
    const p = new SseParser();
    let text = '';
    for (const e of [...p.push(wire), ...p.end()]) {
      const d = JSON.parse(e.data);
      if (d.type === 'content_block_delta') text += d.delta.text;
    }
    expect(text).toBe('Hello there, 555-0123 is the number and [REDACTED:secret.github_token] is the key');
    expect(wire).toContain(formatSse(events[6]!));
    expect(wire).toContain('event: message_stop');
  });

  it('reads an event by its envelope only when that is exact: other escapes and extra fields go through whole', async () => {
    const events = stream(['One', ' two', ' three', ' four']);
    const odd = [
      { data: events[1]!.data.replace('"One"', '" \\u00e9t\\u00e9"') }, // " été", escaped otherwise than JSON.stringify
      { data: events[1]!.data.replace('"One"', '" x","refusal":null') }, // a field more in the delta
      { data: events[1]!.data.replace('"One"', '" a\\"b"') },
    ];
    const wire = await byReads([events.slice(0, 1), [...events.slice(1, 3), ...odd, ...events.slice(3)]], new GatewayStreamInspector(defaults, outputCtx(`odd${n++}`), () => true));
    const out = parse(wire);
    expect(out.text).toBe('One two été x a"b three four');
    for (const e of odd) expect(wire).toContain(formatSse(e));
    expect(out.finish).toBe('stop');
  });

  it('a tool call in the middle of a read is still held until complete', async () => {
    const tool = (args: string, first = false): SseEvent =>
      chunk({ tool_calls: [{ index: 0, ...(first ? { id: 'call_1', type: 'function' } : {}), function: { ...(first ? { name: 'exec' } : {}), arguments: args } }] });
    const events = [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Cleaning' }), chunk({ content: ' up.' }), tool('{"command":"rm', true), tool(' -rf /"}'), chunk({}, 'tool_calls'), DONE];
    const wire = await byReads([events.slice(0, 2), events.slice(2)]);
    expect(wire).toBe(await oneByOne(events));
    expect(parse(wire).text).toContain('Cleaning up.');
  });
});
