/**
 * The matches of a global regex that start inside given windows, exactly as one scan of the whole
 * text finds them, reading only the text near the windows. For scanners whose matches are short
 * and can only matter near a cue (a date of birth needs "born" within 40 characters before it; a
 * MAC address holds `:xx:xx:`): a 47 KB system prompt with one cue costs a few hundred characters.
 *
 * Why it is exact: a whole-text scan is memoryless between matches, so it is in the same state as
 * a scan started at any position `q` that no match can straddle, that is where `text[q - 1]` is a
 * character no match holds (`inMatch` false). Each window's scan starts at such a position (or
 * where the previous window's scan left off), on a slice long enough that every attempt starting
 * in the window reads the same characters as in the whole text: matches are at most `maxLength`
 * long and the regex looks at most one character behind and ahead. Matches starting past the
 * window are dropped, and the next window resumes after the last match kept.
 */
export interface WindowedPattern {
  /** A global (`g`) regex, without the sticky flag; its lookbehind and lookahead read one character at most. */
  readonly re: RegExp;
  /** Upper bound of any match's length. */
  readonly maxLength: number;
  /** Whether a UTF-16 code unit can be part of a match. */
  readonly inMatch: (unit: number) => boolean;
}

/** How far back a scan looks for a character no match can hold before it starts from the last known point. */
const MAX_BACKTRACK = 4096;

/**
 * Matches whose start lies in one of `windows` (`[from, to)`, in any order, overlaps allowed), in
 * text order; each match's `index` is a position in `text` (its `input` is a slice).
 */
export function matchesInWindows(pattern: WindowedPattern, text: string, unsorted: readonly (readonly [number, number])[]): RegExpExecArray[] {
  const { re, maxLength, inMatch } = pattern;
  const windows = [...unsorted].sort((a, b) => a[0] - b[0]);
  const found: RegExpExecArray[] = [];
  // The whole-text scan is known to be between matches here.
  let resume = 0;
  for (let w = 0; w < windows.length; ) {
    let from = Math.max(0, windows[w]![0]);
    let to = Math.min(text.length, windows[w]![1]);
    for (w++; w < windows.length && windows[w]![0] <= to; w++) to = Math.max(to, Math.min(text.length, windows[w]![1]));
    if (to <= resume || from >= to) continue;
    let start = Math.max(from, resume);
    const limit = Math.max(resume, start - MAX_BACKTRACK);
    while (start > limit && inMatch(text.charCodeAt(start - 1))) start--;
    if (start > resume && inMatch(text.charCodeAt(start - 1))) start = resume;
    const sliceFrom = Math.max(0, start - 1);
    const slice = text.slice(sliceFrom, Math.min(text.length, to + maxLength + 1));
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
      if (at >= from) {
        m.index = at;
        found.push(m);
      }
    }
    resume = Math.max(resume, to);
  }
  // The pattern's regex is shared module state: leave it as a fresh global regex is (`matchAll` and
  // `test` elsewhere start from `lastIndex`).
  re.lastIndex = 0;
  return found;
}
