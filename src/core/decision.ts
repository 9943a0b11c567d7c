import type { Finding, GuardFailure } from './finding.js';

/**
 * `neutralize` keeps a tool result but wraps it as untrusted data with a warning for the model
 * (spotlighting); `redact` and `pseudonymize` replace spans; `review` waits for a human.
 */
export const ACTIONS = ['allow', 'neutralize', 'redact', 'pseudonymize', 'review', 'block'] as const;
export type Action = (typeof ACTIONS)[number];

const SEVERITY: Record<Action, number> = { allow: 0, neutralize: 1, redact: 2, pseudonymize: 3, review: 4, block: 5 };

export function moreSevere(a: Action, b: Action): Action {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}

/** The action the policy chose for one finding. */
export interface FindingVerdict {
  readonly finding: Finding;
  readonly action: Action;
  /** Replacement text for `redact`, from the rule that matched (template already expanded). */
  readonly replacement?: string;
  /** Index of the policy rule that matched, or -1 for the default. */
  readonly rule: number;
}

export interface Decision {
  /** The most severe action over all verdicts and failures. */
  readonly action: Action;
  readonly verdicts: readonly FindingVerdict[];
  readonly failures: readonly GuardFailure[];
}

export const ALLOW_ALL: Decision = { action: 'allow', verdicts: [], failures: [] };

/** Finding types and guard ids that made a decision what it is; never the offending text. */
export function decisionCauses(decision: Decision): { guards: string[]; types: string[] } {
  // Nothing to name (no verdicts, and failures count only in a block): no sets to build.
  if (decision.verdicts.length === 0 && (decision.failures.length === 0 || decision.action !== 'block')) return { guards: [], types: [] };
  const guards = new Set<string>();
  const types = new Set<string>();
  for (const v of decision.verdicts) {
    if (v.action === decision.action) {
      guards.add(v.finding.guard);
      types.add(v.finding.type);
    }
  }
  for (const f of decision.failures) {
    if (!f.failOpen && decision.action === 'block') {
      guards.add(f.guard);
      types.add(f.timedOut ? 'guard.timeout' : 'guard.error');
    }
  }
  return { guards: [...guards].sort(), types: [...types].sort() };
}
