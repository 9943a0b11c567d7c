/**
 * Trains the name/location/address tagger: `npx vite-node src/guards/pii/train-tagger.ts [dataDir]`.
 * Reads only train files: `pii/train.jsonl` (rows without `entity_type_tested`) for the tagger and
 * the address join model, `benign/train.jsonl` for word counts (lexicon class `common`); writes
 * `tagger-model.json`. `HOLDOUT=template FOLD=k/5` (k = 0…4) is the template cross-validation the
 * settings were chosen with (docs/pii-tagger-model-card.md).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blockFeatures, type JoinModel, trainJoinModel } from './address-join.js';
import { features, lexClass, setCommonWords, spansFromTags, strHash, TAGS, type TaggerModel, tagTokens, type Token, tokenInfo, tokenize } from './tagger.js';

const dataDir = process.argv[2] ?? join(process.cwd(), '..', 'shared', 'eval');
const KEEP = new Set(['PERSON', 'LOCATION', 'ADDRESS', 'ORGANIZATION']);

interface Row {
  text: string;
  spans: { start: number; end: number; type: string }[];
  entity_type_tested?: string;
}

function goldTags(tokens: Token[], spans: Row['spans']): string[] {
  return tokens.map((t, i) => {
    const s = spans.find((g) => KEEP.has(g.type) && t.start < g.end && g.start < t.end);
    if (!s) return 'O';
    const prev = tokens[i - 1];
    const continues = prev && prev.start < s.end && s.start < prev.end && prev.end > s.start;
    return `${continues ? 'I' : 'B'}-${s.type}`;
  });
}

/**
 * Words of lexicon class `common` (see `setCommonWords`): words the lexicon lacks that the ordinary
 * texts of `benign/train.jsonl` write at least 3 times in lower case and at least twice as often in
 * lower case as capitalized inside a sentence. Hashes only: no text of the data is kept.
 */
function commonWords(file: string): number[] {
  const lower = new Map<string, number>();
  const capital = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const tokens = tokenize((JSON.parse(line) as { text: string }).text);
    tokens.forEach((t, i) => {
      if (t.lower.length < 2 || !/^[\p{L}\p{M}'’]+$/u.test(t.text)) return;
      if (t.text === t.lower) lower.set(t.lower, (lower.get(t.lower) ?? 0) + 1);
      else if (t.text.slice(1) === t.lower.slice(1)) {
        const p = tokens[i - 1];
        if (p && !t.newline && !/^[.!?:"]$/.test(p.text)) capital.set(t.lower, (capital.get(t.lower) ?? 0) + 1);
      }
    });
  }
  const words = [...lower].filter(([w, n]) => n >= 3 && n >= 2 * (capital.get(w) ?? 0) && lexClass(w) === '-').map(([w]) => strHash(w));
  return [...new Set(words)].sort((a, b) => a - b);
}
const common = commonWords(join(dataDir, 'benign', 'train.jsonl'));
setCommonWords(common);
console.log(`common words: ${common.length}`);

const all = readFileSync(join(dataDir, 'pii', 'train.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Row)
  .filter((r) => !r.entity_type_tested);
/**
 * `HOLDOUT=1`: keep a tenth of train (by hash of the text) out of training and report span F1 on it.
 * `HOLDOUT=template`: the same, but by hash of the text's template (the text with every span replaced
 * by its type): dev is split by template, so this is the estimate of dev to choose settings with.
 */
const HOLDOUT = process.env['HOLDOUT'];
function holdoutKey(r: Row): string {
  if (HOLDOUT !== 'template') return r.text;
  let t = '';
  let pos = 0;
  for (const sp of [...r.spans].sort((a, b) => a.start - b.start)) {
    if (sp.start < pos) continue;
    t += `${r.text.slice(pos, sp.start)}<${sp.type}>`;
    pos = sp.end;
  }
  return (t + r.text.slice(pos)).toLowerCase();
}
/** `FOLD=k/K` (with `HOLDOUT`): hold out the k-th of K parts instead of a tenth, for K-fold cross-validation. */
const [fold, folds] = (process.env['FOLD'] ?? '').split('/').map(Number);
const heldOut = (r: Row): boolean => {
  if (HOLDOUT !== '1' && HOLDOUT !== 'template') return false;
  const h = createHash('sha1').update(holdoutKey(r)).digest();
  return folds ? h.readUInt32BE(0) % folds === fold : h[0]! < 26;
};
const rows = all.filter((r) => !heldOut(r));
const holdout = all.filter(heldOut);
// Augmentation: each text again with its names and places swapped for others of the same type from
// train, so the model learns the contexts names stand in rather than the names themselves.
let augSeed = 11;
const augRand = (): number => ((augSeed = (augSeed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pools = new Map<string, string[]>();
for (const r of rows) for (const sp of r.spans) if (KEEP.has(sp.type)) pools.set(sp.type, [...(pools.get(sp.type) ?? []), r.text.slice(sp.start, sp.end)]);
function swapped(r: Row): Row {
  const spans = [...r.spans].sort((a, b) => a.start - b.start);
  let text = '';
  let pos = 0;
  const out: Row['spans'] = [];
  for (const sp of spans) {
    if (sp.start < pos) continue;
    text += r.text.slice(pos, sp.start);
    // Addresses stay: the two sources annotate them differently (one span vs. street/town/country
    // parts), so moving one into the other's templates would teach contradicting labels.
    const pool = sp.type === 'PERSON' || sp.type === 'LOCATION' ? pools.get(sp.type) : undefined;
    const value = pool ? pool[Math.floor(augRand() * pool.length)]! : r.text.slice(sp.start, sp.end);
    out.push({ start: text.length, end: text.length + value.length, type: sp.type });
    text += value;
    pos = sp.end;
  }
  text += r.text.slice(pos);
  return { text, spans: out };
}
/**
 * Address blocks for the join model (see `address-join.ts`): an ADDRESS span and the ADDRESS and
 * LOCATION spans right after it (only spaces and commas between), as `findNames` groups the tagger's
 * spans. Several spans: the text's template writes the parts as separate fields (join = false). One
 * span holding a line break, a comma or two numbers: a full postal address annotated whole (join = true).
 * Simple one-part addresses (`Rua Diadema 1903`) say nothing either way and are left out.
 */
function joinExamples(rs: readonly Row[]): { features: string[]; join: boolean }[] {
  const out: { features: string[]; join: boolean }[] = [];
  for (const r of rs) {
    const spans = r.spans.filter((s) => s.type === 'ADDRESS' || s.type === 'LOCATION').sort((a, b) => a.start - b.start);
    for (let i = 0; i < spans.length; i++) {
      if (spans[i]!.type !== 'ADDRESS') continue;
      let j = i;
      while (j + 1 < spans.length && /^[\s,]{0,4}$/.test(r.text.slice(spans[j]!.end, spans[j + 1]!.start))) j++;
      const { start } = spans[i]!;
      const { end } = spans[j]!;
      const value = r.text.slice(start, end);
      if (j > i) out.push({ features: blockFeatures(r.text, start, end), join: false });
      else if (/[\n,]/.test(value) || (value.match(/[0-9]+/g) ?? []).length >= 2) out.push({ features: blockFeatures(r.text, start, end), join: true });
      i = j;
    }
  }
  return out;
}
const joinTrain = joinExamples(rows);
const joinModel: JoinModel = trainJoinModel(joinTrain);
console.log(`join model: ${joinTrain.length} address blocks (${joinTrain.filter((e) => e.join).length} whole)`);

const AUGMENT = Number(process.env['AUGMENT'] ?? 1);
const K = TAGS.length;
const tagIndex = new Map<string, number>(TAGS.map((t, i) => [t, i]));
// 8 epochs: by 30 the model had learned train's templates word by word (token error 0) and generalized worse.
const EPOCHS = Number(process.env['EPOCHS'] ?? 8);

/** One averaged perceptron; `bag` picks the shuffle and augmentation seeds (bag 0: the original ones). */
function trainOnce(bag: number): Map<number, Float64Array> {
  augSeed = 11 + bag * 7919;
  const augmented = [...rows];
  for (const r of rows) for (let a = 0; a < AUGMENT; a++) augmented.push(swapped(r));

  const data = augmented.map((r) => {
    const tokens = tokenize(r.text);
    return { tokens, info: tokenInfo(tokens), gold: goldTags(tokens, r.spans) };
  });

  const weights = new Map<number, Float64Array>();
  const totals = new Map<number, Float64Array>();
  const stamps = new Map<number, Float64Array>();
  let step = 0;

  function update(f: number, c: number, delta: number): void {
    let w = weights.get(f);
    if (!w) {
      weights.set(f, (w = new Float64Array(K)));
      totals.set(f, new Float64Array(K));
      stamps.set(f, new Float64Array(K));
    }
    const tot = totals.get(f)!;
    const st = stamps.get(f)!;
    tot[c]! += (step - st[c]!) * w[c]!;
    st[c] = step;
    w[c]! += delta;
  }

  // Deterministic shuffle so the committed model is reproducible.
  let seed = 42 + bag * 104729;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const order = data.map((_, i) => i).sort(() => rand() - 0.5);
    let errors = 0;
    let count = 0;
    for (const idx of order) {
      const { tokens, info, gold } = data[idx]!;
      const goldIdx = gold.map((g) => tagIndex.get(g)!);
      const predicted: number[] = [];
      for (let i = 0; i < tokens.length; i++) {
        step++;
        // Train on the predicted history (what decoding will see), with gold history half the time early on.
        const useGold = epoch < 2 && rand() < 0.5;
        const hist = useGold ? goldIdx : predicted;
        const feats = features(info, i, hist[i - 1] ?? -1, hist[i - 2] ?? -1);
        const scores = new Float64Array(K);
        for (const f of feats) {
          const w = weights.get(f);
          if (w) for (let c = 0; c < K; c++) scores[c]! += w[c]!;
        }
        let best = 0;
        for (let c = 1; c < K; c++) if (scores[c]! > scores[best]!) best = c;
        const truth = tagIndex.get(gold[i]!)!;
        if (best !== truth) {
          errors++;
          for (const f of feats) {
            update(f, truth, 1);
            update(f, best, -1);
          }
        }
        count++;
        predicted.push(best);
      }
    }
    console.log(`epoch ${epoch + 1}: token error ${(errors / count).toFixed(4)}`);
  }

  const averaged = new Map<number, Float64Array>();
  for (const [f, w] of weights) {
    const tot = totals.get(f)!;
    const st = stamps.get(f)!;
    averaged.set(f, Float64Array.from(w, (v, c) => (tot[c]! + (step - st[c]!) * v) / step));
  }
  return averaged;
}

/**
 * `BAGS=n`: the average of n perceptrons trained with different shuffles and name swaps (less
 * variance from the order of the examples).
 */
const BAGS = Number(process.env['BAGS'] ?? 5);
const sum = new Map<number, Float64Array>();
for (let bag = 0; bag < BAGS; bag++) {
  for (const [f, w] of trainOnce(bag)) {
    const acc = sum.get(f) ?? new Float64Array(K);
    for (let c = 0; c < K; c++) acc[c]! += w[c]! / BAGS;
    sum.set(f, acc);
  }
}
const out: Record<string, number[]> = {};
for (const [f, w] of sum) {
  const avg = Array.from(w, (v) => Math.round(v * 1000) / 1000);
  if (avg.some((v) => Math.abs(v) >= 0.005)) out[f] = avg;
}
if (holdout.length > 0) {
  const model: TaggerModel = { tags: TAGS, weights: out, join: joinModel, common };
  const counts = { tp: 0, fp: 0, fn: 0 };
  for (const r of holdout) {
    const tokens = tokenize(r.text);
    const pred = spansFromTags(tokens, tagTokens(model, tokens)).filter((s) => s.type !== 'ORGANIZATION');
    const gold = r.spans.filter((s) => s.type === 'PERSON' || s.type === 'LOCATION' || s.type === 'ADDRESS');
    const used = new Set<number>();
    for (const p of pred) {
      const i = gold.findIndex((g, k) => !used.has(k) && g.type === p.type && g.start === p.start && g.end === p.end);
      if (i >= 0) {
        used.add(i);
        counts.tp++;
      } else counts.fp++;
    }
    counts.fn += gold.length - used.size;
  }
  if (process.env['HOLDOUT_MODEL']) writeFileSync(process.env['HOLDOUT_MODEL'], JSON.stringify(model));
  console.log(`holdout ${holdout.length} texts: names exact F1 ${((2 * counts.tp) / (2 * counts.tp + counts.fp + counts.fn)).toFixed(4)}`);
  process.exit(0);
}
const path = new URL('./tagger-model.json', import.meta.url);
writeFileSync(path, `${JSON.stringify({ tags: TAGS, join: joinModel, common, weights: out })}\n`);
console.log(`features kept: ${Object.keys(out).length}, from ${rows.length} texts (each also with names swapped${BAGS > 1 ? `, ${BAGS} bags` : ''})`);
