export {
  normalizeText,
  toOriginalSpan,
  type DecodedLayer,
  type NormalizedText,
  type NormalizeOptions,
  type Obfuscation,
  type ObfuscationKind,
  type TextSpan,
} from './normalize.js';
export { findEncodedRuns, rot13, type EncodedRun, type EncodingKind } from './decode.js';
export { textWindows, type WindowOptions } from './windows.js';
export { foldCodePoint, invisibleKind, type InvisibleKind } from './unicode.js';
