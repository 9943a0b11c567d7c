import { z } from 'zod';
import type { Role, Segment } from '../core/index.js';
import {
  type ErrorSpec,
  type ProviderAdapter,
  refusalText,
  segmentAt,
  type SegmentProvenance,
  type SegmentRewrite,
  segmentPathId,
  setAtPath,
  type StreamInspector,
  type StreamRewriter,
  type TextRelease,
  type ToolCallRefusal,
} from './adapter.js';
import { formatSseData, type SseEvent } from './sse.js';
import { TextEnvelope } from './text-envelope.js';
import { checkRequest, isRecord, isTypedBlockArray } from './validate.js';
import { schemaDescriptions, toolDefinitionSegments } from './tool-definitions.js';

const toolCallSchema = z.looseObject({
  id: z.string(),
  type: z.string().optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});
const messageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string() })), z.null()]).optional(),
  tool_calls: z.array(toolCallSchema).nullish(),
  tool_call_id: z.string().optional(),
});
/** Exported for tests: the request fast path (acceptsRequest) must accept nothing this rejects. */
export const requestSchema = z.looseObject({
  model: z.string().min(1, 'must be a non-empty string'),
  messages: z.array(messageSchema).min(1, 'must hold at least one message'),
  stream: z.boolean().nullish(),
  n: z.number().int().min(1).max(128).nullish(),
});

const ROLES: ReadonlySet<unknown> = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

/** `n`: absent, null, or a whole number from 1 to 128. */
function validN(n: unknown): boolean {
  return n === undefined || n === null || (Number.isSafeInteger(n) && (n as number) >= 1 && (n as number) <= 128);
}

function validToolCalls(calls: unknown): boolean {
  if (calls === undefined || calls === null) return true;
  if (!Array.isArray(calls)) return false;
  for (let i = 0; i < calls.length; i++) {
    const call: unknown = calls[i];
    if (!isRecord(call) || typeof call.id !== 'string' || (call.type !== undefined && typeof call.type !== 'string')) return false;
    const fn = call.function;
    if (!isRecord(fn) || typeof fn.name !== 'string' || typeof fn.arguments !== 'string') return false;
  }
  return true;
}

/** What `requestSchema` accepts, checked without zod (see checkRequest); anything else goes to the schema. */
function acceptsRequest(body: Record<string, unknown>): boolean {
  const { model, messages, stream } = body;
  if (typeof model !== 'string' || model.length === 0 || !Array.isArray(messages) || messages.length === 0) return false;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') return false;
  if (!validN(body.n)) return false;
  for (let i = 0; i < messages.length; i++) {
    const m: unknown = messages[i];
    if (!isRecord(m) || !ROLES.has(m.role)) return false;
    const content = m.content;
    if (content !== undefined && content !== null && typeof content !== 'string' && !isTypedBlockArray(content)) return false;
    if (!validToolCalls(m.tool_calls)) return false;
    if (m.tool_call_id !== undefined && typeof m.tool_call_id !== 'string') return false;
  }
  return true;
}

function roleOf(role: string): Role {
  return role === 'function' ? 'tool' : (role as Role);
}

/** Tool-call ids come back rewritten by some agents (`call_fake2` → `callfake2`): match loosely too. */
function looseId(id: string): string {
  return id.replace(/[^A-Za-z0-9]/g, '');
}

function textSegments(out: Segment[], content: unknown, base: (string | number)[], proto: SegmentProvenance): void {
  if (typeof content === 'string') {
    out.push(segmentAt(proto, base, content));
  } else if (Array.isArray(content)) {
    content.forEach((part: any, j: number) => {
      if (part && part.type === 'text' && typeof part.text === 'string') {
        out.push(segmentAt(proto, [...base, j, 'text'], part.text));
      } else if (part && part.type === 'refusal' && typeof part.refusal === 'string') {
        out.push(segmentAt(proto, [...base, j, 'refusal'], part.refusal));
      }
    });
  }
}

/**
 * Request fields outside the messages that reach the provider as text: `user`, `safety_identifier`,
 * `prompt_cache_key` and the string values of `metadata` (the provider stores them; an e-mail address
 * put there as the end user's id reached it in clear), `prediction.content` (text the model reads as
 * its predicted output) and the `response_format.json_schema` description and schema descriptions (the
 * model reads them as instructions). Untrusted client input, read after the messages: a placeholder
 * keeps their meaning (an id stays one id per conversation). Anything else in them passes as sent.
 */
function requestFieldSegments(out: Segment[], body: any): void {
  const proto: SegmentProvenance = { direction: 'input', role: 'user', kind: 'message', trusted: false };
  for (const field of ['user', 'safety_identifier', 'prompt_cache_key'] as const) {
    if (typeof body[field] === 'string' && body[field] !== '') out.push(segmentAt(proto, [field], body[field]));
  }
  const metadata = body.metadata;
  if (isRecord(metadata)) {
    for (const key of Object.keys(metadata)) if (typeof metadata[key] === 'string' && metadata[key] !== '') out.push(segmentAt(proto, ['metadata', key], metadata[key] as string));
  }
  const prediction = body.prediction;
  if (isRecord(prediction)) textSegments(out, prediction.content, ['prediction', 'content'], proto);
  const format = body.response_format;
  if (isRecord(format) && isRecord(format.json_schema)) {
    const def = format.json_schema;
    if (typeof def.description === 'string' && def.description !== '') out.push(segmentAt(proto, ['response_format', 'json_schema', 'description'], def.description));
    schemaDescriptions(out, proto, def.schema, ['response_format', 'json_schema', 'schema']);
  }
}

const NOT_JSON = Symbol('not JSON');
const DONE = Symbol('[DONE]');

/** An event that carries only a text delta for one choice (no tool calls, no finish, no error). */
class PlainText {
  constructor(
    readonly data: string,
    readonly content: string,
    readonly index: number,
    /** Its envelope and usage (shared, never changed). */
    readonly source: any,
    private chunk: any,
  ) {}

  /** The event's JSON, its own copy (the caller may change it). */
  parsed(): any {
    const chunk = this.chunk ?? JSON.parse(this.data);
    this.chunk = undefined;
    return chunk;
  }
}

/** The choice index of a chunk that carries only a text delta for one choice, else undefined. */
function plainTextIndex(chunk: any): number | undefined {
  if (chunk === null || typeof chunk !== 'object' || chunk.error || !Array.isArray(chunk.choices) || chunk.choices.length !== 1) return undefined;
  const choice = chunk.choices[0];
  if (choice === null || typeof choice !== 'object' || choice.finish_reason) return undefined;
  const delta = choice.delta;
  if (delta === null || typeof delta !== 'object' || delta.tool_calls !== undefined || delta.function_call !== undefined || typeof delta.content !== 'string' || delta.content === '') return undefined;
  return typeof choice.index === 'number' ? choice.index : 0;
}

/** The text fields of a streamed choice's delta, judged each on its own channel. */
const TEXT_FIELDS = ['content', 'refusal'] as const;

function textChannel(index: number, field: (typeof TEXT_FIELDS)[number]): string {
  return field === 'content' ? `choices[${index}]` : `choices[${index}].refusal`;
}

function envelope(chunk: any): any {
  const { choices: _choices, usage: _usage, ...rest } = chunk;
  return rest;
}

class OpenAiStreamRewriter implements StreamRewriter {
  done = false;
  intervened = false;
  outputTokens: number | undefined;
  failure: string | undefined;
  private readonly finished = new Set<number>();
  private readonly blocked = new Set<number>();
  private readonly tools = new Map<number, Map<number, { id: string; name: string; args: string }>>();
  /** Legacy `function_call` deltas per choice, held like tool calls until the choice ends. */
  private readonly functionCalls = new Map<number, { name: string; args: string }>();
  private readonly textEnded = new Set<number>();
  /** Choices that streamed `refusal` text (a channel of its own, judged like content). */
  private readonly refusals = new Set<number>();
  /** The last chunk read (its envelope, without choices and usage, dresses the chunks made here). */
  private last: any = { object: 'chat.completion.chunk' };
  /** How this stream's plain text events look around their content, once learned (see `read`). */
  private shape: TextEnvelope | undefined;
  /** The choice of the events in `shape`. */
  private shapeIndex = 0;
  private shapeTries = 0;

  constructor(
    private readonly inspector: StreamInspector,
    private readonly choiceCount: number,
  ) {}

  private chunk(choice: unknown): string {
    return formatSseData(JSON.stringify({ ...envelope(this.last), choices: [choice] }));
  }

  private async flushChoice(index: number, delta: any): Promise<{ finish?: string }> {
    let finish: string | undefined;
    for (const field of TEXT_FIELDS) {
      const open = field === 'content' ? !this.textEnded.has(index) : this.refusals.has(index);
      if (!open) continue;
      if (field === 'content') this.textEnded.add(index);
      else this.refusals.delete(index);
      const rest = await this.inspector.endText(textChannel(index, field));
      if (rest.blocked) {
        this.intervened = true;
        this.blocked.add(index);
        return { finish: 'content_filter' };
      }
      if (rest.text) delta[field] = (typeof delta[field] === 'string' ? delta[field] : '') + rest.text;
    }
    const legacy = this.functionCalls.get(index);
    if (legacy) {
      this.functionCalls.delete(index);
      const verdict = await this.inspector.toolCall({ channel: `choices[${index}]`, id: 'function_call', name: legacy.name, arguments: legacy.args });
      if (verdict.action === 'allow') delta.function_call = { name: legacy.name, arguments: verdict.arguments };
      else {
        this.intervened = true;
        delta.content = (typeof delta.content === 'string' ? delta.content : '') + verdict.message;
        finish = 'stop';
      }
    }
    const pending = this.tools.get(index);
    if (pending && pending.size > 0) {
      const allowed: any[] = [];
      const notices: string[] = [];
      for (const [, call] of [...pending.entries()].sort((a, b) => a[0] - b[0])) {
        const verdict = await this.inspector.toolCall({ channel: `choices[${index}]`, id: call.id, name: call.name, arguments: call.args });
        if (verdict.action === 'allow') {
          allowed.push({ index: allowed.length, id: call.id, type: 'function', function: { name: call.name, arguments: verdict.arguments } });
        } else {
          notices.push(verdict.message);
        }
      }
      pending.clear();
      if (allowed.length > 0) delta.tool_calls = allowed;
      if (notices.length > 0) {
        this.intervened = true;
        delta.content = (typeof delta.content === 'string' ? delta.content : '') + notices.join('\n');
        // The agent must be able to read the refusal and go on: a normal stop, not a provider failure.
        if (allowed.length === 0) finish = 'stop';
      }
    }
    return finish ? { finish } : {};
  }

  async push(event: SseEvent): Promise<string[]> {
    if (this.done) return [];
    return this.pushItem(event, this.read(event));
  }

  async pushMany(events: readonly SseEvent[]): Promise<string[]> {
    if (events.length === 1) return this.push(events[0]!);
    const out: string[] = [];
    const items = events.map((e) => this.read(e));
    for (let i = 0; i < items.length && !this.done; ) {
      const index = this.plainIndex(items[i]);
      let j = i + 1;
      if (index !== undefined && this.inspector.cleanText) while (j < items.length && this.plainIndex(items[j]) === index) j++;
      if (j - i < 2 || !(await this.cleanRun(items as PlainText[], i, j, index!, out))) {
        for (let k = i; k < j && !this.done; k++) for (const e of await this.pushItem(events[k]!, items[k])) out.push(e);
      }
      i = j;
    }
    return out;
  }

  /**
   * An event read: `[DONE]`, a plain text delta (PlainText), or the parsed JSON (NOT_JSON when it is
   * not). Once the stream's plain text events are known to be `head` + a JSON string + `tail` (OpenAI
   * repeats the same envelope on every chunk), such an event costs the parse of its string only.
   */
  private read(event: SseEvent): unknown {
    const data = event.data;
    if (data === '[DONE]') return DONE;
    const shape = this.shape;
    if (shape !== undefined) {
      const content = shape.textOf(data);
      if (content !== undefined && content !== '') return new PlainText(data, content, this.shapeIndex, shape.source, undefined);
    }
    let chunk: any;
    try {
      chunk = JSON.parse(data);
    } catch {
      return NOT_JSON;
    }
    const index = plainTextIndex(chunk);
    if (index === undefined) return chunk;
    const content: string = chunk.choices[0].delta.content;
    if (this.shape === undefined && this.shapeTries < 3) this.learnShape(data, content, index);
    return new PlainText(data, content, index, chunk, chunk);
  }

  /** Learns the envelope of the stream's plain text events from one of them (see TextEnvelope.learn). */
  private learnShape(data: string, content: string, index: number): void {
    this.shapeTries++;
    this.shape = TextEnvelope.learn(data, content, (probe, text) => plainTextIndex(probe) === index && probe.choices[0].delta.content === text);
    this.shapeIndex = index;
  }

  /** The choice of a plain text event whose choice is still open, else undefined. */
  private plainIndex(item: unknown): number | undefined {
    return item instanceof PlainText && !this.finished.has(item.index) ? item.index : undefined;
  }

  private pushItem(event: SseEvent, item: unknown): Promise<string[]> {
    if (item === DONE) return this.end();
    if (item instanceof PlainText) return this.finished.has(item.index) ? this.pushParsed(event, item.parsed()) : this.pushPlain(event, item);
    return this.pushParsed(event, item);
  }

  /** A plain text event: passed on as sent when its text is released unchanged; otherwise as `pushParsed` would. */
  private async pushPlain(event: SseEvent, item: PlainText): Promise<string[]> {
    const release = await this.inspector.text(`choices[${item.index}]`, item.content);
    if (release.blocked || release.text !== item.content) return this.pushParsed(event, item.parsed(), release);
    this.noteUsage(item.source);
    this.last = item.source;
    return [formatSseData(item.data)];
  }

  private noteUsage(chunk: any): void {
    if (typeof chunk.usage?.completion_tokens === 'number') this.outputTokens = chunk.usage.completion_tokens;
  }

  /**
   * A run of plain text events judged in one scan. Events wholly released go out as the upstream sent
   * them; text held from earlier deltas goes in front of the first one, the first one not wholly
   * released carries the part that is, and the rest wait (all as `push` does). False, with nothing
   * consumed, when the run needs a change: `push` then takes it event by event.
   */
  private async cleanRun(items: readonly PlainText[], from: number, to: number, index: number, out: string[]): Promise<boolean> {
    const deltas: string[] = [];
    for (let k = from; k < to; k++) deltas.push(items[k]!.content);
    const release = await this.inspector.cleanText!(`choices[${index}]`, deltas);
    if (release === undefined) return false;
    const released = release.text;
    let at = 0;
    for (let k = from; k < to; k++) {
      const item = items[k]!;
      this.noteUsage(item.source);
      const carried = k === from ? release.carried : 0;
      const end = Math.min(released.length, at + carried + item.content.length);
      if (carried === 0 && end - at === item.content.length) {
        at = end;
        out.push(formatSseData(item.data));
        continue;
      }
      const chunk = item.parsed();
      const choice = chunk.choices[0];
      const delta = choice.delta;
      if (end > at) delta.content = released.slice(at, end);
      else delete delta.content;
      at = end;
      if (Object.keys(delta).length > 0 || choice.logprobs) out.push(formatSseData(JSON.stringify(chunk)));
      else if (chunk.usage) out.push(formatSseData(JSON.stringify({ ...chunk, choices: [] })));
    }
    this.last = items[to - 1]!.source;
    return true;
  }

  /** `given`: the release for the text of a plain text event, already asked of the inspector. */
  private async pushParsed(event: SseEvent, chunk: any, given?: TextRelease): Promise<string[]> {
    if (this.done) return [];
    if (chunk === NOT_JSON) return this.fail('the upstream sent an event that is not JSON');
    if (chunk === null || typeof chunk !== 'object') return this.fail('the upstream sent an unexpected event');
    if (chunk.error) {
      this.done = true;
      return [formatSseData(event.data)];
    }
    this.noteUsage(chunk);
    if (!Array.isArray(chunk.choices) || chunk.choices.length === 0) return [formatSseData(event.data)];
    this.last = chunk;
    const out: any[] = [];
    let changed = false;
    for (const choice of chunk.choices) {
      const index: number = typeof choice.index === 'number' ? choice.index : 0;
      if (this.finished.has(index)) {
        changed = true;
        continue;
      }
      const delta = choice.delta ?? {};
      if (Array.isArray(delta.tool_calls)) {
        let calls = this.tools.get(index);
        if (!calls) this.tools.set(index, (calls = new Map()));
        for (const tc of delta.tool_calls) {
          const at: number = typeof tc.index === 'number' ? tc.index : 0;
          const call = calls.get(at) ?? { id: '', name: '', args: '' };
          if (typeof tc.id === 'string') call.id = tc.id;
          if (typeof tc.function?.name === 'string') call.name += tc.function.name;
          if (typeof tc.function?.arguments === 'string') call.args += tc.function.arguments;
          calls.set(at, call);
        }
        delete delta.tool_calls;
        changed = true;
      }
      if (delta.function_call !== undefined && delta.function_call !== null) {
        const call = this.functionCalls.get(index) ?? { name: '', args: '' };
        if (typeof delta.function_call.name === 'string') call.name += delta.function_call.name;
        if (typeof delta.function_call.arguments === 'string') call.args += delta.function_call.arguments;
        this.functionCalls.set(index, call);
        delete delta.function_call;
        changed = true;
      }
      // Content, and a refusal (structured outputs): both the model's text shown to the user, each its own channel.
      let blocked = false;
      for (const field of TEXT_FIELDS) {
        const text = delta[field];
        if (typeof text !== 'string' || text === '') continue;
        if (field === 'refusal') this.refusals.add(index);
        const release = (field === 'content' ? given : undefined) ?? (await this.inspector.text(textChannel(index, field), text));
        if (release.blocked) {
          this.intervened = true;
          this.finished.add(index);
          this.blocked.add(index);
          out.push({ index, delta: {}, finish_reason: 'content_filter' });
          changed = blocked = true;
          break;
        }
        if (release.text !== text) changed = true;
        if (release.text === '') delete delta[field];
        else delta[field] = release.text;
      }
      if (blocked) continue;
      if (choice.finish_reason) {
        const { finish } = await this.flushChoice(index, delta);
        if (finish) {
          choice.finish_reason = finish;
          changed = true;
        }
        if (delta.tool_calls || delta.function_call || delta.content !== undefined || delta.refusal !== undefined) changed = true;
        this.finished.add(index);
      }
      choice.delta = delta;
      const empty = Object.keys(delta).length === 0 && !choice.finish_reason && !choice.logprobs;
      if (empty) {
        changed = true;
        continue;
      }
      out.push(choice);
    }
    const events: string[] = [];
    if (!changed) events.push(formatSseData(event.data));
    else if (out.length > 0 || chunk.usage) events.push(formatSseData(JSON.stringify({ ...chunk, choices: out })));
    if (this.blocked.size >= this.choiceCount) {
      // Every choice was ended by a block: the stream ends here, whatever the upstream still sends.
      events.push(formatSseData('[DONE]'));
      this.done = true;
    }
    return events;
  }

  async end(): Promise<string[]> {
    if (this.done) return [];
    const events: string[] = [];
    // Choices with tool calls first, then the others in order (each once).
    const open: number[] = this.tools.size === 0 ? [] : [...this.tools.keys()];
    for (const i of this.functionCalls.keys()) if (!open.includes(i)) open.push(i);
    for (let i = 0; i < this.choiceCount; i++) if (!open.includes(i)) open.push(i);
    for (const index of open) {
      if (this.finished.has(index)) continue;
      const delta: any = {};
      const { finish } = await this.flushChoice(index, delta);
      if (finish || Object.keys(delta).length > 0) events.push(this.chunk({ index, delta, finish_reason: finish ?? null }));
    }
    events.push(formatSseData('[DONE]'));
    this.done = true;
    return events;
  }

  fail(message: string): string[] {
    if (this.done) return [];
    this.done = true;
    this.failure = message;
    return [formatSseData(JSON.stringify({ error: { message, type: 'upstream_error', code: 'bad_gateway' } }))];
  }
}

export const openAiChatAdapter: ProviderAdapter = {
  api: 'openai-chat',
  upstreamPath: '/chat/completions',
  forwardHeaders: ['content-type', 'accept', 'user-agent', 'openai-beta', 'traceparent', 'tracestate'],

  validateRequest: (body) => checkRequest(requestSchema, body, acceptsRequest),

  // Loops rather than forEach, and the tool-name map only once a tool call is seen: a closure per
  // message and a map per request were a third of what building segments allocated.
  requestSegments(body) {
    const segments: Segment[] = [];
    let toolNames: Map<string, string> | undefined;
    const messages: any[] = body.messages;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      const role = roleOf(m.role);
      const trusted = role === 'system' || role === 'developer';
      if (role === 'tool') {
        const id = typeof m.tool_call_id === 'string' ? m.tool_call_id : undefined;
        const toolName = (id && (toolNames?.get(id) ?? toolNames?.get(looseId(id)))) || (typeof m.name === 'string' ? m.name : undefined);
        const proto = { direction: 'input' as const, role, kind: 'tool_result' as const, trusted, ...(toolName ? { toolName } : {}), ...(id ? { toolCallId: id } : {}) };
        textSegments(segments, m.content, ['messages', i, 'content'], proto);
        continue;
      }
      textSegments(segments, m.content, ['messages', i, 'content'], { direction: 'input', role, kind: 'message', trusted });
      if (typeof m.name === 'string' && m.name !== '') segments.push(segmentAt({ direction: 'input', role, kind: 'message', trusted }, ['messages', i, 'name'], m.name));
      const fc = m.function_call;
      if (fc !== null && typeof fc === 'object' && typeof fc.arguments === 'string') {
        const path = ['messages', i, 'function_call', 'arguments'];
        segments.push({ id: segmentPathId(path), path, direction: 'input', role, kind: 'tool_call', trusted, toolName: typeof fc.name === 'string' ? fc.name : 'unknown', text: fc.arguments });
      }
      if (Array.isArray(m.tool_calls)) {
        for (let k = 0; k < m.tool_calls.length; k++) {
          const tc = m.tool_calls[k];
          toolNames ??= new Map();
          toolNames.set(tc.id, tc.function.name);
          toolNames.set(looseId(tc.id), tc.function.name);
          const path = ['messages', i, 'tool_calls', k, 'function', 'arguments'];
          segments.push({ id: segmentPathId(path), path, direction: 'input', role, kind: 'tool_call', trusted, toolName: tc.function.name, toolCallId: tc.id, text: tc.function.arguments });
        }
      }
    }
    toolDefinitionSegments(segments, body, { list: 'tools', inner: 'function', schema: 'parameters' });
    toolDefinitionSegments(segments, body, { list: 'functions', schema: 'parameters' });
    requestFieldSegments(segments, body);
    return { segments, messageCount: messages.length };
  },

  applyRequestRewrites(body, rewrites) {
    const byId = new Map(openAiChatAdapter.requestSegments(body).segments.map((s) => [s.id, s]));
    for (const r of rewrites) {
      const segment = byId.get(r.segmentId);
      if (segment) setAtPath(body, segment.path, r.text);
    }
  },

  responseSegments(body) {
    const segments: Segment[] = [];
    if (!Array.isArray(body?.choices)) return segments;
    const choices: any[] = body.choices;
    for (let c = 0; c < choices.length; c++) {
      const message = choices[c]?.message;
      if (!message) continue;
      if (typeof message.content === 'string') {
        const path = ['choices', c, 'message', 'content'];
        segments.push({ id: segmentPathId(path), path, direction: 'output', role: 'assistant', kind: 'message', trusted: false, text: message.content });
      }
      // A refusal (structured outputs) is the model's text shown to the user, judged like content.
      if (typeof message.refusal === 'string' && message.refusal !== '') {
        const path = ['choices', c, 'message', 'refusal'];
        segments.push({ id: segmentPathId(path), path, direction: 'output', role: 'assistant', kind: 'message', trusted: false, text: message.refusal });
      }
      // The legacy `function_call` (the `functions` parameter) is a tool call like any other.
      const fc = message.function_call;
      if (fc !== null && typeof fc === 'object' && typeof fc.arguments === 'string') {
        const path = ['choices', c, 'message', 'function_call', 'arguments'];
        segments.push({ id: segmentPathId(path), path, direction: 'output', role: 'assistant', kind: 'tool_call', trusted: false, toolName: typeof fc.name === 'string' ? fc.name : 'unknown', toolCallId: 'function_call', text: fc.arguments });
      }
      if (Array.isArray(message.tool_calls)) {
        for (let k = 0; k < message.tool_calls.length; k++) {
          const tc = message.tool_calls[k];
          if (typeof tc?.function?.arguments !== 'string') continue;
          const path = ['choices', c, 'message', 'tool_calls', k, 'function', 'arguments'];
          segments.push({ id: segmentPathId(path), path, direction: 'output', role: 'assistant', kind: 'tool_call', trusted: false, toolName: tc.function.name, toolCallId: tc.id, text: tc.function.arguments });
        }
      }
    }
    return segments;
  },

  applyResponseRewrites(body, rewrites: readonly SegmentRewrite[], refusals: readonly ToolCallRefusal[]) {
    const byId = new Map(openAiChatAdapter.responseSegments(body).map((s) => [s.id, s]));
    for (const r of rewrites) {
      const segment = byId.get(r.segmentId);
      if (segment) setAtPath(body, segment.path, r.text);
    }
    const refusedByChoice = new Map<number, { k: number; message: string }[]>();
    for (const r of refusals) {
      const segment = byId.get(r.segmentId);
      if (!segment) continue;
      const c = segment.path[1] as number;
      const list = refusedByChoice.get(c) ?? [];
      // -1: the legacy function_call.
      list.push({ k: segment.path[3] === 'function_call' ? -1 : (segment.path[4] as number), message: r.message });
      refusedByChoice.set(c, list);
    }
    for (const [c, list] of refusedByChoice) {
      const choice = body.choices[c];
      const message = choice.message;
      const drop = new Set(list.map((l) => l.k));
      if (drop.has(-1)) delete message.function_call;
      if (Array.isArray(message.tool_calls)) message.tool_calls = message.tool_calls.filter((_: unknown, k: number) => !drop.has(k));
      const notice = list.map((l) => l.message).join('\n');
      message.content = typeof message.content === 'string' && message.content ? `${message.content}\n${notice}` : notice;
      if (!Array.isArray(message.tool_calls) || message.tool_calls.length === 0) {
        delete message.tool_calls;
        if (!message.function_call) choice.finish_reason = 'stop';
      }
    }
  },

  createStreamRewriter(inspector, request) {
    const n = typeof request?.n === 'number' && request.n > 0 ? request.n : 1;
    return new OpenAiStreamRewriter(inspector, n);
  },

  errorBody(error: ErrorSpec) {
    return { error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code ?? null, ...error.extra } };
  },

  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),

  // Chat Completions runs one tool itself: the web search of the search models.
  providerTools: (body) => (body?.web_search_options !== undefined && body.web_search_options !== null ? ['web_search_options'] : []),

  outputTokens: (body) => (typeof body?.usage?.completion_tokens === 'number' ? body.usage.completion_tokens : undefined),
};

export { refusalText };
