import { labelForType, type TypedSpan } from './operators.js';
import { applySpanRewrites, mergeSpanRewrites, type SpanRewrite } from './spans.js';
import type { PseudonymMap } from './vault.js';

/**
 * Replaces each span with the conversation's placeholder for its value (`<PERSON_1>`, `<EMAIL_2>`),
 * adding new placeholders to `map`. Overlapping spans are merged first; the widest one names the label.
 * Save the map (`PseudonymVault.save`) before forwarding the text, so the answer can be restored.
 */
export function pseudonymizeSpans(text: string, spans: readonly TypedSpan[], map: PseudonymMap): string {
  if (spans.length === 0) return text;
  return applySpanRewrites(text, pseudonymizeRewrites(text, spans, map));
}

/**
 * The rewrites `pseudonymizeSpans` would apply, for callers that combine them with other rewrites
 * (redactions of the same segment) in one `applySpanRewrites` call.
 */
export function pseudonymizeRewrites(text: string, spans: readonly TypedSpan[], map: PseudonymMap): SpanRewrite[] {
  const labelled = mergeSpanRewrites(
    spans.map((s) => ({ start: s.start, end: s.end, replacement: labelForType(s.type) })),
    text.length,
  );
  return labelled.map((r) => ({ start: r.start, end: r.end, replacement: map.placeholderFor(r.replacement, text.slice(r.start, r.end)) }));
}
