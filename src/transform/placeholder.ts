/**
 * The shape of pseudonym placeholders (`<PERSON_1>`, `<EMAIL_ADDRESS_2>`): a label of capitals,
 * digits and underscores, then a counter. Shared by the vault, which makes and restores them, and by
 * output guards that must know where a value withheld from the model will be put back.
 */

export const PLACEHOLDER_MAX_LENGTH = 1 + 24 + 1 + 6 + 1;
export const PLACEHOLDER_SOURCE = '<([A-Z][A-Z0-9_]{0,23})_([1-9][0-9]{0,5})>';

export function formatPlaceholder(label: string, n: number): string {
  return `<${label}_${n}>`;
}

const FIND = new RegExp(PLACEHOLDER_SOURCE, 'g');

/** Where placeholders are in `text`, with their labels. */
export function placeholderSpans(text: string): { start: number; end: number; label: string }[] {
  if (!text.includes('<')) return [];
  const out: { start: number; end: number; label: string }[] = [];
  FIND.lastIndex = 0;
  for (let m = FIND.exec(text); m !== null; m = FIND.exec(text)) out.push({ start: m.index, end: m.index + m[0].length, label: m[1]! });
  return out;
}

/**
 * `<IP_ADDRESS_1>` with its brackets as `_IP_ADDRESS_1_`: the same length (spans stay true), and a URL
 * built around a placeholder reads as one token that parses, instead of breaking at the bracket.
 */
export function maskPlaceholders(text: string, spans: readonly { start: number; end: number }[]): string {
  let out = '';
  let at = 0;
  for (const p of spans) {
    out += `${text.slice(at, p.start)}_${text.slice(p.start + 1, p.end - 1)}_`;
    at = p.end;
  }
  return out + text.slice(at);
}
