import { describe, expect, it } from 'vitest';
import { trailingTokenSuffix } from '../../src/core/index.js';

describe('trailingTokenSuffix', () => {
  const pending = (text: string, max = 100) => text.slice(text.length - trailingTokenSuffix(text, max));
  it('keeps the last word pending, nothing after a finished word', () => {
    expect(pending('my key is sk-ab')).toBe('sk-ab');
    expect(pending('hello world ')).toBe('');
    expect(pending('write to bob@exa')).toBe('bob@exa');
  });
  it('keeps a number written in groups pending, also right after a separator', () => {
    expect(pending('card 4111 1111 11')).toBe('4111 1111 11');
    expect(pending('card 4111 1111 ')).toBe('4111 1111 ');
    expect(pending('call +44 20 7946')).toBe('+44 20 7946');
    expect(pending('IBAN DE89 3704 0044 05')).toBe('DE89 3704 0044 05');
  });
  it('releases a short plain word at once, so prose streams token by token', () => {
    expect(pending('The quick brown fo')).toBe('');
    expect(pending('see https://exa')).toBe('https://exa');
    expect(pending('token ghp_x1')).toBe('ghp_x1');
  });

  it('never exceeds the cap', () => {
    expect(trailingTokenSuffix('x'.repeat(500), 64)).toBe(64);
  });
});
