import { type DisguiseGains, lineGains } from './bigram-gains.js';
import { BIGRAM_MODEL } from './bigram-model.js';

/**
 * A character-bigram table of how often each pair of characters follows the other in ordinary
 * text of many languages (trained by scripts/normalize/train-bigrams.ts; docs/bigram-model-card.md).
 * It tells a line that reads better backwards or under ROT13 than as written: hidden text in any
 * language and script, where a list of English words only finds English.
 */

let table: Uint8Array | undefined;

/** How much better `text[start, end)` reads reversed and under ROT13 than as written (`units`: its code units, optional). */
export function disguiseGains(text: string, start: number, end: number, units?: Uint16Array): DisguiseGains {
  table ??= new Uint8Array(Buffer.from(BIGRAM_MODEL.table, 'base64'));
  return lineGains(table, text, start, end, units);
}

/** The decision thresholds the training script calibrated (see the model card). */
export const DISGUISE_MARGINS: { readonly reversed: number; readonly rot13: number; readonly minBigrams: number; readonly minLetters: number } = BIGRAM_MODEL.margins;
