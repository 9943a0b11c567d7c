import type { Candidate } from './structured.js';
import { lexClass, spansFromTags, type TaggerModel, tagTokens, tokenize } from './tagger.js';
import model from './tagger-model.json' with { type: 'json' };

const ENTITY: Record<string, string> = { PERSON: 'person', LOCATION: 'location', ADDRESS: 'address' };
const SCORE: Record<string, number> = { person: 0.8, location: 0.7, address: 0.8 };

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
    const score = single && entity !== 'address' && /^(?:word|func|date)$/.test(lexClass(lower)) ? 0.4 : SCORE[entity]!;
    out.push({ start: span.start, end: span.end, entity, score, reason: `${entity} (tagger)` });
  }
  return out;
}
