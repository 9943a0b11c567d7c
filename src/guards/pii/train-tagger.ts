/**
 * Trains the name/location/address tagger: `npx vite-node src/guards/pii/train-tagger.ts [dataDir]`.
 * Reads only `pii/train.jsonl` (rows without `entity_type_tested`), writes `tagger-model.json`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { activeMask, features, TAGS, type Token, tokenInfo, tokenize } from './tagger.js';

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

const rows = readFileSync(join(dataDir, 'pii', 'train.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Row)
  .filter((r) => !r.entity_type_tested);
const data = rows.map((r) => {
  const tokens = tokenize(r.text);
  return { tokens, info: tokenInfo(tokens), gold: goldTags(tokens, r.spans), active: activeMask(tokens) };
});

const K = TAGS.length;
const tagIndex = new Map<string, number>(TAGS.map((t, i) => [t, i]));
const weights = new Map<string, Float64Array>();
const totals = new Map<string, Float64Array>();
const stamps = new Map<string, Float64Array>();
let step = 0;

function update(f: string, c: number, delta: number): void {
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
let seed = 42;
const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

const EPOCHS = Number(process.env['EPOCHS'] ?? 8);
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  const order = data.map((_, i) => i).sort(() => rand() - 0.5);
  let errors = 0;
  let count = 0;
  for (const idx of order) {
    const { tokens, info, gold, active } = data[idx]!;
    const predicted: string[] = [];
    for (let i = 0; i < tokens.length; i++) {
      if (!active[i]) {
        predicted.push('O');
        continue;
      }
      step++;
      // Train on the predicted history (what decoding will see), with gold history half the time early on.
      const useGold = epoch < 2 && rand() < 0.5;
      const hist = useGold ? gold : predicted;
      const feats = features(tokens, info, i, hist[i - 1] ?? '^', hist[i - 2] ?? '^');
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
      predicted.push(TAGS[best]!);
    }
  }
  console.log(`epoch ${epoch + 1}: token error ${(errors / count).toFixed(4)}`);
}

const out: Record<string, number[]> = {};
for (const [f, w] of weights) {
  const tot = totals.get(f)!;
  const st = stamps.get(f)!;
  const avg = Array.from(w, (v, c) => Math.round(((tot[c]! + (step - st[c]!) * v) / step) * 1000) / 1000);
  if (avg.some((v) => Math.abs(v) >= 0.005)) out[f] = avg;
}
const path = new URL('./tagger-model.json', import.meta.url);
writeFileSync(path, `${JSON.stringify({ tags: TAGS, weights: out })}\n`);
console.log(`features kept: ${Object.keys(out).length}, from ${rows.length} texts`);
