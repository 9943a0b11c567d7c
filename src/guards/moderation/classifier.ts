import { classifierTokens, FeatureKind, MAX_TOKENS, visitFeatures } from './features.js';
import model from './harmful-model.json' with { type: 'json' };

interface HarmfulModel {
  readonly bias: number;
  readonly threshold: number;
  readonly weights: Readonly<Record<string, number>>;
}

const M = model as HarmfulModel;

/**
 * The weights by feature, looked up without building each feature's id (`w:word`, `p:a b`: a string
 * per token and per pair was three quarters of the classifier's time). Each weight has a number,
 * so that a text's features are counted once, as the Set of ids did.
 */
const WORDS = new Map<string, number>();
const PAIRS = new Map<string, Map<string, number>>();
const CLASSES = new Map<string, number>();
const WEIGHTS: number[] = [];
for (const [id, weight] of Object.entries(M.weights)) {
  const n = WEIGHTS.push(weight) - 1;
  const rest = id.slice(2);
  if (id.startsWith('w:')) WORDS.set(rest, n);
  else if (id.startsWith('c:')) CLASSES.set(rest, n);
  else if (id.startsWith('p:')) {
    // Tokens hold no spaces: the first one splits a pair.
    const space = rest.indexOf(' ');
    const first = rest.slice(0, space);
    let seconds = PAIRS.get(first);
    if (!seconds) PAIRS.set(first, (seconds = new Map()));
    seconds.set(rest.slice(space + 1), n);
  }
}
const seen = new Uint32Array(WEIGHTS.length);
let generation = 0;

/** The threshold chosen on held-out train data when the model was trained. */
export const HARMFUL_DEFAULT_THRESHOLD = M.threshold;

/**
 * Probability (0..1) that a text is harmful, toxic or a harmful request/answer. The weights are summed
 * in the order their features first occur, as a sum over `classifierFeatures` would: the same number.
 */
export function harmfulScore(text: string): number {
  if (++generation === 0xffffffff) {
    seen.fill(0);
    generation = 1;
  }
  const stamp = generation;
  let z = M.bias;
  visitFeatures(classifierTokens(text).slice(0, MAX_TOKENS), (kind, first, second) => {
    const n = kind === FeatureKind.Word ? WORDS.get(first) : kind === FeatureKind.Pair ? PAIRS.get(first)?.get(second!) : CLASSES.get(first);
    if (n === undefined || seen[n] === stamp) return;
    seen[n] = stamp;
    z += WEIGHTS[n]!;
  });
  return 1 / (1 + Math.exp(-z));
}
