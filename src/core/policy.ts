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

/** The conditions of `rule` other than its type and guard globs (those are matched once per type and guard, see rulesFor). */
function conditionsHold(rule: PolicyRule, finding: Finding, segment: Segment | undefined, direction: Direction, threshold: number): boolean {
  if (finding.score < (rule.minScore ?? threshold)) return false;
  if (rule.direction && rule.direction !== direction) return false;
  if (rule.kind && (!segment || !rule.kind.includes(segment.kind))) return false;
  if (rule.role && (!segment || !rule.role.includes(segment.role))) return false;
  return true;
}

/**
 * A policy's rules with, per finding type and guard id, the indexes of the rules whose `type` and
 * `guard` globs both match them, ascending: a finding is held to those only (the first one whose
 * other conditions hold wins, as when every rule is tried in order). A payload with a dozen findings
 * otherwise matched every glob before its rule once per finding (10 rules × 12 PII findings, a few µs).
 */
interface IndexedRules {
  /** The rules as indexed, and their globs: a rules array changed in place is indexed again. */
  readonly rules: readonly PolicyRule[];
  readonly types: readonly (string | undefined)[];
  readonly guards: readonly (string | undefined)[];
  /** type → guard → matching rule indexes. */
  readonly byType: Map<string, Map<string, readonly number[]>>;
  size: number;
}

/** Distinct (type, guard) pairs kept per policy; past it the index starts over (types come from guards and configured patterns). */
const MAX_INDEXED = 4096;
const INDEXES = new WeakMap<readonly PolicyRule[], IndexedRules>();

function indexOf(rules: readonly PolicyRule[]): IndexedRules {
  const known = INDEXES.get(rules);
  if (known !== undefined && sameRules(known, rules)) return known;
  const index: IndexedRules = { rules: [...rules], types: rules.map((r) => r.type), guards: rules.map((r) => r.guard), byType: new Map(), size: 0 };
  INDEXES.set(rules, index);
  return index;
}

function sameRules(index: IndexedRules, rules: readonly PolicyRule[]): boolean {
  if (index.rules.length !== rules.length) return false;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (rule !== index.rules[i] || rule.type !== index.types[i] || rule.guard !== index.guards[i]) return false;
  }
  return true;
}

/** Indexes of the rules whose type and guard globs match a finding of `type` from `guard`, ascending. */
function rulesFor(index: IndexedRules, type: string, guard: string): readonly number[] {
  let byGuard = index.byType.get(type);
  let found = byGuard?.get(guard);
  if (found !== undefined) return found;
  if (index.size >= MAX_INDEXED) {
    index.byType.clear();
    index.size = 0;
    byGuard = undefined;
  }
  const matching: number[] = [];
  index.rules.forEach((rule, i) => {
    if (rule.type && !globMatch(rule.type, type)) return;
    if (rule.guard && !globMatch(rule.guard, guard)) return;
    matching.push(i);
  });
  found = matching;
  if (byGuard === undefined) index.byType.set(type, (byGuard = new Map()));
  byGuard.set(guard, found);
  index.size++;
  return found;
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
  const index = findings.length === 0 ? undefined : indexOf(policy.rules);
  for (const finding of findings) {
    const segment = segmentsById.get(finding.segmentId);
    const threshold = segment ? policy.thresholds[segment.kind] : 0.5;
    let chosen: FindingVerdict | undefined;
    const candidates = rulesFor(index!, finding.type, finding.guard);
    for (let c = 0; c < candidates.length; c++) {
      const i = candidates[c]!;
      const rule = index!.rules[i]!;
      if (conditionsHold(rule, finding, segment, direction, threshold)) {
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
