/** Where a piece of text travels: into the model (request) or out of it (response). */
export type Direction = 'input' | 'output';

/** Who wrote the text, in provider-neutral terms. */
export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

/** What the text is: conversation content, a tool call's arguments, or a tool's result fed back. */
export type SegmentKind = 'message' | 'tool_call' | 'tool_result';

/**
 * One piece of text from a provider payload, with its provenance.
 * Only the adapter that produced a segment interprets `path`.
 */
export interface Segment {
  /** Unique within one payload, e.g. `messages[3].content[0].text`. */
  readonly id: string;
  readonly direction: Direction;
  readonly role: Role;
  readonly kind: SegmentKind;
  readonly text: string;
  /** Tool name for tool calls and tool results, when known. */
  readonly toolName?: string;
  readonly toolCallId?: string;
  /** Operator-written text (system prompt) is trusted; user input and tool results are not. */
  readonly trusted: boolean;
  /**
   * Set on the text of a tool the request declares (its description, its parameters' descriptions):
   * instructions by nature, judged with that in mind (the injection guard asks its tool-data model to
   * agree before it flags one).
   */
  readonly origin?: 'tool_definition';
  /** Locator back into the payload, opaque outside the adapter. */
  readonly path: readonly (string | number)[];
}

export function isUntrusted(segment: Segment): boolean {
  return !segment.trusted;
}
