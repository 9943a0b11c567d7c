import type { Segment } from './segment.js';

export interface Span {
  /** UTF-16 offsets into the segment's text, end exclusive. */
  readonly start: number;
  readonly end: number;
}

/** Something a guard found. Guards find; they never edit. */
export interface Finding {
  /** Id of the guard instance that produced it. */
  readonly guard: string;
  /** Dotted type: `pattern.deny`, `invisible.tag`, `limits.segment_chars`, `pii.email`, … */
  readonly type: string;
  /** Confidence 0..1. */
  readonly score: number;
  readonly segmentId: string;
  /** Absent for findings about the whole segment or request. */
  readonly span?: Span;
  /** Human-readable explanation. Never contains the offending text itself. */
  readonly reason: string;
}

/** A guard that could not give an answer (threw, timed out). Fail-closed policy acts on these. */
export interface GuardFailure {
  readonly guard: string;
  readonly segmentId?: string;
  readonly error: string;
  readonly timedOut: boolean;
  /** Whether the operator allowed this guard to fail open. */
  readonly failOpen: boolean;
}

export function findingFor(
  guard: string,
  segment: Segment,
  type: string,
  score: number,
  reason: string,
  span?: Span,
): Finding {
  return span ? { guard, type, score, segmentId: segment.id, span, reason } : { guard, type, score, segmentId: segment.id, reason };
}
