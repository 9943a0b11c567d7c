/**
 * Trains the harmful/toxic-content classifier:
 * `npx vite-node src/guards/moderation/train-classifier.ts [dataDir]`.
 * Reads only train files: `harmful/train.jsonl`, plus every second ordinary prompt of
 * `benign/train.jsonl` as benign examples, so that "a short question" is not learned as a sign of
 * harm (harmful requests in the harmful set are short questions; its benign side is mostly answers).
 * Logistic regression (AdaGrad, L2) over word and word-pair
 * features; a tenth of train (by hash) picks the threshold; the final model is fit on all of train
 * and pruned to the strongest features. Writes `harmful-model.json`.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifierFeatures } from './features.js';

const dataDir = process.argv[2] ?? join(process.cwd(), '..', 'shared', 'eval');
interface Row {
  text: string;
  label: 'malicious' | 'benign';
}
const rows = readFileSync(join(dataDir, 'harmful', 'train.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Row);
const prompts = readFileSync(join(dataDir, 'benign', 'train.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as Row & { kind?: string })
  .filter((r, i) => r.kind === 'prompt' && i % 2 === 0)
  .map((r) => ({ text: r.text, label: 'benign' as const }));
rows.push(...prompts);
const examples = rows.map((r) => ({ f: classifierFeatures(r.text), y: r.label === 'malicious' ? 1 : 0, held: createHash('sha1').update(r.text).digest()[0]! < 26 }));

const EPOCHS = 6;
const LR = 0.2;
const L2 = 1e-6;

function fit(train: typeof examples): { w: Map<string, number>; b: number } {
  const w = new Map<string, number>();
  const g2 = new Map<string, number>();
  let b = 0;
  let gb = 1e-8;
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const order = train.map((_, i) => i).sort(() => rand() - 0.5);
    for (const i of order) {
      const ex = train[i]!;
      let z = b;
      for (const f of ex.f) z += w.get(f) ?? 0;
      const p = 1 / (1 + Math.exp(-z));
      const g = p - ex.y;
      // Features of one text share the text's gradient; AdaGrad scales each by its own history.
      for (const f of ex.f) {
        const old = w.get(f) ?? 0;
        const grad = g + L2 * old;
        const h = (g2.get(f) ?? 1e-8) + grad * grad;
        g2.set(f, h);
        w.set(f, old - (LR * grad) / Math.sqrt(h));
      }
      gb += g * g;
      b -= (LR * g) / Math.sqrt(gb);
    }
  }
  return { w, b };
}

function prob(model: { w: Map<string, number>; b: number }, f: string[]): number {
  let z = model.b;
  for (const x of f) z += model.w.get(x) ?? 0;
  return 1 / (1 + Math.exp(-z));
}

const heldOut = examples.filter((e) => e.held);
const probe = fit(examples.filter((e) => !e.held));
let bestT = 0.5;
let bestF1 = -1;
for (let t = 0.2; t <= 0.85; t += 0.025) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const e of heldOut) {
    const flagged = prob(probe, e.f) >= t;
    if (flagged && e.y) tp++;
    else if (flagged) fp++;
    else if (e.y) fn++;
  }
  const f1 = (2 * tp) / (2 * tp + fp + fn);
  if (f1 > bestF1) {
    bestF1 = f1;
    bestT = Math.round(t * 1000) / 1000;
  }
}
console.log(`held-out (${heldOut.length} of train): best F1 ${bestF1.toFixed(4)} at threshold ${bestT}`);

const final = fit(examples);
const MAX_FEATURES = 40_000;
const kept = [...final.w].filter(([, v]) => Math.abs(v) >= 0.02).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1])).slice(0, MAX_FEATURES);
const weights: Record<string, number> = {};
for (const [f, v] of kept.sort((a, b) => (a[0] < b[0] ? -1 : 1))) weights[f] = Math.round(v * 1000) / 1000;
writeFileSync(
  new URL('./harmful-model.json', import.meta.url),
  `${JSON.stringify({ version: 1, bias: Math.round(final.b * 1000) / 1000, threshold: bestT, weights })}\n`,
);
console.log(`trained on ${examples.length} texts; kept ${kept.length} features`);
