import { type Finding, globMatch, type Segment } from '../../core/index.js';
import { openclawProfile } from './profiles/openclaw.js';
import { genericProfile } from './profiles/generic.js';

export interface FlowOptions {
  /** Tool-name globs that count as high risk (exec, write, network). Default: the openclaw and generic profiles' lists. */
  readonly highRisk?: readonly string[];
  /** Glob over the finding types that mark a tool result as injected. Default `injection.*`. */
  readonly injectionTypes?: string;
  /** Least score of such a finding. Default 0.5. */
  readonly minScore?: number;
  /** Guard id on the findings this returns. Default `toolcalls`. */
  readonly guard?: string;
}

export const DEFAULT_HIGH_RISK: readonly string[] = [...new Set([...openclawProfile.highRisk, ...genericProfile.highRisk])];

/**
 * The flow rule: once a tool result in the conversation was flagged as prompt injection, the high-risk
 * tool calls the model asks for next need review, even where the tool policy would allow them.
 *
 * Pure and stateless: agents re-send the whole conversation every turn, so the request itself carries
 * the flagged tool result for as long as it stays in the conversation. Give it the request's findings
 * and segments plus the response's tool-call segments (direction `output`); it returns one
 * `toolcall.review.flow` finding per high-risk call, to add to the response's findings before `decide`.
 */
export function flowEscalation(findings: readonly Finding[], segments: readonly Segment[], options: FlowOptions = {}): Finding[] {
  const types = options.injectionTypes ?? 'injection.*';
  const minScore = options.minScore ?? 0.5;
  const highRisk = options.highRisk ?? DEFAULT_HIGH_RISK;
  const byId = new Map(segments.map((s) => [s.id, s]));
  const tainted = findings.filter((f) => f.score >= minScore && globMatch(types, f.type) && byId.get(f.segmentId)?.kind === 'tool_result');
  if (tainted.length === 0) return [];
  const sources = [...new Set(tainted.map((f) => byId.get(f.segmentId)?.toolName ?? 'a tool'))].slice(0, 3).join(', ');
  const out: Finding[] = [];
  for (const s of segments) {
    if (s.kind !== 'tool_call' || s.direction !== 'output') continue;
    const name = s.toolName ?? '';
    if (!highRisk.some((g) => globMatch(g, name))) continue;
    out.push({
      guard: options.guard ?? 'toolcalls',
      type: 'toolcall.review.flow',
      score: 0.9,
      segmentId: s.id,
      reason: `high-risk call "${name}" after a tool result (${sources}) was flagged as prompt injection`,
    });
  }
  return out;
}
