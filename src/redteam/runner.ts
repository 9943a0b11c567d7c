import { judge, type Outcome, STOPPED } from './judge.js';
import { stableHash } from './strategies.js';
import { sendCase, type TargetOptions } from './target.js';
import { type Corpus, type RedteamCase, STRATEGIES } from './types.js';

export interface CaseResult {
  readonly id: string;
  readonly baseId: string;
  readonly category: string;
  readonly strategy: string;
  readonly control: boolean;
  readonly outcome: Outcome;
  readonly reason: string;
  readonly status: number;
  readonly ms: number;
}

export interface AttackTally {
  readonly name: string;
  readonly total: number;
  readonly stopped: number;
  readonly through: number;
  readonly errors: number;
  /** through / (total − errors); null when every case errored. */
  readonly asr: number | null;
  readonly outcomes: Partial<Record<Outcome, number>>;
}

export interface RedteamReport {
  readonly tool: 'clawguard-redteam';
  readonly corpus: { readonly name: string; readonly version: string; readonly cases: number; readonly attacks: number; readonly controls: number };
  readonly target: { readonly url: string; readonly provider: string; readonly model: string };
  readonly startedAt: string;
  readonly durationMs: number;
  readonly concurrency: number;
  readonly attacks: AttackTally;
  readonly categories: readonly AttackTally[];
  readonly strategies: readonly AttackTally[];
  readonly control: { readonly total: number; readonly passed: number; readonly falseBlocked: number; readonly errors: number; readonly falseBlockRate: number | null };
  /** Attacks that got through, and controls that were blocked: what to look at first. */
  readonly through: readonly CaseResult[];
  readonly falseBlocks: readonly CaseResult[];
  readonly errors: readonly CaseResult[];
  readonly cases: readonly CaseResult[];
}

export interface RunOptions extends TargetOptions {
  readonly concurrency: number;
  readonly onProgress?: (done: number, total: number) => void;
}

function tally(name: string, results: readonly CaseResult[]): AttackTally {
  const outcomes: Partial<Record<Outcome, number>> = {};
  for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  const through = outcomes.succeeded ?? 0;
  const errors = outcomes.error ?? 0;
  const stopped = results.filter((r) => STOPPED.includes(r.outcome)).length;
  const judged = results.length - errors;
  return { name, total: results.length, stopped, through, errors, asr: judged > 0 ? through / judged : null, outcomes };
}

/** Builds the report from judged results (pure; the CLI and tests share it). */
export function summarize(corpus: Corpus, results: readonly CaseResult[], meta: { url: string; provider: string; model: string; startedAt: string; durationMs: number; concurrency: number }): RedteamReport {
  const attacks = results.filter((r) => !r.control);
  const controls = results.filter((r) => r.control);
  const categories = [...new Set(attacks.map((r) => r.category))].map((cat) => tally(cat, attacks.filter((r) => r.category === cat)));
  const strategies = STRATEGIES.filter((s) => attacks.some((r) => r.strategy === s)).map((s) => tally(s, attacks.filter((r) => r.strategy === s)));
  const passed = controls.filter((r) => r.outcome === 'passed').length;
  const falseBlocked = controls.filter((r) => r.outcome === 'false-block').length;
  const controlErrors = controls.filter((r) => r.outcome === 'error').length;
  return {
    tool: 'clawguard-redteam',
    corpus: { name: corpus.name, version: corpus.version, cases: results.length, attacks: attacks.length, controls: controls.length },
    target: { url: meta.url, provider: meta.provider, model: meta.model },
    startedAt: meta.startedAt,
    durationMs: meta.durationMs,
    concurrency: meta.concurrency,
    attacks: tally('all attacks', attacks),
    categories,
    strategies,
    control: { total: controls.length, passed, falseBlocked, errors: controlErrors, falseBlockRate: controls.length - controlErrors > 0 ? falseBlocked / (controls.length - controlErrors) : null },
    through: attacks.filter((r) => r.outcome === 'succeeded'),
    falseBlocks: controls.filter((r) => r.outcome === 'false-block'),
    errors: results.filter((r) => r.outcome === 'error'),
    cases: results,
  };
}

/** Sends every case (attacks and controls interleaved, at most `concurrency` at a time) and judges each answer. */
export async function runRedteam(corpus: Corpus, options: RunOptions): Promise<RedteamReport> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const cases: readonly RedteamCase[] = corpus.cases;
  const results: CaseResult[] = new Array(cases.length);
  // A fixed shuffle: controls go out among the attacks, not after them.
  const order = cases.map((c, i) => ({ i, h: stableHash(c.id) })).sort((a, b) => a.h - b.h || a.i - b.i).map((x) => x.i);
  let next = 0;
  let done = 0;
  options.onProgress?.(0, cases.length);
  const worker = async (): Promise<void> => {
    for (;;) {
      const k = next++;
      if (k >= order.length) return;
      const i = order[k]!;
      const c = cases[i]!;
      const answer = await sendCase(c, options);
      const { outcome, reason } = judge(c, answer);
      results[i] = { id: c.id, baseId: c.baseId, category: c.category, strategy: c.strategy, control: c.control, outcome, reason, status: answer.status, ms: answer.ms };
      done++;
      options.onProgress?.(done, cases.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, cases.length)) }, worker));
  return summarize(corpus, results, { url: options.url, provider: options.provider, model: options.model, startedAt, durationMs: Math.round(performance.now() - t0), concurrency: options.concurrency });
}
