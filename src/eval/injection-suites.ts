import { Buffer } from 'node:buffer';
import { type InjectionConfig, injectionConfigSchema, InjectionDetector, type TextKind } from '../guards/injection/index.js';
import { type EvalRecord, readRecords, sourceName, splitFile } from './data.js';
import { confusion, f1, fpr, precision, recall, recallAtFpr, rocAuc, round4 } from './metrics.js';
import { OBFUSCATIONS, obfuscate } from './obfuscate.js';
import { ERROR_TEXT_CHARS, type EvalError, type EvalOptions, type EvalReport, type EvalSuite, type LabelMetrics } from './types.js';

/** Sources of benign prompts built to look like injections (trigger words, role-play, borderline asks). */
const HARD_BENIGN = ['notinject_benign', 'wildguard_benign'];

interface Scored {
  readonly record: EvalRecord;
  readonly kind: TextKind;
  readonly label: number;
  readonly score: number;
  readonly threshold: number;
}

interface Timing {
  micros: number;
  bytes: number;
}

function kindOf(record: EvalRecord, fallback: TextKind): TextKind {
  if (record.kind === 'tool_output') return 'tool_result';
  if (record.kind === 'prompt' || record.kind === 'response') return 'message';
  return fallback;
}

function score(
  detector: InjectionDetector,
  config: InjectionConfig,
  items: readonly { record: EvalRecord; text: string; kind: TextKind }[],
  timing: Timing,
  options: EvalOptions,
  progress: { done: number; total: number },
): Scored[] {
  const out: Scored[] = [];
  for (const item of items) {
    // CPU time of this process, not wall time: "per core", and steady on a shared machine.
    const started = process.cpuUsage();
    const a = detector.assess(item.text, item.kind);
    const used = process.cpuUsage(started);
    timing.micros += used.user + used.system;
    timing.bytes += Buffer.byteLength(item.text, 'utf8');
    out.push({
      record: item.record,
      kind: item.kind,
      label: item.record.label === 'malicious' ? 1 : 0,
      score: a.score,
      threshold: options.threshold ?? config.thresholds[item.kind],
    });
    progress.done++;
    if (progress.done % 50 === 0 || progress.done === progress.total) options.onProgress?.(progress.done, progress.total);
  }
  return out;
}

function labelMetrics(rows: readonly Scored[]): LabelMetrics {
  const c = confusion(
    rows.map((r) => r.score),
    rows.map((r) => r.label),
    rows.map((r) => r.threshold),
  );
  return { precision: round4(precision(c)), recall: round4(recall(c)), f1: round4(f1(c)), support: c.tp + c.fn };
}

function groupBy<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/** Headline figures plus per-source / per-language breakdowns for one scored set. */
function summarize(rows: readonly Scored[], timing: Timing): { metrics: Record<string, number>; breakdown: Record<string, LabelMetrics> } {
  const scores = rows.map((r) => r.score);
  const labels = rows.map((r) => r.label);
  const c = confusion(
    scores,
    labels,
    rows.map((r) => r.threshold),
  );
  const atOnePct = recallAtFpr(scores, labels, 0.01);
  const metrics: Record<string, number> = {
    n: rows.length,
    tp: c.tp,
    fp: c.fp,
    tn: c.tn,
    fn: c.fn,
    precision: round4(precision(c)),
    recall: round4(recall(c)),
    f1: round4(f1(c)),
    fpr: round4(fpr(c)),
    recall_at_1pct_fpr: round4(atOnePct.recall),
    // Scores above it are flagged at 1% FPR: `--threshold` just above it (with `--errors`) lists that point's misses.
    threshold_at_1pct_fpr: round4(atOnePct.threshold),
    auc: round4(rocAuc(scores, labels)),
    us_per_kb: round4(timing.bytes > 0 ? timing.micros / (timing.bytes / 1024) : 0),
  };
  const breakdown: Record<string, LabelMetrics> = {};
  for (const [source, group] of groupBy(rows, (r) => sourceName(r.record.source))) {
    if (group.some((r) => r.label === 1)) breakdown[`source:${source}`] = labelMetrics(group);
    const benign = group.filter((r) => r.label === 0);
    if (benign.length > 0) metrics[`fpr.source.${source}`] = round4(fpr(confusion(benign.map((r) => r.score), benign.map(() => 0), benign.map((r) => r.threshold))));
  }
  for (const [lang, group] of groupBy(rows, (r) => r.record.lang ?? 'unknown')) {
    if (group.some((r) => r.label === 1)) breakdown[`lang:${lang}`] = labelMetrics(group);
  }
  return { metrics, breakdown };
}

function errorOf(r: Scored): EvalError {
  const flat = r.record.text.replace(/\s+/g, ' ').trim();
  const text = flat.length > ERROR_TEXT_CHARS ? `${flat.slice(0, ERROR_TEXT_CHARS - 1)}…` : flat;
  return { score: round4(r.score), threshold: r.threshold, source: sourceName(r.record.source), ...(r.record.lang ? { lang: r.record.lang } : {}), text };
}

/** Up to `n` misses (lowest scores first) and `n` false positives (highest first), or nothing without `n`. */
function errorsOf(rows: readonly Scored[], n: number | undefined): Pick<EvalReport, 'errors'> {
  if (n === undefined) return {};
  const missed = rows.filter((r) => r.label === 1 && r.score < r.threshold).sort((a, b) => a.score - b.score);
  const falsePositives = rows.filter((r) => r.label === 0 && r.score >= r.threshold).sort((a, b) => b.score - a.score);
  return { errors: { missed: missed.slice(0, n).map(errorOf), falsePositives: falsePositives.slice(0, n).map(errorOf) } };
}

/** The task's split file, or the files the caller named. */
function recordsFor(options: EvalOptions, task: string): EvalRecord[] {
  if (options.files && options.files.length > 0) return options.files.flatMap((f) => readRecords(f, options.limit));
  return readRecords(splitFile(options.dataDir, task, options.split), options.limit);
}

function thresholdNote(config: InjectionConfig): string {
  return `thresholds: message ${config.thresholds.message}, tool_result ${config.thresholds.tool_result} (injection guard defaults)`;
}

function newContext(): { detector: InjectionDetector; config: InjectionConfig } {
  const config = injectionConfigSchema.parse({});
  return { detector: new InjectionDetector(undefined, { classifier: config.classifier, maxDecodeDepth: config.maxDecodeDepth }), config };
}

/** Direct injection and jailbreak prompts against ordinary and look-alike benign prompts. */
export const injectionSuite: EvalSuite = {
  name: 'injection',
  description: 'Direct prompt injection and jailbreaks vs ordinary prompts and hard look-alikes (user messages).',
  async run(options) {
    const { detector, config } = newContext();
    const records = recordsFor(options, 'injection');
    const timing: Timing = { micros: 0, bytes: 0 };
    const rows = score(detector, config, records.map((record) => ({ record, text: record.text, kind: 'message' as const })), timing, options, {
      done: 0,
      total: records.length,
    });
    const { metrics, breakdown } = summarize(rows, timing);
    const isHard = (r: Scored): boolean => HARD_BENIGN.includes(sourceName(r.record.source));
    const hard = rows.filter((r) => r.label === 0 && isHard(r));
    const ordinary = rows.filter((r) => r.label === 0 && !isHard(r));
    const attacks = rows.filter((r) => r.label === 1);
    const benignFpr = (set: readonly Scored[]): number =>
      round4(fpr(confusion(set.map((r) => r.score), set.map(() => 0), set.map((r) => r.threshold))));
    metrics.fpr_hard_benign = benignFpr(hard);
    metrics.fpr_ordinary_benign = benignFpr(ordinary);
    const vsOrdinary = [...attacks, ...ordinary];
    metrics.recall_at_1pct_fpr_ordinary = round4(recallAtFpr(vsOrdinary.map((r) => r.score), vsOrdinary.map((r) => r.label), 0.01).recall);
    return {
      suite: 'injection',
      split: options.split,
      examples: rows.length,
      metrics,
      breakdown,
      notes: [thresholdNote(config), `hard benign = ${HARD_BENIGN.join(', ')} (${hard.length} rows); ordinary benign ${ordinary.length} rows`],
      ...errorsOf(rows, options.errors),
    };
  },
};

/** Injected instructions inside tool outputs against ordinary tool outputs. */
export const indirectSuite: EvalSuite = {
  name: 'indirect',
  description: 'Indirect injection inside tool outputs (emails, tables, code, web text, JSON) scanned as tool results.',
  async run(options) {
    const { detector, config } = newContext();
    const records = recordsFor(options, 'indirect');
    const timing: Timing = { micros: 0, bytes: 0 };
    const rows = score(detector, config, records.map((record) => ({ record, text: record.text, kind: 'tool_result' as const })), timing, options, {
      done: 0,
      total: records.length,
    });
    const { metrics, breakdown } = summarize(rows, timing);
    const contexts = rows.filter((r) => sourceName(r.record.source) !== 'bipia_attack_payloads');
    const cc = confusion(contexts.map((r) => r.score), contexts.map((r) => r.label), contexts.map((r) => r.threshold));
    metrics.recall_in_context = round4(recall(cc));
    metrics.recall_at_2pct_fpr = round4(recallAtFpr(rows.map((r) => r.score), rows.map((r) => r.label), 0.02).recall);
    return { suite: 'indirect', split: options.split, examples: rows.length, metrics, breakdown, notes: [thresholdNote(config)], ...errorsOf(rows, options.errors) };
  },
};

/** False-positive rate over all ordinary traffic: prompts, tool outputs and responses. */
export const benignSuite: EvalSuite = {
  name: 'benign',
  description: 'False-positive rate of the injection guard over ordinary prompts, tool outputs and responses.',
  async run(options) {
    const { detector, config } = newContext();
    const records = recordsFor(options, 'benign');
    const timing: Timing = { micros: 0, bytes: 0 };
    const rows = score(detector, config, records.map((record) => ({ record, text: record.text, kind: kindOf(record, 'message') })), timing, options, {
      done: 0,
      total: records.length,
    });
    const c = confusion(rows.map((r) => r.score), rows.map((r) => r.label), rows.map((r) => r.threshold));
    const metrics: Record<string, number> = {
      n: rows.length,
      fp: c.fp,
      tn: c.tn,
      fpr: round4(fpr(c)),
      us_per_kb: round4(timing.bytes > 0 ? timing.micros / (timing.bytes / 1024) : 0),
    };
    for (const [kind, group] of groupBy(rows, (r) => r.record.kind ?? 'unknown')) {
      metrics[`fpr.kind.${kind}`] = round4(fpr(confusion(group.map((r) => r.score), group.map((r) => r.label), group.map((r) => r.threshold))));
    }
    for (const [source, group] of groupBy(rows, (r) => sourceName(r.record.source))) {
      metrics[`fpr.source.${source}`] = round4(fpr(confusion(group.map((r) => r.score), group.map((r) => r.label), group.map((r) => r.threshold))));
    }
    return {
      suite: 'benign',
      split: options.split,
      examples: rows.length,
      metrics,
      notes: [thresholdNote(config), 'prompts and responses are scanned as messages, tool outputs as tool results'],
      ...errorsOf(rows, options.errors),
    };
  },
};

/** Recall on obfuscated copies of the attacks, next to the plain attacks. */
export const obfuscatedSuite: EvalSuite = {
  name: 'injection-obfuscated',
  description: 'Recall on the injection attacks rewritten with base64, homoglyphs, zero-width, leet, spacing, … (own generator).',
  async run(options) {
    const { detector, config } = newContext();
    const records = recordsFor(options, 'injection');
    const attacks = records.filter((r) => r.label === 'malicious');
    // Benign prompts rewritten the same way: obfuscation is itself a signal, this shows its cost.
    const benign = records.filter((r) => r.label === 'benign').slice(0, Math.min(500, attacks.length * 2));
    const variants = ['plain', ...OBFUSCATIONS] as const;
    const timing: Timing = { micros: 0, bytes: 0 };
    const progress = { done: 0, total: variants.length * (attacks.length + benign.length) };
    const metrics: Record<string, number> = { n_attacks: attacks.length, n_benign: benign.length };
    const breakdown: Record<string, LabelMetrics> = {};
    let plainRecall = 0;
    let worstDrop = 0;
    for (const variant of variants) {
      const items = [...attacks, ...benign].map((record) => ({
        record,
        text: variant === 'plain' ? record.text : obfuscate(record.text, variant),
        kind: 'message' as const,
      }));
      const rows = score(detector, config, items, timing, options, progress);
      const m = labelMetrics(rows);
      breakdown[`variant:${variant}`] = m;
      metrics[`recall.${variant}`] = m.recall;
      // Rewriting characters hides little from a detector that reads non-Latin scripts as they
      // are; English attacks show what the normalizer itself undoes.
      const english = rows.filter((r) => r.label === 1 && (r.record.lang ?? 'en') === 'en');
      metrics[`recall_en.${variant}`] = labelMetrics(english).recall;
      const benignRows = rows.filter((r) => r.label === 0);
      metrics[`fpr.${variant}`] = round4(fpr(confusion(benignRows.map((r) => r.score), benignRows.map(() => 0), benignRows.map((r) => r.threshold))));
      if (variant === 'plain') plainRecall = m.recall;
      else worstDrop = Math.max(worstDrop, plainRecall - m.recall);
    }
    metrics.max_recall_drop = round4(worstDrop);
    metrics.us_per_kb = round4(timing.bytes > 0 ? timing.micros / (timing.bytes / 1024) : 0);
    return {
      suite: 'injection-obfuscated',
      split: options.split,
      examples: progress.total,
      metrics,
      breakdown,
      notes: [thresholdNote(config), `variants: ${OBFUSCATIONS.join(', ')}; benign rows are the first ${benign.length} benign prompts, rewritten alike`],
    };
  },
};

/** The suites of this detector family, in report order. */
export const injectionSuites: readonly EvalSuite[] = [injectionSuite, indirectSuite, benignSuite, obfuscatedSuite];
