import { CodeUnits } from './codeunits.js';
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
  /** `offsets[i]` is the original UTF-16 offset of `text[i]`; `offsets[text.length]` is `original.length`. */
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
  push(s: string, origin: number): void {
    this.parts.push(s);
    const need = this.length + s.length + 1;
    if (need > this.offsets.length) {
      const grown = new Int32Array(Math.max(need, this.offsets.length * 2));
      grown.set(this.offsets.subarray(0, this.length));
      this.offsets = grown;
    }
    const offsets = this.offsets;
    let n = this.length;
    for (let k = 0; k < s.length; k++) offsets[n++] = origin;
    this.length = n;
  }
}

const LOWER_ASCII: string[] = [];
for (let c = 0; c < 128; c++) LOWER_ASCII.push(String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c));

/** Per BMP code unit: 0 not yet known, 1 folds to itself (and is visible), 2 changes or is special. */
const FOLDS_TO_ITSELF = new Uint8Array(0x10000);

const foldScratch = new CodeUnits();
const scanScratch = new CodeUnits();

/** Pass 1: per code point. Removes invisibles, applies NFKC + lower case + diacritic folding. */
function foldChars(original: string, units: Uint16Array, tally: Tally, smuggled: { text: string; start: number; end: number }): Builder {
  const b = new Builder(original.length + 1);
  const s = original;
  let asciiStart = -1;
  const flushAscii = (end: number): void => {
    if (asciiStart < 0) return;
    const chunk = s.slice(asciiStart, end);
    const lower = chunk.toLowerCase();
    b.parts.push(lower);
    const need = b.length + lower.length + 1;
    if (need > b.offsets.length) {
      const grown = new Int32Array(Math.max(need, b.offsets.length * 2));
      grown.set(b.offsets.subarray(0, b.length));
      b.offsets = grown;
    }
    const offsets = b.offsets;
    let n = b.length;
    for (let k = asciiStart; k < end; k++) offsets[n++] = k;
    b.length = n;
    asciiStart = -1;
  };
  for (let i = 0; i < s.length; ) {
    const c = units[i]!;
    if (c < 0x80 && c !== 0) {
      if (asciiStart < 0) asciiStart = i;
      i++;
      continue;
    }
    // BMP characters that fold to themselves join the run like ASCII: no string per character.
    let same = FOLDS_TO_ITSELF[c]!;
    if (same === 0) {
      same = c === 0 || (c >= 0xd800 && c <= 0xdfff) || invisibleKind(c) !== undefined || foldCodePoint(c, s[i]!) !== s[i] ? 2 : 1;
      FOLDS_TO_ITSELF[c] = same;
    }
    if (same === 1) {
      if (asciiStart < 0) asciiStart = i;
      i++;
      continue;
    }
    flushAscii(i);
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
  flushAscii(s.length);
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

// Words with a Latin letter and a letter from a confusable script: "іgnоrе" spelled with Cyrillic і, о, е.
const MIXED_WORD = /[\p{L}\p{M}]*[a-z][\p{L}\p{M}]*/gu;

/**
 * Length-preserving edits of a text: the per-character array is made only on the first edit, so
 * the common case (a hint matched, nothing to fold) allocates nothing.
 */
class LazyChars {
  private readonly edits = new Map<number, string>();
  constructor(private readonly text: string) {}
  get(i: number): string | undefined {
    return this.edits.get(i) ?? this.text[i];
  }
  set(i: number, ch: string): void {
    this.edits.set(i, ch);
  }
  /** The edited text, built from slices between the edits. */
  result(): string {
    if (this.edits.size === 0) return this.text;
    const at = [...this.edits.keys()].sort((a, b) => a - b);
    const parts: string[] = [];
    let from = 0;
    for (const i of at) {
      parts.push(this.text.slice(from, i), this.edits.get(i)!);
      from = i + 1;
    }
    parts.push(this.text.slice(from));
    return parts.join('');
  }
}

/** Pass 2 (length-preserving): homoglyphs inside mixed-script words fold to Latin. */
const HOMOGLYPH_HINT = /[a-z][\u0250-\u052f\u1d00-\u1d7f\u0131\u0237\ua731]|[\u0250-\u052f\u1d00-\u1d7f\u0131\u0237\ua731][a-z]/;

/** Whether a lower-case ASCII letter touches a digit, `$`, `|` or `!` (`/[a-z][0-9$|!]|[0-9$|!][a-z]/`): leetspeak can only be there. */
function leetHint(text: string): boolean {
  const units = scanScratch.load(text);
  let prev = 0; // 1 letter, 2 leet symbol, 0 neither
  for (let i = 0; i < text.length; i++) {
    const c = units[i]!;
    const k = c >= 97 && c <= 122 ? 1 : (c >= 48 && c <= 57) || c === 36 || c === 124 || c === 33 ? 2 : 0;
    if (k !== 0 && prev !== 0 && k !== prev) return true;
    prev = k;
  }
  return false;
}

function foldHomoglyphs(chars: LazyChars, text: string, offsets: Int32Array, tally: Tally): boolean {
  let changed = false;
  for (const m of text.matchAll(MIXED_WORD)) {
    const word = m[0];
    let hasOther = false;
    for (let k = 0; k < word.length; k++) {
      const cp = word.charCodeAt(k);
      if (isConfusableScript(cp)) {
        hasOther = true;
        break;
      }
    }
    if (!hasOther) continue;
    for (let k = 0; k < word.length; k++) {
      const latin = confusableToLatin(word[k]!);
      if (latin) {
        const at = m.index + k;
        chars.set(at, latin);
        tally.add('homoglyph', offsets[at]!, offsets[at]! + 1);
        changed = true;
      }
    }
  }
  return changed;
}

// No `@`: folding it would turn every e-mail address into a word.
const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', $: 's', '|': 'l', '!': 'i' };
const ORDINAL_OR_UNIT = /^[0-9]+(?:st|nd|rd|th|am|pm|px|pt|em|kb|mb|gb|tb|ms|hz|fps|mm|cm|km|kg|ml)$/;

function isLeetTokenChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 36 || c === 124 || c === 33;
}

/**
 * Pass 3 (length-preserving): leetspeak ("1gn0r3", "pa$$w0rd") folds to letters. A text with two
 * or more leet words is written in leet: then short tokens fold too ("15" → "is", "n0" → "no").
 */
function foldLeet(chars: LazyChars, text: string, offsets: Int32Array, tally: Tally): boolean {
  const folded = foldLeetTokens(chars, text, offsets, tally, false);
  if (folded >= 2) foldLeetTokens(chars, text, offsets, tally, true);
  return folded > 0;
}

function foldLeetTokens(chars: LazyChars, text: string, offsets: Int32Array, tally: Tally, leetText: boolean): number {
  let changed = 0;
  let start = -1;
  let letters = 0;
  let leet = 0;
  const units = scanScratch.load(text);
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? units[i]! : 0;
    if (i < text.length && isLeetTokenChar(c)) {
      if (start < 0) {
        start = i;
        letters = 0;
        leet = 0;
      }
      if (c >= 97 && c <= 122) letters++;
      else leet++;
      continue;
    }
    if (start >= 0 && leet > 0) {
      const token = text.slice(start, i);
      if (leetText ? foldShortLeetToken(chars, token, start) : letters >= 2 && foldLeetToken(chars, token, start, offsets, tally)) changed++;
    }
    start = -1;
  }
  return changed;
}

/** In a text already written in leet: any lettered token, and digit-only tokens up to 3 long. */
function foldShortLeetToken(chars: LazyChars, token: string, at: number): boolean {
  if (/[26]/.test(token) || chars.get(at) !== token[0]) return false;
  if (token.length > 3 && !/[a-z]/.test(token)) return false;
  let any = false;
  for (let k = 0; k < token.length; k++) {
    const to = LEET[token[k]!];
    if (to && (token[k]! >= '0' && token[k]! <= '9')) {
      chars.set(at + k, to);
      any = true;
    }
  }
  return any;
}

function foldLeetToken(chars: LazyChars, token: string, at: number, offsets: Int32Array, tally: Tally): boolean {
  // Version numbers and identifiers (h264, sha256, x86, utf8) hold digits that are not leet.
  if (/[26]/.test(token)) return false;
  const subs: number[] = [];
  for (let k = 0; k < token.length; k++) {
    const ch = token[k]!;
    if (ch >= 'a' && ch <= 'z') continue;
    const inner = k > 0 && k < token.length - 1;
    const isSymbol = ch === '$' || ch === '|' || ch === '!';
    // Symbols count only between letters/digits; digits anywhere inside a lettered token.
    if (!isSymbol || inner) subs.push(k);
  }
  if (subs.length === 0) return false;
  const innerDigit = subs.some((k) => k > 0 && k < token.length - 1);
  // "4ll" is leet; ordinals and units ("4th", "5pm", "3px") are not.
  if (subs.length < 2 && !innerDigit && (token.length < 3 || ORDINAL_OR_UNIT.test(token) || /[0-9]$/.test(token))) return false;
  for (const k of subs) chars.set(at + k, LEET[token[k]!]!);
  tally.add('leetspeak', offsets[at]!, offsets[at + token.length - 1]! + 1);
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
function joinSpaced(text: string, offsets: Int32Array, tally: Tally): { text: string; offsets: Int32Array } {
  const first = joinSpacedRuns(text, offsets, tally, 4);
  if (first.text === text) return first;
  return joinSpacedRuns(first.text, first.offsets, tally, 2);
}

function joinSpacedRuns(text: string, offsets: Int32Array, tally: Tally, minLetters: number): { text: string; offsets: Int32Array } {
  let keep: Uint8Array | undefined;
  const length = text.length;
  const units = scanScratch.load(text);
  const dropped: number[] = [];
  for (let i = 0; i + 2 * minLetters - 2 < length; i++) {
    // Cheapest test first: most characters are followed by neither a separator nor a mark.
    const next = units[i + 1]!;
    if (!IS_SEPARATOR[next] && !(next >= 0x300 && isMarkAt(units, length, i + 1))) continue;
    if (!isAlnumAt(units, length, i) || isAlnumAt(units, length, i - 1) || isMarkAt(units, length, i - 1)) continue;
    // `end`: just past the current letter and its marks; each step takes one separator and one letter.
    let end = clusterEnd(units, length, i);
    if (end >= length || !IS_SEPARATOR[units[end]!]) continue;
    const sep = units[end]!;
    const from = dropped.length;
    let letters = 1;
    while (end < length && units[end] === sep && isAlnumAt(units, length, end + 1)) {
      const after = clusterEnd(units, length, end + 1);
      if (isAlnumAt(units, length, after)) break;
      dropped.push(end);
      end = after;
      letters++;
    }
    if (letters < minLetters) {
      dropped.length = from;
      i = end - 1;
      continue;
    }
    tally.add('spaced_letters', offsets[i]!, offsets[end - 1]! + 1);
    i = end - 1;
  }
  if (dropped.length > 0) {
    keep = new Uint8Array(text.length).fill(1);
    for (const k of dropped) keep[k] = 0;
  }
  if (!keep) return { text, offsets };
  // Slices between the dropped separators, not one string per character.
  const out: string[] = [];
  const outOffsets = new Int32Array(text.length + 1);
  let n = 0;
  let from = 0;
  for (let k = 0; k < text.length; k++) {
    if (keep[k]) {
      outOffsets[n++] = offsets[k]!;
      continue;
    }
    if (k > from) out.push(text.slice(from, k));
    from = k + 1;
  }
  if (text.length > from) out.push(text.slice(from));
  outOffsets[n] = offsets[text.length]!;
  return { text: out.join(''), offsets: outOffsets.subarray(0, n + 1) };
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
    offsets = new Int32Array(original.length + 1);
    for (let i = 0; i <= original.length; i++) offsets[i] = i;
  } else {
    const b = foldChars(original, units, tally, smuggled);
    text = b.parts.join('');
    offsets = b.offsets.subarray(0, b.length + 1);
    offsets[b.length] = original.length;
    if (HOMOGLYPH_HINT.test(text)) {
      const chars = new LazyChars(text);
      if (foldHomoglyphs(chars, text, offsets, tally)) text = chars.result();
    }
  }
  if (ascii === NOT_ASCII ? leetHint(text) : (ascii & LEET_HINT) !== 0) {
    const chars = new LazyChars(text);
    if (foldLeet(chars, text, offsets, tally)) text = chars.result();
  }
  if (ascii === NOT_ASCII || (ascii & SPACED_HINT) !== 0) ({ text, offsets } = joinSpaced(text, offsets, tally));

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
