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
}

export interface EvalSuite {
  /** `injection`, `indirect`, `pii`, `secrets`, `harmful`, `benign`, … */
  readonly name: string;
  readonly description: string;
  run(options: EvalOptions): Promise<EvalReport>;
}
