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

const NO_WEIGHTS = new Int8Array(HASH_SIZE);

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

// De-duplication within a bucket: a small open-addressing set (16 KiB, stays in the L1 cache; a
// bucket holds at most 4 * BUCKET features, a quarter of its slots). An entry is the feature id
// tagged with a 14-bit generation (bits 18 and up), so one load tells a hit, a slot of this
// bucket holding another id, and a free slot (an older generation) apart; the table is cleared
// when the generations wrap.
const SET_BITS = 12;
const SET_MASK = (1 << SET_BITS) - 1;
const GENERATIONS = 1 << (32 - HASH_BITS);
const setEntry = new Int32Array(1 << SET_BITS);
let generation = 1;

function nextGeneration(): number {
  generation++;
  if (generation === GENERATIONS) {
    setEntry.fill(0);
    generation = 1;
  }
  return generation;
}

/** Adds `id` to the current bucket's set (`tag` is the generation shifted by HASH_BITS); whether it was new. */
function fresh(id: number, tag: number): boolean {
  const entry = id | tag;
  let slot = id & SET_MASK;
  for (;;) {
    const e = setEntry[slot]!;
    if (e === entry) return false;
    if ((e & ~MASK) !== tag) break;
    slot = (slot + 1) & SET_MASK;
  }
  setEntry[slot] = entry;
  return true;
}

/**
 * Extracts the features of `text` (already normalized: lower case) into `buf`, de-duplicated per
 * bucket, and sums `weights` over each bucket's features (the classifier's work, done while each
 * feature is at hand). Returns the buffer. Linear, one pass, no allocation beyond growing `buf`.
 */
export function extractFeatures(text: string, buf: FeatureBuffer, weights: Int8Array = NO_WEIGHTS): FeatureBuffer {
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
  let tag = nextGeneration() << HASH_BITS;
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
      tag = nextGeneration() << HASH_BITS;
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
        if (fresh(id, tag)) {
          ids[n++] = id;
          weight += weights[id]!;
        }
        if (havePrevWord) {
          const hb = Math.imul(Math.imul(prevWordHash, 31) ^ wordHash ^ 0x1b873593, PRIME);
          id = (hb ^ (hb >>> 13)) & MASK;
          if (fresh(id, tag)) {
            ids[n++] = id;
            weight += weights[id]!;
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
      if (fresh(id, tag)) {
        ids[n++] = id;
        weight += weights[id]!;
      }
      if (count >= 4) {
        const h4 = Math.imul(Math.imul(h3 ^ a3, PRIME) ^ 0x34, PRIME);
        id = (h4 ^ (h4 >>> 16)) & MASK;
        if (fresh(id, tag)) {
          ids[n++] = id;
          weight += weights[id]!;
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
