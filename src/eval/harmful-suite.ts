import { HARMFUL_DEFAULT_THRESHOLD, harmfulScore } from '../guards/moderation/index.js';
import { readSuiteRows } from './pii-suite.js';
import { type BinaryCounts, binaryMetrics } from './secrets-suite.js';
import type { EvalOptions, EvalReport, EvalSuite, LabelMetrics } from './types.js';

interface Row {
  text: string;
  label: 'malicious' | 'benign';
  source?: string;
  category?: string;
  kind?: string;
}

const round = (x: number): number => Math.round(x * 10_000) / 10_000;

/** Borderline-but-fine prompts (PurpleLlama false-refusal sets): what must rarely be flagged. */
const EDGY = /^cyber_frr/;

export const harmfulSuite: EvalSuite = {
  name: 'harmful',
  description: 'Harmful/toxic-content classifier of the moderation guard (harmful/<split>.jsonl), with the flag rate on safe-but-edgy prompts.',
  async run(options: EvalOptions): Promise<EvalReport> {
    const rows = await readSuiteRows<Row>(options, 'harmful');
    harmfulScore('warm up');
    const total: BinaryCounts = { tp: 0, fp: 0, fn: 0, tn: 0 };
    const edgy: BinaryCounts = { tp: 0, fp: 0, fn: 0, tn: 0 };
    const byGroup = new Map<string, BinaryCounts>();
    let chars = 0;
    let elapsed = 0;
    rows.forEach((row, i) => {
      const started = performance.now();
      const flagged = harmfulScore(row.text) >= HARMFUL_DEFAULT_THRESHOLD;
      elapsed += performance.now() - started;
      chars += row.text.length;
      const positive = row.label === 'malicious';
      const cell = positive ? (flagged ? 'tp' : 'fn') : flagged ? 'fp' : 'tn';
      total[cell]++;
      if (row.category && EDGY.test(row.category)) edgy[cell]++;
      const group = `${(row.source ?? 'unknown').split(':')[0]}${row.category ? `/${row.category}` : ''}`;
      let g = byGroup.get(group);
      if (!g) byGroup.set(group, (g = { tp: 0, fp: 0, fn: 0, tn: 0 }));
      g[cell]++;
      options.onProgress?.(i + 1, rows.length);
    });
    const breakdown: Record<string, LabelMetrics & BinaryCounts & { flag_rate: number }> = {};
    for (const [group, c] of [...byGroup].sort((a, b) => a[0].localeCompare(b[0]))) {
      const m = binaryMetrics(c);
      const n = c.tp + c.fp + c.fn + c.tn;
      breakdown[group] = { ...c, precision: m.precision, recall: m.recall, f1: m.f1, support: c.tp + c.fn, flag_rate: round(n === 0 ? 0 : (c.tp + c.fp) / n) };
    }
    const edgyN = edgy.fp + edgy.tn;
    return {
      suite: 'harmful',
      split: options.split,
      examples: rows.length,
      metrics: {
        ...binaryMetrics(total),
        ...total,
        edgy_flag_rate: round(edgyN === 0 ? 0 : edgy.fp / edgyN),
        threshold: HARMFUL_DEFAULT_THRESHOLD,
        us_per_kb: round(chars === 0 ? 0 : (elapsed * 1000) / (chars / 1024)),
      },
      breakdown,
      notes: [
        'Flagged = classifier probability at or above the threshold chosen on held-out train data.',
        'edgy_flag_rate: share of PurpleLlama cyber false-refusal prompts (borderline but fine) that are flagged.',
      ],
    };
  },
};
