/**
 * The matches of a global regex that start inside given windows, exactly as one scan of the whole
 * text finds them, reading only the text near the windows. For scanners whose matches are short
 * and can only matter near a cue (a date of birth needs "born" within 40 characters before it; a
 * MAC address holds `:xx:xx:`; a credential assignment holds `password`): a 47 KB system prompt
 * with one cue costs a few hundred characters.
 *
 * Why it is exact: a whole-text scan is memoryless between matches, so it is in the same state as
 * a scan started at any position that no match straddles. Each window's scan starts at such a
 * position, or where the previous window's scan left off:
 * - with `inMatch`, at a position `q` where `text[q - 1]` is a character no match holds (matches
 *   may start outside the windows; those are read but not returned);
 * - without it, at the window's start: the caller guarantees that no match starts outside the
 *   windows, so none can straddle a window's start.
 * The scan runs on a slice long enough that every attempt starting in the window reads the same
 * characters as in the whole text: matches are at most `maxLength` long and the regex looks at most
 * CONTEXT characters behind and ahead. Matches starting past the window are dropped, and the next
 * window resumes after the last match kept.
 */
export interface WindowedPattern {
  /** A global (`g`) regex, without the sticky flag; its lookbehind and lookahead read at most CONTEXT characters. */
  readonly re: RegExp;
  /** Upper bound of any match's length (finite: each window's scan reads this far past the window). */
  readonly maxLength: number;
  /**
   * Whether a UTF-16 code unit can be part of a match. Leave it out only when every match starts
   * inside one of the windows given.
   */
  readonly inMatch?: (unit: number) => boolean;
}

/** Characters of lookbehind and lookahead a pattern may read. */
export const WINDOW_LOOKAROUND = 8;
const CONTEXT = WINDOW_LOOKAROUND;
/** How far back a scan looks for a character no match can hold before it starts from the last known point. */
const MAX_BACKTRACK = 4096;

/**
 * Matches whose start lies in one of `windows` (`[from, to)`, in any order, overlaps allowed), in
 * text order; the first `limit` of them when given (with 1, the whole-text `exec`'s first match
 * when every match starts in a window). Each match's `index` and, with the `d` flag, `indices` are
 * positions in `text` (its `input` is a slice).
 */
export function matchesInWindows(pattern: WindowedPattern, text: string, unsorted: readonly (readonly [number, number])[], limit = Infinity): RegExpExecArray[] {
  const { re, maxLength, inMatch } = pattern;
  const windows = [...unsorted].sort((a, b) => a[0] - b[0]);
  const found: RegExpExecArray[] = [];
  // The whole-text scan is known to be between matches here.
  let resume = 0;
  for (let w = 0; w < windows.length; ) {
    const from = Math.max(0, windows[w]![0]);
    let to = Math.min(text.length, windows[w]![1]);
    for (w++; w < windows.length && windows[w]![0] <= to; w++) to = Math.max(to, Math.min(text.length, windows[w]![1]));
    if (to <= resume || from >= to) continue;
    let start = Math.max(from, resume);
    if (inMatch) {
      const limit = Math.max(resume, start - MAX_BACKTRACK);
      while (start > limit && inMatch(text.charCodeAt(start - 1))) start--;
      if (start > resume && inMatch(text.charCodeAt(start - 1))) start = resume;
    }
    const sliceFrom = Math.max(0, start - CONTEXT);
    const slice = text.slice(sliceFrom, Math.min(text.length, to + maxLength + CONTEXT));
    re.lastIndex = start - sliceFrom;
    let m: RegExpExecArray | null;
    while ((m = re.exec(slice)) !== null) {
      const at = m.index + sliceFrom;
      if (at >= to) break;
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      resume = at + m[0].length;
      if (at >= from && found.push(shifted(m, sliceFrom)) >= limit) {
        re.lastIndex = 0;
        return found;
      }
    }
    resume = Math.max(resume, to);
  }
  // The pattern's regex is shared module state: leave it as a fresh global regex is (`matchAll` and
  // `test` elsewhere start from `lastIndex`).
  re.lastIndex = 0;
  return found;
}

/** The match with its positions moved from the slice to the whole text. */
function shifted(m: RegExpExecArray, offset: number): RegExpExecArray {
  m.index += offset;
  if (m.indices) {
    // Group entries may share their array with the numbered ones: move each array once.
    const moved = new Set<[number, number]>();
    const move = (span: [number, number] | undefined): void => {
      if (!span || moved.has(span)) return;
      moved.add(span);
      span[0] += offset;
      span[1] += offset;
    };
    for (let i = 0; i < m.indices.length; i++) move(m.indices[i]);
    if (m.indices.groups) for (const span of Object.values(m.indices.groups)) move(span);
  }
  return m;
}
