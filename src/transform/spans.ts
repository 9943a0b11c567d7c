/**
 * Span rewriting shared by every transformer and by the gateway: replace ranges of a text,
 * merging ranges that overlap, so two detectors flagging the same value (or overlapping values)
 * never produce garbled output or leave part of a value behind.
 */

export interface SpanRewrite {
  /** UTF-16 offset, inclusive. */
  readonly start: number;
  /** UTF-16 offset, exclusive. */
  readonly end: number;
  readonly replacement: string;
}

/**
 * Sorts rewrites and merges overlapping ones. A merged range covers the union of its parts and
 * takes the replacement of its widest part (the earliest-starting one on a tie), so the value that
 * was detected most completely decides the text. Touching ranges (`a.end === b.start`) stay apart.
 * Ranges are clamped to `[0, textLength]`; empty ranges are dropped.
 */
export function mergeSpanRewrites(rewrites: readonly SpanRewrite[], textLength: number): SpanRewrite[] {
  const clamped: SpanRewrite[] = [];
  for (const r of rewrites) {
    const start = Math.max(0, Math.min(textLength, Math.floor(r.start)));
    const end = Math.max(0, Math.min(textLength, Math.floor(r.end)));
    if (end > start) clamped.push({ start, end, replacement: r.replacement });
  }
  clamped.sort((a, b) => a.start - b.start || b.end - a.end);

  const merged: SpanRewrite[] = [];
  let cur: { start: number; end: number; replacement: string; width: number } | undefined;
  for (const r of clamped) {
    const width = r.end - r.start;
    if (cur && r.start < cur.end) {
      if (width > cur.width) {
        cur.replacement = r.replacement;
        cur.width = width;
      }
      if (r.end > cur.end) cur.end = r.end;
      continue;
    }
    if (cur) merged.push({ start: cur.start, end: cur.end, replacement: cur.replacement });
    cur = { start: r.start, end: r.end, replacement: r.replacement, width };
  }
  if (cur) merged.push({ start: cur.start, end: cur.end, replacement: cur.replacement });
  return merged;
}

/** Applies rewrites to `text`, merging overlaps first (see `mergeSpanRewrites`). */
export function applySpanRewrites(text: string, rewrites: readonly SpanRewrite[]): string {
  if (rewrites.length === 0) return text;
  const merged = mergeSpanRewrites(rewrites, text.length);
  let out = '';
  let pos = 0;
  for (const r of merged) {
    out += text.slice(pos, r.start) + r.replacement;
    pos = r.end;
  }
  return out + text.slice(pos);
}
