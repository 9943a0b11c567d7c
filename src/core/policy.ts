import { type Action, type Decision, type FindingVerdict, moreSevere } from './decision.js';
import type { Finding, GuardFailure } from './finding.js';
import { globMatch } from './glob.js';
import type { Direction, Role, Segment, SegmentKind } from './segment.js';

/** One rule from findings to an action. Every present condition must hold; first match wins. */
export interface PolicyRule {
  /** Glob over finding types, e.g. `pii.*`. */
  readonly type?: string;
  /** Glob over guard ids. */
  readonly guard?: string;
  readonly direction?: Direction;
  readonly kind?: readonly SegmentKind[];
  readonly role?: readonly Role[];
  /** Overrides the per-kind threshold for this rule. */
  readonly minScore?: number;
  readonly action: Action;
  /** For `redact`: the replacement text; `{type}` expands to the finding type. */
  readonly replacement?: string;
}

export interface PolicyConfig {
  readonly rules: readonly PolicyRule[];
  /** Action for a finding at or above its threshold that no rule matched. */
  readonly defaultAction: Action;
  /** Findings scoring below the threshold of their segment's kind are recorded but allowed. */
  readonly thresholds: Readonly<Record<SegmentKind, number>>;
}

export const DEFAULT_REPLACEMENT = '[REDACTED:{type}]';

function ruleMatches(rule: PolicyRule, finding: Finding, segment: Segment | undefined, direction: Direction, threshold: number): boolean {
  if (finding.score < (rule.minScore ?? threshold)) return false;
  if (rule.direction && rule.direction !== direction) return false;
  if (rule.type && !globMatch(rule.type, finding.type)) return false;
  if (rule.guard && !globMatch(rule.guard, finding.guard)) return false;
  if (rule.kind && (!segment || !rule.kind.includes(segment.kind))) return false;
  if (rule.role && (!segment || !rule.role.includes(segment.role))) return false;
  return true;
}

/** Maps findings and guard failures to one decision. Failures block unless the guard may fail open. */
export function decide(
  policy: PolicyConfig,
  direction: Direction,
  findings: readonly Finding[],
  failures: readonly GuardFailure[],
  segmentsById: ReadonlyMap<string, Segment>,
): Decision {
  let action: Action = 'allow';
  const verdicts: FindingVerdict[] = [];
  for (const finding of findings) {
    const segment = segmentsById.get(finding.segmentId);
    const threshold = segment ? policy.thresholds[segment.kind] : 0.5;
    let chosen: FindingVerdict | undefined;
    for (let i = 0; i < policy.rules.length; i++) {
      const rule = policy.rules[i]!;
      if (ruleMatches(rule, finding, segment, direction, threshold)) {
        const replacement = rule.action === 'redact' ? (rule.replacement ?? DEFAULT_REPLACEMENT).replaceAll('{type}', finding.type) : undefined;
        chosen = replacement === undefined ? { finding, action: rule.action, rule: i } : { finding, action: rule.action, replacement, rule: i };
        break;
      }
    }
    if (!chosen) {
      const fallback: Action = finding.score >= threshold ? policy.defaultAction : 'allow';
      chosen =
        fallback === 'redact'
          ? { finding, action: fallback, replacement: DEFAULT_REPLACEMENT.replaceAll('{type}', finding.type), rule: -1 }
          : { finding, action: fallback, rule: -1 };
    }
    verdicts.push(chosen);
    action = moreSevere(action, chosen.action);
  }
  for (const failure of failures) {
    if (!failure.failOpen) action = 'block';
  }
  return { action, verdicts, failures };
}
