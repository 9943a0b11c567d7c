import { describe, expect, it } from 'vitest';
import { BIGRAM_BITS, BIGRAM_SCALE, bigramKey, canonicalUnit, lineGains, rot13Unit } from '../../src/normalize/bigram-gains.js';

/** lineGains written plainly: every bigram through the hashed table. */
function reference(table: Uint8Array, text: string): { forward: number; backward: number; rotated: number; bigrams: number } {
  const sum = { forward: 0, backward: 0, rotated: 0, bigrams: 0 };
  let [p, pr] = [-1, -1];
  for (let i = 0; i < Math.min(text.length, 160); i++) {
    const c = canonicalUnit(text.charCodeAt(i));
    const cr = rot13Unit(c);
    const letter = (c >= 0x61 && c <= 0x7a) || (c >= 0x80 && c !== 0x20);
    if (!letter && c === p) continue;
    if (p >= 0) {
      sum.forward += table[bigramKey(p, c)]!;
      sum.backward += table[bigramKey(c, p)]!;
      sum.rotated += table[bigramKey(pr, cr)]!;
      sum.bigrams++;
    }
    [p, pr] = [c, cr];
  }
  return sum;
}

describe('lineGains', () => {
  it('scores every bigram as the hashed table does, ASCII and other scripts mixed', () => {
    let seed = 3;
    const next = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const table = new Uint8Array(1 << BIGRAM_BITS).map(() => next(256));
    const alphabet = ['a', 'Z', 'q', ' ', ' ', '-', '-', '0', '7', '\t', '\u00a0', 'é', 'ж', '中', '\u0301', '.', '~', '\u007f'];
    for (let round = 0; round < 300; round++) {
      let text = '';
      for (let k = next(200); k > 0; k--) text += alphabet[next(alphabet.length)];
      const got = lineGains(table, text, 0, text.length);
      const want = reference(table, text);
      expect(got.bigrams).toBe(want.bigrams);
      if (want.bigrams === 0) continue;
      expect(got.reversed).toBe((want.backward - want.forward) / (BIGRAM_SCALE * want.bigrams));
      expect(got.rot13).toBe((want.rotated - want.forward) / (BIGRAM_SCALE * want.bigrams));
    }
  });
});
