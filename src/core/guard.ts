import type { Finding } from './finding.js';
import type { Direction, Segment } from './segment.js';

/** Who is calling. Filled by authentication; roles, tenants and scopes arrive with access control. */
export interface Principal {
  readonly id: string;
  readonly name: string;
  readonly kind: 'client' | 'admin';
  readonly role?: string;
  readonly tenant?: string;
}

export interface GuardContext {
  readonly requestId: string;
  readonly direction: Direction;
  readonly principal?: Principal;
  /** Aborted when the guard's time budget runs out; async guards should stop early. */
  readonly signal?: AbortSignal;
}

/** The shape of the whole payload, for guards that judge the request as a whole (counts, totals). */
export interface PayloadSummary {
  readonly direction: Direction;
  readonly messageCount: number;
  readonly segments: readonly Segment[];
  /** Characters in the whole payload when `segments` hold only part of it (a stream's window). */
  readonly totalChars?: number;
}

/**
 * One detector. Pure: the same segment and configuration give the same findings, which is what
 * makes caching by content hash correct.
 */
export interface Guard {
  /** Instance id, used in findings, metrics and `failOpen` configuration. */
  readonly id: string;
  /** Changes whenever the configuration changes: part of the scan-cache key. */
  readonly fingerprint: string;
  /** Pass the guard failures through instead of blocking. Off unless the operator says so. */
  readonly failOpen: boolean;
  /** Time budget per call; a guard that exceeds it has failed. */
  readonly timeoutMs: number;
  /**
   * Longest span a finding of this guard can cover, in UTF-16 units. Stream scanning holds back
   * `maxSpan - 1` characters so a finding split across deltas is still seen whole.
   * `undefined` means the guard only judges whole segments (it runs when a stream ends).
   */
  readonly maxSpan?: number;
  /**
   * How many trailing characters of `text` could still be the start of a finding that later text
   * completes. Streams hold back only this much (at most `maxSpan - 1`). Default: `maxSpan - 1`,
   * which is always sound but delays streamed text by that many characters.
   */
  pendingSuffix?(text: string): number;
  /** Resolves once the guard can answer at full speed (a parser or model loaded); awaited before serving. */
  ready?(): Promise<void>;
  /** Whether this guard looks at a segment at all. Default: every segment. */
  appliesTo?(segment: Segment): boolean;
  inspect(segment: Segment, ctx: GuardContext): Finding[] | Promise<Finding[]>;
  /** Optional whole-payload check (message counts, total sizes). Not cached. */
  inspectPayload?(payload: PayloadSummary, ctx: GuardContext): Finding[];
}
