import { describe, expect, it } from 'vitest';
import { PseudonymMap } from '../../src/transform/vault.js';

function mapWith(entries: [string, string][]): PseudonymMap {
  const map = new PseudonymMap('c');
  for (const [label, value] of entries) map.placeholderFor(label, value);
  return map;
}

describe('StreamRestorer', () => {
  const map = mapWith([['PERSON', 'Ann Lee'], ['CREDIT_CARD', '4111111111111111']]);
  const answer = 'Hello <PERSON_1>, your card <CREDIT_CARD_1> is fine. 3 < 4 and <b>bold</b>.';
  const expected = 'Hello Ann Lee, your card 4111111111111111 is fine. 3 < 4 and <b>bold</b>.';

  it('restores placeholders split at every possible position', () => {
    for (let i = 0; i <= answer.length; i++) {
      for (let j = i; j <= answer.length; j += 7) {
        const r = map.streamRestorer();
        const out = r.push(answer.slice(0, i)) + r.push(answer.slice(i, j)) + r.push(answer.slice(j)) + r.end();
        expect(out).toBe(expected);
      }
    }
  });

  it('restores a stream delivered one character at a time', () => {
    const r = map.streamRestorer();
    let out = '';
    for (const ch of answer) out += r.push(ch);
    expect(out + r.end()).toBe(expected);
  });

  it('holds back only a possible placeholder prefix', () => {
    const r = map.streamRestorer();
    expect(r.push('Hi <PER')).toBe('Hi ');
    expect(r.pending).toBe(4);
    expect(r.push('SON_1')).toBe('');
    expect(r.push('> and x < y')).toBe('Ann Lee and x < y');
    expect(r.pending).toBe(0);
    expect(r.push('a <lowercase')).toBe('a <lowercase');
  });

  it('flushes an unfinished placeholder prefix at the end unchanged', () => {
    const r = map.streamRestorer();
    expect(r.push('trailing <PERSON_')).toBe('trailing ');
    expect(r.end()).toBe('<PERSON_');
  });
});
