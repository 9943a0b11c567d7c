import { describe, expect, it } from 'vitest';
import { confusion, f1, fpr, precision, recall, recallAtFpr, rocAuc } from '../../src/eval/metrics.js';

describe('metrics', () => {
  const scores = [0.9, 0.8, 0.4, 0.7, 0.2, 0.1];
  const labels = [1, 1, 1, 0, 0, 0];

  it('counts the confusion matrix at a threshold', () => {
    const c = confusion(scores, labels, 0.5);
    expect(c).toEqual({ tp: 2, fp: 1, tn: 2, fn: 1 });
    expect(precision(c)).toBeCloseTo(2 / 3);
    expect(recall(c)).toBeCloseTo(2 / 3);
    expect(f1(c)).toBeCloseTo(2 / 3);
    expect(fpr(c)).toBeCloseTo(1 / 3);
  });

  it('accepts one threshold per example', () => {
    expect(confusion(scores, labels, [0.95, 0.5, 0.3, 0.5, 0.5, 0.5])).toEqual({ tp: 2, fp: 1, tn: 2, fn: 1 });
  });

  it('computes ROC AUC with ties counted half', () => {
    expect(rocAuc(scores, labels)).toBeCloseTo(8 / 9);
    expect(rocAuc([0.5, 0.5], [1, 0])).toBeCloseTo(0.5);
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
  });

  it('finds recall at a false-positive budget', () => {
    // No false positive allowed: the bar is the best benign score (0.7), so only 0.9 and 0.8 pass.
    expect(recallAtFpr(scores, labels, 0.01)).toEqual({ recall: 2 / 3, threshold: 0.7 });
    // One in three allowed: the bar drops to 0.2.
    expect(recallAtFpr(scores, labels, 0.34).recall).toBe(1);
  });

  it('defines empty ratios instead of dividing by zero', () => {
    const none = confusion([], [], 0.5);
    expect(precision(none)).toBe(1);
    expect(recall(none)).toBe(0);
    expect(fpr(none)).toBe(0);
  });
});
