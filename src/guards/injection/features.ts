/**
 * Hashed n-gram features of normalized text, shared by the runtime classifier and the training
 * script (scripts/injection/train.ts) so the two can never drift apart.
 *
 * Features: character 3-, 4- and 5-grams (whitespace collapsed, digits folded to `0`) and word
 * unigrams and bigrams. Each occurrence is recorded with its position, so a window's score is a
 * difference of prefix sums and overlapping windows cost no more than one pass.
 */

export const HASH_BITS = 18;
export const HASH_SIZE = 1 << HASH_BITS;
const MASK = HASH_SIZE - 1;
const PRIME = 0x01000193;
const TOOL_SALT = 0x7f4a7c15;

export interface FeatureBuffer {
  ids: Int32Array;
  pos: Int32Array;
  length: number;
}

export function newFeatureBuffer(capacity = 4096): FeatureBuffer {
  return { ids: new Int32Array(capacity), pos: new Int32Array(capacity), length: 0 };
}

function grow(buf: FeatureBuffer, need: number): void {
  if (need <= buf.ids.length) return;
  const size = Math.max(need, buf.ids.length * 2);
  const ids = new Int32Array(size);
  const pos = new Int32Array(size);
  ids.set(buf.ids.subarray(0, buf.length));
  pos.set(buf.pos.subarray(0, buf.length));
  buf.ids = ids;
  buf.pos = pos;
}

function isWordChar(c: number): boolean {
  // ASCII letters and digits, Latin-1/Extended, Greek, Cyrillic, Arabic, Devanagari, Hangul:
  // scripts that separate words with spaces. CJK is covered by the character n-grams.
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0xc0 && c <= 0x24f) ||
    (c >= 0x370 && c <= 0x6ff) ||
    (c >= 0x900 && c <= 0x9ff) ||
    (c >= 0xac00 && c <= 0xd7a3)
  );
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d || c === 0x0c || c === 0xa0 || c === 0x3000;
}

/**
 * Appends the features of `text[start, end)` to `buf` (positions are offsets into `text`).
 * `text` must already be normalized (lower case). Returns the buffer.
 */
export function extractFeatures(text: string, buf: FeatureBuffer, start = 0, end = text.length, toolResult = false): FeatureBuffer {
  grow(buf, buf.length + (end - start) * 6 + 16);
  const ids = buf.ids;
  const pos = buf.pos;
  let n = buf.length;

  // Character n-grams over a collapsed view: runs of whitespace are one space, digits are `0`.
  // a1..a4 are the previous four characters (a1 most recent), q1..q4 their positions.
  let a1 = 0, a2 = 0, a3 = 0, a4 = 0;
  let q1 = start, q2 = start, q3 = start, q4 = start;
  let prevSpace = true;
  let count = 0;
  let wordHash = 0;
  let wordStart = -1;
  let prevWordHash = 0;
  let havePrevWord = false;

  for (let i = start; i <= end; i++) {
    let c = i < end ? text.charCodeAt(i) : 0x20;
    if (isSpace(c)) c = 0x20;
    else if (c >= 0x30 && c <= 0x39) c = 0x30;

    if (i < end && isWordChar(c)) {
      if (wordStart < 0) {
        wordStart = i;
        wordHash = 0x2c9277b5;
      }
      wordHash = Math.imul(wordHash ^ c, PRIME);
    } else {
      if (wordStart >= 0) {
        const h = Math.imul(wordHash ^ 0x5bd1e995, PRIME);
        ids[n] = (h ^ (h >>> 15)) & MASK;
        pos[n++] = wordStart;
        // In tool results, words also count as "words of a tool result": the same instruction
        // that is an ordinary user prompt is an injection inside fetched data.
        if (toolResult) {
          const ht = Math.imul(h ^ TOOL_SALT, PRIME);
          ids[n] = (ht ^ (ht >>> 15)) & MASK;
          pos[n++] = wordStart;
        }
        if (havePrevWord) {
          const hb = Math.imul(Math.imul(prevWordHash, 31) ^ wordHash ^ 0x1b873593, PRIME);
          ids[n] = (hb ^ (hb >>> 13)) & MASK;
          pos[n++] = wordStart;
          if (toolResult) {
            const hbt = Math.imul(hb ^ TOOL_SALT, PRIME);
            ids[n] = (hbt ^ (hbt >>> 13)) & MASK;
            pos[n++] = wordStart;
          }
        }
        prevWordHash = wordHash;
        havePrevWord = true;
        wordStart = -1;
      }
      // Sentence ends and line breaks separate bigrams.
      if (c === 0x2e || c === 0x21 || c === 0x3f || c === 0x3002 || (i < end && text.charCodeAt(i) === 0x0a)) havePrevWord = false;
    }

    if (i === end) break;
    if (c === 0x20 && prevSpace) continue;
    prevSpace = c === 0x20;

    count++;
    if (count >= 3) {
      const h3 = Math.imul(Math.imul(Math.imul(0x811c9dc5 ^ a2, PRIME) ^ a1, PRIME) ^ c, PRIME);
      ids[n] = (h3 ^ (h3 >>> 16)) & MASK;
      pos[n++] = q2;
      if (count >= 4) {
        const h4 = Math.imul(Math.imul(h3 ^ a3, PRIME) ^ 0x34, PRIME);
        ids[n] = (h4 ^ (h4 >>> 16)) & MASK;
        pos[n++] = q3;
        if (count >= 5) {
          const h5 = Math.imul(Math.imul(h4 ^ a4, PRIME) ^ 0x35, PRIME);
          ids[n] = (h5 ^ (h5 >>> 16)) & MASK;
          pos[n++] = q4;
        }
      }
    }
    a4 = a3; a3 = a2; a2 = a1; a1 = c;
    q4 = q3; q3 = q2; q2 = q1; q1 = i;
  }
  buf.length = n;
  return buf;
}

// 16-bit stamps keep the table at 512 KiB (cache-friendly); it is cleared when they wrap.
const stamp = new Uint16Array(HASH_SIZE);
let generation = 0;

/**
 * Keeps the first occurrence of each feature per bucket of `step` characters (in place), so a
 * window counts presence, not repetition: a log of "no reply" repeated 50 times is not 50 times
 * as suspicious. Windows are two consecutive buckets, at training and at run time alike.
 */
export function dedupeByBucket(buf: FeatureBuffer, step: number): void {
  const { ids, pos } = buf;
  let out = 0;
  let bucket = -1;
  // Features are emitted in nearly ascending position order; a bucket change starts a new generation.
  for (let k = 0; k < buf.length; k++) {
    const b = (pos[k]! / step) | 0;
    if (b !== bucket) {
      bucket = b;
      generation++;
      if (generation === 0xffff) {
        stamp.fill(0);
        generation = 1;
      }
    }
    const id = ids[k]!;
    if (stamp[id] === generation) continue;
    stamp[id] = generation;
    ids[out] = id;
    pos[out++] = pos[k]!;
  }
  buf.length = out;
}
