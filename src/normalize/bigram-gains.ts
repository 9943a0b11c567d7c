/** The bigram table's keys and the line judgement (bigram-lm.ts holds the trained table); shared with its training script. */

export const BIGRAM_BITS = 17;
/** Table units per nat: entries are round(SCALE * ln(1 + count)), at most 255. */
export const BIGRAM_SCALE = 16;

/** Bucket of the pair (a, b); not symmetric, so a pair and its reverse fall apart. */
export function bigramKey(a: number, b: number): number {
  return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b)) >>> (32 - BIGRAM_BITS);
}

/** The character as the table sees it: ASCII lower case, every digit `0`, tabs, CR and NBSP as spaces. */
export function canonicalUnit(c: number): number {
  if (c < 0x80) {
    if (c >= 0x41 && c <= 0x5a) return c + 32;
    if (c >= 0x30 && c <= 0x39) return 0x30;
    if (c === 0x09 || c === 0x0d) return 0x20;
    return c;
  }
  return c === 0xa0 ? 0x20 : c;
}

/** ROT13 of a canonical unit (lower-case ASCII letters only). */
export const rot13Unit = (c: number): number => (c >= 0x61 && c <= 0x7a ? ((c - 0x61 + 13) % 26) + 0x61 : c);

/** Lines are judged on at most this many characters: enough to tell, and the cost stays small on long lines. */
const MAX_JUDGED = 160;

export interface DisguiseGains {
  /** Bigrams judged. */
  readonly bigrams: number;
  /** Share of letters (ASCII letters and any character outside ASCII) among the judged characters that are not spaces. */
  readonly letters: number;
  /** Share of ASCII letters among those letters (ROT13 only changes these). */
  readonly latin: number;
  /** Mean gain per bigram (nats) of reading the line backwards rather than as written. */
  readonly reversed: number;
  /** The same for reading it under ROT13. */
  readonly rot13: number;
}

// ASCII as the table sees it, plain and under ROT13, and whether it is a letter: one lookup each.
const ASCII_CANON = new Uint16Array(128);
const ASCII_ROT13 = new Uint16Array(128);
const ASCII_LETTER = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const k = canonicalUnit(c);
  ASCII_CANON[c] = k;
  ASCII_ROT13[c] = rot13Unit(k);
  ASCII_LETTER[c] = k >= 0x61 && k <= 0x7a ? 1 : 0;
}

const asciiPairTables = new WeakMap<Uint8Array, Uint8Array>();

/** `table`'s entries for every pair of ASCII units, indexed `a << 7 | b`: one lookup instead of a hash. */
function asciiPairs(table: Uint8Array): Uint8Array {
  let pairs = asciiPairTables.get(table);
  if (!pairs) {
    pairs = new Uint8Array(1 << 14);
    for (let a = 0; a < 128; a++) for (let b = 0; b < 128; b++) pairs[(a << 7) | b] = table[bigramKey(a, b)]!;
    asciiPairTables.set(table, pairs);
  }
  return pairs;
}

/**
 * How much better `text[start, end)` reads reversed and under ROT13 than as written, by `table`.
 * A run of one repeated non-letter (`-----`, `====`, spaces) counts once: it reads the same both
 * ways and would only dilute the judgement and the letter share.
 */
export function lineGains(table: Uint8Array, text: string, start: number, end: number): DisguiseGains {
  const stop = Math.min(end, start + MAX_JUDGED);
  const pairs = asciiPairs(table);
  let forward = 0;
  let backward = 0;
  let rotated = 0;
  let letters = 0;
  let latin = 0;
  let visible = 0;
  let bigrams = 0;
  let p = -1;
  let pr = -1;
  for (let i = start; i < stop; i++) {
    const u = text.charCodeAt(i);
    let c: number;
    let cr: number;
    let letter: number;
    if (u < 0x80) {
      c = ASCII_CANON[u]!;
      cr = ASCII_ROT13[u]!;
      letter = ASCII_LETTER[u]!;
      latin += letter;
    } else {
      c = cr = u === 0xa0 ? 0x20 : u;
      letter = c === 0x20 ? 0 : 1;
    }
    if (letter === 0 && c === p) continue;
    if (c !== 0x20) {
      visible++;
      letters += letter;
    }
    if (p >= 0) {
      if ((p | c) < 0x80) {
        forward += pairs[(p << 7) | c]!;
        backward += pairs[(c << 7) | p]!;
      } else {
        forward += table[bigramKey(p, c)]!;
        backward += table[bigramKey(c, p)]!;
      }
      rotated += (pr | cr) < 0x80 ? pairs[(pr << 7) | cr]! : table[bigramKey(pr, cr)]!;
      bigrams++;
    }
    p = c;
    pr = cr;
  }
  if (bigrams === 0) return { bigrams, letters: 0, latin: 0, reversed: 0, rot13: 0 };
  const unit = BIGRAM_SCALE * bigrams;
  return {
    bigrams,
    letters: letters / Math.max(1, visible),
    latin: latin / Math.max(1, letters),
    reversed: (backward - forward) / unit,
    rot13: (rotated - forward) / unit,
  };
}
