import { createSecretsDetector, secretsConfigSchema } from '../guards/secrets/index.js';
import { readSuiteRows } from './pii-suite.js';
import type { EvalOptions, EvalReport, EvalSuite, LabelMetrics } from './types.js';

interface Row {
  text: string;
  label: 'malicious' | 'benign';
  source?: string;
  kind?: string;
}

export interface BinaryCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

const round = (x: number): number => Math.round(x * 10_000) / 10_000;

export function binaryMetrics(c: BinaryCounts): { precision: number; recall: number; f1: number; fpr: number } {
  const precision = c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const fpr = c.fp + c.tn === 0 ? 0 : c.fp / (c.fp + c.tn);
  return { precision: round(precision), recall: round(recall), f1: round(f1), fpr: round(fpr) };
}

export const secretsSuite: EvalSuite = {
  name: 'secrets',
  description: 'Credential detection: a text is flagged when the secrets guard finds any credential (secrets/<split>.jsonl).',
  async run(options: EvalOptions): Promise<EvalReport> {
    const rows = await readSuiteRows<Row>(options, 'secrets');
    const detect = createSecretsDetector(secretsConfigSchema.parse({}));
    detect('warm up: token = "a1B2c3D4e5F6g7H8i9J0"');
    const total: BinaryCounts = { tp: 0, fp: 0, fn: 0, tn: 0 };
    const byKind = new Map<string, BinaryCounts>();
    let chars = 0;
    let elapsed = 0;
    rows.forEach((row, i) => {
      const started = performance.now();
      const flagged = detect(row.text).length > 0;
      elapsed += performance.now() - started;
      chars += row.text.length;
      const positive = row.label === 'malicious';
      const key = row.kind ?? 'unknown';
      let k = byKind.get(key);
      if (!k) byKind.set(key, (k = { tp: 0, fp: 0, fn: 0, tn: 0 }));
      const cell = positive ? (flagged ? 'tp' : 'fn') : flagged ? 'fp' : 'tn';
      total[cell]++;
      k[cell]++;
      options.onProgress?.(i + 1, rows.length);
    });
    const breakdown: Record<string, LabelMetrics & BinaryCounts> = {};
    for (const [kind, c] of [...byKind].sort((a, b) => a[0].localeCompare(b[0]))) {
      const m = binaryMetrics(c);
      breakdown[kind] = { ...c, precision: m.precision, recall: m.recall, f1: m.f1, support: c.tp + c.fn };
    }
    return {
      suite: 'secrets',
      split: options.split,
      examples: rows.length,
      metrics: { ...binaryMetrics(total), ...total, us_per_kb: round(chars === 0 ? 0 : (elapsed * 1000) / (chars / 1024)) },
      breakdown,
      notes: ['A text counts as flagged when any secret finding is reported (default config). Breakdown by record kind.'],
    };
  },
};
