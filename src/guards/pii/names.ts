import type { Candidate } from './structured.js';
import { lexClass, spansFromTags, type TaggerModel, tagTokens, tokenize } from './tagger.js';
import model from './tagger-model.json' with { type: 'json' };

const ENTITY: Record<string, string> = { PERSON: 'person', LOCATION: 'location', ADDRESS: 'address' };
const SCORE: Record<string, number> = { person: 0.8, location: 0.7, address: 0.8 };

const CALENDAR = new Set(
  'january february march april may june july august september october november december monday tuesday wednesday thursday friday saturday sunday'.split(' '),
);

const SPEECH = new Set(['said', 'says', 'asked', 'asks', 'told', 'tells', 'replied', 'shouted', 'whispered', 'answered', 'explained', 'added', 'yelled', 'cried', 'wrote', 'smiled', 'laughed', 'nodded', 'sighed', 'screamed', 'insisted']);

/** A capitalized word that could be a name: not an ordinary English word by the lexicon. */
function nameLike(word: string): boolean {
  return /^\p{Lu}[\p{L}\p{M}'’-]*$/u.test(word) && word !== 'I' && !/^(?:word|func|date)$/.test(lexClass(word.toLowerCase()));
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

/** Person names, locations and street addresses found by the trained tagger (organizations are tagged but not reported). */
export function findNames(text: string): Candidate[] {
  // Names and places are capitalized somewhere, addresses carry digits: text with neither has none.
  if (!/[\p{Lu}0-9]/u.test(text)) return [];
  const tokens = tokenize(text);
  const tags = tagTokens(model as TaggerModel, tokens);
  const out: Candidate[] = [];
  for (const span of spansFromTags(tokens, tags)) {
    const entity = ENTITY[span.type];
    if (!entity) continue;
    const value = text.slice(span.start, span.end);
    const single = !/[\s,]/.test(value);
    // Acronyms (`NIE`, `SSN`) and one-word "addresses" are tagging noise.
    if (single && ((entity === 'address' && !/[0-9]/.test(value)) || /^[\p{Lu}]{2,3}$/u.test(value) || (entity === 'person' && /^[\p{Lu}]{2,5}$/u.test(value)))) continue;
    // A lone word the lexicon knows as ordinary English (`Identify`, `Email`, `Based`) is no name,
    // whatever its capital letter says: headings and sentence starts are where these come from.
    const lower = value.toLowerCase();
    const score = single && entity !== 'address' && (CALENDAR.has(lower) || /^(?:word|func|date)$/.test(lexClass(lower))) ? 0.4 : SCORE[entity]!;
    out.push({ start: span.start, end: span.end, entity, score, reason: `${entity} (tagger)` });
  }
  for (const c of findSpeakers(tokens)) if (!out.some((o) => c.start < o.end && o.start < c.end)) out.push(c);
  return out;
}
