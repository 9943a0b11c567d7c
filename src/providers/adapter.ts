import type { Segment } from '../core/index.js';
import type { SseEvent } from './sse.js';

export type ApiKind = 'openai-chat' | 'anthropic-messages';

export type RequestCheck =
  | { readonly ok: true; readonly model: string; readonly stream: boolean }
  | { readonly ok: false; readonly param: string; readonly message: string };

/** New text for a segment (after redaction), or a refusal for a tool call. */
export interface SegmentRewrite {
  readonly segmentId: string;
  readonly text: string;
}
export interface ToolCallRefusal {
  readonly segmentId: string;
  readonly message: string;
}

/** See StreamInspector.cleanText. */
export interface CleanRelease {
  readonly text: string;
  readonly carried: number;
}

export type TextRelease = { readonly blocked: false; readonly text: string } | { readonly blocked: true; readonly reason: string };
export type ToolCallVerdict =
  | { readonly action: 'allow'; readonly arguments: string }
  | { readonly action: 'refuse'; readonly message: string };

export interface StreamedToolCall {
  readonly channel: string;
  readonly id: string;
  readonly name: string;
  /** The complete argument JSON text as the model produced it. */
  readonly arguments: string;
}

/** What the gateway offers a stream rewriter: judged text release and tool-call verdicts. */
export interface StreamInspector {
  /** New text on a channel; returns what may be sent now (possibly less, possibly redacted). */
  text(channel: string, delta: string): Promise<TextRelease>;
  /** The channel's text is complete; returns whatever was still held back. */
  endText(channel: string): Promise<TextRelease>;
  /** A complete tool call; never forwarded before this answers. */
  toolCall(call: StreamedToolCall): Promise<ToolCallVerdict>;
  /**
   * Several text deltas of a channel judged at once (one upstream read), when nothing in them is
   * changed or blocked: the text that may be sent now, a prefix of the `carried` characters still
   * held from earlier deltas followed by the new deltas joined (as `text` would put held text in
   * front of the next delta). `undefined`, with nothing consumed, otherwise: the rewriter then hands
   * the deltas to `text` one by one.
   */
  cleanText?(channel: string, deltas: readonly string[]): Promise<CleanRelease | undefined>;
}

export interface StreamRewriter {
  /** One upstream event in, zero or more serialized SSE events out. */
  push(event: SseEvent): Promise<string[]>;
  /**
   * The events of one upstream read, in order: the same as `push` on each, but runs of plain text
   * deltas are judged together (StreamInspector.cleanText). Stops at the end of the stream.
   */
  pushMany?(events: readonly SseEvent[]): Promise<string[]>;
  /** Upstream finished cleanly; flushes anything held. */
  end(): Promise<string[]>;
  /** Upstream failed mid-stream: the provider's own in-stream error. */
  fail(message: string): string[];
  /** True once the downstream stream is complete (finished or ended by a block). */
  readonly done: boolean;
  /** True once ClawGuard removed or refused something in this stream. */
  readonly intervened: boolean;
  /** Output tokens as the upstream reported them in the stream, when it did. */
  readonly outputTokens: number | undefined;
  /** Why the stream was ended with the provider's in-stream error (upstream failure or an event it could not read). */
  readonly failure?: string | undefined;
}

export interface ErrorSpec {
  readonly status: number;
  /** Machine-readable type, e.g. `invalid_request_error`, `policy_violation`. */
  readonly type: string;
  readonly message: string;
  readonly param?: string;
  readonly code?: string;
  readonly extra?: Record<string, unknown>;
}

/**
 * Everything that knows one provider API's JSON. Adding a provider means adding one of these.
 * Unknown fields pass through untouched.
 */
export interface ProviderAdapter {
  readonly api: ApiKind;
  /** Path appended to the upstream base URL. */
  readonly upstreamPath: string;
  validateRequest(body: unknown): RequestCheck;
  requestSegments(body: any): { segments: Segment[]; messageCount: number };
  /** Mutates the body in place. */
  applyRequestRewrites(body: any, rewrites: readonly SegmentRewrite[]): void;
  responseSegments(body: any): Segment[];
  /** Mutates the body in place. */
  applyResponseRewrites(body: any, rewrites: readonly SegmentRewrite[], refusals: readonly ToolCallRefusal[]): void;
  createStreamRewriter(inspector: StreamInspector, request: any): StreamRewriter;
  errorBody(error: ErrorSpec): unknown;
  /** Output tokens the upstream reported in a complete (non-streamed) answer. */
  outputTokens(body: any): number | undefined;
  /** Headers that carry the upstream's own credential. */
  authHeaders(apiKey: string): Record<string, string>;
  /**
   * Tools the request asks the provider to run itself (web search, web fetch, code execution, MCP
   * connectors): their calls never reach the agent, so ClawGuard's tool-call policy cannot judge them.
   * Names as the request gives them; empty when there are none.
   */
  providerTools(body: any): string[];
  /** Client headers forwarded upstream (lower-case names); credentials never are. */
  readonly forwardHeaders: readonly string[];
}

/** Sets a value at a path inside a JSON value; the path must exist up to its last step. */
export function setAtPath(root: any, path: readonly (string | number)[], value: unknown): void {
  let node = root;
  for (let i = 0; i < path.length - 1; i++) node = node[path[i]!];
  node[path[path.length - 1]!] = value;
}

/** A segment's provenance: everything but where it sits and its text. */
export type SegmentProvenance = Omit<Segment, 'id' | 'path' | 'text'>;

/**
 * The segment at `path`: `proto`'s fields, then `id`, `path` and `text`, in the order
 * `{ ...proto, id, path, text }` would give. Not written as that literal: V8 cannot add properties to
 * a spread's copy along a shared hidden class, so each such segment got hidden classes of its own,
 * made in the old generation: ~1 KB a segment, most of what a request promoted (measured, Node 20).
 */
export function segmentAt(proto: SegmentProvenance, path: (string | number)[], text: string): Segment {
  const segment: { -readonly [K in keyof Segment]: Segment[K] } = Object.assign({}, proto) as Segment;
  segment.id = segmentPathId(path);
  segment.path = path;
  segment.text = text;
  return segment;
}

export function segmentPathId(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

export function refusalText(toolName: string, reason: string): string {
  return `[ClawGuard] The tool call "${toolName}" was refused by policy (${reason}). It was not executed.`;
}
