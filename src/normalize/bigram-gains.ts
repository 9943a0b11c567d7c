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

// ASCII as the table sees it, and whether it is a letter: one lookup each.
const ASCII_CANON = new Uint16Array(128);
const ASCII_LETTER = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const k = canonicalUnit(c);
  ASCII_CANON[c] = k;
  ASCII_LETTER[c] = k >= 0x61 && k <= 0x7a ? 1 : 0;
}

/**
 * Indexed `a << 7 | b` for canonical ASCII units: in the low 16 bits (signed) the table's entry
 * for (b, a) minus its entry for (a, b); in the high 16 bits the same for the pair under ROT13
 * (ROT13 maps ASCII to ASCII). One load per pair.
 */
type PairGains = Int32Array;

const asciiPairTables = new WeakMap<Uint8Array, PairGains>();
// The table of the last call (one table in use: no map lookup per line).
let lastTable: Uint8Array | undefined;
let lastPairs: PairGains | undefined;

/**
 * What reading an ASCII pair backwards or under ROT13 gains over reading it as written, by
 * `table`: one lookup per pair and judgement instead of two hashes. Only these differences
 * enter the judgement, so the sums are the same.
 */
function asciiPairs(table: Uint8Array): PairGains {
  if (table === lastTable) return lastPairs!;
  let pairs = asciiPairTables.get(table);
  if (!pairs) {
    const entry = (a: number, b: number): number => table[bigramKey(a, b)]!;
    pairs = new Int32Array(1 << 14);
    for (let a = 0; a < 128; a++) {
      for (let b = 0; b < 128; b++) {
        const forward = entry(a, b);
        pairs[(a << 7) | b] = ((entry(rot13Unit(a), rot13Unit(b)) - forward) << 16) | ((entry(b, a) - forward) & 0xffff);
      }
    }
    asciiPairTables.set(table, pairs);
  }
  lastTable = table;
  lastPairs = pairs;
  return pairs;
}

/**
 * How much better `text[start, end)` reads reversed and under ROT13 than as written, by `table`.
 * A run of one repeated non-letter (`-----`, `====`, spaces) counts once: it reads the same both
 * ways and would only dilute the judgement and the letter share. `units`, where given, holds the
 * code units of `text` (`units[i] === text.charCodeAt(i)`): read instead of `charCodeAt`.
 */
export function lineGains(table: Uint8Array, text: string, start: number, end: number, units?: Uint16Array): DisguiseGains {
  const stop = Math.min(end, start + MAX_JUDGED);
  let base = 0;
  if (!units) {
    units = new Uint16Array(Math.max(0, stop - start));
    for (let i = start; i < stop; i++) units[i - start] = text.charCodeAt(i);
    base = start;
  }
  const pairs = asciiPairs(table);
  let backward = 0; // minus forward
  let rotated = 0; // minus forward
  let letters = 0;
  let latin = 0;
  let visible = 0;
  let bigrams = 0;
  // The loop is written without branches on the characters (`same` is 1 where a = b): a branch
  // per space or repeated character mispredicts on ordinary text.
  const same = (a: number, b: number): number => ((a ^ b) - 1) >>> 31;
  let p = -1;
  for (let i = start; i < stop; i++) {
    const u = units[i - base]!;
    let c: number;
    let letter: number;
    if (u < 0x80) {
      c = ASCII_CANON[u]!;
      letter = ASCII_LETTER[u]!;
      latin += letter;
    } else {
      c = u === 0xa0 ? 0x20 : u;
      letter = 1 - same(c, 0x20);
    }
    if (p < 0) {
      // The first character: no pair yet.
      visible += 1 - same(c, 0x20);
      letters += letter;
      p = c;
      continue;
    }
    // A run of one repeated non-letter counts once: `keep` is 0 for its repeats (then c === p).
    const keep = 1 - ((1 - letter) & same(c, p));
    visible += keep & (1 - same(c, 0x20));
    letters += keep & letter;
    if ((p | c) < 0x80) {
      const both = keep * pairs[(p << 7) | c]!;
      backward += (both << 16) >> 16;
      rotated += both >> 16;
    } else if (keep === 1) {
      const forward = table[bigramKey(p, c)]!;
      backward += table[bigramKey(c, p)]! - forward;
      // ROT13 changes only the ASCII one of the pair.
      rotated += table[bigramKey(rot13Unit(p), rot13Unit(c))]! - forward;
    }
    bigrams += keep;
    p = c;
  }
  if (bigrams === 0) return { bigrams, letters: 0, latin: 0, reversed: 0, rot13: 0 };
  const unit = BIGRAM_SCALE * bigrams;
  return {
    bigrams,
    letters: letters / Math.max(1, visible),
    latin: latin / Math.max(1, letters),
    reversed: backward / unit,
    rot13: rotated / unit,
  };
}
