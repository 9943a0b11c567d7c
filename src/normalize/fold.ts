/**
 * A text as the model reads it, for the data guards: characters that show nothing dropped, full-width
 * forms folded to ASCII, and ASCII written as JSON `\uXXXX` escapes or `\/` read as the character.
 * A key split by a zero-width space (`AKIA\u200bQ…`) was missed by every rule, and the default policy's
 * `invisible.zero_width` redaction then stripped the space: the gateway itself rebuilt the key and sent
 * it to the provider in clear. Detectors scan the folded text too and map its spans back (a span then
 * covers the characters folded inside it, so a placeholder replaces them all).
 */

/**
 * Dropped: zero-width and joiner characters, bidi controls (what the invisible-text guard strips), the
 * soft hyphen, the combining grapheme joiner, variation selectors, Mongolian vowel separator.
 */
const DROPPED = /[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufe00-\ufe0f\ufeff]/;
/** Anything the fold changes: a dropped character, a full-width form, a backslash escape. */
const CANDIDATE = /[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufe00-\ufe0f\ufeff\uff01-\uff5e]|\\(?:u00[2-7][0-9a-fA-F]|\/)/;

export interface FoldedText {
  readonly text: string;
  /** `starts[i]`: where the folded text's character `i` starts in the original; `starts[text.length]` is the original's length. */
  readonly starts: Int32Array;
  /** `ends[i]`: where the folded text's character `i` ends in the original. */
  readonly ends: Int32Array;
  /** True when the fold only changed full-width forms (one for one): a scanner that folds them itself gains nothing. */
  readonly widthOnly: boolean;
}

/**
 * The last text folded and its fold: the secrets and PII guards fold the same segment text one after
 * the other, and the second then pays nothing (the same string object compares at once).
 */
let lastText: string | undefined;
let lastFold: FoldedText | undefined;

/** The folded text, or undefined when the fold changes nothing (the usual case: one regex test). */
export function foldForScan(text: string): FoldedText | undefined {
  if (text === lastText) return lastFold;
  lastFold = fold(text);
  lastText = text;
  return lastFold;
}

const ABOVE_LATIN1 = /[^\x00-\xff]/;

/**
 * Whether `text` holds anything the fold changes. Every candidate but the backslash and the soft
 * hyphen lies above U+00FF, and V8 answers a range test at once on its one-byte (Latin-1) strings,
 * so ordinary text is cleared with two `indexOf`s and that test (CANDIDATE's scan cost ~2 µs per 2 KB).
 */
export function hasFoldCandidate(text: string): boolean {
  if (text.indexOf('\\') < 0 && text.indexOf('\u00ad') < 0 && !ABOVE_LATIN1.test(text)) return false;
  return CANDIDATE.test(text);
}

function fold(text: string): FoldedText | undefined {
  if (!hasFoldCandidate(text)) return undefined;
  let out = '';
  let widthOnly = true;
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) {
      const next = text.charCodeAt(i + 1);
      if (next === 47 /* / */) {
        widthOnly = false;
        out += '/';
        starts.push(i);
        ends.push(i + 2);
        i += 2;
        continue;
      }
      if (next === 117 /* u */ && /^u00[2-7][0-9a-fA-F]$/.test(text.slice(i + 1, i + 6))) {
        const code = parseInt(text.slice(i + 4, i + 6), 16);
        if (code >= 0x20 && code < 0x7f) {
          widthOnly = false;
          out += String.fromCharCode(code);
          starts.push(i);
          ends.push(i + 6);
          i += 6;
          continue;
        }
      }
    }
    if (c >= 0xff01 && c <= 0xff5e) {
      out += String.fromCharCode(c - 0xfee0);
      starts.push(i);
      ends.push(i + 1);
      i++;
      continue;
    }
    if (c >= 0x00ad && DROPPED.test(text[i]!)) {
      widthOnly = false;
      i++;
      continue;
    }
    out += text[i];
    starts.push(i);
    ends.push(i + 1);
    i++;
  }
  starts.push(text.length);
  return { text: out, starts: Int32Array.from(starts), ends: Int32Array.from(ends), widthOnly };
}

/** The original span of the folded text's `[start, end)`. */
export function unfoldSpan(folded: FoldedText, start: number, end: number): { start: number; end: number } {
  return { start: folded.starts[start]!, end: end > start ? folded.ends[end - 1]! : folded.starts[start]! };
}
