/**
 * Finders for text hidden in an encoding: base64, hex, URL-encoding, HTML entities, ROT13 and
 * reversed text. Each returns the decoded text with the span of the original it came from; the
 * normalizer rescans what they return.
 */

import { isUtf8 } from 'node:buffer';
import { DISGUISE_MARGINS, disguiseGains } from './bigram-lm.js';
import { CodeUnits } from './codeunits.js';

export type EncodingKind = 'base64' | 'hex' | 'url_encoding' | 'html_entities' | 'rot13' | 'reversed' | 'tag_chars';

export interface EncodedRun {
  readonly kind: EncodingKind;
  /** UTF-16 offsets into the text that was searched, end exclusive. */
  readonly start: number;
  readonly end: number;
  readonly decoded: string;
}

/** Share of characters that are printable text: decoded binary is not a hidden message. */
function printableShare(s: string): number {
  if (s.length === 0) return 0;
  let ok = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09 || c >= 0xa0) ok++;
  }
  return ok / s.length;
}

function letterShare(s: string): number {
  let letters = 0;
  for (const ch of s) if (/\p{L}/u.test(ch)) letters++;
  return s.length === 0 ? 0 : letters / s.length;
}

const scratch = new CodeUnits();
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Cheap look at the raw bytes before decoding: control bytes (binary), too few bytes that could
 * be letters, or a UTF-8 lead/continuation mismatch rule the run out without asking the decoder,
 * which reports invalid UTF-8 by throwing (costly on every identifier that looks like base64).
 */
function plausibleText(bytes: Uint8Array): boolean {
  let control = 0;
  let letters = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x20) {
      if (b !== 0x0a && b !== 0x0d && b !== 0x09 && ++control > bytes.length * 0.05) return false;
    } else if (b >= 0x80) letters++;
    else if ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a) letters++;
  }
  return letters >= bytes.length * 0.4;
}

function bytesToText(bytes: Uint8Array): string | undefined {
  // `isUtf8` answers what the fatal decoder would throw for, without the cost of a throw (most
  // plausible-looking runs in tool outputs are binary that is not UTF-8).
  if (!plausibleText(bytes) || !isUtf8(bytes)) return undefined;
  try {
    const text = utf8.decode(bytes);
    if (printableShare(text) < 0.95 || letterShare(text) < 0.4 || !/\p{L}{2}/u.test(text)) return undefined;
    return text;
  } catch {
    return undefined;
  }
}


function decodeBase64(run: string): string | undefined {
  const body = run.replace(/=+$/, '');
  // Words and identifiers are not base64: require a mix of cases or digits.
  if (!/[A-Z]/.test(body) || !/[a-z]/.test(body)) return undefined;
  if (body.length % 4 === 1) return undefined;
  const bytes = Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytesToText(bytes);
}

export const HEX_RUN = /(?:(?:\\x|0x)?[0-9a-fA-F]{2}[ :]?){12,}/g;

function decodeHex(run: string): string | undefined {
  const digits = run.replace(/\\x|0x|[ :]/g, '');
  if (digits.length % 2 !== 0 || !/[a-fA-F]/.test(digits) || !/[0-9]/.test(digits)) return undefined;
  return bytesToText(Buffer.from(digits, 'hex'));
}

export const URL_RUN = /(?:[^\s%]{0,40}%[0-9a-fA-F]{2}){4,}[^\s%]*/g;

function decodeUrl(run: string): string | undefined {
  try {
    const decoded = decodeURIComponent(run.replace(/\+/g, ' '));
    return decoded !== run && printableShare(decoded) > 0.95 ? decoded : undefined;
  } catch {
    return undefined;
  }
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', colon: ':', sol: '/', lpar: '(', rpar: ')', lsqb: '[', rsqb: ']',
  lbrack: '[', rbrack: ']', lcub: '{', rcub: '}', equals: '=', num: '#', excl: '!', quest: '?', period: '.', comma: ',', newline: '\n',
};
const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,8}));/g;

function decodeEntities(text: string): { decoded: string; count: number } {
  let count = 0;
  const decoded = text.replace(ENTITY, (whole, dec?: string, hex?: string, name?: string) => {
    let out: string | undefined;
    if (dec) out = safeFromCodePoint(Number.parseInt(dec, 10));
    else if (hex) out = safeFromCodePoint(Number.parseInt(hex, 16));
    else if (name) out = NAMED_ENTITIES[name.toLowerCase()];
    if (out === undefined) return whole;
    count++;
    return out;
  });
  return { decoded, count };
}

function safeFromCodePoint(cp: number): string | undefined {
  return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : undefined;
}

export function rot13(s: string): string {
  return s.replace(/[a-zA-Z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

// Per code unit: 1 base64 alphabet (standard and URL-safe), 2 hex digit, 4 what a hex run may
// hold between digits without ending (space, `:`, backslash, `x`).
const B64 = 1;
const HEX = 2;
const HEX_GAP = 4;
const CHAR_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  let k = 0;
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 95 || c === 45) k |= B64;
  if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)) k |= HEX;
  if (c === 32 || c === 58 || c === 92 || c === 120) k |= HEX_GAP;
  CHAR_CLASS[c] = k;
}

function classOf(c: number): number {
  return c < 128 ? CHAR_CLASS[c]! : 0;
}

// Per code unit: 1 in the base64 alphabet (IS_B64), 1 in a hex stretch (IN_HEX), else 0.
const IS_B64 = new Uint8Array(0x10000);
const IN_HEX = new Uint8Array(0x10000);
for (let c = 0; c < 128; c++) {
  IS_B64[c] = (CHAR_CLASS[c]! & B64) !== 0 ? 1 : 0;
  IN_HEX[c] = (CHAR_CLASS[c]! & (HEX | HEX_GAP)) !== 0 ? 1 : 0;
}

/**
 * Whether every `step`-th unit from `probe - reach` to `probe`, or from `probe` to `probe + reach`,
 * is in `table` (with `probe - reach >= 0` and `probe + reach < units.length` at the caller). A run
 * of 2 * reach units or more that covers `probe` holds one of those two stretches whole, so a probe
 * without either lies in no such run. Read without a branch per unit (a branch per word boundary
 * mispredicts on text).
 */
function mayCover(table: Uint8Array, units: Uint16Array, probe: number, reach: number, step: number): boolean {
  let left = table[units[probe]!]!;
  let right = left;
  for (let d = step; d <= reach; d += step) {
    left &= table[units[probe - d]!]!;
    right &= table[units[probe + d]!]!;
  }
  return (left | right) !== 0;
}

/** Base64 runs are 16 characters or longer; a hex stretch holds 24 digits or more. */
const MIN_BASE64 = 16;
const MIN_HEX_DIGITS = 24;

/**
 * Runs of 16+ base64-alphabet characters (plus up to two trailing `=`), and the stretches of hex
 * digits (optionally split by spaces, colons or `\x`) that hold 24+ digits. Every run of 16
 * characters covers a position that is a multiple of 16, and every such hex stretch one that is
 * a multiple of 24, so only those positions are looked at, and the run around each is read out.
 */
function scanRuns(units: Uint16Array, length: number): { base64: { start: number; end: number }[]; hex: { start: number; end: number }[] } {
  const base64: { start: number; end: number }[] = [];
  for (let probe = MIN_BASE64 - 1; probe < length; probe += MIN_BASE64) {
    if (probe >= MIN_BASE64 / 2 && probe + MIN_BASE64 / 2 < length ? !mayCover(IS_B64, units, probe, MIN_BASE64 / 2, 1) : (classOf(units[probe]!) & B64) === 0) continue;
    let start = probe;
    while (start > 0 && (classOf(units[start - 1]!) & B64) !== 0) start--;
    let end = probe + 1;
    while (end < length && (classOf(units[end]!) & B64) !== 0) end++;
    if (end - start >= MIN_BASE64) {
      let stop = end;
      while (stop < length && stop - end < 2 && units[stop] === 61) stop++;
      base64.push({ start, end: stop });
    }
    // The next probe lies past this run.
    while (probe + MIN_BASE64 < end) probe += MIN_BASE64;
  }
  const hex: { start: number; end: number }[] = [];
  for (let probe = MIN_HEX_DIGITS - 1; probe < length; probe += MIN_HEX_DIGITS) {
    if (probe >= MIN_HEX_DIGITS / 2 && probe + MIN_HEX_DIGITS / 2 < length ? !mayCover(IN_HEX, units, probe, MIN_HEX_DIGITS / 2, 3) : (classOf(units[probe]!) & (HEX | HEX_GAP)) === 0) continue;
    let digits = 0;
    let start = probe;
    while (start > 0 && (classOf(units[start - 1]!) & (HEX | HEX_GAP)) !== 0) start--;
    let end = start;
    for (let k: number; end < length && ((k = classOf(units[end]!)) & (HEX | HEX_GAP)) !== 0; end++) if ((k & HEX) !== 0) digits++;
    if (digits >= MIN_HEX_DIGITS) hex.push({ start, end });
    while (probe + MIN_HEX_DIGITS < end) probe += MIN_HEX_DIGITS;
  }
  return { base64, hex };
}

/**
 * The matches of HEX_RUN in `text`, found in the stretches `scanRuns` reported: HEX_RUN matches
 * only hex digits, spaces, colons and `\x`, so each match lies inside one stretch, and matching
 * the stretch alone finds the same runs.
 */
function hexRuns(text: string, stretches: readonly { start: number; end: number }[]): { index: number; text: string }[] {
  const out: { index: number; text: string }[] = [];
  for (const stretch of stretches) {
    for (const m of text.slice(stretch.start, stretch.end).matchAll(HEX_RUN)) out.push({ index: stretch.start + m.index, text: m[0] });
  }
  return out;
}

/** HEX_RUN's matches in `text` (what `findEncodedRuns` decodes as hex), for tests. */
export function hexRunsOf(text: string): { index: number; text: string }[] {
  return text.length >= 16 ? hexRuns(text, scanRuns(new CodeUnits().load(text), text.length).hex) : [];
}

/** Per code unit: 0 not yet known, 1 `\s` in a regular expression, 2 not. */
const SPACE_CACHE = new Uint8Array(0x10000);

function isRegexSpace(c: number): boolean {
  let v = SPACE_CACHE[c]!;
  if (v === 0) {
    v = /\s/.test(String.fromCharCode(c)) ? 1 : 2;
    SPACE_CACHE[c] = v;
  }
  return v === 1;
}

const isHexDigit = (c: number): boolean => (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);

/**
 * The matches of URL_RUN in `text`, as `matchAll` gives them, reading only around the `%XX`.
 * URL_RUN's gaps hold neither `%` nor `\s`, so a match holds four or more `%XX` in a row, each
 * at most 40 units after the one before with only such units between ("linked"), and starts at
 * most 40 units before the first. The regex runs only from 40 units before a `%XX` that starts
 * four linked ones, and finds its match there.
 */
export function urlRuns(text: string): RegExpExecArray[] {
  const places: number[] = [];
  for (let at = text.indexOf('%'); at >= 0; at = text.indexOf('%', at + 1)) {
    if (at + 2 < text.length && isHexDigit(text.charCodeAt(at + 1)) && isHexDigit(text.charCodeAt(at + 2))) places.push(at);
  }
  const out: RegExpExecArray[] = [];
  if (places.length < 4) return out;
  // linked[k]: places[k] and places[k + 1] are linked.
  const linked = new Uint8Array(places.length);
  for (let k = 0; k + 1 < places.length; k++) {
    const from = places[k]! + 3;
    const to = places[k + 1]!;
    let ok = to - from <= 40;
    for (let j = from; ok && j < to; j++) {
      const c = text.charCodeAt(j);
      if (c === 37 || isRegexSpace(c)) ok = false;
    }
    linked[k] = ok ? 1 : 0;
  }
  let searchFrom = 0;
  for (let k = 0; k + 3 < places.length; k++) {
    if (places[k]! < searchFrom || linked[k] === 0 || linked[k + 1] === 0 || linked[k + 2] === 0) continue;
    URL_RUN.lastIndex = Math.max(searchFrom, places[k]! - 40);
    const m = URL_RUN.exec(text);
    if (!m) break; // not reached: a match starts at places[k] at the latest
    out.push(m);
    searchFrom = m.index + m[0].length;
  }
  URL_RUN.lastIndex = 0;
  return out;
}

// The commonest English words under ROT13 and reversed: a short line holds one before it is judged.
const ROT13_OR_REVERSED_HINT = /\b(?:gur|naq|lbh|gung|vf|vtaber|vafgehpgvbaf|cebzcg|flfgrz|cnffjbeq|eht|dna|uoy|taht|si|erongi|snoitcurtsni|tpmorp|metsys|drowssap)\b/i;

// The most frequent English function words: a line that is English under ROT13 or reversal but
// not as written is a hidden message.
const COMMON = new Set(
  ('the be to of and a in that have i it for not on with he as you do at this but his by from they we say her she or an will my one ' +
    'all would there their what so up out if about who get which go me when make can like time no just him know take people into ' +
    'year your good some could them see other than then now look only come its over think also back after use two how our work ' +
    'first well way even new want because any these give day most us is are was were been has had did does said previous ' +
    'instructions ignore system prompt tell must should').split(' '),
);

const ROT13_COMMON = new Set([...COMMON].map((w) => rot13(w)));
const REVERSED_COMMON = new Set([...COMMON].map((w) => [...w].reverse().join('')));

/**
 * Shares of English function words in a line as written, under ROT13 and reversed, from one
 * tokenization: ROT13 and reversal map the line's words to the words of the decoded line, so
 * nothing is decoded unless the line turns out to be hidden English.
 */
function englishShares(line: string): [plain: number, rot13: number, reversed: number] {
  const words = line.toLowerCase().match(/[a-z']+/g);
  if (!words || words.length < 3) return [0, 0, 0];
  let plain = 0;
  let rotated = 0;
  let reversed = 0;
  for (const w of words) {
    if (COMMON.has(w)) plain++;
    if (ROT13_COMMON.has(w)) rotated++;
    if (REVERSED_COMMON.has(w)) reversed++;
  }
  return [plain / words.length, rotated / words.length, reversed / words.length];
}

/** Encoded runs in `text`, leftmost first. At most `maxRuns` are returned. */
/**
 * The last text searched with the default bound and its runs: the injection guard's normalizer and the
 * secrets guard search the same segment text one after the other, and the second pays nothing (the
 * same string object compares at once). Runs are frozen: callers share them.
 */
let lastText: string | undefined;
let lastRuns: readonly EncodedRun[] = [];

export function findEncodedRuns(text: string, maxRuns = 32): readonly EncodedRun[] {
  if (maxRuns !== 32) return searchEncodedRuns(text, maxRuns);
  if (text !== lastText) {
    lastRuns = Object.freeze(searchEncodedRuns(text, maxRuns));
    lastText = text;
  }
  return lastRuns;
}

function searchEncodedRuns(text: string, maxRuns: number): EncodedRun[] {
  const runs: EncodedRun[] = [];
  const push = (run: EncodedRun): void => {
    if (runs.length < maxRuns) runs.push(run);
  };

  // Valid until the next load of `scratch`: the decoders below do not load it.
  const units = text.length >= 16 ? scratch.load(text) : undefined;
  if (units) {
    const { base64, hex } = scanRuns(units, text.length);
    for (const run of base64) {
      const decoded = decodeBase64(text.slice(run.start, run.end));
      if (decoded) push({ kind: 'base64', start: run.start, end: run.end, decoded });
    }
    for (const m of hexRuns(text, hex)) {
      const decoded = decodeHex(m.text);
      if (decoded) push({ kind: 'hex', start: m.index, end: m.index + m.text.length, decoded });
    }
  }
  for (const m of urlRuns(text)) {
    const decoded = decodeUrl(m[0]);
    if (decoded) push({ kind: 'url_encoding', start: m.index, end: m.index + m[0].length, decoded });
  }
  if (text.includes('&')) {
    const { decoded, count } = decodeEntities(text);
    if (count >= 3) push({ kind: 'html_entities', start: 0, end: text.length, decoded });
  }

  // ROT13 and reversal, line by line: lines that read better decoded than as written, by the
  // character-bigram table (any language); lines too short for it, by English function words.
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const kind = end - start >= 12 && end - start <= MAX_DISGUISED_LINE ? disguiseOf(text, start, end, units) : undefined;
    if (kind !== undefined) {
      const line = text.slice(start, end);
      push({ kind, start, end, decoded: kind === 'rot13' ? rot13(line) : [...line].reverse().join('') });
    }
    start = end + 1;
  }
  return runs;
}

/** Longest line decoded as ROT13 or reversed (the judgement reads only its start; decoding is linear). */
const MAX_DISGUISED_LINE = 100_000;

/** Whether the line `text[start, end)` is ROT13 or reversed text. */
function disguiseOf(text: string, start: number, end: number, units: Uint16Array | undefined): 'rot13' | 'reversed' | undefined {
  if (end - start <= DISGUISE_MARGINS.minBigrams) {
    const line = text.slice(start, end);
    if (!ROT13_OR_REVERSED_HINT.test(line)) return undefined;
    const [plain, rotatedShare, reversedShare] = englishShares(line);
    if (plain >= 0.25) return undefined;
    if (rotatedShare >= 0.3) return 'rot13';
    if (reversedShare >= 0.3) return 'reversed';
    return undefined;
  }
  const gains = disguiseGains(text, start, end, units);
  // Code, tables and identifiers read oddly either way round; hidden messages are mostly letters.
  if (gains.bigrams < DISGUISE_MARGINS.minBigrams || gains.letters < DISGUISE_MARGINS.minLetters) return undefined;
  if (gains.latin >= 0.5 && gains.rot13 >= DISGUISE_MARGINS.rot13 && gains.rot13 >= gains.reversed) return 'rot13';
  if (gains.reversed >= DISGUISE_MARGINS.reversed) return 'reversed';
  return undefined;
}
