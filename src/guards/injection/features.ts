/**
 * Hashed n-gram features of normalized text, shared by the runtime classifier and the training
 * script (scripts/injection/train.ts) so the two can never drift apart.
 *
 * Features: character 3- and 4-grams (whitespace collapsed, digits folded to `0`) and word
 * unigrams and bigrams. Messages and tool results are scored by two models over these features
 * (detector.ts), so the features themselves do not depend on the kind of text.
 *
 * The text is cut into buckets of BUCKET characters; a window is two consecutive buckets (so
 * windows overlap by half). A feature belongs to the bucket of the character that completes it,
 * and counts once per bucket: presence, not repetition. Extraction, de-duplication and bucketing
 * are one pass with no per-character allocation.
 */

import { CodeUnits } from '../../normalize/codeunits.js';

export const HASH_BITS = 17;
export const HASH_SIZE = 1 << HASH_BITS;
/** Half a window: windows are two consecutive buckets. */
export const BUCKET_BITS = 8;
export const BUCKET = 1 << BUCKET_BITS;
export const WINDOW = 2 * BUCKET;
const MASK = HASH_SIZE - 1;
const PRIME = 0x01000193;

export interface FeatureBuffer {
  /** Feature ids, de-duplicated per bucket, bucket after bucket. */
  ids: Int32Array;
  /** `bucketEnd[b]` is the index in `ids` after the last feature of bucket b. */
  bucketEnd: Int32Array;
  /** `bucketWeight[b]`: the sum of the weights (as given to `extractFeatures`) of bucket b's features. */
  bucketWeight: Int32Array;
  length: number;
  buckets: number;
}

export function newFeatureBuffer(capacity = 4096): FeatureBuffer {
  return { ids: new Int32Array(capacity), bucketEnd: new Int32Array(64), bucketWeight: new Int32Array(64), length: 0, buckets: 0 };
}

// Word characters: ASCII letters and digits, Latin-1/Extended, Greek, Cyrillic, Arabic,
// Devanagari, Hangul: scripts that separate words with spaces. CJK is covered by the character
// n-grams. 1 = word character, 2 = whitespace, 3 = sentence end (breaks bigrams), 0 = other.
const CLASS = new Uint8Array(0x10000);
for (let c = 0x61; c <= 0x7a; c++) CLASS[c] = 1;
for (let c = 0x30; c <= 0x39; c++) CLASS[c] = 1;
for (let c = 0xc0; c <= 0x24f; c++) CLASS[c] = 1;
for (let c = 0x370; c <= 0x6ff; c++) CLASS[c] = 1;
for (let c = 0x900; c <= 0x9ff; c++) CLASS[c] = 1;
for (let c = 0xac00; c <= 0xd7a3; c++) CLASS[c] = 1;
for (const c of [0x20, 0x09, 0x0d, 0x0c, 0xa0, 0x3000]) CLASS[c] = 2;
CLASS[0x0a] = 4; // whitespace that also ends a bigram run
for (const c of [0x2e, 0x21, 0x3f, 0x3002]) CLASS[c] = 3;

const scratch = new CodeUnits();

/**
 * A model's weights with the de-duplication beside them: cell i is `generation << 8 | weight byte`.
 * Each bucket takes a new generation, so one load tells whether feature i is already in the
 * bucket and gives its weight (a separate set and weight table cost two random loads per feature,
 * and the feature pass is bound by them). After 255 generations every cell is reset from a pristine
 * copy (one 256 KiB copy per 255 buckets).
 */
export class WeightTable {
  readonly cells: Uint16Array;
  private readonly pristine: Uint16Array;
  private generation = 0;

  constructor(weights: Int8Array) {
    if (weights.length !== HASH_SIZE) throw new Error(`weight table needs ${HASH_SIZE} weights, got ${weights.length}`);
    this.pristine = new Uint16Array(HASH_SIZE);
    for (let i = 0; i < HASH_SIZE; i++) this.pristine[i] = weights[i]! & 0xff;
    this.cells = this.pristine.slice();
  }

  /** The tag of the next bucket (its generation in the high byte). */
  nextTag(): number {
    if (++this.generation === 256) {
      this.cells.set(this.pristine);
      this.generation = 1;
    }
    return this.generation << 8;
  }
}

const tables = new WeakMap<Int8Array, WeightTable>();

/** The weight table of `weights`, made once per weights array. */
export function weightTableOf(weights: Int8Array): WeightTable {
  let table = tables.get(weights);
  if (!table) tables.set(weights, (table = new WeightTable(weights)));
  return table;
}

let zeroTable: WeightTable | undefined;

/**
 * Extracts the features of `text` (already normalized: lower case) into `buf`, de-duplicated per
 * bucket, and sums the table's weights over each bucket's features (the classifier's work, done while each
 * feature is at hand). Returns the buffer. Linear, one pass, no allocation beyond growing `buf`.
 */
export function extractFeatures(text: string, buf: FeatureBuffer, table: WeightTable = (zeroTable ??= new WeightTable(new Int8Array(HASH_SIZE)))): FeatureBuffer {
  const cells = table.cells;
  const end = text.length;
  const buckets = Math.max(1, (end + BUCKET - 1) >>> BUCKET_BITS);
  // At most 2 character n-grams and 2 word features per character, plus the final word.
  const need = Math.min(end, BUCKET) * 4 * buckets + 16;
  if (buf.ids.length < need) buf.ids = new Int32Array(Math.max(need, buf.ids.length * 2));
  if (buf.bucketEnd.length < buckets + 1) {
    buf.bucketEnd = new Int32Array(Math.max(buckets + 1, buf.bucketEnd.length * 2));
    buf.bucketWeight = new Int32Array(buf.bucketEnd.length);
  }
  const ids = buf.ids;
  const bucketEnd = buf.bucketEnd;
  const bucketWeight = buf.bucketWeight;
  const units = scratch.load(text);
  let n = 0;
  let tag = table.nextTag();
  let nextBoundary = BUCKET;
  let bucket = 0;
  let weight = 0;

  // Character n-grams over a collapsed view: runs of whitespace are one space, digits are `0`.
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let prevSpace = true;
  let count = 0;
  let wordHash = 0;
  let inWord = false;
  let prevWordHash = 0;
  let havePrevWord = false;

  for (let i = 0; i <= end; i++) {
    if (i === nextBoundary && i < end) {
      bucketWeight[bucket] = weight;
      bucketEnd[bucket++] = n;
      weight = 0;
      nextBoundary += BUCKET;
      tag = table.nextTag();
    }
    let c = i < end ? units[i]! : 0x20;
    const cls = CLASS[c]!;
    if (cls === 1) {
      if (c <= 0x39 && c >= 0x30) c = 0x30;
      if (!inWord) {
        inWord = true;
        wordHash = 0x2c9277b5;
      }
      wordHash = Math.imul(wordHash ^ c, PRIME);
    } else {
      if (cls === 2 || cls === 4) c = 0x20;
      if (inWord) {
        inWord = false;
        const h = Math.imul(wordHash ^ 0x5bd1e995, PRIME);
        let id = (h ^ (h >>> 15)) & MASK;
        const v1 = cells[id]!;
        if ((v1 & 0xff00) !== tag) {
          cells[id] = tag | (v1 & 0xff);
          ids[n++] = id;
          weight += (v1 << 24) >> 24;
        }
        if (havePrevWord) {
          const hb = Math.imul(Math.imul(prevWordHash, 31) ^ wordHash ^ 0x1b873593, PRIME);
          id = (hb ^ (hb >>> 13)) & MASK;
          const v2 = cells[id]!;
          if ((v2 & 0xff00) !== tag) {
            cells[id] = tag | (v2 & 0xff);
            ids[n++] = id;
            weight += (v2 << 24) >> 24;
          }
        }
        prevWordHash = wordHash;
        havePrevWord = true;
      }
      // Sentence ends and line breaks separate bigrams.
      if (cls >= 3) havePrevWord = false;
    }

    if (i === end) break;
    if (c === 0x20) {
      if (prevSpace) continue;
      prevSpace = true;
    } else prevSpace = false;

    count++;
    if (count >= 3) {
      const h3 = Math.imul(Math.imul(Math.imul(0x811c9dc5 ^ a2, PRIME) ^ a1, PRIME) ^ c, PRIME);
      let id = (h3 ^ (h3 >>> 16)) & MASK;
      const v3 = cells[id]!;
      if ((v3 & 0xff00) !== tag) {
        cells[id] = tag | (v3 & 0xff);
        ids[n++] = id;
        weight += (v3 << 24) >> 24;
      }
      if (count >= 4) {
        const h4 = Math.imul(Math.imul(h3 ^ a3, PRIME) ^ 0x34, PRIME);
        id = (h4 ^ (h4 >>> 16)) & MASK;
        const v4 = cells[id]!;
        if ((v4 & 0xff00) !== tag) {
          cells[id] = tag | (v4 & 0xff);
          ids[n++] = id;
          weight += (v4 << 24) >> 24;
        }

      }
    }
    a3 = a2;
    a2 = a1;
    a1 = c;
  }
  // The final word and the last partial bucket.
  while (bucket < buckets) {
    bucketWeight[bucket] = weight;
    bucketEnd[bucket++] = n;
    weight = 0;
  }
  buf.length = n;
  buf.buckets = buckets;
  return buf;
}
