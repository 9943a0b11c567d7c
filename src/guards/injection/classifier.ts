import { extractFeatures, type FeatureBuffer, HASH_SIZE, newFeatureBuffer } from './features.js';

/** A logistic-regression model over hashed n-grams (see features.ts). */
export interface LinearModel {
  readonly bias: number;
  readonly weights: Float32Array;
}

/** Weights are stored as int8 with one scale, base64-encoded: 256 KiB for 2^18 buckets. */
export function decodeWeights(base64: string, scale: number): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length !== HASH_SIZE) throw new Error(`injection model has ${bytes.length} weights, expected ${HASH_SIZE}`);
  const out = new Float32Array(HASH_SIZE);
  for (let i = 0; i < bytes.length; i++) out[i] = ((bytes[i]! << 24) >> 24) * scale;
  return out;
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
): WindowScore {
  buf.length = 0;
  extractFeatures(text, buf);
  return scoreFeatureWindows(model.weights, model.bias, buf, text.length, windowSize);
}

export function scoreFeatureWindows(weights: Float32Array, bias: number, buf: FeatureBuffer, length: number, windowSize: number): WindowScore {
  if (buf.length === 0) return { logit: bias, start: 0, end: length };
  if (length <= windowSize) {
    let sum = 0;
    for (let k = 0; k < buf.length; k++) sum += weights[buf.ids[k]!]!;
    return { logit: bias + sum / Math.sqrt(buf.length), start: 0, end: length };
  }
  const sums = new Float64Array(length + 1);
  const counts = new Int32Array(length + 1);
  for (let k = 0; k < buf.length; k++) {
    const p = buf.pos[k]! + 1;
    sums[p]! += weights[buf.ids[k]!]!;
    counts[p]!++;
  }
  for (let p = 1; p <= length; p++) {
    sums[p]! += sums[p - 1]!;
    counts[p]! += counts[p - 1]!;
  }
  const step = Math.max(1, windowSize >> 1);
  let best: WindowScore = { logit: -Infinity, start: 0, end: length };
  for (let start = 0; ; start += step) {
    const end = Math.min(length, start + windowSize);
    const n = counts[end]! - counts[start]!;
    if (n > 0) {
      const logit = bias + (sums[end]! - sums[start]!) / Math.sqrt(n);
      if (logit > best.logit) best = { logit, start, end };
    }
    if (end === length) break;
  }
  return best.logit === -Infinity ? { logit: bias, start: 0, end: length } : best;
}
