import { readFileSync } from 'node:fs';
import { type JoinModel, joinScore } from './address-join.js';
import type { Candidate } from './structured.js';
import { compactModel, lexClass, setCommonWords, spansFromTags, streetClass, type TaggerModel, tagTokens, tokenize } from './tagger.js';

/**
 * The shipped tagger model (1.1 MB of JSON; kept compacted: its weights compiled, the parsed rows dropped), read by `loadNameTagger` (the guard's
 * `ready()`) or else on the first name lookup: names, locations and addresses are off by default,
 * and a gateway that never looks for them never holds it.
 * tsconfig.build.json copies the file next to this module in dist/.
 */
let shipped: TaggerModel | undefined;
function shippedModel(): TaggerModel {
  if (!shipped) {
    const parsed = JSON.parse(readFileSync(new URL('./tagger-model.json', import.meta.url), 'utf8')) as TaggerModel;
    setCommonWords(parsed.common ?? []);
    shipped = compactModel({ ...parsed, common: [] });
  }
  return shipped;
}

/**
 * Loads the tagger model and compromise's lexicon now rather than on the first name lookup: on a
 * busy machine that first lookup took 0.5–1.3 s, over the guard's time budget, so the first text
 * failed closed. The PII guard awaits this in `ready()` when names, places or addresses are on.
 */
export function loadNameTagger(): void {
  shippedModel();
  lexClass('the');
}

const ENTITY: Record<string, string> = { PERSON: 'person', LOCATION: 'location', ADDRESS: 'address' };
const SCORE: Record<string, number> = { person: 0.8, location: 0.7, address: 0.8 };

const CALENDAR = new Set(
  'january february march april may june july august september october november december monday tuesday wednesday thursday friday saturday sunday'.split(' '),
);

const SPEECH = new Set(['said', 'says', 'asked', 'asks', 'told', 'tells', 'replied', 'shouted', 'whispered', 'answered', 'explained', 'added', 'yelled', 'cried', 'wrote', 'smiled', 'laughed', 'nodded', 'sighed', 'screamed', 'insisted']);

function hasStreetWord(value: string): boolean {
  return value
    .toLowerCase()
    .split(/[^\p{L}\p{M}]+/u)
    .some((w) => streetClass(w) !== '-');
}

/** A capitalized word that could be a name: not an ordinary English word by the lexicon. */
function nameLike(word: string): boolean {
  return /^\p{Lu}[\p{L}\p{M}'’-]*$/u.test(word) && word !== 'I' && !/^(?:word|func|date|particle)$/.test(lexClass(word.toLowerCase()));
}

/**
 * Names by speech verbs, which the tagger's training templates rarely show: `said Željko`,
 * `Maslin said`, `Mehrudin shouted at`. One or two name-like words next to the verb.
 */
function findSpeakers(tokens: ReturnType<typeof tokenize>): Candidate[] {
  const out: Candidate[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (!SPEECH.has(tokens[i]!.lower)) continue;
    const after = tokens[i + 1];
    if (after && nameLike(after.text)) {
      const second = tokens[i + 2];
      const end = second && nameLike(second.text) && second.start === after.end + 1 ? second.end : after.end;
      out.push({ start: after.start, end, entity: 'person', score: 0.7, reason: 'person (speech verb)' });
    }
    const before = tokens[i - 1];
    if (before && nameLike(before.text)) {
      const first = tokens[i - 2];
      const start = first && nameLike(first.text) && before.start === first.end + 1 ? first.start : before.start;
      out.push({ start, end: before.end, entity: 'person', score: 0.7, reason: 'person (speech verb)' });
    }
  }
  return out;
}

/**
 * Person names, locations and street addresses found by the trained tagger (organizations are tagged
 * but not reported). `join`: an address and the parts after it become one address always (`true`),
 * never (`false`), or as the join model learned from the training data decides (`undefined`).
 */
export function findNames(text: string, join?: boolean, model?: TaggerModel): Candidate[] {
  // Names and places are capitalized somewhere, addresses carry digits: text with neither has none.
  if (!/[\p{Lu}0-9]/u.test(text)) return [];
  const tagger = model ?? shippedModel();
  const tokens = tokenize(text);
  const tags = tagTokens(tagger, tokens);
  const out: Candidate[] = [];
  for (const span of spansFromTags(tokens, tags)) {
    const entity = ENTITY[span.type];
    if (!entity) continue;
    const value = text.slice(span.start, span.end);
    const single = !/[\s,]/.test(value);
    // Acronyms (`NIE`, `SSN`) and one-word "addresses" are tagging noise, and so is an "address"
    // with neither a number nor a street or unit word (`Anna, Tom and Kristen`; 6 of train's 517
    // addresses look like that, all Faker street names without their suffix such as `Berg Hills`).
    if (entity === 'address' && !/[0-9]/.test(value) && (single || !hasStreetWord(value))) continue;
    if (single && (/^[\p{Lu}]{2,3}$/u.test(value) || (entity === 'person' && /^[\p{Lu}]{2,5}$/u.test(value)))) continue;
    // A lone word the lexicon knows as ordinary English (`Identify`, `Email`, `Based`) is no name,
    // whatever its capital letter says: headings and sentence starts are where these come from.
    const lower = value.toLowerCase();
    const score = single && entity !== 'address' && (CALENDAR.has(lower) || /^(?:word|func|date|particle)$/.test(lexClass(lower))) ? 0.4 : SCORE[entity]!;
    out.push({ start: span.start, end: span.end, entity, score, reason: `${entity} (tagger)` });
  }
  listedNames(text, tokens, out);
  if (join !== false) mergeAddressParts(text, out, tagger.join, join);
  for (const c of findSpeakers(tokens)) if (!out.some((o) => c.start < o.end && o.start < c.end)) out.push(c);
  return out;
}

/**
 * An address and the town, region, postcode and country right after it (only spaces, commas and
 * line breaks between): `Tungata 11 Rott Crossroad\n Apt. 322\n Höfn\n Iceland 72399`. Joined into one
 * address when `always`, else when the join model says the stretch is one postal address rather
 * than separate fields (`975 3968 Bay Street, Toronto` stays a building number, a street and a town).
 */
function mergeAddressParts(text: string, out: Candidate[], joinModel: JoinModel | undefined, always = false): void {
  out.sort((a, b) => a.start - b.start);
  for (let i = 0; i < out.length; i++) {
    const a = out[i]!;
    if (a.entity !== 'address' || a.score < 0.5) continue;
    let j = i;
    for (; j + 1 < out.length; j++) {
      const b = out[j + 1]!;
      if ((b.entity !== 'address' && b.entity !== 'location') || b.score < 0.5 || !/^[\s,]{0,4}$/.test(text.slice(out[j]!.end, b.start))) break;
    }
    if (j === i) continue;
    const end = out[j]!.end;
    if (always || (joinModel && joinScore(joinModel, text, a.start, end) > 0)) {
      a.end = end;
      out.splice(i + 1, j - i);
    } else i = j;
  }
}

/**
 * Names in a list of names: `Kateřina, James, Christopher, Jennifer, Emily and Michael`. A one-word
 * item between commas (or `and`) that the lexicon knows as a first or last name is a person when the
 * item before or after it was tagged one.
 */
function listedNames(text: string, tokens: ReturnType<typeof tokenize>, out: Candidate[]): void {
  const persons = out.filter((c) => c.entity === 'person' && c.score >= 0.5);
  if (persons.length === 0) return;
  const isPersonAt = (t: { start: number; end: number } | undefined): boolean => !!t && persons.some((p) => p.start === t.start && p.end === t.end);
  for (let round = 0; round < 2; round++) {
    for (let i = 2; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (out.some((c) => c.start < t.end && t.start < c.end)) continue;
      const cls = lexClass(t.lower);
      if (cls !== 'first' && cls !== 'last' && cls !== 'person') continue;
      const sepBefore = tokens[i - 1]!.lower === ',' || tokens[i - 1]!.lower === 'and';
      const sepAfter = tokens[i + 1]?.lower === ',' || tokens[i + 1]?.lower === 'and';
      if (!sepBefore || !sepAfter) continue;
      if (!isPersonAt(tokens[i - 2]) && !isPersonAt(tokens[i + 2])) continue;
      const c: Candidate = { start: t.start, end: t.end, entity: 'person', score: 0.7, reason: 'person (list of names)' };
      out.push(c);
      persons.push(c);
    }
  }
}
