import { lexClass, streetClass, tokenize } from './tagger.js';

/**
 * Whether a street address and the parts the tagger found right after it (unit, town, region,
 * postcode, country) are one address or several. The data annotates both ways: a full postal address
 * (`2613 avenida praia 1 suite 463, mohács, hungary 24743`) is one span, while a building number, a
 * street and a town written as separate fields (`975 | 3968 Bay Street | Toronto`) are separate spans.
 * A small logistic model over the shape of the whole stretch decides, trained with the tagger
 * (`train-tagger.ts`) on the address blocks of the train split; no word lists beyond the tagger's
 * street / unit words and the lexicon class.
 */
export interface JoinModel {
  /** Feature name → weight; `bias` included. */
  readonly weights: Readonly<Record<string, number>>;
}

/** Features of the stretch `text[start, end)` that holds an address and what follows it. */
export function blockFeatures(text: string, start: number, end: number): string[] {
  const value = text.slice(start, end);
  const tokens = tokenize(value);
  const words = tokens.filter((t) => /[\p{L}\p{M}]/u.test(t.text));
  const numbers = tokens.filter((t) => /^[0-9]+$/.test(t.text));
  const parts = value.split(/[\n,]+/).filter((p) => p.trim()).length;
  const f = ['bias', `parts=${Math.min(parts, 4)}`, `numbers=${Math.min(numbers.length, 4)}`, `words=${words.length <= 2 ? 2 : words.length <= 4 ? 4 : words.length <= 7 ? 7 : 8}`];
  if (value.includes('\n')) f.push('newline');
  if (value.includes(',')) f.push('comma');
  if (tokens.some((t) => streetClass(t.lower) === 'unit')) f.push('unit');
  if (tokens.some((t) => streetClass(t.lower) === 'street')) f.push('street');
  if (/^[0-9]+$/.test(tokens[0]?.text ?? '')) f.push(/^[0-9]+$/.test(tokens[1]?.text ?? '') ? 'lead=two numbers' : 'lead=number');
  if (/^[0-9]+$/.test(tokens.at(-1)?.text ?? '')) f.push('ends with number');
  if (words.some((w) => w.text.length >= 3 && w.text === w.text.toUpperCase() && w.text !== w.lower)) f.push('upper-case word');
  const last = words.at(-1);
  if (last) f.push(`last=${lexClass(last.lower)}`);
  // Where the stretch stands: alone on its line (a letter's address block) or inside a sentence.
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  f.push(/^[\s\p{P}]*$/u.test(text.slice(lineStart, start)) ? 'line start' : 'in sentence');
  return f;
}

export function joinScore(model: JoinModel, text: string, start: number, end: number): number {
  let z = 0;
  for (const f of blockFeatures(text, start, end)) z += model.weights[f] ?? 0;
  return z;
}

/** Trains the join model by logistic regression (full-batch gradient descent, L2), deterministic. */
export function trainJoinModel(examples: readonly { features: readonly string[]; join: boolean }[], epochs = 500, rate = 0.5, l2 = 0.01): JoinModel {
  const weights: Record<string, number> = {};
  for (const e of examples) for (const f of e.features) weights[f] = 0;
  const names = Object.keys(weights).sort();
  for (let epoch = 0; epoch < epochs; epoch++) {
    const grad: Record<string, number> = {};
    for (const n of names) grad[n] = n === 'bias' ? 0 : l2 * weights[n]!;
    for (const e of examples) {
      let z = 0;
      for (const f of e.features) z += weights[f]!;
      const err = 1 / (1 + Math.exp(-z)) - (e.join ? 1 : 0);
      for (const f of e.features) grad[f]! += err / examples.length;
    }
    for (const n of names) weights[n]! -= rate * grad[n]!;
  }
  const out: Record<string, number> = {};
  for (const n of names) out[n] = Math.round(weights[n]! * 1000) / 1000;
  return { weights: out };
}
