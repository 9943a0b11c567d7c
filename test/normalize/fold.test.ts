import { describe, expect, it } from 'vitest';
import { foldForScan, hasFoldCandidate } from '../../src/normalize/fold.js';

// What the fold changes, written out as one regex (the reference the fast test must agree with).
const REFERENCE = /[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufe00-\ufe0f\ufeff\uff01-\uff5e]|\\(?:u00[2-7][0-9a-fA-F]|\/)/;

describe('fold candidates', () => {
  it('agrees with the reference regex on random texts, Latin-1 and not', () => {
    const alphabet = ['a', 'Z', ' ', '\\', 'u', '0', '2', '7', 'f', '/', '\u00ad', '\u00e9', '\u00ff', '\u0100', '\u200b', '\u202e', '\uff21', '\ufeff', '中', '\u034f'];
    let seed = 7;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let k = 0; k < 5000; k++) {
      let text = '';
      for (let i = next(12); i > 0; i--) text += alphabet[next(alphabet.length)];
      expect(hasFoldCandidate(text), JSON.stringify(text)).toBe(REFERENCE.test(text));
    }
  });

  it('still folds a soft hyphen and a JSON escape in Latin-1 text, and leaves plain text alone', () => {
    expect(foldForScan('jane\u00ad.roe@example.org')?.text).toBe('jane.roe@example.org');
    expect(foldForScan('key: \\u0041KIA')?.text).toBe('key: AKIA');
    expect(foldForScan('an ordinary sentence, café and naïve')).toBeUndefined();
  });
});
