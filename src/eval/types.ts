/**
 * `clawguard eval`: detection quality of a detector family on labelled data
 * (../shared/eval layout: `<task>/{train,dev}.jsonl`). Each detector family contributes suites.
 */
export type EvalSplit = 'train' | 'dev';

export interface EvalOptions {
  /** Folder holding `<task>/<split>.jsonl`. */
  readonly dataDir: string;
  readonly split: EvalSplit;
  /** Evaluate at most this many records per file (quick runs). */
  readonly limit?: number;
  /** Read these JSONL files (`text`, `label`) instead of `<dataDir>/<task>/<split>.jsonl`. */
  readonly files?: readonly string[];
  /** Report at this score instead of the detector's default threshold. */
  readonly threshold?: number;
  /** List up to this many misses and as many false positives (suites that score texts one by one). */
  readonly errors?: number;
  /** Called with (done, total) for a progress bar. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface LabelMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

export interface EvalReport {
  readonly suite: string;
  readonly split: EvalSplit;
  readonly examples: number;
  /** Headline figures, e.g. precision, recall, f1, fpr, recall_at_1pct_fpr, us_per_kb. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Per label / entity type / category breakdown. */
  readonly breakdown?: Readonly<Record<string, LabelMetrics>>;
  readonly notes?: readonly string[];
  /** With `errors`: the misses, lowest scores first, and the false positives, highest first. */
  readonly errors?: { readonly missed: readonly EvalError[]; readonly falsePositives: readonly EvalError[] };
}

/** One text the detector got wrong at the threshold it was judged by. */
export interface EvalError {
  readonly score: number;
  readonly threshold: number;
  readonly source: string;
  readonly lang?: string;
  /** The text with whitespace collapsed, cut to ERROR_TEXT_CHARS characters. */
  readonly text: string;
}

export const ERROR_TEXT_CHARS = 240;

export interface EvalSuite {
  /** `injection`, `indirect`, `pii`, `secrets`, `harmful`, `benign`, … */
  readonly name: string;
  readonly description: string;
  run(options: EvalOptions): Promise<EvalReport>;
}
