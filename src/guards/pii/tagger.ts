import nlp from 'compromise';

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

const TOKEN_RE = /[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*|[0-9]+|[^\s\p{L}\p{M}0-9]/gu;

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
  return lexicon.get(word) ?? '-';
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
  lower: string;
  shape: string;
  lex: string;
  cap: boolean;
}

export function tokenInfo(tokens: readonly Token[]): TokenInfo[] {
  return tokens.map((t) => ({ lower: t.lower, shape: shape(t.text), lex: lexClass(t.lower), cap: t.text !== t.lower }));
}

/**
 * Tokens the tagger scores: those with a capital letter or a digit, and the small words between two
 * of them (`van de Noort`, `Rue de la Gare`). Everything else is `O` without scoring, which keeps
 * ordinary lower-case prose nearly free. Training applies the same mask.
 */
export function activeMask(tokens: readonly Token[]): boolean[] {
  const strong = tokens.map((t) => t.text !== t.lower || (t.text.charCodeAt(0) >= 48 && t.text.charCodeAt(0) <= 57));
  return tokens.map((_, i) => {
    if (strong[i]) return true;
    const before = strong[i - 1] || strong[i - 2];
    const after = strong[i + 1] || strong[i + 2];
    return Boolean(before && after);
  });
}

/** Feature strings of token `i`, given the previous two tags. */
export function features(tokens: readonly Token[], info: readonly TokenInfo[], i: number, prev: string, prev2: string): string[] {
  const t = info[i]!;
  const p = info[i - 1];
  const pp = info[i - 2];
  const n = info[i + 1];
  const nn = info[i + 2];
  const w = t.lower;
  const f = [
    'b',
    `w=${w}`,
    `s=${t.shape}`,
    `l=${t.lex}`,
    `x3=${w.slice(-3)}`,
    `x2=${w.slice(-2)}`,
    `len=${Math.min(w.length, 8)}`,
    `nl=${tokens[i]!.newline ? 1 : 0}`,
    `start=${i === 0 || p?.lower === '.' || p?.lower === '?' || p?.lower === '!' || tokens[i]!.newline ? 1 : 0}`,
    `pt=${prev}`,
    `pt2=${prev2}|${prev}`,
    `pt|s=${prev}|${t.shape}`,
    `pt|l=${prev}|${t.lex}`,
    `pw=${p?.lower ?? '^'}`,
    `ps=${p?.shape ?? '^'}`,
    `pl=${p?.lex ?? '^'}`,
    `ppw=${pp?.lower ?? '^'}`,
    `nw=${n?.lower ?? '$'}`,
    `ns=${n?.shape ?? '$'}`,
    `nl2=${n?.lex ?? '$'}`,
    `nnw=${nn?.lower ?? '$'}`,
    `nns=${nn?.shape ?? '$'}`,
    `s|ns=${t.shape}|${n?.shape ?? '$'}`,
    `ps|s=${p?.shape ?? '^'}|${t.shape}`,
    `l|nl=${t.lex}|${n?.lex ?? '$'}`,
    `pl|l=${p?.lex ?? '^'}|${t.lex}`,
    `nnl=${tokens[i + 1]?.newline ? 1 : 0}`,
  ];
  return f;
}

export interface TaggerModel {
  readonly tags: readonly string[];
  /** feature → weights per tag (averaged, rounded). */
  readonly weights: Readonly<Record<string, readonly number[]>>;
}

/** Greedy left-to-right decoding. */
export function tagTokens(model: TaggerModel, tokens: readonly Token[]): string[] {
  const info = tokenInfo(tokens);
  const active = activeMask(tokens);
  const out: string[] = [];
  const k = model.tags.length;
  const scores = new Float64Array(k);
  for (let i = 0; i < tokens.length; i++) {
    if (!active[i]) {
      out.push('O');
      continue;
    }
    scores.fill(0);
    for (const f of features(tokens, info, i, out[i - 1] ?? '^', out[i - 2] ?? '^')) {
      const w = model.weights[f];
      if (!w) continue;
      for (let c = 0; c < k; c++) scores[c]! += w[c]!;
    }
    let best = 0;
    for (let c = 1; c < k; c++) if (scores[c]! > scores[best]!) best = c;
    let tag = model.tags[best]!;
    // An I- tag must continue an entity of the same type.
    if (tag.startsWith('I-') && !(out[i - 1] ?? 'O').endsWith(tag.slice(2))) tag = `B-${tag.slice(2)}`;
    out.push(tag);
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
