import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { classifierTokens, FeatureKind, MAX_TOKENS, visitFeatures } from './features.js';

interface HarmfulModel {
  readonly bias: number;
  readonly threshold: number;
  readonly weights: Readonly<Record<string, number>>;
}

const MODEL_FILE = new URL('./harmful-model.json', import.meta.url);

/**
 * The model's `bias` and `threshold`, read from the head of the file without parsing its 40,000
 * weights (`train-classifier.ts` writes them before `weights`); the whole file if they are not there.
 */
function readHeader(): { bias: number; threshold: number } {
  const fd = openSync(MODEL_FILE, 'r');
  let head: string;
  try {
    const buffer = Buffer.alloc(4096);
    head = buffer.toString('utf8', 0, readSync(fd, buffer, 0, buffer.length, 0));
  } finally {
    closeSync(fd);
  }
  const weightsAt = head.indexOf('"weights":');
  if (weightsAt > 0) {
    const prefix = head.slice(0, weightsAt).trimEnd();
    if (prefix.endsWith(',')) {
      const parsed = JSON.parse(`${prefix.slice(0, -1)}}`) as Partial<HarmfulModel>;
      if (typeof parsed.bias === 'number' && typeof parsed.threshold === 'number') return { bias: parsed.bias, threshold: parsed.threshold };
    }
  }
  const { bias, threshold } = JSON.parse(readFileSync(MODEL_FILE, 'utf8')) as HarmfulModel;
  return { bias, threshold };
}

const HEADER = readHeader();

/** The threshold chosen on held-out train data when the model was trained. */
export const HARMFUL_DEFAULT_THRESHOLD = HEADER.threshold;

/**
 * The weights by feature, looked up without building each feature's id (`w:word`, `p:a b`: a string
 * per token and per pair was three quarters of the classifier's time). Each weight has a number,
 * so that a text's features are counted once, as the Set of ids did.
 *
 * Compact: one vocabulary of the tokens the features use (a token's number), a pair keyed by the
 * numbers of its two tokens, the weights in a Float64Array (the same doubles JSON.parse gave). The
 * parsed JSON is dropped once the tables are built; a Map of Maps of strings over the whole model
 * object, as before, held ~8 MB of heap for a 1 MB file.
 */
interface Tables {
  readonly vocab: Map<string, number>;
  /** By token number: the weight number of the word feature `w:token`, or -1. */
  readonly words: Int32Array;
  /** `first * vocab.size + second` → weight number of the pair `p:first second`. */
  readonly pairs: Map<number, number>;
  readonly classes: Map<string, number>;
  readonly weights: Float64Array;
  readonly seen: Uint32Array;
}

let tables: Tables | undefined;

/** Built on the first score: a gateway with the classifier off never holds the model. */
function load(): Tables {
  const model = JSON.parse(readFileSync(MODEL_FILE, 'utf8')) as HarmfulModel;
  if (model.bias !== HEADER.bias || model.threshold !== HEADER.threshold) throw new Error('harmful-model.json changed while the gateway ran');
  const entries = Object.entries(model.weights);
  const vocab = new Map<string, number>();
  const token = (text: string): number => {
    let id = vocab.get(text);
    if (id === undefined) vocab.set(text, (id = vocab.size));
    return id;
  };
  const weights = new Float64Array(entries.length);
  const wordOf: [number, number][] = [];
  const pairOf: [number, number, number][] = [];
  const classes = new Map<string, number>();
  entries.forEach(([id, weight], n) => {
    weights[n] = weight;
    const rest = id.slice(2);
    if (id.startsWith('w:')) wordOf.push([token(rest), n]);
    else if (id.startsWith('c:')) classes.set(rest, n);
    else if (id.startsWith('p:')) {
      // Tokens hold no spaces: the first one splits a pair.
      const space = rest.indexOf(' ');
      pairOf.push([token(rest.slice(0, space)), token(rest.slice(space + 1)), n]);
    }
  });
  const words = new Int32Array(vocab.size).fill(-1);
  for (const [t, n] of wordOf) words[t] = n;
  const pairs = new Map<number, number>();
  for (const [first, second, n] of pairOf) pairs.set(first * vocab.size + second, n);
  // Flatten the keys (slices of the parsed ids) so that they do not keep the ids alive.
  const flat = new Map<string, number>();
  for (const [text, id] of vocab) flat.set(flatten(text), id);
  return { vocab: flat, words, pairs, classes, weights, seen: new Uint32Array(entries.length) };
}

/** A copy of `text` that holds its own characters (V8 makes a longer `slice` a view into its parent). */
function flatten(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

let generation = 0;

/**
 * Probability (0..1) that a text is harmful, toxic or a harmful request/answer. The weights are summed
 * in the order their features first occur, as a sum over `classifierFeatures` would: the same number.
 */
export function harmfulScore(text: string): number {
  const t = (tables ??= load());
  const { vocab, words, pairs, classes, weights, seen } = t;
  const size = vocab.size;
  if (++generation === 0xffffffff) {
    seen.fill(0);
    generation = 1;
  }
  const stamp = generation;
  let z = HEADER.bias;
  visitFeatures(classifierTokens(text).slice(0, MAX_TOKENS), (kind, first, second) => {
    let n: number | undefined;
    if (kind === FeatureKind.Word) {
      const id = vocab.get(first);
      n = id === undefined ? undefined : words[id]!;
    } else if (kind === FeatureKind.Pair) {
      const a = vocab.get(first);
      const b = a === undefined ? undefined : vocab.get(second!);
      n = b === undefined ? undefined : pairs.get(a! * size + b);
    } else n = classes.get(first);
    if (n === undefined || n < 0 || seen[n] === stamp) return;
    seen[n] = stamp;
    z += weights[n]!;
  });
  return 1 / (1 + Math.exp(-z));
}
