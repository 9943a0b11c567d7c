import { type NormalizedText, normalizeText, type ObfuscationKind, type TextSpan, toOriginalSpan } from '../../normalize/index.js';
import { decodeWeights, type LinearModel, scoreWindows } from './classifier.js';
import { HASH_BITS, newFeatureBuffer, WINDOW } from './features.js';
import { MODEL_DATA } from './model-data.js';
import { firstSignatureMatch, laterAnchorsPresent, scanAnchors } from './anchor-scan.js';
import { findPlantedRequest } from './planted-request.js';
import { FAMILIES, type Family, SIGNATURES, type Signature } from './signatures.js';

/** Where the text sits: instructions in tool results are more suspicious, and data is noisier. */
export type TextKind = 'message' | 'tool_result';

export interface SignalMatch {
  readonly signature: Signature;
  /** Span in the original text (for a decoded layer: the span of the encoded text). */
  readonly span: TextSpan;
  /** Set when the match was inside decoded text. */
  readonly via?: string;
}

export interface InjectionAssessment {
  /** Calibrated probability that the text is an injection or jailbreak attempt. */
  readonly score: number;
  /** Classifier probability of the most suspicious window (before calibration with the signatures). */
  readonly classifierScore: number;
  /** The most suspicious classifier window, in the original text. */
  readonly classifierSpan: TextSpan;
  /** Strongest signature match per family. */
  readonly families: ReadonlyMap<Family, SignalMatch>;
  readonly obfuscations: readonly ObfuscationKind[];
  /** Encoded layers that carried signals. */
  readonly decodedSignals: readonly string[];
  /** A request on the line next to a table's rows (instructions planted in data), if any. */
  readonly plantedRequest?: TextSpan;
}

/** Feature names of the calibration model, in order. Shared with the training script. */
export const CALIBRATION_FEATURES = [
  'classifier',
  ...FAMILIES.map((f) => `family.${f}`),
  'family_count',
  'obfuscation',
  'decoded_signal',
  'planted_request',
  'tool_result',
  'tool_result_x_classifier',
] as const;

export interface ModelData {
  readonly version: string;
  readonly hashBits: number;
  readonly windowSize: number;
  readonly bias: number;
  readonly scale: number;
  readonly weights: string;
  /**
   * Weights of the tool-result classifier (same features, its own training data: data with
   * instructions planted in it). Without them, tool results use `weights` too.
   */
  readonly tool?: { readonly scale: number; readonly weights: string };
  /** Intercept followed by one coefficient per CALIBRATION_FEATURES entry. */
  readonly calibration: readonly number[];
  /** Calibration of tool results, fitted on tool outputs alone; without it, `calibration`. */
  readonly toolCalibration?: readonly number[];
  /**
   * Probability that a text is an attack when a strong (strength 1) signature of a family fires,
   * per kind, in FAMILIES order, then (v3) when strong signatures of two or more families fire
   * together: estimated on the train split with a prior of 0.75 (weight 4).
   * The score is never below it, so a classifier that has never seen a format (YAML, logs) cannot
   * talk a textbook injection down.
   */
  readonly signatureOnly?: { readonly message: readonly number[]; readonly tool_result: readonly number[] };
  /** Default thresholds chosen at training time (1% false positives out of fold, at least 0.5). */
  readonly thresholds?: { readonly message: number; readonly tool_result: number };
}

const SUSPICIOUS_OBFUSCATION: ReadonlySet<ObfuscationKind> = new Set([
  'tag_chars',
  'bidi',
  'homoglyph',
  'leetspeak',
  'spaced_letters',
  'math_alnum',
  'enclosed',
  'fullwidth',
  'base64',
  'hex',
  'rot13',
  'reversed',
  'url_encoding',
]);

/** Raw signals before calibration: what training and runtime both compute. */
export interface RawSignals {
  /** Best window logit over the text and its decoded layers. */
  classifierLogit: number;
  classifierSpan: TextSpan;
  families: Map<Family, SignalMatch>;
  obfuscations: ObfuscationKind[];
  decodedSignals: string[];
  /** Tool results only: a request on the line next to a table's rows (planted-request.ts), in the original text. */
  plantedRequest: TextSpan | undefined;
}

export function calibrationVector(raw: RawSignals, kind: TextKind): number[] {
  const clf = Math.max(-12, Math.min(12, raw.classifierLogit));
  const familyValues = FAMILIES.map((f) => raw.families.get(f)?.signature.strength ?? 0);
  const familyCount = familyValues.filter((v) => v > 0).length;
  let obf = 0;
  for (const k of raw.obfuscations) if (SUSPICIOUS_OBFUSCATION.has(k)) obf++;
  const tool = kind === 'tool_result' ? 1 : 0;
  return [clf, ...familyValues, Math.min(familyCount, 4) / 4, Math.min(obf, 2) / 2, raw.decodedSignals.length > 0 ? 1 : 0, raw.plantedRequest ? 1 : 0, tool, tool * clf];
}

/**
 * The calibrated probability from a calibration vector, raised to the signature-only probability
 * of the strongest family that fired with a strength-1 signature. Shared with the training script.
 */
const SIGNATURE_ONLY_MIN = 0.7;

export function combineScores(z: readonly number[], kind: TextKind, calibration: readonly number[], signatureOnly?: ModelData['signatureOnly']): number {
  let s = calibration[0]!;
  for (let i = 0; i < z.length; i++) s += calibration[i + 1]! * z[i]!;
  let p = sigmoid(s);
  if (signatureOnly) {
    const table = signatureOnly[kind];
    // Only families whose strong matches were mostly attacks (>= 0.7) stand on their own.
    let strong = 0;
    for (let f = 0; f < FAMILIES.length; f++) {
      if (z[1 + f]! < 1) continue;
      strong++;
      if (table[f]! >= SIGNATURE_ONLY_MIN && table[f]! > p) p = table[f]!;
    }
    // Entry FAMILIES.length (models from v3 on): strong matches of two or more families at once.
    const combined = table[FAMILIES.length];
    if (strong >= 2 && combined !== undefined && combined >= SIGNATURE_ONLY_MIN && combined > p) p = combined;
  }
  return p;
}

/** Highest score of a short text on the classifier alone (the default policy blocks messages at 0.9). */
export const SHORT_TEXT_MAX = 0.85;
const SHORT_TEXT_CHARS = 64;
const SHORT_TEXT_WORDS = 8;

/** Fewer than SHORT_TEXT_WORDS words and SHORT_TEXT_CHARS characters. */
function isShortText(text: string): boolean {
  if (text.length >= SHORT_TEXT_CHARS) return false;
  const words = text.trim().split(/\s+/).filter(Boolean).length;
  return words < SHORT_TEXT_WORDS;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function matchSignatures(n: NormalizedText, families: Map<Family, SignalMatch>, spanOf: (s: number, e: number) => TextSpan, via?: string): boolean {
  let any = false;
  const text = n.text;
  const scan = scanAnchors(text);
  for (const index of scan.candidates) {
    const signature = SIGNATURES[index]!;
    const current = families.get(signature.family);
    if (current && current.signature.strength >= signature.strength) continue;
    if (!laterAnchorsPresent(scan, index)) continue;
    const m = firstSignatureMatch(scan, index, text);
    if (!m) continue;
    any = true;
    const span = spanOf(m.index, m.index + m[0].length);
    families.set(signature.family, via ? { signature, span, via } : { signature, span });
  }
  return any;
}

export class InjectionDetector {
  private readonly model: LinearModel;
  private readonly toolModel: LinearModel;
  private readonly calibration: readonly number[];
  private readonly toolCalibration: readonly number[];
  private readonly signatureOnly: ModelData['signatureOnly'];
  private readonly buf = newFeatureBuffer(8192);

  constructor(
    data: ModelData = MODEL_DATA,
    private readonly options: { classifier?: boolean; maxDecodeDepth?: number } = {},
  ) {
    if (data.hashBits !== HASH_BITS || data.windowSize !== WINDOW) {
      throw new Error(`injection model uses 2^${data.hashBits} buckets and ${data.windowSize}-character windows; this build extracts 2^${HASH_BITS} and ${WINDOW}`);
    }
    this.model = { bias: data.bias, weights: decodeWeights(data.weights), scale: data.scale };
    this.toolModel = data.tool ? { bias: data.bias, weights: decodeWeights(data.tool.weights), scale: data.tool.scale } : this.model;
    this.calibration = data.calibration;
    this.toolCalibration = data.toolCalibration ?? data.calibration;
    this.signatureOnly = data.signatureOnly;
    for (const c of [this.calibration, this.toolCalibration]) {
      if (c.length !== CALIBRATION_FEATURES.length + 1) {
        throw new Error(`injection model calibration has ${c.length} coefficients, expected ${CALIBRATION_FEATURES.length + 1}`);
      }
    }
  }

  /** Signals for a text, before calibration. */
  rawSignals(text: string, kind: TextKind = 'message'): RawSignals {
    const model = kind === 'tool_result' ? this.toolModel : this.model;
    const n = normalizeText(text, { maxDepth: this.options.maxDecodeDepth ?? 3 });
    const families = new Map<Family, SignalMatch>();
    matchSignatures(n, families, (s, e) => toOriginalSpan(n, s, e));
    let classifierLogit = -Infinity;
    let classifierSpan: TextSpan = { start: 0, end: text.length };
    const useClassifier = this.options.classifier !== false;
    if (useClassifier) {
      const w = scoreWindows(model, n.text, this.buf);
      classifierLogit = w.logit;
      classifierSpan = toOriginalSpan(n, w.start, w.end);
    }
    const obfuscations = new Set<ObfuscationKind>(n.obfuscations.map((o) => o.kind));
    const decodedSignals: string[] = [];
    for (const layer of n.layers) {
      const inner = layer.normalized;
      for (const o of inner.obfuscations) obfuscations.add(o.kind);
      const fired = matchSignatures(inner, families, () => layer.span, layer.kind);
      let layerLogit = -Infinity;
      if (useClassifier && inner.text.length > 0) {
        layerLogit = scoreWindows(model, inner.text, this.buf).logit;
        if (layerLogit > classifierLogit) {
          classifierLogit = layerLogit;
          classifierSpan = layer.span;
        }
      }
      if (fired || layerLogit > 0) decodedSignals.push(layer.kind);
    }
    if (!useClassifier) classifierLogit = this.model.bias;
    // Only data addresses no one: a user may paste a table and ask about it (the message calibration
    // gives this input no weight, and a finding for it would mislead).
    const plantedRequest = kind === 'tool_result' ? findPlantedRequest(text) : undefined;
    return { classifierLogit, classifierSpan, families, obfuscations: [...obfuscations], decodedSignals, plantedRequest };
  }

  calibrate(raw: RawSignals, kind: TextKind): number {
    return combineScores(calibrationVector(raw, kind), kind, kind === 'tool_result' ? this.toolCalibration : this.calibration, this.signatureOnly);
  }

  assess(text: string, kind: TextKind = 'message'): InjectionAssessment {
    const raw = this.rawSignals(text, kind);
    let score = this.calibrate(raw, kind);
    // A few words with no signature and nothing decoded: the classifier alone cannot be sure on so
    // little text ("tell me a joke" scored 0.97), so such a text stays below the default block line.
    if (score > SHORT_TEXT_MAX && raw.families.size === 0 && raw.decodedSignals.length === 0 && isShortText(text)) score = SHORT_TEXT_MAX;
    return {
      score,
      classifierScore: sigmoid(raw.classifierLogit),
      classifierSpan: raw.classifierSpan,
      families: raw.families,
      obfuscations: raw.obfuscations,
      decodedSignals: raw.decodedSignals,
      ...(raw.plantedRequest ? { plantedRequest: raw.plantedRequest } : {}),
    };
  }
}
