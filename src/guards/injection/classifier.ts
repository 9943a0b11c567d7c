import { dedupeByBucket, extractFeatures, type FeatureBuffer, HASH_SIZE, newFeatureBuffer } from './features.js';

/** A logistic-regression model over hashed n-grams (see features.ts). */
export interface LinearModel {
  readonly bias: number;
  /** Quantized weights; the real weight is `weights[i] * scale`. 256 KiB stays in cache. */
  readonly weights: Int8Array;
  readonly scale: number;
}

/** Weights are stored as int8 with one scale, base64-encoded: 256 KiB for 2^18 buckets. */
export function decodeWeights(base64: string): Int8Array {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length !== HASH_SIZE) throw new Error(`injection model has ${bytes.length} weights, expected ${HASH_SIZE}`);
  return Int8Array.from(bytes, (b) => (b << 24) >> 24);
}

export function encodeWeights(weights: Float32Array): { base64: string; scale: number } {
  let max = 0;
  for (const w of weights) max = Math.max(max, Math.abs(w));
  const scale = max > 0 ? max / 127 : 1;
  const bytes = Buffer.alloc(weights.length);
  for (let i = 0; i < weights.length; i++) bytes[i] = Math.max(-127, Math.min(127, Math.round(weights[i]! / scale))) & 0xff;
  return { base64: bytes.toString('base64'), scale };
}

export interface WindowScore {
  /** Logit of the highest-scoring window. */
  readonly logit: number;
  /** That window, in offsets of the scored text. */
  readonly start: number;
  readonly end: number;
}

/**
 * Scores a text by overlapping windows; returns the best window. A text is x = counts / sqrt(total)
 * per window, so the logit of a window is bias + (sum of weights in it) / sqrt(features in it),
 * computed from prefix sums in one pass whatever the overlap.
 */
export function scoreWindows(
  model: LinearModel,
  text: string,
  windowSize: number,
  buf: FeatureBuffer = newFeatureBuffer(),
  toolResult = false,
): WindowScore {
  buf.length = 0;
  extractFeatures(text, buf, 0, text.length, toolResult);
  dedupeByBucket(buf, Math.max(1, windowSize >> 1));
  return scoreFeatureWindows(model, buf, text.length, windowSize);
}

export function scoreFeatureWindows(model: LinearModel, buf: FeatureBuffer, length: number, windowSize: number): WindowScore {
  const { weights, bias, scale } = model;
  if (buf.length === 0) return { logit: bias, start: 0, end: length };
  if (length <= windowSize) {
    let sum = 0;
    for (let k = 0; k < buf.length; k++) sum += weights[buf.ids[k]!]!;
    return { logit: bias + (sum * scale) / Math.sqrt(buf.length), start: 0, end: length };
  }
  // Windows start every half window, so each is two consecutive half-window buckets.
  const step = Math.max(1, windowSize >> 1);
  const buckets = Math.ceil(length / step);
  const sums = new Int32Array(buckets);
  const counts = new Int32Array(buckets);
  for (let k = 0; k < buf.length; k++) {
    const b = (buf.pos[k]! / step) | 0;
    sums[b]! += weights[buf.ids[k]!]!;
    counts[b]!++;
  }
  let best: WindowScore = { logit: -Infinity, start: 0, end: length };
  for (let b = 0; b < Math.max(1, buckets - 1); b++) {
    const n = counts[b]! + (counts[b + 1] ?? 0);
    if (n > 0) {
      const logit = bias + ((sums[b]! + (sums[b + 1] ?? 0)) * scale) / Math.sqrt(n);
      if (logit > best.logit) best = { logit, start: b * step, end: Math.min(length, (b + 2) * step) };
    }
  }
  return best.logit === -Infinity ? { logit: bias, start: 0, end: length } : best;
}
