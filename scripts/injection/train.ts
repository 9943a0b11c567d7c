/**
 * Trains the injection classifier and its calibration, deterministically, from the `train` files
 * of the labelled data, and writes src/guards/injection/model-data.ts.
 *
 *   npx vite-node scripts/injection/train.ts [DATA_DIR]   (default ../shared/eval or $CLAWGUARD_EVAL_DATA)
 *
 * Only `train.jsonl` files are read. Dev files are for measuring (`clawguard eval`), never for fitting.
 *
 * Two classifiers over the same features: one for messages, one for tool results (data with
 * instructions planted in it), each with its own calibration.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeText } from '../../src/normalize/index.js';
import { encodeWeights } from '../../src/guards/injection/classifier.js';
import { CALIBRATION_FEATURES, calibrationVector, combineScores, InjectionDetector, type ModelData, type TextKind } from '../../src/guards/injection/detector.js';
import { FAMILIES } from '../../src/guards/injection/signatures.js';
import { BUCKET, extractFeatures, HASH_BITS, HASH_SIZE, newFeatureBuffer, WINDOW } from '../../src/guards/injection/features.js';

const EPOCHS = 5;
// Strong L2 (v2 used 1e-5): n-grams that only a few training sources use stay small, which
// matters on sources the train split never shows.
const L2 = 1e-3;
const LR = 0.2;
const FOLDS = 4;
const FAMILY_FLOOR = 1.5;

interface Row {
  text: string;
  label: 'malicious' | 'benign';
  source: string;
  kind?: string;
}

interface Example {
  /** Distinct feature ids of the window and their values (count / sqrt(features in the window)). */
  ids: Int32Array;
  vals: Float32Array;
  y: number;
  weight: number;
  /** Fold of the text this window came from (folds split by row). */
  fold: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const args = process.argv.slice(2);
// --recalibrate: refit only the calibration and thresholds from the out-of-fold signals the last
// full run saved, keeping the classifier weights (a full run gives the same result).
const recalibrate = args.includes('--recalibrate');
const outAt = args.indexOf('--out');
// --out FILE: write the model elsewhere (experiments); default src/guards/injection/model-data.ts.
const outArg = outAt >= 0 ? args[outAt + 1] : undefined;
// Flags that take a value; the first other argument is the data directory.
const valueFlags = new Set(['--out']);
const dataDir = resolve(args.find((a, i) => !a.startsWith('--') && !valueFlags.has(args[i - 1] ?? '')) ?? process.env.CLAWGUARD_EVAL_DATA ?? join(repo, '../shared/eval'));
const oofPath = join(tmpdir(), 'clawguard-injection-oof.json');

function readJsonl(path: string): Row[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Row);
}

function kindOf(row: Row): TextKind {
  return row.kind === 'tool_output' ? 'tool_result' : 'message';
}

// Deterministic PRNG (mulberry32).
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function compactIds(raw: Int32Array): { ids: Int32Array; vals: Float32Array } {
  const sorted = Int32Array.from(raw).sort();
  const ids: number[] = [];
  const vals: number[] = [];
  const norm = 1 / Math.sqrt(raw.length);
  for (let k = 0; k < sorted.length; k++) {
    if (k > 0 && sorted[k] === sorted[k - 1]) vals[vals.length - 1]! += norm;
    else {
      ids.push(sorted[k]!);
      vals.push(norm);
    }
  }
  return { ids: Int32Array.from(ids), vals: Float32Array.from(vals) };
}

/** A text the classifiers learn from: a train row, or one derived from train rows only. */
interface TrainText {
  text: string;
  y: number;
  kind: TextKind;
  /** Fold key (hash % FOLDS): derived texts take the fold of the row they came from. */
  fold: number;
  /** Where an injected payload sits (original offsets): only windows holding it are malicious. */
  region?: { start: number; end: number };
  weight: number;
  /** Index into `rows` for real rows (scored out of fold for the calibration); -1 for derived texts. */
  row: number;
  source: string;
}

function fullRun(): { calX: number[][]; calY: number[]; calK: number[]; final: Models } {
// ── load ──────────────────────────────────────────────────────────────────────────────
  const seen = new Set<string>();
  const rows: Row[] = [];
  for (const task of ['injection', 'indirect', 'benign']) {
    for (const row of readJsonl(join(dataDir, task, 'train.jsonl'))) {
      if (seen.has(row.text)) continue;
      seen.add(row.text);
      rows.push(row);
    }
  }
  console.log(`rows: ${rows.length} (${rows.filter((r) => r.label === 'malicious').length} malicious) from ${dataDir}`);
  // BIPIA payload strings locate the injected part of a malicious context, so only the windows that
  // hold it are labelled malicious.
  const payloads = rows
    .filter((r) => r.label === 'malicious' && r.source.includes('bipia_attack_payloads'))
    .map((r) => r.text.trim())
    .filter((t) => t.length >= 12)
    .sort((a, b) => b.length - a.length);

  function injectedRegion(row: Row): { start: number; end: number } | undefined {
    if (row.label !== 'malicious' || !row.source.includes('bipia_contexts')) return undefined;
    for (const p of payloads) {
      const at = row.text.indexOf(p);
      if (at >= 0) return { start: at, end: at + p.length };
    }
    return undefined;
  }

  // Folds by group, as the dev split is made: every attack that carries one BIPIA payload (the
  // payload alone and each context it was planted in) falls in one fold, so the out-of-fold scores
  // the calibration learns from are those of payloads the classifier has not seen. (Split by row,
  // the calibration trusted a classifier that had memorized the payloads of the other folds.)
  const rowFold = rows.map((row) => {
    const region = injectedRegion(row);
    const key = region ? row.text.slice(region.start, region.end) : row.text.trim();
    return hashString(key) % FOLDS;
  });
  const texts: TrainText[] = [];
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    // A BIPIA context appears once benign and three times with a payload: weighting the benign copy
    // three times keeps the context's own words neutral, so only the payload's words learn "attack".
    const bipiaBenign = row.label === 'benign' && row.source.includes('bipia_contexts') ? 3 : 1;
    texts.push({ text: row.text, y: row.label === 'malicious' ? 1 : 0, kind: kindOf(row), fold: rowFold[r]!, region: injectedRegion(row), weight: bipiaBenign, row: r, source: row.source });
  }
  const located = texts.filter((t) => t.region).length;

  // The context without its payload is benign by construction: every attacked context teaches that
  // its own words (tables, code answers, emails) are not the attack. Most contexts of the train
  // split appear only attacked.
  {
    // One clean copy per context, weighted by how many attacked copies it has, as the benign copy
    // of a context is weighted above.
    const clean = new Map<string, TrainText>();
    for (const t of texts.slice()) {
      if (!t.region) continue;
      const text = t.text.slice(0, t.region.start) + t.text.slice(t.region.end);
      const known = clean.get(text);
      if (known) known.weight++;
      else if (!seen.has(text) && text.trim().length >= 20) {
        const derived: TrainText = { text, y: 0, kind: 'tool_result', fold: t.fold, weight: 1, row: -1, source: 'derived:depayloaded' };
        clean.set(text, derived);
        texts.push(derived);
      }
    }
    for (const text of clean.keys()) seen.add(text);
    console.log(`de-payloaded contexts: ${clean.size}`);
  }

  // The runtime also scores every decoded layer (base64, hex, URL-encoded … text) with the
  // classifier: the layers of ordinary texts (GitHub node ids, tokens, encoded URLs) are negatives,
  // or a few stray n-grams of a 20-character decoded id decide the score.
  {
    let added = 0;
    for (const t of texts.slice()) {
      if (t.row < 0 || t.y !== 0) continue;
      const layers = normalizeText(t.text).layers;
      for (const layer of layers) {
        const text = layer.normalized.original;
        if (seen.has(text) || text.trim().length === 0) continue;
        seen.add(text);
        texts.push({ text, y: 0, kind: t.kind, fold: t.fold, weight: 1 / Math.sqrt(layers.length), row: -1, source: 'derived:layer' });
        added++;
      }
    }
    console.log(`decoded layers of benign texts: ${added}`);
  }

  // Which texts each classifier learns from. The message classifier reads messages, and ordinary
  // tool outputs as negatives; the tool classifier reads tool outputs, and model responses (prose
  // like web text and docs) as negatives. BIPIA's payloads are ordinary requests ("compose a letter
  // to the principal"): attacks in data, not in a user's message, so they train the tool model only.
  const forMessage = (t: TrainText): boolean => t.kind === 'message' || (t.y === 0 && t.row >= 0 && !t.source.includes('bipia'));
  const EXPLICIT = new Set(['ignore_previous_instructions', 'system_mode']);
  const forTool = (t: TrainText): boolean =>
    t.kind === 'tool_result' || (t.row >= 0 && rows[t.row]!.kind === 'response') || (t.y === 1 && t.row >= 0 && EXPLICIT.has((rows[t.row] as Row & { category?: string }).category ?? ''));

  // ── features per window ───────────────────────────────────────────────────────────────
  // A window is two consecutive buckets, exactly as the runtime scores it (features.ts).
  const buf = newFeatureBuffer(1 << 16);
  function windowsOf(t: TrainText): Example[] {
    const n = normalizeText(t.text);
    extractFeatures(n.text, buf);
    const length = n.text.length;
    let regionN: { start: number; end: number } | undefined;
    if (t.region) {
      let s = 0;
      while (s < length && n.offsets[s]! < t.region.start) s++;
      let e = s;
      while (e < length && n.offsets[e]! < t.region.end) e++;
      regionN = { start: s, end: e };
    }
    // Windows as bucket pairs [first, last] (inclusive); label -1 = a benign part of a malicious text, skipped.
    const windows: { first: number; last: number; y: number }[] = [];
    if (buf.buckets <= 2) windows.push({ first: 0, last: buf.buckets - 1, y: t.y });
    else {
      for (let b = 0; b + 1 < buf.buckets; b++) {
        let wy = t.y;
        if (regionN) {
          const start = b * BUCKET;
          const end = Math.min(length, (b + 2) * BUCKET);
          const overlap = Math.min(end, regionN.end) - Math.max(start, regionN.start);
          const need = Math.min(regionN.end - regionN.start, WINDOW >> 2);
          wy = overlap >= need ? 1 : -1;
        }
        if (wy >= 0) windows.push({ first: b, last: b + 1, y: wy });
      }
    }
    // Long benign texts contribute several windows; weight them so each text counts about once.
    const weight = t.weight / Math.sqrt(windows.length);
    const out: Example[] = [];
    for (const w of windows) {
      const from = w.first === 0 ? 0 : buf.bucketEnd[w.first - 1]!;
      const to = buf.bucketEnd[w.last]!;
      if (to <= from) continue;
      out.push({ ...compactIds(buf.ids.subarray(from, to)), y: w.y, weight, fold: t.fold });
    }
    return out;
  }
  const messageExamples: Example[] = [];
  const toolExamples: Example[] = [];
  for (const t of texts) {
    const message = forMessage(t);
    const tool = forTool(t);
    if (!message && !tool) continue;
    const windows = windowsOf(t);
    if (message) messageExamples.push(...windows);
    if (tool) toolExamples.push(...windows);
  }
  console.log(`examples: ${messageExamples.length} message, ${toolExamples.length} tool, BIPIA payloads located in ${located} contexts`);

  // ── logistic regression, AdaGrad, class-balanced ──────────────────────────────────────
  // Each example is compacted once into distinct ids and values (count / sqrt(features)), so an
  // update touches typed arrays only.
  function train(examples: Example[], fold: number, seed: number): { weights: Float32Array; bias: number } {
    const subset: number[] = [];
    for (let i = 0; i < examples.length; i++) if (examples[i]!.fold !== fold) subset.push(i);
    const weights = new Float32Array(HASH_SIZE);
    const g2 = new Float32Array(HASH_SIZE).fill(1e-8);
    // No learned bias: text unlike anything in training scores 0 (no evidence either way) and the
    // calibration's intercept decides. A learned bias made unseen styles "attacks".
    const bias = 0;
    let pos = 0;
    let total = 0;
    for (const i of subset) {
      total += examples[i]!.weight;
      if (examples[i]!.y === 1) pos += examples[i]!.weight;
    }
    const wPos = total / (2 * pos);
    const wNeg = total / (2 * (total - pos));
    const order = subset.slice();
    const random = rng(seed);
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (const idx of order) {
        const e = examples[idx]!;
        const { ids, vals } = e;
        let s = bias;
        for (let k = 0; k < ids.length; k++) s += weights[ids[k]!]! * vals[k]!;
        const p = 1 / (1 + Math.exp(-s));
        const g = (p - e.y) * e.weight * (e.y === 1 ? wPos : wNeg);
        for (let k = 0; k < ids.length; k++) {
          const id = ids[k]!;
          const grad = g * vals[k]! + L2 * weights[id]!;
          g2[id]! += grad * grad;
          weights[id]! -= (LR * grad) / Math.sqrt(g2[id]!);
        }
      }
    }
    return { weights, bias };
  }
  function trainModels(fold: number, seed: number): Models {
    return { message: train(messageExamples, fold, seed), tool: train(toolExamples, fold, seed + 1000) };
  }

  // Out-of-fold raw signals for every row feed the calibration model.
  const neutralCalibration = [0, 1, ...new Array(CALIBRATION_FEATURES.length - 1).fill(0)];
  const calX: number[][] = [];
  const calY: number[] = [];
  const calK: number[] = [];
  for (let fold = 0; fold < FOLDS; fold++) {
    const models = trainModels(fold, 17 + fold);
    const detector = new InjectionDetector(modelData(models, neutralCalibration, 'fold'));
    let count = 0;
    for (let r = 0; r < rows.length; r++) {
      if (rowFold[r] !== fold) continue;
      const row = rows[r]!;
      const raw = detector.rawSignals(row.text, kindOf(row));
      calX.push(calibrationVector(raw, kindOf(row)));
      calY.push(row.label === 'malicious' ? 1 : 0);
      calK.push(kindOf(row) === 'tool_result' ? 1 : 0);
      count++;
    }
    console.log(`fold ${fold}: ${count} rows scored`);
  }
  writeFileSync(oofPath, JSON.stringify({ calX, calY, calK }));
  return { calX, calY, calK, final: trainModels(-1, 7) };
}

interface Models {
  message: { weights: Float32Array; bias: number };
  tool: { weights: Float32Array; bias: number };
}

function modelData(models: Models, calibration: number[], version: string): ModelData {
  const enc = encodeWeights(models.message.weights);
  const tool = encodeWeights(models.tool.weights);
  return {
    version,
    hashBits: HASH_BITS,
    windowSize: WINDOW,
    bias: Math.round(models.message.bias * 1e6) / 1e6,
    scale: enc.scale,
    weights: enc.base64,
    tool: { scale: tool.scale, weights: tool.base64 },
    calibration,
  };
}

// Calibration: a small logistic regression on the out-of-fold signals (batch gradient descent).
// Each kind has its own fit, so the kind columns (`tool_result`, constant within a kind, and
// `tool_result_x_classifier`, the classifier again) stay at zero. `intercept`, when given, is fixed:
// the tool-result fit takes the message intercept, so text without evidence (a classifier logit
// near 0, no signature) is no more suspicious in a tool result than in a message. Fitted freely,
// the intercept of tool outputs (long texts whose logits are far from 0 either way) flagged a
// two-word tool result.
function fitCalibration(X: number[][], Y: number[], W: number[], intercept?: number): number[] {
  const d = X[0]!.length;
  const coef = new Array<number>(d + 1).fill(0);
  if (intercept !== undefined) coef[0] = intercept;
  const fixed = CALIBRATION_FEATURES.map((name) => name === 'tool_result' || name === 'tool_result_x_classifier');
  const total = W.reduce((s, w) => s + w, 0);
  const cw = (_y: number): number => 1 / total;
  // A signal may only raise suspicion: every coefficient but the intercept stays >= 0, which keeps
  // the calibration sane on unseen sources.
  const nonNegative = CALIBRATION_FEATURES.map(() => true);
  // A prior, not a fit: the train split holds no agent-addressed, role-spoofing or exfiltration
  // attacks (they are in the holdout's sources), so the fit would leave those families at zero.
  // Every family keeps at least this weight: one strong match is suspicious on its own.
  const floor = CALIBRATION_FEATURES.map((name) => (name.startsWith('family.') ? FAMILY_FLOOR : 0));
  const lr = 4;
  for (let it = 0; it < 3000; it++) {
    const grad = new Array<number>(d + 1).fill(0);
    for (let i = 0; i < X.length; i++) {
      const x = X[i]!;
      let s = coef[0]!;
      for (let j = 0; j < d; j++) s += coef[j + 1]! * x[j]!;
      const g = (1 / (1 + Math.exp(-s)) - Y[i]!) * W[i]! * cw(Y[i]!);
      grad[0]! += g;
      for (let j = 0; j < d; j++) grad[j + 1]! += g * x[j]!;
    }
    for (let j = 0; j <= d; j++) {
      if (j === 0 ? intercept !== undefined : fixed[j - 1]) continue;
      coef[j]! -= lr * (grad[j]! + (j > 0 ? 1e-4 * coef[j]! : 0));
      if (j > 0 && nonNegative[j - 1] && coef[j]! < floor[j - 1]!) coef[j] = floor[j - 1]!;
    }
  }
  return coef.map((c) => Math.round(c * 1e4) / 1e4);
}

let calX: number[][];
let calY: number[];
let calK: number[];
let weights: Pick<ModelData, 'bias' | 'scale' | 'weights' | 'tool'>;
if (recalibrate) {
  ({ calX, calY } = JSON.parse(readFileSync(oofPath, 'utf8')) as { calX: number[][]; calY: number[] });
  const toolIndex = CALIBRATION_FEATURES.indexOf('tool_result');
  calK = calX.map((x) => x[toolIndex]!);
  const { bias, scale, weights: w, tool } = (await import('../../src/guards/injection/model-data.js')).MODEL_DATA;
  weights = { bias, scale, weights: w, tool };
} else {
  const run = fullRun();
  ({ calX, calY, calK } = run);
  const { bias, scale, weights: w, tool } = modelData(run.final, [], '');
  weights = { bias, scale, weights: w, tool };
}
// One calibration per kind: messages and tool results have their own classifier, and what the tool
// model learns should not move the message scores (nor the other way round).
const ofKind = <T>(xs: T[], k: number): T[] => xs.filter((_, i) => calK[i] === k);
const calibration = fitCalibration(ofKind(calX, 0), ofKind(calY, 0), ofKind(calX, 0).map(() => 1));
const toolCalibration = fitCalibration(ofKind(calX, 1), ofKind(calY, 1), ofKind(calX, 1).map(() => 1), calibration[0]);
console.log('calibration:', Object.fromEntries(['intercept', ...CALIBRATION_FEATURES].map((n, i) => [n, calibration[i]])));
console.log('tool calibration:', Object.fromEntries(['intercept', ...CALIBRATION_FEATURES].map((n, i) => [n, toolCalibration[i]])));

// Signature-only probabilities: how often a strong match of each family was an attack in train,
// per kind, pulled towards 0.75 by a prior worth four rows (families the train split never shows
// attacking, like agent-addressed or exfiltration text in tool results, keep the prior).
// The entry after the families: strong matches of two or more families in one text.
function signatureOnlyFor(kind: number): number[] {
  const strong = (x: number[], f: number): boolean => x[1 + f]! >= 1;
  const tests = [...FAMILIES.map((_, f) => (x: number[]) => strong(x, f)), (x: number[]) => FAMILIES.filter((_, f) => strong(x, f)).length >= 2];
  return tests.map((test) => {
    let fired = 0;
    let attacks = 0;
    calX.forEach((x, i) => {
      if (calK[i] === kind && test(x)) {
        fired++;
        attacks += calY[i]!;
      }
    });
    return Math.round(((attacks + 3) / (fired + 4)) * 1e4) / 1e4;
  });
}
const signatureOnly = { message: signatureOnlyFor(0), tool_result: signatureOnlyFor(1) };
console.log('signature-only:', signatureOnly);

// Default thresholds: the calibrated score at which `rate` of the out-of-fold benign rows of a kind
// would be flagged (rounded up to 0.01), never below 0.5. The rates are the targets of issue 3:
// 1% for user messages, 2% for tool results.
function thresholdFor(kind: number, rate: number): number {
  const benign: number[] = [];
  calX.forEach((x, i) => {
    if (calY[i] === 0 && calK[i] === kind) benign.push(combineScores(x, kind === 1 ? 'tool_result' : 'message', kind === 1 ? toolCalibration : calibration, signatureOnly));
  });
  benign.sort((a, b) => b - a);
  const at = benign[Math.floor(benign.length * rate)] ?? 0.5;
  return Math.max(0.5, Math.min(0.99, Math.ceil(at * 100 + 1e-9) / 100));
}
const thresholds = { message: thresholdFor(0, 0.01), tool_result: thresholdFor(1, 0.02) };
console.log('thresholds:', thresholds);

const model: ModelData = {
  version: `injection-v4-w${WINDOW}-h${HASH_BITS}`,
  hashBits: HASH_BITS,
  windowSize: WINDOW,
  ...weights,
  calibration,
  toolCalibration,
  signatureOnly,
  thresholds,
};
const out = outArg ? resolve(outArg) : join(repo, 'src/guards/injection/model-data.ts');
writeFileSync(
  out,
  `// Generated by scripts/injection/train.ts from the train split of the labelled data. Do not edit.\n` +
    `// See docs/injection-model-card.md for data sources, licences and results.\n` +
    `import type { ModelData } from './detector.js';\n\n` +
    `export const MODEL_DATA: ModelData = ${JSON.stringify(model)};\n`,
);
console.log(`wrote ${out}`);
