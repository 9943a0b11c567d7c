import type { TextSpan } from './normalize.js';

export interface WindowOptions {
  /** Window length in UTF-16 units. Default 1024. */
  readonly size?: number;
  /** How much consecutive windows share. Default half a window. */
  readonly overlap?: number;
}

/**
 * Overlapping windows covering the whole of a text of `length` units, so a detector with a
 * bounded view still sees every part and every boundary region. Never truncates: the last
 * window ends at `length`.
 */
export function textWindows(length: number, options: WindowOptions = {}): TextSpan[] {
  const size = Math.max(1, options.size ?? 1024);
  const overlap = Math.min(size - 1, Math.max(0, options.overlap ?? Math.floor(size / 2)));
  if (length <= size) return [{ start: 0, end: length }];
  const step = size - overlap;
  const out: TextSpan[] = [];
  for (let start = 0; ; start += step) {
    const end = Math.min(length, start + size);
    out.push({ start, end });
    if (end === length) break;
  }
  return out;
}
