/**
 * Text features of the harmful-content classifier: lower-cased, NFKC-folded words (letter runs
 * squeezed, so `fuuuuck` and `fuuck` meet) and word pairs. Shared by training and inference.
 */
export function classifierTokens(text: string): string[] {
  const norm = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/(\p{L})\1{2,}/gu, '$1$1')
    .replace(/[@$0-9]/g, (c) => ({ '@': 'a', $: 's', '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't' })[c] ?? c);
  return norm.match(/[\p{L}\p{M}']+|[!?]/gu) ?? [];
}

/** Feature ids of a text, unique: `w:word`, `p:word word`. Long texts are read up to `maxTokens`. */
export function classifierFeatures(text: string, maxTokens = 2000): string[] {
  const tokens = classifierTokens(text).slice(0, maxTokens);
  const out = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    out.add(`w:${tokens[i]}`);
    if (i > 0) out.add(`p:${tokens[i - 1]} ${tokens[i]}`);
  }
  return [...out];
}
