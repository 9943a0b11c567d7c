import { classifierFeatures } from './features.js';
import model from './harmful-model.json' with { type: 'json' };

interface HarmfulModel {
  readonly bias: number;
  readonly threshold: number;
  readonly weights: Readonly<Record<string, number>>;
}

const M = model as HarmfulModel;
const weights = new Map<string, number>(Object.entries(M.weights));

/** The threshold chosen on held-out train data when the model was trained. */
export const HARMFUL_DEFAULT_THRESHOLD = M.threshold;

/** Probability (0..1) that a text is harmful, toxic or a harmful request/answer. */
export function harmfulScore(text: string): number {
  let z = M.bias;
  for (const f of classifierFeatures(text)) z += weights.get(f) ?? 0;
  return 1 / (1 + Math.exp(-z));
}
