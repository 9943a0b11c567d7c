/**
 * Obfuscated variants of attack texts, for measuring how much recall the obfuscations cost.
 * Deterministic, translation-free: each variant rewrites characters, never meaning.
 */

export const OBFUSCATIONS = ['base64', 'homoglyph', 'zero_width', 'leet', 'spacing', 'fullwidth', 'tag_chars', 'rot13', 'reversed'] as const;
export type ObfuscationVariant = (typeof OBFUSCATIONS)[number];

const GRAPHEMES = new Intl.Segmenter('und', { granularity: 'grapheme' });
const CYRILLIC: Record<string, string> = { a: 'а', e: 'е', o: 'о', p: 'р', c: 'с', x: 'х', i: 'і', y: 'у', s: 'ѕ', j: 'ј' };
const LEET: Record<string, string> = { a: '4', e: '3', i: '1', o: '0', s: '5', t: '7' };

function mapLetters(text: string, table: Record<string, string>): string {
  return text.replace(/[a-z]/g, (c) => table[c] ?? c);
}

export function obfuscate(text: string, variant: ObfuscationVariant): string {
  switch (variant) {
    case 'base64':
      return Buffer.from(text, 'utf8').toString('base64');
    case 'homoglyph':
      return mapLetters(text, CYRILLIC);
    case 'zero_width':
      return text.replace(/(\p{L})(?=\p{L})/gu, '$1\u200b');
    case 'leet':
      return mapLetters(text, LEET);
    case 'spacing':
      // "ignore all" → "i g n o r e   a l l": letters one space apart, words three. A letter keeps
      // its combining marks ("नि र्दे श", not "न ि र ् द े श"), as a person spacing out Hindi writes it.
      return text.replace(/ +/g, '   ').replace(/\p{L}[\p{L}\p{M}]*/gu, (w) => Array.from(GRAPHEMES.segment(w), (g) => g.segment).join(' '));
    case 'fullwidth':
      return text.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    case 'tag_chars':
      return `Please summarize this.${[...text].map((c) => (c.charCodeAt(0) < 0x7f && c.charCodeAt(0) >= 0x20 ? String.fromCodePoint(0xe0000 + c.charCodeAt(0)) : c)).join('')}`;
    case 'rot13':
      return text.replace(/[a-zA-Z]/g, (c) => {
        const base = c <= 'Z' ? 65 : 97;
        return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
      });
    case 'reversed':
      return text
        .split('\n')
        .map((line) => [...line].reverse().join(''))
        .join('\n');
  }
}
