import type nlpType from 'compromise';
import { createRequire } from 'node:module';
import type { JoinModel } from './address-join.js';

const requireCjs = createRequire(import.meta.url);

/**
 * A compact averaged-perceptron token tagger for person names, locations and street addresses.
 * Features: word shape, affixes, neighbouring words, and lexicon classes from `compromise`'s
 * built-in lexicon (first names, last names, cities, countries, regions, organizations), so names
 * the training data never showed are still recognized by what they look like and where they stand.
 * Trained by `train-tagger.ts` on ../shared/eval pii train; weights ship in `tagger-model.json`.
 */

export const TAGS = ['O', 'B-PERSON', 'I-PERSON', 'B-LOCATION', 'I-LOCATION', 'B-ADDRESS', 'I-ADDRESS', 'B-ORGANIZATION', 'I-ORGANIZATION'] as const;
export type Tag = (typeof TAGS)[number];

export interface Token {
  start: number;
  end: number;
  text: string;
  lower: string;
  /** A line break between this token and the previous one. */
  newline: boolean;
}

// Apostrophes stay inside words (`O'Brien`, `don't`) except a possessive `'s`, which is not part of a name.
const TOKEN_RE = /[\p{L}\p{M}]+(?:['’](?![sS](?![\p{L}\p{M}]))[\p{L}\p{M}]+)*|[0-9]+|[^\s\p{L}\p{M}0-9]/gu;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN_RE)) {
    const start = m.index;
    const between = text.slice(last, start);
    tokens.push({ start, end: start + m[0].length, text: m[0], lower: m[0].toLowerCase(), newline: between.includes('\n') });
    last = start + m[0].length;
  }
  return tokens;
}

let lexicon: Map<string, string> | undefined;

/** Lexicon class of a lower-cased word, from compromise's lexicon, reduced to what matters here. */
export function lexClass(word: string): string {
  if (!lexicon) {
    lexicon = new Map();
    // compromise loads on the first name lookup: with names off (the default) the gateway never pays for it.
    const nlp = requireCjs('compromise') as typeof nlpType;
    const raw = (nlp.model() as { one: { lexicon: Record<string, string | string[]> } }).one.lexicon;
    for (const [w, tags] of Object.entries(raw)) {
      const t = Array.isArray(tags) ? tags.join('|') : tags;
      let cls: string;
      if (/FirstName|MaleName|FemaleName/.test(t)) cls = 'first';
      else if (/LastName/.test(t)) cls = 'last';
      else if (/Person/.test(t)) cls = 'person';
      else if (/Country/.test(t)) cls = 'country';
      else if (/City/.test(t)) cls = 'city';
      else if (/Region|Place/.test(t)) cls = 'place';
      else if (/Organization|SportsTeam/.test(t)) cls = 'org';
      else if (/Honorific/.test(t)) cls = 'title';
      else if (/Month|WeekDay|Date/.test(t)) cls = 'date';
      else if (/Demonym/.test(t)) cls = 'demonym';
      else if (/Determiner|Preposition|Pronoun|Conjunction|Modal|QuestionWord/.test(t)) cls = 'func';
      else cls = 'word';
      if (!w.includes(' ')) lexicon.set(w, cls);
    }
  }
  if (PARTICLES.has(word)) return 'particle';
  const cls = lexicon.get(word);
  if (cls !== undefined) return cls;
  commonSet ??= new Set(commonHashes);
  return commonSet.has(strHash(word)) ? 'common' : '-';
}

/**
 * Lower-case particles inside family and street names (`Anna van der Berg`, `Jean du Pont`, `Rua do
 * Carmo`): lexicon class `particle`, so a name may run through them; still plain words for the gate.
 */
const PARTICLES = new Set('van von de der den ten ter da das do dos du del della di le la al bin ibn'.split(' '));

let commonHashes: readonly number[] = [];
let commonSet: Set<number> | undefined;

/**
 * Words the lexicon lacks that ordinary text writes mostly in lower case (`pedestrians`, `concert`,
 * `restaurant`), as hashes (`strHash`), from the model file (see `train-tagger.ts`): lexicon class
 * `common`. compromise's lexicon knows few nouns, and a capitalized word the tagger cannot tell from
 * an unknown name is its most frequent false positive at the start of a sentence.
 */
export function setCommonWords(hashes: readonly number[]): void {
  commonHashes = hashes;
  commonSet = undefined;
  wordCache.clear();
}

/**
 * Street-type and unit words of many languages (`street`, `rua`, `straße`, `út`, `apt`), and words
 * ending in a street suffix (`Hersnapvej`, `Kiannonkatu`, `Bahnhofstrasse`): what makes a capitalized
 * word followed by a number an address. A feature of its own, next to the lexicon class.
 */
const STREET_WORDS = new Set(
  (
    'street st str road rd avenue ave av avda avenida boulevard blvd lane ln drive dr court ct place pl square sq terrace ' +
    'crescent close way parkway pkwy highway hwy route circle cir row alley walk crossroad crossing summit heights hill ' +
    'rue chemin allée allee impasse quai cours via viale piazza vicolo corso calle carrera plaza paseo camino rua travessa ' +
    'praça largo estrada strasse straße gasse weg platz allee ring damm ufer straat laan plein gracht kade dijk singel ' +
    'vej gade gata gatan vägen väg veien vei katu tie polku kuja ulica ul aleja utca út tér körút ucca ulice náměstí třída ' +
    'sokak caddesi cad bulevar odos leoforos plateia'
  ).split(' '),
);
const UNIT_WORDS = new Set('apt apartment suite ste unit box floor fl flat po bldg building room rm no nr'.split(' '));
const STREET_SUFFIX = /(?:stra(?:ss|ß)e|gasse|weg|platz|allee|straat|laan|vej|gade|gatan|vägen|veien|katu|tie|utca)$/;

export function streetClass(word: string): string {
  if (STREET_WORDS.has(word)) return 'street';
  if (UNIT_WORDS.has(word)) return 'unit';
  if (word.length > 5 && STREET_SUFFIX.test(word)) return 'street';
  return '-';
}

function charClass(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code >= 97 && code <= 122) return 'x';
  if (code >= 65 && code <= 90) return 'X';
  if (code >= 48 && code <= 57) return 'd';
  if (code < 128) return ch;
  return ch !== ch.toLowerCase() ? 'X' : ch !== ch.toUpperCase() ? 'x' : ch;
}

function shape(s: string): string {
  let out = '';
  let prev = '';
  for (const ch of s) {
    const c = charClass(ch);
    if (c !== prev || out.length < 2) out += c;
    prev = c;
    if (out.length > 5) break;
  }
  return out;
}

interface TokenInfo {
  /** Hashes of the lower-cased word, its shape, lexicon class, 3- and 2-letter suffixes. */
  w: number;
  s: number;
  l: number;
  x3: number;
  x2: number;
  len: number;
  /** Street / unit word class (see `streetClass`), hashed. */
  st: number;
  /** Capitalized (first letter upper case) or digits: 1, 2; else 0. */
  cap: number;
  newline: number;
  /** Sentence punctuation (`.`, `?`, `!`). */
  stop: boolean;
  /**
   * A word a `.` after it abbreviates rather than ends a sentence with: an initial (`Vide A. Persson`)
   * or a street / unit word (`St.`, `ul.`, `Apt.`).
   */
  abbr: boolean;
  /**
   * Tagged `O` without scoring when the token before is `O` too: a lower-case word the lexicon
   * knows as an ordinary English word (no name, place or street word), or punctuation. Most tokens of
   * ordinary text are such words; see `tagTokens`.
   */
  plain: boolean;
}

/** FNV-1a over UTF-16 code units. */
export function strHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h & 0x3fffffff;
}

/** Mixes a feature template id with up to two values into one 32-bit feature id. */
function mix(template: number, a: number, b = 0): number {
  let h = Math.imul(template ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ a ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ b ^ (h >>> 13), 0x27d4eb2f);
  // 30 bits: small integers stay unboxed in V8, which makes Map lookups several times faster.
  return (h ^ (h >>> 16)) & 0x3fffffff;
}

const BOS = strHash('^');
const DOT = strHash('.');
const EOS = strHash('$');

type WordInfo = Omit<TokenInfo, 'newline'>;
/** Word-level parts of TokenInfo by token text: words repeat, so most tokens cost one Map lookup. */
const wordCache = new Map<string, WordInfo>();

function wordInfo(text: string, lower: string): WordInfo {
  let info = wordCache.get(text);
  if (!info) {
    info = {
      w: strHash(lower),
      s: strHash(shape(text)),
      l: strHash(lexClass(lower)),
      x3: strHash(lower.slice(-3)),
      x2: strHash(lower.slice(-2)),
      len: Math.min(lower.length, 8),
      st: strHash(streetClass(lower)),
      cap: text.charCodeAt(0) >= 48 && text.charCodeAt(0) <= 57 ? 2 : text !== lower && text[0] !== lower[0] ? 1 : 0,
      stop: text === '.' || text === '?' || text === '!',
      abbr: (lower.length === 1 && text !== lower) || (lower.length <= 4 && streetClass(lower) !== '-'),
      plain: false,
    };
    const cls = lexClass(lower);
    const punct = text.length === 1 && !/[\p{L}\p{M}0-9]/u.test(text);
    info.plain = punct || (info.cap === 0 && (cls === 'word' || cls === 'func' || cls === 'date' || cls === 'particle') && streetClass(lower) === '-' && !/[0-9]/.test(text));
    if (wordCache.size >= 50_000) wordCache.clear();
    wordCache.set(text, info);
  }
  return info;
}

export function tokenInfo(tokens: readonly Token[]): TokenInfo[] {
  return tokens.map((t) => {
    const w = wordInfo(t.text, t.lower);
    return { w: w.w, s: w.s, l: w.l, x3: w.x3, x2: w.x2, len: w.len, st: w.st, cap: w.cap, newline: t.newline ? 1 : 0, stop: w.stop, abbr: w.abbr, plain: w.plain };
  });
}

/** Features per token (see `features`). */
export const FEATURE_COUNT = 37;

/**
 * Feature ids of token `i`, given the indexes of the previous two tags (-1 before the start).
 * Features are hashed from (template, values): no strings are built while tagging.
 */
export function features(info: readonly TokenInfo[], i: number, prev: number, prev2: number, out: number[] = new Array<number>(FEATURE_COUNT)): number[] {
  const t = info[i]!;
  const p = info[i - 1];
  const pp = info[i - 2];
  const n = info[i + 1];
  const nn = info[i + 2];
  const ps = p?.s ?? BOS;
  const pl = p?.l ?? BOS;
  const ns = n?.s ?? EOS;
  const nl = n?.l ?? EOS;
  const start = i === 0 || (p?.stop && !(p.s === DOT && pp?.abbr)) || t.newline ? 1 : 0;
  out[0] = mix(0, 0);
  out[1] = mix(1, t.w);
  out[2] = mix(2, t.s);
  out[3] = mix(3, t.l);
  out[4] = mix(4, t.x3);
  out[5] = mix(5, t.x2);
  out[6] = mix(6, t.len);
  out[7] = mix(7, t.newline);
  out[8] = mix(8, start);
  out[9] = mix(9, prev + 1);
  out[10] = mix(10, prev2 + 1, prev + 1);
  out[11] = mix(11, prev + 1, t.s);
  out[12] = mix(12, prev + 1, t.l);
  out[13] = mix(13, p?.w ?? BOS);
  out[14] = mix(14, ps);
  out[15] = mix(15, pl);
  out[16] = mix(16, pp?.w ?? BOS);
  out[17] = mix(17, n?.w ?? EOS);
  out[18] = mix(18, ns);
  out[19] = mix(19, nl);
  out[20] = mix(20, nn?.w ?? EOS);
  out[21] = mix(21, nn?.s ?? EOS);
  out[22] = mix(22, t.s, ns);
  out[23] = mix(23, ps, t.s);
  out[24] = mix(24, t.l, nl);
  out[25] = mix(25, pl, t.l);
  out[26] = mix(26, n?.newline ?? 0);
  // Street words and house numbers around the token: `Villacher Strasse 89`, `Rua Diadema 1903`.
  out[27] = mix(27, t.st);
  out[28] = mix(28, p?.st ?? BOS, t.cap);
  out[29] = mix(29, n?.st ?? EOS, t.cap);
  out[30] = mix(30, nn?.st ?? EOS, t.cap);
  out[31] = mix(31, pp?.st ?? BOS, t.cap);
  // Capitalization of the neighbours with the word before: `on Xxxx Xxxx dd`, `ex-Zombie Xxxx is`.
  out[32] = mix(32, p?.cap ?? 3, n?.cap ?? 3);
  out[33] = mix(33, p?.w ?? BOS, t.cap);
  out[34] = mix(34, t.cap, n?.w ?? EOS);
  out[35] = mix(35, pp?.l ?? BOS, nn?.l ?? EOS);
  out[36] = mix(36, start, t.l);
  return out;
}

export interface TaggerModel {
  readonly tags: readonly string[];
  /** Feature id (decimal) → averaged weights per tag. */
  readonly weights: Readonly<Record<string, readonly number[]>>;
  /** Whether an address and the parts after it are one span (see `address-join.ts`). */
  readonly join?: JoinModel;
  /** Hashes of the words of lexicon class `common` (see `setCommonWords`). */
  readonly common?: readonly number[];
}

/** Open-addressing table of feature id → weight row: a lookup is a few array reads. */
interface WeightTable {
  readonly mask: number;
  readonly keys: Int32Array;
  /** Weights quantized to 8 bits (× `scale`): a quarter of the memory, so the table stays in cache. */
  readonly rows: Int8Array;
  readonly scale: number;
  readonly k: number;
}

const compiled = new WeakMap<TaggerModel, WeightTable>();

function weightsOf(model: TaggerModel): WeightTable {
  let table = compiled.get(model);
  if (!table) {
    const entries = Object.entries(model.weights);
    const k = model.tags.length;
    let size = 1024;
    while (size < entries.length * 2) size *= 2;
    let maxAbs = 1e-9;
    for (const [, w] of entries) for (const v of w) maxAbs = Math.max(maxAbs, Math.abs(v));
    const scale = maxAbs / 127;
    const keys = new Int32Array(size).fill(-1);
    const rows = new Int8Array(size * k);
    for (const [f, w] of entries) {
      let slot = Number(f) & (size - 1);
      while (keys[slot] !== -1) slot = (slot + 1) & (size - 1);
      keys[slot] = Number(f);
      for (let c = 0; c < k; c++) rows[slot * k + c] = Math.round(w[c]! / scale);
    }
    table = { mask: size - 1, keys, rows, scale, k };
    compiled.set(model, table);
  }
  return table;
}

/**
 * The same model with its weights compiled and the parsed rows dropped: the shipped model's rows are
 * ~100,000 arrays of numbers (several MB of heap) that `weightsOf` turns into one table of int8.
 * Tagging with the result gives exactly the same tags.
 */
export function compactModel(model: TaggerModel): TaggerModel {
  const table = weightsOf(model);
  const compact: TaggerModel = { ...model, weights: {} };
  compiled.set(compact, table);
  return compact;
}

function addRow(table: WeightTable, f: number, scores: Float64Array): void {
  let slot = f & table.mask;
  for (;;) {
    const key = table.keys[slot]!;
    if (key === f) {
      const base = slot * table.k;
      for (let c = 0; c < table.k; c++) scores[c]! += table.rows[base + c]!;  // in units of `scale`: argmax is unchanged
      return;
    }
    if (key === -1) return;
    slot = (slot + 1) & table.mask;
  }
}

const GATE = 3;

/** Greedy left-to-right decoding. */
export function tagTokens(model: TaggerModel, tokens: readonly Token[]): string[] {
  const weights = weightsOf(model);
  const info = tokenInfo(tokens);
  const tags = model.tags;
  const out: string[] = [];
  const idx: number[] = [];
  const k = tags.length;
  const scores = new Float64Array(k);
  const feats = new Array<number>(FEATURE_COUNT);
  // Plain tokens ahead (this one included): an entity may start a few plain words before its
  // capitalized part (`the corner of ul. Cicha 86`), so only a plain token with GATE plain tokens
  // from it on, after an `O`, is skipped (same dev and train F1 as scoring every token, less than half the time).
  const ahead = new Int32Array(tokens.length + 1);
  for (let i = tokens.length - 1; i >= 0; i--) ahead[i] = info[i]!.plain ? ahead[i + 1]! + 1 : 0;
  for (let i = 0; i < tokens.length; i++) {
    if (ahead[i]! >= GATE && (i === 0 || idx[i - 1] === 0)) {
      out.push('O');
      idx.push(0);
      continue;
    }
    scores.fill(0);
    for (const f of features(info, i, idx[i - 1] ?? -1, idx[i - 2] ?? -1, feats)) addRow(weights, f, scores);
    let best = 0;
    for (let c = 1; c < k; c++) if (scores[c]! > scores[best]!) best = c;
    let tag = tags[best]!;
    // An I- tag must continue an entity of the same type.
    if (tag.startsWith('I-') && !(out[i - 1] ?? 'O').endsWith(tag.slice(2))) {
      tag = `B-${tag.slice(2)}`;
      best = tags.indexOf(tag);
    }
    out.push(tag);
    idx.push(best);
  }
  return out;
}

export interface EntitySpan {
  start: number;
  end: number;
  type: string;
}

export function spansFromTags(tokens: readonly Token[], tags: readonly string[]): EntitySpan[] {
  const spans: EntitySpan[] = [];
  let cur: EntitySpan | undefined;
  tags.forEach((tag, i) => {
    const t = tokens[i]!;
    if (tag.startsWith('B-') || (tag.startsWith('I-') && (!cur || cur.type !== tag.slice(2)))) {
      if (cur) spans.push(cur);
      cur = { start: t.start, end: t.end, type: tag.slice(2) };
    } else if (tag.startsWith('I-') && cur) {
      cur.end = t.end;
    } else {
      if (cur) spans.push(cur);
      cur = undefined;
    }
  });
  if (cur) spans.push(cur);
  return spans;
}
