import { CodeUnits, LITTLE_ENDIAN } from './codeunits.js';
import { type EncodingKind, findEncodedRuns } from './decode.js';
import { compatKind, confusableToLatin, foldCodePoint, invisibleKind, isConfusableScript, tagCharToAscii } from './unicode.js';

export type ObfuscationKind =
  | 'zero_width'
  | 'bidi'
  | 'tag_chars'
  | 'variation_selector'
  | 'fullwidth'
  | 'math_alnum'
  | 'enclosed'
  | 'homoglyph'
  | 'leetspeak'
  | 'spaced_letters'
  | EncodingKind;

export interface TextSpan {
  /** UTF-16 offsets into the original text, end exclusive. */
  readonly start: number;
  readonly end: number;
}

/** One kind of obfuscation seen in the text: how often, and where the first and last instance lie. */
export interface Obfuscation {
  readonly kind: ObfuscationKind;
  readonly count: number;
  readonly span: TextSpan;
}

/** Text hidden in an encoding, decoded and itself normalized. */
export interface DecodedLayer {
  readonly kind: EncodingKind;
  /** Where the encoded text lies in the original text of the outermost call. */
  readonly span: TextSpan;
  /** Nesting depth: 1 for text decoded from the input, 2 for text decoded from that, … */
  readonly depth: number;
  readonly normalized: NormalizedText;
}

export interface NormalizedText {
  readonly original: string;
  /**
   * Folded text: NFKC, lower case, invisible characters removed, homoglyphs and leetspeak folded to
   * Latin, spaced-out letters joined. Guards match against this.
   */
  readonly text: string;
  /**
   * `offsets[i]` is the original UTF-16 offset of `text[i]`; `offsets[text.length]` is `original.length`.
   * Read only: it may be a view of a table shared with other texts.
   */
  readonly offsets: Int32Array;
  readonly obfuscations: readonly Obfuscation[];
  /**
   * Encoded payloads found in the text, decoded and normalized, recursively (bounded), flattened:
   * nested layers follow their parent, so iterate this list without recursing. Spans inside a
   * layer's own `normalized` refer to the decoded text; `span` places it in the original.
   */
  readonly layers: readonly DecodedLayer[];
}

export interface NormalizeOptions {
  /** How deep decoded text is decoded again. Default 3. */
  readonly maxDepth?: number;
  /** Total characters of decoded text kept over all layers. Default 64 Ki or the text length, whichever is larger. */
  readonly maxDecodedChars?: number;
}

/** Maps a span of the normalized text back to the original text. */
export function toOriginalSpan(n: NormalizedText, start: number, end: number): TextSpan {
  const s = n.offsets[Math.max(0, Math.min(start, n.text.length))] ?? 0;
  if (end <= start) return { start: s, end: s };
  const lastOrig = n.offsets[Math.min(end, n.text.length) - 1] ?? s;
  const cp = n.original.codePointAt(lastOrig) ?? 0;
  return { start: s, end: Math.min(n.original.length, lastOrig + (cp > 0xffff ? 2 : 1)) };
}

class Tally {
  private readonly map = new Map<ObfuscationKind, { count: number; start: number; end: number }>();
  add(kind: ObfuscationKind, start: number, end: number, count = 1): void {
    const hit = this.map.get(kind);
    if (hit) {
      hit.count += count;
      hit.start = Math.min(hit.start, start);
      hit.end = Math.max(hit.end, end);
    } else this.map.set(kind, { count, start, end });
  }
  list(): Obfuscation[] {
    return [...this.map].map(([kind, v]) => ({ kind, count: v.count, span: { start: v.start, end: v.end } }));
  }
}

class Builder {
  parts: string[] = [];
  offsets: Int32Array;
  length = 0;
  /** `capacity`: the expected length + 1 (folding mostly keeps the length), so the offsets rarely grow. */
  constructor(capacity: number) {
    this.offsets = new Int32Array(Math.max(64, capacity));
  }
  /** Room for `count` more offsets (and the final one). */
  private reserve(count: number): Int32Array {
    const need = this.length + count + 1;
    if (need > this.offsets.length) {
      const grown = new Int32Array(Math.max(need, this.offsets.length * 2));
      grown.set(this.offsets.subarray(0, this.length));
      this.offsets = grown;
    }
    return this.offsets;
  }
  /** `s`, every unit of it from the original offset `origin`. */
  push(s: string, origin: number): void {
    this.parts.push(s);
    const offsets = this.reserve(s.length);
    let n = this.length;
    for (let k = 0; k < s.length; k++) offsets[n++] = origin;
    this.length = n;
  }
  /** `s`, the folded form of the original units [from, to), unit for unit. */
  pushRun(s: string, from: number, to: number): void {
    this.parts.push(s);
    this.reserve(to - from).set(identity(to).subarray(from, to), this.length);
    this.length += to - from;
  }
}

let identityUnits = new Int32Array(0);

/** An array holding 0, 1, 2, … up to at least `length` (shared: read only). */
function identity(length: number): Int32Array {
  if (identityUnits.length <= length) {
    identityUnits = new Int32Array(Math.max(length + 1, 2 * identityUnits.length, 1024));
    for (let i = 0; i < identityUnits.length; i++) identityUnits[i] = i;
  }
  return identityUnits;
}

/**
 * Per BMP code unit: 0 not yet known, 1 joins a run (ASCII other than NUL, and characters that
 * fold to themselves and are visible), 2 changes or is special.
 */
const IN_RUN = new Uint8Array(0x10000);
for (let c = 1; c < 0x80; c++) IN_RUN[c] = 1;

const foldScratch = new CodeUnits();
const scanScratch = new CodeUnits();
const editScratch = new CodeUnits();

/** Pass 1: per code point. Removes invisibles, applies NFKC + lower case + diacritic folding. */
function foldChars(original: string, units: Uint16Array, tally: Tally, smuggled: { text: string; start: number; end: number }): Builder {
  const b = new Builder(original.length + 1);
  const s = original;
  const length = s.length;
  // Runs of ASCII and of characters that fold to themselves come from the lower-cased text when
  // lower-casing kept every position (`İ` lower-cases to two units): lower-casing a text whole is
  // several times cheaper than lower-casing its slices (each a separate call, outside ASCII).
  const lowerWhole = s.toLowerCase();
  const aligned = lowerWhole.length === length;
  for (let i = 0; i < length; ) {
    const runStart = i;
    for (;;) {
      while (i < length && IN_RUN[units[i]!] === 1) i++;
      if (i >= length || IN_RUN[units[i]!] === 2) break;
      const c = units[i]!;
      // A character that folds to itself is its own lower case too (checked, so that the runs can
      // be read from the lower-cased text).
      IN_RUN[c] = c === 0 || (c >= 0xd800 && c <= 0xdfff) || invisibleKind(c) !== undefined || foldCodePoint(c, s[i]!) !== s[i] || s[i]!.toLowerCase() !== s[i] ? 2 : 1;
    }
    if (i > runStart) b.pushRun(aligned ? lowerWhole.slice(runStart, i) : s.slice(runStart, i).toLowerCase(), runStart, i);
    if (i >= length) break;
    const cp = s.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const inv = invisibleKind(cp);
    if (inv) {
      tally.add(inv, i, i + width);
      if (inv === 'tag_chars') {
        const ascii = tagCharToAscii(cp);
        if (ascii !== undefined) {
          if (smuggled.text.length === 0) smuggled.start = i;
          smuggled.text += ascii;
          smuggled.end = i + width;
        }
      }
    } else if (cp === 0) {
      // NUL carries nothing.
    } else {
      const ch = width === 2 ? s.slice(i, i + 2) : s[i]!;
      const folded = foldCodePoint(cp, ch);
      if (folded !== ch && folded !== ch.toLowerCase() && /[\p{L}\p{N}]/u.test(folded)) {
        const kind = compatKind(cp);
        if (kind !== 'compat') tally.add(kind, i, i + width);
      }
      if (folded.length > 0) b.push(folded, i);
    }
    i += width;
  }
  return b;
}

const TAG_CHAR = /[\u{e0000}-\u{e007f}]/gu;

/**
 * What the tag characters between `start` and `end` spell, read in place: each one as its ASCII
 * character, everything between them as written, with the untagged letters just before and after. Tagging only the ASCII of a text (its spaces and
 * punctuation) and leaving the rest visible hides Hindi or Chinese as well as English; reading the
 * tags alone would lose the visible letters.
 */
function readSmuggled(original: string, start: number, end: number): string {
  // The visible letters of the first and last words sit outside the first and last tag.
  while (start > 0 && isVisibleNonAscii(original.charCodeAt(start - 1))) start--;
  while (end < original.length && isVisibleNonAscii(original.charCodeAt(end))) end++;
  return original.slice(start, end).replace(TAG_CHAR, (c) => tagCharToAscii(c.codePointAt(0)!) ?? '');
}

function isVisibleNonAscii(c: number): boolean {
  return c >= 0x80 && c !== 0xa0 && c !== 0x3000 && !(c >= 0x2000 && c <= 0x200f) && c !== 0x2028 && c !== 0x2029 && c !== 0xfeff;
}


/**
 * Length-preserving edits of a text, one code unit for one, recorded in order and applied at
 * once: nothing is allocated until the first edit. A later edit of a place wins.
 */
class LazyChars {
  private readonly at: number[] = [];
  private readonly codes: number[] = [];
  constructor(private readonly text: string) {}
  set(i: number, ch: string): void {
    this.at.push(i);
    this.codes.push(ch.charCodeAt(0));
  }
  /** The edited text. */
  result(): string {
    const { text, at, codes } = this;
    if (at.length === 0) return text;
    if (LITTLE_ENDIAN && at.length * 64 > text.length) {
      // Dense edits (a text written in leet): its code units edited and read back in one call.
      const units = editScratch.load(text);
      for (let k = 0; k < at.length; k++) units[at[k]!] = codes[k]!;
      return Buffer.from(units.buffer, units.byteOffset, 2 * text.length).toString('utf16le');
    }
    // Sparse edits: slices between them.
    const edits = new Map<number, number>();
    for (let k = 0; k < at.length; k++) edits.set(at[k]!, codes[k]!);
    const places = Int32Array.from(edits.keys()).sort();
    const parts: string[] = [];
    let from = 0;
    for (const i of places) {
      parts.push(text.slice(from, i), String.fromCharCode(edits.get(i)!));
      from = i + 1;
    }
    parts.push(text.slice(from));
    return parts.join('');
  }
}

const letterOrMarkCache = new Uint8Array(0x10000); // 0 unknown, 1 yes, 2 no
const LETTER_OR_MARK = /^[\p{L}\p{M}]$/u;

/** Whether the code point `cp` is a letter or a mark (what MIXED_WORD's class takes). */
function isLetterOrMark(cp: number): boolean {
  if (cp >= 0x10000) return LETTER_OR_MARK.test(String.fromCodePoint(cp));
  let v = letterOrMarkCache[cp]!;
  if (v === 0) {
    v = LETTER_OR_MARK.test(String.fromCharCode(cp)) ? 1 : 2;
    letterOrMarkCache[cp] = v;
  }
  return v === 1;
}

/**
 * Folds the look-alikes of every word (a maximal run of letters and marks, by code point: what
 * MIXED_WORD matches) that holds a Latin letter and one of the look-alike places `places[0, count)`
 * (ascending). Only the words around those places are read, in order.
 */
function foldHomoglyphs(chars: LazyChars, text: string, offsets: Int32Array, tally: Tally, places: Int32Array, count: number): boolean {
  let changed = false;
  let done = 0;
  for (let p = 0; p < count; p++) {
    const at = places[p]!;
    if (at < done || !isLetterOrMark(text.charCodeAt(at))) continue;
    let start = at;
    while (start > 0) {
      const low = text.charCodeAt(start - 1);
      const pair = low >= 0xdc00 && low <= 0xdfff && start > 1 && isHighSurrogate(text.charCodeAt(start - 2));
      const cp = pair ? text.codePointAt(start - 2)! : low;
      if (!isLetterOrMark(cp)) break;
      start -= pair ? 2 : 1;
    }
    let end = at + 1;
    while (end < text.length) {
      const cp = text.codePointAt(end)!;
      if (!isLetterOrMark(cp)) break;
      end += cp > 0xffff ? 2 : 1;
    }
    done = end;
    let latin = false;
    for (let k = start; k < end && !latin; k++) latin = isAsciiLetter(text.charCodeAt(k));
    if (!latin) continue;
    for (let k = start; k < end; k++) {
      const to = confusableToLatin(text[k]!);
      if (to) {
        chars.set(k, to);
        tally.add('homoglyph', offsets[k]!, offsets[k]! + 1);
        changed = true;
      }
    }
  }
  return changed;
}

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;

// No `@`: folding it would turn every e-mail address into a word.
const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', $: 's', '|': 'l', '!': 'i' };
const LEET_CODE: string[] = [];
for (const [from, to] of Object.entries(LEET)) LEET_CODE[from.charCodeAt(0)] = to;
const ORDINAL_OR_UNIT = /^[0-9]+(?:st|nd|rd|th|am|pm|px|pt|em|kb|mb|gb|tb|ms|hz|fps|mm|cm|km|kg|ml)$/;

function isLeetTokenChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 36 || c === 124 || c === 33;
}

/**
 * Pass 3 (length-preserving): leetspeak ("1gn0r3", "pa$$w0rd") folds to letters. A text with two
 * or more leet words is written in leet: then short tokens fold too ("15" → "is", "n0" → "no").
 * `units` holds the text's code units and `scan` found its `count` tokens with a digit or symbol:
 * both rounds read only those.
 */
function foldLeet(chars: LazyChars, units: Uint16Array, count: number, offsets: Int32Array, tally: Tally): boolean {
  const folded: number[] = [];
  for (let t = 0; t < count; t++) {
    if (tokenLetters[t]! >= 2 && foldLeetToken(chars, units, tokenStart[t]!, tokenEnd[t]!, offsets, tally)) folded.push(t);
  }
  if (folded.length >= 2) {
    // A token the first round folded has its first character changed where that is a digit.
    let f = 0;
    for (let t = 0; t < count; t++) {
      while (f < folded.length && folded[f]! < t) f++;
      const start = tokenStart[t]!;
      const firstChanged = folded[f] === t && units[start]! >= 48 && units[start]! <= 57;
      if (!firstChanged) foldShortLeetToken(chars, units, start, tokenEnd[t]!, tokenLetters[t]!);
    }
  }
  return folded.length > 0;
}

/** Whether `units[start, end)` holds a 2 or a 6 (version numbers and identifiers: h264, sha256, x86, utf8 hold digits that are not leet). */
function hasTwoOrSix(units: Uint16Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (units[k] === 50 || units[k] === 54) return true;
  return false;
}

/** In a text already written in leet: any lettered token, and digit-only tokens up to 3 long (the caller skips a token whose first character the first round changed). */
function foldShortLeetToken(chars: LazyChars, units: Uint16Array, at: number, end: number, letters: number): boolean {
  if (hasTwoOrSix(units, at, end)) return false;
  if (end - at > 3 && letters === 0) return false;
  let any = false;
  for (let k = at; k < end; k++) {
    const c = units[k]!;
    if (c >= 48 && c <= 57) {
      chars.set(k, LEET_CODE[c]!);
      any = true;
    }
  }
  return any;
}

function foldLeetToken(chars: LazyChars, units: Uint16Array, at: number, end: number, offsets: Int32Array, tally: Tally): boolean {
  if (hasTwoOrSix(units, at, end)) return false;
  let subs = 0;
  let innerDigit = false;
  for (let k = at; k < end; k++) {
    const c = units[k]!;
    if (c >= 97 && c <= 122) continue;
    const inner = k > at && k < end - 1;
    // Symbols count only between letters/digits; digits anywhere inside a lettered token.
    if (c >= 48 && c <= 57) {
      subs++;
      if (inner) innerDigit = true;
    } else if (inner) {
      subs++;
      innerDigit = true;
    }
  }
  if (subs === 0) return false;
  const last = units[end - 1]!;
  // "4ll" is leet; ordinals and units ("4th", "5pm", "3px") are not.
  if (subs < 2 && !innerDigit && (end - at < 3 || (last >= 48 && last <= 57) || ORDINAL_OR_UNIT.test(String.fromCharCode(...units.subarray(at, end))))) return false;
  for (let k = at; k < end; k++) {
    const c = units[k]!;
    if (c >= 97 && c <= 122) continue;
    if ((c >= 48 && c <= 57) || (k > at && k < end - 1)) chars.set(k, LEET_CODE[c]!);
  }
  tally.add('leetspeak', offsets[at]!, offsets[end - 1]! + 1);
  return true;
}

const SEPARATORS = new Set([' ', '.', '-', '_', '*', '·', '|', '/', '\\', ',', '+', '~']);
const IS_SEPARATOR = new Uint8Array(0x10000);
for (const sep of SEPARATORS) IS_SEPARATOR[sep.charCodeAt(0)] = 1;
const alnumCache = new Uint8Array(0x10000); // 0 unknown, 1 yes, 2 no

function isAlnumAt(units: Uint16Array, length: number, i: number): boolean {
  if (i < 0 || i >= length) return false;
  const c = units[i]!;
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
  let v = alnumCache[c]!;
  if (v === 0) {
    v = /[\p{L}\p{N}]/u.test(String.fromCharCode(c)) ? 1 : 2;
    alnumCache[c] = v;
  }
  return v === 1;
}

const markCache = new Uint8Array(0x10000); // 0 unknown, 1 yes, 2 no

/** A combining mark (a vowel sign, virama or accent that belongs to the letter before it). */
function isMarkAt(units: Uint16Array, length: number, i: number): boolean {
  if (i < 0 || i >= length) return false;
  const c = units[i]!;
  if (c < 0x300) return false;
  let v = markCache[c]!;
  if (v === 0) {
    v = /\p{M}/u.test(String.fromCharCode(c)) ? 1 : 2;
    markCache[c] = v;
  }
  return v === 1;
}

// Viramas of the Indic scripts: the letter after one belongs to the same cluster ("र्दे" is one).
const VIRAMAS = new Set([0x094d, 0x09cd, 0x0a4d, 0x0acd, 0x0b4d, 0x0bcd, 0x0c4d, 0x0ccd, 0x0d4d, 0x0dca, 0x1039, 0x17d2]);

/** Where the letter at `i` ends, with the combining marks (and conjoined letters) that follow it ("कि", "र्दे"). */
function clusterEnd(units: Uint16Array, length: number, i: number): number {
  let k = i + 1;
  for (;;) {
    while (isMarkAt(units, length, k)) k++;
    if (!VIRAMAS.has(units[k - 1]!) || !isAlnumAt(units, length, k)) return k;
    k++;
  }
}

/**
 * Pass 4: joins four or more letters spaced out by one repeated separator: "i g n o r e",
 * "i.g.n.o.r.e", "न ि र् दे श" (a letter counts with its combining marks). Once a text is seen doing
 * that, shorter spaced words ("a l l") are joined too.
 */
function joinSpaced(text: string, offsets: Int32Array, tally: Tally, lines: Int32Array, lineCount: number): { text: string; offsets: Int32Array } {
  const dropped: number[] = [];
  let units = scanScratch.load(text);
  for (let k = 0; k < lineCount; k++) findSpacedRuns(units, text.length, lines[2 * k]!, lines[2 * k + 1]!, 4, offsets, tally, dropped);
  if (dropped.length === 0) return { text, offsets };
  const first = dropUnits(text, offsets, dropped);
  dropped.length = 0;
  units = scanScratch.load(first.text);
  findSpacedRuns(units, first.text.length, 0, first.text.length, 2, first.offsets, tally, dropped);
  return dropped.length === 0 ? first : dropUnits(first.text, first.offsets, dropped);
}

// Per code unit, for `findSpacedRuns`, erring outside ASCII towards a run start: MAY_BE_ALNUM (a
// letter or digit in ASCII, anything outside it), MAY_NOT_BE_ALNUM (ASCII other than letters and
// digits, anything outside it), MAY_BE_MARK (from U+0300, where combining marks start).
const MAY_BE_ALNUM = new Uint8Array(0x10000).fill(1, 0x80);
const MAY_NOT_BE_ALNUM = new Uint8Array(0x10000).fill(1, 0x80);
const MAY_BE_MARK = new Uint8Array(0x10000).fill(1, 0x300);
for (let c = 0; c < 0x80; c++) {
  const alnum = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
  MAY_BE_ALNUM[c] = alnum ? 1 : 0;
  MAY_NOT_BE_ALNUM[c] = alnum ? 0 : 1;
}

/**
 * The runs of `minLetters` or more letters spaced out by one separator that start in
 * `[from, to)` (a run never crosses a line break, neither a separator nor a letter): their
 * separators go to `dropped`, in order.
 */
function findSpacedRuns(units: Uint16Array, length: number, from: number, to: number, minLetters: number, offsets: Int32Array, tally: Tally, dropped: number[]): void {
  const stop = Math.min(to, length - 2 * minLetters + 2);
  for (let i = from; i < stop; i++) {
    // A run starts at a letter after a non-letter and before a separator or mark: the next such
    // place, looked up without a branch per unit (erring towards a start outside ASCII), with the
    // three units around it carried along. A branch per word end mispredicts on text.
    let before = i > 0 ? units[i - 1]! : 10;
    let unit = units[i]!;
    let next = units[i + 1]!;
    while ((MAY_NOT_BE_ALNUM[before]! & MAY_BE_ALNUM[unit]! & (IS_SEPARATOR[next]! | MAY_BE_MARK[next]!)) === 0) {
      if (++i >= stop) return;
      before = unit;
      unit = next;
      next = units[i + 1]!;
    }
    if (!IS_SEPARATOR[next] && !(next >= 0x300 && isMarkAt(units, length, i + 1))) continue;
    if (!isAlnumAt(units, length, i) || isAlnumAt(units, length, i - 1) || isMarkAt(units, length, i - 1)) continue;
    // `end`: just past the current letter and its marks; each step takes one separator and one letter.
    let end = clusterEnd(units, length, i);
    if (end >= length || !IS_SEPARATOR[units[end]!]) continue;
    const sep = units[end]!;
    const first = dropped.length;
    let letters = 1;
    while (end < length && units[end] === sep && isAlnumAt(units, length, end + 1)) {
      const after = clusterEnd(units, length, end + 1);
      if (isAlnumAt(units, length, after)) break;
      dropped.push(end);
      end = after;
      letters++;
    }
    if (letters < minLetters) {
      dropped.length = first;
      i = end - 1;
      continue;
    }
    tally.add('spaced_letters', offsets[i]!, offsets[end - 1]! + 1);
    i = end - 1;
  }
}

/** `text` without the code units at `dropped` (ascending), and its offsets: slices between them, not one string per character. */
function dropUnits(text: string, offsets: Int32Array, dropped: readonly number[]): { text: string; offsets: Int32Array } {
  const out: string[] = [];
  const outOffsets = new Int32Array(text.length + 1);
  let n = 0;
  let from = 0;
  for (const k of dropped) {
    if (k > from) {
      out.push(text.slice(from, k));
      outOffsets.set(offsets.subarray(from, k), n);
      n += k - from;
    }
    from = k + 1;
  }
  if (text.length > from) {
    out.push(text.slice(from));
    outOffsets.set(offsets.subarray(from, text.length), n);
    n += text.length - from;
  }
  outOffsets[n] = offsets[text.length]!;
  return { text: out.join(''), offsets: outOffsets.subarray(0, n + 1) };
}

// What `scan` found: line spans [start, end) that may hold spaced letters; the places of letters
// from scripts with Latin look-alikes; the leet tokens (maximal runs of a-z, digits, `$`, `|` and
// `!` that hold a digit or symbol) with their start, end and number of letters.
let scanLines: Int32Array = new Int32Array(256);
let scanConfusables: Int32Array = new Int32Array(64);
let tokenStart: Int32Array = new Int32Array(256);
let tokenEnd: Int32Array = new Int32Array(256);
let tokenLetters: Int32Array = new Int32Array(256);

function grown(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

interface Scan {
  lineCount: number;
  confusableCount: number;
  tokenCount: number;
  /** Whether HOMOGLYPH_HINT holds: a Latin letter next to a character of the look-alike ranges. */
  homoglyphHint: boolean;
}

const isAsciiLetter = (c: number): boolean => c >= 97 && c <= 122;

// Per ASCII code unit, for `scan`: a leet symbol or digit, a separator, a line break (letters are 0).
const LEET_UNIT = 1;
const SEPARATOR_UNIT = 2;
const LINE_BREAK = 4;
const SCAN_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) SCAN_CLASS[c] = (isLeetTokenChar(c) && !isAsciiLetter(c) ? LEET_UNIT : 0) | (IS_SEPARATOR[c] ? SEPARATOR_UNIT : 0) | (c === 10 ? LINE_BREAK : 0);
/** Per code unit: 1 where `scan` acts whatever follows (outside ASCII, a digit or leet symbol, a line break). */
const ACTS_ON = new Uint8Array(0x10000).fill(1, 0x80);
for (let c = 0; c < 128; c++) ACTS_ON[c] = (SCAN_CLASS[c]! & (LEET_UNIT | LINE_BREAK)) !== 0 ? 1 : 0;

/**
 * One pass over the folded text (its code units). The lines where `findSpacedRuns` can find a run
 * of four: a line with no combining mark holds one only where one separator recurs at i, i + 2
 * and i + 4 (each letter is then one code unit). The leet tokens: each holds a digit or symbol,
 * read out around the first one. Outside ASCII, the homoglyph hint and the look-alikes. Letters,
 * most of any text, cost one lookup.
 */
function scan(units: Uint16Array, length: number): Scan {
  let lineCount = 0;
  let confusableCount = 0;
  let tokenCount = 0;
  let homoglyphHint = false;
  let lineStart = 0;
  let flagged = false;
  let tokenUntil = 0;
  const fastEnd = length - 4;
  for (let i = 0; i < length; i++) {
    if (i < fastEnd) {
      // Skip to the next unit the body below acts on: outside ASCII, a digit or leet symbol, a
      // line break, or a separator that recurs at i + 2 and i + 4. Looked up without a branch
      // per unit, with the units up to i + 4 carried along: a branch per space mispredicts.
      let c0 = units[i]!;
      let c1 = units[i + 1]!;
      let c2 = units[i + 2]!;
      let c3 = units[i + 3]!;
      let c4 = units[i + 4]!;
      while ((ACTS_ON[c0]! | (IS_SEPARATOR[c0]! & ((((c0 ^ c2) | (c0 ^ c4)) - 1) >>> 31))) === 0) {
        if (++i >= fastEnd) break;
        c0 = c1;
        c1 = c2;
        c2 = c3;
        c3 = c4;
        c4 = units[i + 4]!;
      }
    }
    const c = units[i]!;
    if (c >= 0x80) {
      if (!flagged && ((IS_SEPARATOR[c] === 1 && i + 4 < length && units[i + 2] === c && units[i + 4] === c) || (c >= 0x300 && isMarkAt(units, length, i)))) flagged = true;
      if (isConfusableScript(c)) {
        if (confusableCount === scanConfusables.length) scanConfusables = grown(scanConfusables);
        scanConfusables[confusableCount++] = i;
      }
      if (
        !homoglyphHint &&
        ((c >= 0x0250 && c <= 0x052f) || (c >= 0x1d00 && c <= 0x1d7f) || c === 0x0131 || c === 0x0237 || c === 0xa731) &&
        ((i > 0 && isAsciiLetter(units[i - 1]!)) || (i + 1 < length && isAsciiLetter(units[i + 1]!)))
      )
        homoglyphHint = true;
      continue;
    }
    const k = SCAN_CLASS[c]!;
    if (k === 0) continue;
    if ((k & LEET_UNIT) !== 0 && i >= tokenUntil) {
      let start = i;
      while (start > 0 && isAsciiLetter(units[start - 1]!)) start--;
      let end = i + 1;
      while (end < length && units[end]! < 0x80 && isLeetTokenChar(units[end]!)) end++;
      let letters = i - start;
      for (let j = i + 1; j < end; j++) if (isAsciiLetter(units[j]!)) letters++;
      if (tokenCount === tokenStart.length) {
        tokenStart = grown(tokenStart);
        tokenEnd = grown(tokenEnd);
        tokenLetters = grown(tokenLetters);
      }
      tokenStart[tokenCount] = start;
      tokenEnd[tokenCount] = end;
      tokenLetters[tokenCount] = letters;
      tokenCount++;
      tokenUntil = end;
    }
    if ((k & SEPARATOR_UNIT) !== 0 && !flagged && i + 4 < length && units[i + 2] === c && units[i + 4] === c) flagged = true;
    else if (k === LINE_BREAK) {
      if (flagged) {
        if (2 * lineCount + 2 > scanLines.length) scanLines = grown(scanLines);
        scanLines[2 * lineCount] = lineStart;
        scanLines[2 * lineCount + 1] = i;
        lineCount++;
        flagged = false;
      }
      lineStart = i + 1;
    }
  }
  if (flagged) {
    if (2 * lineCount + 2 > scanLines.length) scanLines = grown(scanLines);
    scanLines[2 * lineCount] = lineStart;
    scanLines[2 * lineCount + 1] = length;
    lineCount++;
  }
  return { lineCount, confusableCount, tokenCount, homoglyphHint };
}

const NOT_ASCII = -1;
const LEET_HINT = 1;
const SPACED_HINT = 2;
/** Per ASCII code unit: 1 a letter (of either case: the folded text is lower case), 2 what leetspeak writes for one. */
const LEET_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) LEET_CLASS[c] = 1;
  else if ((c >= 48 && c <= 57) || c === 36 || c === 124 || c === 33) LEET_CLASS[c] = 2;
}

/**
 * For a text of ASCII without NUL (else NOT_ASCII), in one pass: LEET_HINT where `leetHint` holds
 * for its folded (lower-case) form, SPACED_HINT where one separator recurs at i, i + 2 and i + 4
 * (four letters spaced out by one separator, each letter a single code unit in ASCII, need that;
 * without it `joinSpaced` finds nothing).
 */
function screenAscii(units: Uint16Array, length: number): number {
  let flags = 0;
  let prev = 0;
  for (let i = 0; i < length; i++) {
    const c = units[i]!;
    if (c >= 0x80 || c === 0) return NOT_ASCII;
    const k = LEET_CLASS[c]!;
    if (k !== 0 && prev !== 0 && k !== prev) flags |= LEET_HINT;
    prev = k;
    if (IS_SEPARATOR[c] === 1 && i + 4 < length && units[i + 2] === c && units[i + 4] === c) flags |= SPACED_HINT;
  }
  return flags;
}

/**
 * Normalizes text against obfuscation and finds encoded payloads. Linear in the text length; the
 * whole text is processed (never truncated); decoded layers are bounded in depth and total size.
 */
export function normalizeText(original: string, options: NormalizeOptions = {}): NormalizedText {
  const maxDepth = options.maxDepth ?? 3;
  const budget = { left: options.maxDecodedChars ?? Math.max(65_536, original.length) };
  return normalizeAt(original, 0, maxDepth, budget, 0, original.length);
}

function normalizeAt(
  original: string,
  depth: number,
  maxDepth: number,
  budget: { left: number },
  outerStart: number,
  outerEnd: number,
): NormalizedText {
  const tally = new Tally();
  const smuggled = { text: '', start: 0, end: 0 };
  const units = foldScratch.load(original);
  const ascii = screenAscii(units, original.length);
  let text: string;
  let offsets: Int32Array;
  if (ascii !== NOT_ASCII) {
    // What foldChars makes of ASCII without NUL; no homoglyph can be there.
    text = original.toLowerCase();
    // A view of the shared identity table, not a copy (a copy cost ~1 µs per 2 KB): nothing writes
    // to a NormalizedText's offsets, and a grown table leaves the old one, still an identity, to its views.
    offsets = identity(original.length).subarray(0, original.length + 1);
    if (ascii !== 0) {
      const units = scanScratch.load(text);
      const found = scan(units, text.length);
      if ((ascii & LEET_HINT) !== 0) {
        const chars = new LazyChars(text);
        if (foldLeet(chars, units, found.tokenCount, offsets, tally)) text = chars.result();
      }
      if ((ascii & SPACED_HINT) !== 0) ({ text, offsets } = joinSpaced(text, offsets, tally, scanLines, found.lineCount));
    }
  } else {
    const b = foldChars(original, units, tally, smuggled);
    text = b.parts.join('');
    offsets = b.offsets.subarray(0, b.length + 1);
    offsets[b.length] = original.length;
    let textUnits = scanScratch.load(text);
    let found = scan(textUnits, text.length);
    if (found.homoglyphHint) {
      const chars = new LazyChars(text);
      if (foldHomoglyphs(chars, text, offsets, tally, scanConfusables, found.confusableCount)) {
        // New Latin letters make new leet tokens; the lines screened stay a superset (below).
        text = chars.result();
        textUnits = scanScratch.load(text);
        found = scan(textUnits, text.length);
      }
    }
    const chars = new LazyChars(text);
    if (foldLeet(chars, textUnits, found.tokenCount, offsets, tally)) text = chars.result();
    // Leet folding only turns digits and symbols into letters (`|`, a separator, too): the lines
    // screened before it are still the only ones where spaced letters can be.
    ({ text, offsets } = joinSpaced(text, offsets, tally, scanLines, found.lineCount));
  }

  const layers: DecodedLayer[] = [];
  const mapSpan = (start: number, end: number): TextSpan =>
    depth === 0 ? { start, end } : { start: outerStart, end: outerEnd };
  const addLayer = (kind: EncodingKind, decoded: string, start: number, end: number): void => {
    if (decoded.length === 0 || budget.left <= 0) return;
    const kept = decoded.length > budget.left ? decoded.slice(0, budget.left) : decoded;
    budget.left -= kept.length;
    const span = mapSpan(start, end);
    tally.add(kind, start, end);
    const inner =
      depth + 1 < maxDepth
        ? normalizeAt(kept, depth + 1, maxDepth, budget, span.start, span.end)
        : normalizeAt(kept, maxDepth, maxDepth, { left: 0 }, span.start, span.end);
    layers.push({ kind, span, depth: depth + 1, normalized: inner });
    for (const l of inner.layers) layers.push(l);
  };

  if (smuggled.text.length > 0) addLayer('tag_chars', readSmuggled(original, smuggled.start, smuggled.end), smuggled.start, smuggled.end);
  if (depth < maxDepth) {
    for (const run of findEncodedRuns(original)) addLayer(run.kind, run.decoded, run.start, run.end);
  }
  return { original, text, offsets, obfuscations: tally.list(), layers };
}
