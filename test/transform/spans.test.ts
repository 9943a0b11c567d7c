import { describe, expect, it } from 'vitest';
import { applySpanRewrites, mergeSpanRewrites } from '../../src/transform/spans.js';

describe('applySpanRewrites', () => {
  it('replaces disjoint spans in any order', () => {
    const text = 'mail a@b.io or call 555-0100 now';
    const out = applySpanRewrites(text, [
      { start: 20, end: 28, replacement: '[PHONE]' },
      { start: 5, end: 11, replacement: '[EMAIL]' },
    ]);
    expect(out).toBe('mail [EMAIL] or call [PHONE] now');
  });

  it('returns the text unchanged without rewrites', () => {
    expect(applySpanRewrites('hello', [])).toBe('hello');
  });

  it('merges overlapping spans and keeps the widest replacement', () => {
    const text = 'card 4111 1111 1111 1111 end';
    const out = applySpanRewrites(text, [
      { start: 5, end: 14, replacement: '[PHONE]' },
      { start: 5, end: 24, replacement: '[CARD]' },
      { start: 10, end: 26, replacement: '[X]' },
    ]);
    expect(out).toBe('card [CARD]nd');
  });

  it('keeps touching spans apart', () => {
    expect(applySpanRewrites('abcdef', [
      { start: 0, end: 3, replacement: 'X' },
      { start: 3, end: 6, replacement: 'Y' },
    ])).toBe('XY');
  });

  it('clamps out-of-range spans and drops empty ones', () => {
    expect(applySpanRewrites('abc', [
      { start: -4, end: 1, replacement: 'A' },
      { start: 2, end: 99, replacement: 'C' },
      { start: 1, end: 1, replacement: 'never' },
    ])).toBe('AbC');
  });

  it('merges a span nested inside another into the outer one', () => {
    const merged = mergeSpanRewrites([
      { start: 2, end: 4, replacement: 'inner' },
      { start: 0, end: 10, replacement: 'outer' },
    ], 10);
    expect(merged).toEqual([{ start: 0, end: 10, replacement: 'outer' }]);
  });
});
