import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { invisibleKind, normalizeText, toOriginalSpan } from '../../src/normalize/index.js';
import { checkProperty, nastyChar, nastyString } from './harness.js';

/** Unicode edge cases for the normalizer every detector reads through. */
const payload = fc.oneof(nastyString(60), fc.string({ unit: 'binary', maxLength: 80 }), fc.array(fc.oneof(nastyChar, fc.constantFrom('aWdub3Jl', '%69%67', '\\x69', '&#105;', 'ＩＧＮＯＲＥ', 'i g n o r e', '1gn0r3')), { maxLength: 20 }).map((a) => a.join('')));

describe('fuzz: normalization', () => {
  it('never throws; offsets map every normalized character into the original; no invisible character survives', () => {
    checkProperty(
      'normalize: offsets and invisibles',
      payload,
      (original) => {
        const n = normalizeText(original);
        expect(n.offsets.length).toBe(n.text.length + 1);
        expect(n.offsets[n.text.length]).toBe(original.length);
        for (let i = 0; i < n.offsets.length; i++) {
          expect(n.offsets[i]).toBeGreaterThanOrEqual(0);
          expect(n.offsets[i]).toBeLessThanOrEqual(original.length);
          if (i > 0) expect(n.offsets[i]!).toBeGreaterThanOrEqual(n.offsets[i - 1]!);
        }
        for (const ch of n.text) expect(invisibleKind(ch.codePointAt(0)!), `U+${ch.codePointAt(0)!.toString(16)}`).toBeUndefined();
        const span = toOriginalSpan(n, 0, n.text.length);
        expect(span.start).toBeGreaterThanOrEqual(0);
        expect(span.end).toBeLessThanOrEqual(original.length);
        for (const layer of n.layers) {
          expect(layer.span.start).toBeGreaterThanOrEqual(0);
          expect(layer.span.end).toBeLessThanOrEqual(original.length);
        }
      },
      { base: 300 },
    );
  });

  it('folds a phrase hidden by invisible characters, homoglyphs and width back to the plain phrase', () => {
    const hide = fc.array(fc.constantFrom('\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad'), { maxLength: 2 }).map((a) => a.join(''));
    checkProperty(
      'normalize: hidden phrase folds',
      fc.record({ gaps: fc.array(hide, { minLength: 6, maxLength: 6 }), wide: fc.boolean(), upper: fc.boolean() }),
      ({ gaps, wide, upper }) => {
        let word = 'ignore';
        if (upper) word = word.toUpperCase();
        if (wide) word = [...word].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('');
        const hidden = [...word].map((c, i) => c + gaps[i]).join('');
        expect(normalizeText(`please ${hidden} that`).text).toContain('ignore');
      },
      { base: 300 },
    );
  });
});
