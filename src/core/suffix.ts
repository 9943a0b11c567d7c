const SPACE = /\s/;
const DIGIT = /[0-9]/;

/**
 * Length of the trailing part of `text` that a token-shaped finding (a key, an email, a number
 * written in groups like `4111 1111 1111 1111` or `+44 20 7946 0958`) could still grow from: the
 * last run of non-space characters, extended backwards over digit groups joined by one space or
 * dash. Capped at `max`. A text ending in whitespace has nothing pending, except a number that
 * may continue after the space.
 */
export function trailingTokenSuffix(text: string, max: number): number {
  let i = text.length;
  // A number may continue after one separator: "4111 " can still become "4111 1111".
  if (i > 0 && (text[i - 1] === ' ' || text[i - 1] === '-') && i > 1 && DIGIT.test(text[i - 2]!)) i--;
  while (i > 0 && !SPACE.test(text[i - 1]!) && text.length - i < max) i--;
  // Extend over earlier digit groups: "... 4111 1111 11" keeps the whole number pending.
  while (i > 1 && text.length - i < max && (text[i - 1] === ' ' || text[i - 1] === '-') && DIGIT.test(text[i - 2]!) && DIGIT.test(text[i] ?? '')) {
    let j = i - 1;
    while (j > 0 && !SPACE.test(text[j - 1]!) && text.length - j < max) j--;
    i = j;
  }
  const pending = Math.min(text.length - i, max);
  // A short plain word (letters only) is prose: releasing it at once keeps streams token-by-token.
  // At worst the first letters of a key's known prefix ("sk", "AKIA") go out; its secret part is held.
  if (pending > 0 && pending < 12 && PLAIN_WORD.test(text.slice(text.length - pending))) return 0;
  return pending;
}

const PLAIN_WORD = /^\p{L}+$/u;
