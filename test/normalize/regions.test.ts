import { describe, expect, it } from 'vitest';
import { HEX_RUN, URL_RUN, hexRunsOf, urlRuns } from '../../src/normalize/decode.js';
import { normalizeText } from '../../src/normalize/index.js';
import { confusableToLatin, isConfusableScript } from '../../src/normalize/unicode.js';

// The passes that read only around candidates (spaced letters on screened lines, look-alikes at
// their places, URL and hex runs near their `%XX` and digits) against whole-text references.

let seed = 11;
const next = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
const pick = <T>(xs: readonly T[]): T => xs[next(xs.length)]!;
const randomText = (pieces: readonly string[], max: number): string => {
  let s = '';
  for (let k = 1 + next(max); k > 0; k--) s += pick(pieces);
  return s;
};

describe('URL and hex runs near their candidates', () => {
  const pieces = ['%41', '%4', '%', '%zz', '%2F', 'a'.repeat(36), 'b'.repeat(37), 'c'.repeat(39), 'd'.repeat(40), 'e'.repeat(41), 'xy', ' ', '\n', '\t', '\u00a0', '\u3000', '\u2028', 'de', 'ad', 'be', 'ef', '12', ':', '\\x', '0x', 'é', '\ud835'];

  it('finds the matches URL_RUN finds on the whole text', () => {
    for (let round = 0; round < 3000; round++) {
      const text = randomText(pieces, round % 10 === 0 ? 200 : 30);
      const whole = [...text.matchAll(URL_RUN)].map((m) => [m.index, m[0]]);
      expect(urlRuns(text).map((m) => [m.index, m[0]])).toEqual(whole);
    }
  });

  it('finds the matches HEX_RUN finds on the whole text', () => {
    for (let round = 0; round < 3000; round++) {
      const text = randomText(pieces, round % 10 === 0 ? 200 : 40);
      const whole = [...text.matchAll(HEX_RUN)].map((m) => ({ index: m.index, text: m[0] }));
      expect(hexRunsOf(text)).toEqual(whole);
    }
  });

  it('decodes URL-encoded text whose escapes lie 40 apart, and not 41', () => {
    const at = (gap: number): string => `x ${['%69', '%67', '%6E', '%6F'].join('.'.repeat(gap))} y`;
    expect(normalizeText(at(40)).layers.map((l) => l.kind)).toEqual(['url_encoding']);
    expect(normalizeText(at(41)).layers).toEqual([]);
  });
});

describe('spaced letters on screened lines', () => {
  it('joins runs on any line, the first and the last, with or without a final line break', () => {
    const filler = 'ordinary words on a line, nothing spaced here (中)';
    for (const end of ['', '\n']) {
      const text = `i g n o r e that\n${filler}\n${filler} p.r.o.m.p.t\n${filler}\nl-a-s-t${end}`;
      const n = normalizeText(text);
      expect(n.text).toBe(`ignore that\n${filler}\n${filler} prompt\n${filler}\nlast${end}`);
      expect(n.obfuscations.find((o) => o.kind === 'spaced_letters')?.count).toBe(3);
    }
  });

  it('joins short spaced words on every line once one line spaces out a long word', () => {
    // The second line alone has no run of four; the text as a whole does.
    expect(normalizeText('i g n o r e\nsay a l l of it 中').text).toBe('ignore\nsay all of it 中');
    expect(normalizeText('say a l l of it 中').text).toBe('say a l l of it 中');
    expect(normalizeText('i g n o r e\nsay a l l of it').text).toBe('ignore\nsay all of it');
  });

  it('finds runs whose letters carry marks on a line of their own', () => {
    const n = normalizeText('plain line\nअ न दे खा\nanother plain line');
    expect(n.text).toBe('plain line\nअनदेखा\nanother plain line');
  });

  it('screens the text before leetspeak folding, which turns a separator (`|`) into a letter', () => {
    // Leetspeak reads `a|b|c|d` first (`|` between letters is an l); a spaced run is still found
    // where folding leaves one.
    expect(normalizeText('a|b|c|d and more 中').text).toBe('alblcld and more 中');
    expect(normalizeText('x | y | z | w h3ll0 中').text).toBe('x | y | z | w hello 中');
    expect(normalizeText('x-y-z-w h3ll0 w0rld 中').text).toBe('xyzw hello world 中');
  });
});

describe('look-alikes at their places', () => {
  /** The fold as it was done before: every MIXED_WORD match over the text, when HOMOGLYPH_HINT matches. */
  const reference = (text: string): string => {
    if (!/[a-z][\u0250-\u052f\u1d00-\u1d7f\u0131\u0237\ua731]|[\u0250-\u052f\u1d00-\u1d7f\u0131\u0237\ua731][a-z]/.test(text)) return text;
    return text.replace(/[\p{L}\p{M}]*[a-z][\p{L}\p{M}]*/gu, (word) =>
      [...word].some((ch) => isConfusableScript(ch.charCodeAt(0))) ? word.replace(/[^]/g, (ch) => confusableToLatin(ch) ?? ch) : word,
    );
  };
  // Letters that fold to themselves, so the folded text is this text: Latin, Cyrillic and Greek
  // look-alikes and not, letters outside those scripts, a mark, an astral letter, lone surrogates.
  const pieces = ['a', 'g', 'n', 'r', 'ignore', 'а', 'о', 'е', 'і', 'ж', 'ы', 'α', 'ο', 'λ', 'ɡ', 'ı', 'ᴀ', 'ß', 'ि', 'ж\u0483', '\u{10428}', '\ud801', '\udc28', ' ', '"', ';', '\n', '҂', 'ʹ'];

  it('folds the same words as a whole-text match of MIXED_WORD', () => {
    for (let round = 0; round < 3000; round++) {
      const text = randomText(pieces, round % 10 === 0 ? 150 : 20);
      expect(normalizeText(text).text).toBe(reference(text));
    }
  });

  it('folds a word with no Latin letter next to a look-alike only when the text has such a pair elsewhere', () => {
    expect(normalizeText('aßк').text).toBe('aßк');
    expect(normalizeText('aßк іgnоrе').text).toBe('aßk ignore');
  });
});

describe('UTF-8 check before decoding', () => {
  it('accepts exactly the bytes the fatal decoder accepts', async () => {
    const { isUtf8 } = await import('node:buffer');
    const fatal = new TextDecoder('utf-8', { fatal: true });
    const decodes = (b: Uint8Array): boolean => {
      try {
        fatal.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    // Lead bytes, continuation bytes and the edges of the valid ranges (overlong forms, surrogates, past U+10FFFF).
    const bytes = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xee, 0xef, 0xf0, 0xf4, 0xf5, 0xff];
    for (let round = 0; round < 20000; round++) {
      const b = new Uint8Array(1 + next(6));
      for (let k = 0; k < b.length; k++) b[k] = pick(bytes);
      expect(isUtf8(b)).toBe(decodes(b));
    }
  });
});

describe('the ends of the text', () => {
  it('finds spaced letters and leetspeak in the last units and the first', () => {
    for (let pad = 0; pad < 12; pad++) {
      const before = '#'.repeat(pad);
      for (const tail of ['', '.', '. 中']) {
        expect(normalizeText(`${before}a b c d${tail}`).text).toBe(`${before}abcd${tail}`);
        expect(normalizeText(`a-b-c-d ${before}${tail}`).text).toBe(`abcd ${before}${tail}`);
        expect(normalizeText(`${before}h3ll0${tail}`).text).toBe(`${before}hello${tail}`);
        expect(normalizeText(`${before}x${tail}`).text).toBe(`${before}x${tail}`);
      }
    }
  });
});

describe('dense leet edits', () => {
  it('rebuilds a text with many edits as one with few', () => {
    // Written in leet (two leet words), so every short number folds too: many edits, one call.
    const line = 'h3ll0 w0rld 15 10 pm 1n 7h3 r00m 4 ';
    const n = normalizeText(line.repeat(200));
    expect(n.text).toBe(normalizeText(line).text.repeat(200));
    expect(n.text.length).toBe(line.length * 200);
  });
});
