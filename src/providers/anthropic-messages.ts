import { z } from 'zod';
import type { Segment } from '../core/index.js';
import {
  type ErrorSpec,
  type ProviderAdapter,
  segmentAt,
  type SegmentProvenance,
  type SegmentRewrite,
  setAtPath,
  type StreamInspector,
  type StreamRewriter,
  type ToolCallRefusal,
} from './adapter.js';
import { formatSse, type SseEvent } from './sse.js';
import { TextEnvelope } from './text-envelope.js';
import { checkRequest, isRecord, isTypedBlockArray } from './validate.js';
import { toolDefinitionSegments } from './tool-definitions.js';

const blockSchema = z.looseObject({ type: z.string() });
/** Exported for tests: the request fast path (acceptsRequest) must accept nothing this rejects. */
export const requestSchema = z.looseObject({
  model: z.string().min(1, 'must be a non-empty string'),
  max_tokens: z.number().int().positive(),
  system: z.union([z.string(), z.array(blockSchema)]).optional(),
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(blockSchema)]) })).min(1, 'must hold at least one message'),
  stream: z.boolean().optional(),
});

/** What `requestSchema` accepts, checked without zod (see checkRequest); anything else goes to the schema. */
function acceptsRequest(body: Record<string, unknown>): boolean {
  const { model, max_tokens: maxTokens, system, messages, stream } = body;
  if (typeof model !== 'string' || model.length === 0 || !Array.isArray(messages) || messages.length === 0) return false;
  if (!Number.isSafeInteger(maxTokens) || (maxTokens as number) <= 0) return false;
  if (system !== undefined && typeof system !== 'string' && !isTypedBlockArray(system)) return false;
  if (stream !== undefined && typeof stream !== 'boolean') return false;
  for (let i = 0; i < messages.length; i++) {
    const m: unknown = messages[i];
    if (!isRecord(m) || (m.role !== 'user' && m.role !== 'assistant')) return false;
    if (typeof m.content !== 'string' && !isTypedBlockArray(m.content)) return false;
  }
  return true;
}

type Proto = SegmentProvenance;

function push(out: Segment[], proto: Proto, path: (string | number)[], text: string): void {
  out.push(segmentAt(proto, path, text));
}

/** A tool_use block's provenance: `{ ...message, kind: 'tool_call', toolName, toolCallId }`, written out (see segmentAt). */
function toolCallProto(message: Proto, block: { name?: unknown; id?: unknown }): Proto {
  return { direction: message.direction, role: message.role, kind: 'tool_call', trusted: message.trusted, toolName: block.name as string, toolCallId: block.id as string };
}

/** Anthropic tool inputs are JSON objects; a segment holds their JSON text. */
function toolInputText(input: unknown): string {
  return JSON.stringify(input ?? {});
}

/**
 * The text the model reads inside blocks other than `text`: a `document` (plain-text `source.data`, a
 * `content` source's blocks, its `title` and `context`) and a `search_result` (its blocks and `title`),
 * in a message or a tool result. Their text reached the provider unguarded (injection, personal data
 * and secrets alike). Nested blocks go one level deep at most, as the API allows.
 */
function nestedTexts(out: Segment[], proto: Proto, block: any, path: (string | number)[], depth: number): void {
  if (block === null || typeof block !== 'object' || depth > 2) return;
  if (block.type === 'text' && typeof block.text === 'string') {
    push(out, proto, [...path, 'text'], block.text);
    return;
  }
  if (block.type !== 'document' && block.type !== 'search_result') return;
  for (const field of ['title', 'context'] as const) if (typeof block[field] === 'string') push(out, proto, [...path, field], block[field]);
  const source = block.source;
  if (block.type === 'document' && source && typeof source === 'object') {
    if (source.type === 'text' && typeof source.data === 'string') push(out, proto, [...path, 'source', 'data'], source.data);
    else if (source.type === 'content') {
      if (typeof source.content === 'string') push(out, proto, [...path, 'source', 'content'], source.content);
      else if (Array.isArray(source.content)) source.content.forEach((c: any, k: number) => nestedTexts(out, proto, c, [...path, 'source', 'content', k], depth + 1));
    }
  }
  if (block.type === 'search_result' && Array.isArray(block.content)) block.content.forEach((c: any, k: number) => nestedTexts(out, proto, c, [...path, 'content', k], depth + 1));
}

const NOT_JSON = Symbol('not JSON');

function parseEvent(event: SseEvent): unknown {
  try {
    return JSON.parse(event.data);
  } catch {
    return NOT_JSON;
  }
}

/** A `text_delta` event read by its envelope (see TextEnvelope): its block and text, the event unparsed. */
class TextDelta {
  constructor(
    readonly index: unknown,
    readonly text: string,
  ) {}
}

/** A parsed event that is a non-empty `text_delta` naming its own type (an envelope can be learned from it). */
function isTextDelta(data: any): boolean {
  return data !== null && typeof data === 'object' && data.type === 'content_block_delta' && data.delta?.type === 'text_delta' && typeof data.delta.text === 'string' && data.delta.text !== '';
}

class AnthropicStreamRewriter implements StreamRewriter {
  done = false;
  intervened = false;
  outputTokens: number | undefined;
  failure: string | undefined;
  private readonly textBlocks = new Set<number>();
  private readonly toolBlocks = new Map<number, { start: any; json: string }>();
  private allowedTools = 0;
  private refusedTools = 0;

  /** How this stream's text deltas look around their text, once learned (see `read`). */
  private envelope: TextEnvelope | undefined;
  private envelopeTries = 0;

  constructor(private readonly inspector: StreamInspector) {}

  /**
   * An event read: a TextDelta when it is in the stream's text envelope (the event's string read, no
   * parse), else the parsed JSON (NOT_JSON when it is not).
   */
  private read(event: SseEvent): unknown {
    const envelope = this.envelope;
    if (envelope !== undefined) {
      const text = envelope.textOf(event.data);
      if (text !== undefined && text !== '') return new TextDelta(envelope.source.index, text);
    }
    const data = parseEvent(event);
    if (envelope === undefined && this.envelopeTries < 3 && isTextDelta(data)) {
      this.envelopeTries++;
      const index = (data as any).index;
      this.envelope = TextEnvelope.learn(event.data, (data as any).delta.text, (probe, text) => isTextDelta(probe) && probe.delta.text === text && Object.is(probe.index, index));
    }
    return data;
  }

  private emit(event: string, data: unknown): string {
    return formatSse({ event, data: JSON.stringify(data) });
  }

  private blockedEnd(index: number): string[] {
    this.done = true;
    this.intervened = true;
    return [
      this.emit('content_block_stop', { type: 'content_block_stop', index }),
      this.emit('message_delta', { type: 'message_delta', delta: { stop_reason: 'refusal', stop_sequence: null }, usage: { output_tokens: 0 } }),
      this.emit('message_stop', { type: 'message_stop' }),
    ];
  }

  async push(event: SseEvent): Promise<string[]> {
    if (this.done) return [];
    return this.pushParsed(event, this.read(event));
  }

  async pushMany(events: readonly SseEvent[]): Promise<string[]> {
    if (events.length === 1) return this.push(events[0]!);
    const out: string[] = [];
    const parsed = events.map((e) => this.read(e));
    for (let i = 0; i < events.length && !this.done; ) {
      const index = this.plainIndex(events[i]!, parsed[i]);
      let j = i + 1;
      if (index !== undefined && this.inspector.cleanText) while (j < events.length && this.plainIndex(events[j]!, parsed[j]) === index) j++;
      if (j - i < 2 || !(await this.cleanRun(events, parsed, i, j, index!, out))) {
        for (let k = i; k < j && !this.done; k++) for (const e of await this.pushParsed(events[k]!, parsed[k])) out.push(e);
      }
      i = j;
    }
    return out;
  }

  /** The block index of a text delta (non-empty) for an open text block, else undefined. */
  private plainIndex(event: SseEvent, data: any): number | undefined {
    if (data instanceof TextDelta) return this.textBlocks.has(data.index as number) ? (data.index as number) : undefined;
    if (data === null || typeof data !== 'object' || (data.type ?? event.event) !== 'content_block_delta') return undefined;
    const delta = data.delta;
    if (delta?.type !== 'text_delta' || typeof delta.text !== 'string' || delta.text === '' || !this.textBlocks.has(data.index)) return undefined;
    return data.index;
  }

  /**
   * A run of text deltas of one block judged in one scan: those released whole go out as sent, text
   * held from earlier deltas goes in front of the first one, and the first one not wholly released
   * carries the part that is (as `push` does). False, with nothing consumed, when the run needs a
   * change: `push` then takes it delta by delta.
   */
  private async cleanRun(events: readonly SseEvent[], parsed: readonly any[], from: number, to: number, index: number, out: string[]): Promise<boolean> {
    const texts: string[] = [];
    for (let k = from; k < to; k++) texts.push(parsed[k] instanceof TextDelta ? parsed[k].text : parsed[k].delta.text);
    const release = await this.inspector.cleanText!(`content[${index}]`, texts);
    if (release === undefined) return false;
    const released = release.text;
    let at = 0;
    for (let k = from; k < to && at < released.length; k++) {
      const carried = k === from ? release.carried : 0;
      const text = texts[k - from]!;
      const end = Math.min(released.length, at + carried + text.length);
      if (carried === 0 && end - at === text.length) out.push(formatSse(events[k]!));
      else {
        const data = parsed[k] instanceof TextDelta ? JSON.parse(events[k]!.data) : parsed[k];
        out.push(this.emit('content_block_delta', { ...data, delta: { ...data.delta, text: released.slice(at, end) } }));
      }
      at = end;
    }
    return true;
  }

  private async pushParsed(event: SseEvent, data: any): Promise<string[]> {
    if (this.done) return [];
    if (data instanceof TextDelta) data = JSON.parse(event.data); // in its envelope: JSON, and the event it was read as
    if (data === NOT_JSON) return this.fail('the upstream sent an event that is not JSON');
    if (data === null || typeof data !== 'object') return this.fail('the upstream sent an unexpected event');
    const type = data?.type ?? event.event;
    const raw = formatSse(event);
    switch (type) {
      case 'content_block_start': {
        const block = data.content_block;
        if (block?.type === 'tool_use') {
          const initial = block.input && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
          this.toolBlocks.set(data.index, { start: data, json: initial });
          return [];
        }
        if (block?.type === 'text') {
          this.textBlocks.add(data.index);
          if (typeof block.text === 'string' && block.text !== '') {
            const release = await this.inspector.text(`content[${data.index}]`, block.text);
            if (release.blocked) return [this.emit('content_block_start', { ...data, content_block: { ...block, text: '' } }), ...this.blockedEnd(data.index)];
            return [this.emit('content_block_start', { ...data, content_block: { ...block, text: release.text } })];
          }
        }
        return [raw];
      }
      case 'content_block_delta': {
        const delta = data.delta;
        if (delta?.type === 'text_delta' && this.textBlocks.has(data.index)) {
          const release = await this.inspector.text(`content[${data.index}]`, delta.text ?? '');
          if (release.blocked) return this.blockedEnd(data.index);
          if (release.text === '') return [];
          return release.text === delta.text ? [raw] : [this.emit('content_block_delta', { ...data, delta: { ...delta, text: release.text } })];
        }
        if (delta?.type === 'input_json_delta' && this.toolBlocks.has(data.index)) {
          this.toolBlocks.get(data.index)!.json += delta.partial_json ?? '';
          return [];
        }
        // Text or tool input for a block that is not open (never started, or stopped already) would pass
        // unjudged: no provider sends it, so the stream ends the provider's way instead.
        if (delta?.type === 'text_delta') return this.fail('the upstream sent text for a content block that is not open');
        if (delta?.type === 'input_json_delta') return this.fail('the upstream sent tool input for a content block that is not open');
        return [raw];
      }
      case 'content_block_stop': {
        const index = data.index;
        if (this.textBlocks.has(index)) {
          this.textBlocks.delete(index);
          const rest = await this.inspector.endText(`content[${index}]`);
          if (rest.blocked) return this.blockedEnd(index);
          return rest.text ? [this.emit('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: rest.text } }), raw] : [raw];
        }
        const tool = this.toolBlocks.get(index);
        if (tool) {
          this.toolBlocks.delete(index);
          const block = tool.start.content_block;
          const verdict = await this.inspector.toolCall({ channel: `content[${index}]`, id: block.id, name: block.name, arguments: tool.json || '{}' });
          if (verdict.action === 'allow') {
            this.allowedTools++;
            return [
              this.emit('content_block_start', { ...tool.start, content_block: { ...block, input: {} } }),
              this.emit('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: verdict.arguments } }),
              raw,
            ];
          }
          this.refusedTools++;
          this.intervened = true;
          return [
            this.emit('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }),
            this.emit('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: verdict.message } }),
            raw,
          ];
        }
        return [raw];
      }
      case 'message_delta': {
        if (typeof data.usage?.output_tokens === 'number') this.outputTokens = data.usage.output_tokens;
        if (this.refusedTools > 0 && this.allowedTools === 0 && data.delta?.stop_reason === 'tool_use') {
          // The agent reads the refusal text and goes on: a normal end of turn, not a provider failure.
          return [this.emit('message_delta', { ...data, delta: { ...data.delta, stop_reason: 'end_turn' } })];
        }
        return [raw];
      }
      case 'message_stop':
      case 'error':
        this.done = true;
        return [raw];
      default:
        return [raw];
    }
  }

  async end(): Promise<string[]> {
    if (this.done) return [];
    // The upstream closed without message_stop: the answer is incomplete, say so the provider's way.
    return this.fail('the upstream closed the stream before message_stop');
  }

  fail(message: string): string[] {
    if (this.done) return [];
    this.done = true;
    this.failure = message;
    return [this.emit('error', { type: 'error', error: { type: 'api_error', message } })];
  }
}

export const anthropicMessagesAdapter: ProviderAdapter = {
  api: 'anthropic-messages',
  upstreamPath: '/v1/messages',
  forwardHeaders: ['content-type', 'accept', 'user-agent', 'anthropic-version', 'anthropic-beta', 'traceparent', 'tracestate'],

  validateRequest: (body) => checkRequest(requestSchema, body, acceptsRequest),

  requestSegments(body) {
    const segments: Segment[] = [];
    const system: Proto = { direction: 'input', role: 'system', kind: 'message', trusted: true };
    if (typeof body.system === 'string') push(segments, system, ['system'], body.system);
    else if (Array.isArray(body.system)) {
      body.system.forEach((b: any, j: number) => {
        if (b?.type === 'text' && typeof b.text === 'string') push(segments, system, ['system', j, 'text'], b.text);
      });
    }
    const toolNames = new Map<string, string>();
    body.messages.forEach((m: any, i: number) => {
      const role = m.role as 'user' | 'assistant';
      const message: Proto = { direction: 'input', role, kind: 'message', trusted: false };
      if (typeof m.content === 'string') {
        push(segments, message, ['messages', i, 'content'], m.content);
        return;
      }
      m.content.forEach((b: any, j: number) => {
        if (b?.type === 'text' && typeof b.text === 'string') push(segments, message, ['messages', i, 'content', j, 'text'], b.text);
        else if (b?.type === 'tool_use') {
          if (typeof b.id === 'string' && typeof b.name === 'string') toolNames.set(b.id, b.name);
          push(segments, toolCallProto(message, b), ['messages', i, 'content', j, 'input'], toolInputText(b.input));
        } else if (b?.type === 'tool_result') {
          const toolName = toolNames.get(b.tool_use_id) ?? toolNames.get(String(b.tool_use_id).replace(/[^A-Za-z0-9]/g, ''));
          const result: Proto = { direction: 'input', role: 'tool', kind: 'tool_result', trusted: false, ...(toolName ? { toolName } : {}), toolCallId: b.tool_use_id };
          if (typeof b.content === 'string') push(segments, result, ['messages', i, 'content', j, 'content'], b.content);
          else if (Array.isArray(b.content)) {
            b.content.forEach((c: any, k: number) => {
              if (c?.type === 'text' && typeof c.text === 'string') push(segments, result, ['messages', i, 'content', j, 'content', k, 'text'], c.text);
              else nestedTexts(segments, result, c, ['messages', i, 'content', j, 'content', k], 0);
            });
          }
        } else nestedTexts(segments, message, b, ['messages', i, 'content', j], 0);
      });
    });
    toolDefinitionSegments(segments, body, { list: 'tools', schema: 'input_schema' });
    // `metadata.user_id`: the end user's id, stored by the provider; an e-mail address put there reached
    // it in clear. Read after the messages, as untrusted client input (a placeholder is still one id).
    const userId = body.metadata?.user_id;
    if (typeof userId === 'string' && userId !== '') push(segments, { direction: 'input', role: 'user', kind: 'message', trusted: false }, ['metadata', 'user_id'], userId);
    return { segments, messageCount: body.messages.length };
  },

  applyRequestRewrites(body, rewrites) {
    const byId = new Map(anthropicMessagesAdapter.requestSegments(body).segments.map((s) => [s.id, s]));
    for (const r of rewrites) {
      const segment = byId.get(r.segmentId);
      if (!segment) continue;
      setAtPath(body, segment.path, segment.kind === 'tool_call' ? JSON.parse(r.text) : r.text);
    }
  },

  responseSegments(body) {
    const segments: Segment[] = [];
    if (!Array.isArray(body?.content)) return segments;
    const proto: Proto = { direction: 'output', role: 'assistant', kind: 'message', trusted: false };
    body.content.forEach((b: any, j: number) => {
      if (b?.type === 'text' && typeof b.text === 'string') push(segments, proto, ['content', j, 'text'], b.text);
      else if (b?.type === 'tool_use') push(segments, toolCallProto(proto, b), ['content', j, 'input'], toolInputText(b.input));
    });
    return segments;
  },

  applyResponseRewrites(body, rewrites: readonly SegmentRewrite[], refusals: readonly ToolCallRefusal[]) {
    const byId = new Map(anthropicMessagesAdapter.responseSegments(body).map((s) => [s.id, s]));
    for (const r of rewrites) {
      const segment = byId.get(r.segmentId);
      if (segment) setAtPath(body, segment.path, segment.kind === 'tool_call' ? JSON.parse(r.text) : r.text);
    }
    for (const r of refusals) {
      const segment = byId.get(r.segmentId);
      if (segment) body.content[segment.path[1] as number] = { type: 'text', text: r.message };
    }
    if (refusals.length > 0 && !body.content.some((b: any) => b?.type === 'tool_use') && body.stop_reason === 'tool_use') {
      body.stop_reason = 'end_turn';
    }
  },

  createStreamRewriter: (inspector: StreamInspector) => new AnthropicStreamRewriter(inspector),

  errorBody(error: ErrorSpec) {
    return { type: 'error', error: { type: error.type, message: error.message, ...(error.param ? { param: error.param } : {}), ...error.extra } };
  },

  authHeaders: (apiKey) => ({ 'x-api-key': apiKey }),

  providerTools(body) {
    const out: string[] = [];
    if (Array.isArray(body?.tools)) {
      for (const t of body.tools) {
        const type = t?.type;
        // Untyped and `custom` tools, and Anthropic's client tools (bash, text editor, computer use, memory),
        // come back as tool_use blocks the agent runs; any other type is a server tool (web search, web
        // fetch, code execution, and types not known yet).
        if (typeof type === 'string' && type !== 'custom' && !/^(?:bash|text_editor|computer|memory)_\d/.test(type)) out.push(type);
      }
    }
    if (Array.isArray(body?.mcp_servers) && body.mcp_servers.length > 0) out.push('mcp_servers');
    return out;
  },

  outputTokens: (body) => (typeof body?.usage?.output_tokens === 'number' ? body.usage.output_tokens : undefined),
};
