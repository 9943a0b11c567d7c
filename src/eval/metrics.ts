/** Binary-classification metrics over scores in [0, 1] with labels 1 (malicious) and 0 (benign). */

export interface Confusion {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

export function confusion(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number | ArrayLike<number>): Confusion {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const t = typeof threshold === 'number' ? threshold : threshold[i]!;
    const flagged = scores[i]! >= t;
    if (labels[i] === 1) flagged ? tp++ : fn++;
    else flagged ? fp++ : tn++;
  }
  return { tp, fp, tn, fn };
}

/** Ratio with 0/0 defined as `empty` (0 unless said otherwise). */
export function ratio(num: number, den: number, empty = 0): number {
  return den === 0 ? empty : num / den;
}

export function precision(c: Confusion): number {
  return ratio(c.tp, c.tp + c.fp, 1);
}
export function recall(c: Confusion): number {
  return ratio(c.tp, c.tp + c.fn);
}
export function fpr(c: Confusion): number {
  return ratio(c.fp, c.fp + c.tn);
}
export function f1(c: Confusion): number {
  const p = precision(c);
  const r = recall(c);
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

/** Area under the ROC curve (Mann–Whitney U, ties count one half). NaN without both classes. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0, neg = 0, rankSum = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]!] === 1) {
        pos++;
        rankSum += avgRank;
      } else neg++;
    }
    i = j + 1;
  }
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Best recall while the false-positive rate stays at or below `maxFpr`: the threshold sits just
 * above the benign score that would be the first false positive too many.
 */
export function recallAtFpr(scores: ArrayLike<number>, labels: ArrayLike<number>, maxFpr: number): { recall: number; threshold: number } {
  const negatives: number[] = [];
  const positives: number[] = [];
  for (let i = 0; i < scores.length; i++) (labels[i] === 1 ? positives : negatives).push(scores[i]!);
  if (positives.length === 0) return { recall: Number.NaN, threshold: Number.NaN };
  negatives.sort((a, b) => b - a);
  const allowed = Math.floor(maxFpr * negatives.length);
  // Scores strictly above the (allowed+1)-th highest benign score are flagged.
  const bar = allowed < negatives.length ? negatives[allowed]! : -Infinity;
  let hit = 0;
  for (const s of positives) if (s > bar) hit++;
  return { recall: hit / positives.length, threshold: bar };
}

/** Rounds for reports: four decimals. */
export function round4(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : x;
}
