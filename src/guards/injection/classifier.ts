import { BUCKET, extractFeatures, type FeatureBuffer, HASH_SIZE, newFeatureBuffer, weightTableOf } from './features.js';

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
  return new Int8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
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
 * Scores a text by overlapping windows (two consecutive buckets of features.ts); returns the best
 * window. A window is x = counts / sqrt(total), so its logit is bias + (sum of weights in it) /
 * sqrt(features in it). One pass over the features whatever the overlap.
 */
export function scoreWindows(model: LinearModel, text: string, buf: FeatureBuffer = newFeatureBuffer()): WindowScore {
  extractFeatures(text, buf, weightTableOf(model.weights));
  return bestWindow(model, buf, buf.bucketWeight, text.length);
}

/** `scoreWindows` for features extracted without the model's weights. */
export function scoreFeatureWindows(model: LinearModel, buf: FeatureBuffer, length: number): WindowScore {
  const sums = new Int32Array(buf.buckets);
  let k = 0;
  for (let b = 0; b < buf.buckets; b++) {
    let sum = 0;
    for (const stop = buf.bucketEnd[b]!; k < stop; k++) sum += model.weights[buf.ids[k]!]!;
    sums[b] = sum;
  }
  return bestWindow(model, buf, sums, length);
}

/** The best window of two consecutive buckets, from the buckets' weight sums and feature counts. */
function bestWindow(model: LinearModel, buf: FeatureBuffer, bucketWeight: Int32Array, length: number): WindowScore {
  const { bias, scale } = model;
  const bucketEnd = buf.bucketEnd;
  if (buf.length === 0) return { logit: bias, start: 0, end: length };
  let bestLogit = -Infinity;
  let bestBucket = 0;
  let prevSum = 0;
  let prevCount = 0;
  let k = 0;
  const last = buf.buckets - 1;
  for (let b = 0; b <= last; b++) {
    const stop = bucketEnd[b]!;
    const sum = bucketWeight[b]!;
    const count = stop - k;
    k = stop;
    // Window (b-1, b); a text of one or two buckets is one window.
    if (b >= 1 || last === 0) {
      const n = prevCount + count;
      if (n > 0) {
        const logit = bias + ((prevSum + sum) * scale) / Math.sqrt(n);
        if (logit > bestLogit) {
          bestLogit = logit;
          bestBucket = b === 0 ? 0 : b - 1;
        }
      }
    }
    prevSum = sum;
    prevCount = count;
  }
  if (bestLogit === -Infinity) return { logit: bias, start: 0, end: length };
  return { logit: bestLogit, start: bestBucket * BUCKET, end: Math.min(length, (bestBucket + 2) * BUCKET) };
}
