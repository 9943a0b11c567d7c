import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { literalReach, regexBounds } from '../../src/core/index.js';

describe('regexBounds', () => {
  it.each([
    [/abc/, 3, 0],
    [/a{2,5}b?/, 6, 0],
    [/(?<![A-Za-z0-9_-])SK[0-9a-f]{32}(?![A-Za-z0-9_-])/, 34, 1],
    [/(?:ab|cdef)[xy]{0,3}/, 7, 0],
    [/(?<=abcd)x/, 1, 4],
    [/\bx\s{1,4}\d\B/, 6, 0],
    [/\x41\u0042\u{43}\./u, 4, 0],
    [/a+/, Infinity, 0],
    [/[a-z]{3,}/, Infinity, 0],
    [/(?:)*x/, 1, 0],
  ])('%s: at most %d code units, lookarounds %d', (re, maxLength, lookaround) => {
    expect(regexBounds(re)).toEqual({ maxLength, lookaround });
  });

  it('counts a class or dot as two code units in Unicode mode (a surrogate pair)', () => {
    expect(regexBounds(/[a-z].x/u).maxLength).toBe(5);
    expect(regexBounds(/[a-z].x/).maxLength).toBe(3);
  });

  it('reads [] (nothing) and [^] (any character) as JavaScript does, closed by the first ]', () => {
    expect(regexBounds(/[^]{0,5}x/).maxLength).toBe(6);
    // `[^]{0,5}x]` is any character up to five times, then "x]": never read as one class (length 1).
    expect(regexBounds(/[^]{0,5}x]/).maxLength).toBeGreaterThanOrEqual(7);
    expect(regexBounds(/a[]b/).maxLength).toBe(3);
    expect(literalReach(/[^]{0,3}key/, ['key'])).toBe(6);
  });

  it('reads a [ inside a class as a member (classes nest only in v mode)', () => {
    expect(regexBounds(/#{2,4}[([]?\s{0,2}x[)\]]?/).maxLength).toBe(9);
    expect(regexBounds(/[[]{3}/u).maxLength).toBe(6);
    expect(literalReach(/[([]system/, ['(system', '[system'])).toBe(7);
  });

  it('counts a surrogate pair as one character in Unicode mode, and \\u{…} as a code point only there', () => {
    expect(regexBounds(/😀{2}/u).maxLength).toBe(4);
    expect(regexBounds(/😀{2}/).maxLength).toBe(3);
    expect(regexBounds(/[😀a]/u).maxLength).toBe(2);
    expect(regexBounds(/\u{1F600}/u).maxLength).toBe(2);
    // Outside Unicode mode `\u{2}` is "uu": not modelled, so unbounded.
    expect(regexBounds(new RegExp('\\u{2}')).maxLength).toBe(Infinity);
    expect(literalReach(/[😀k]ey/u, ['key'])).toBeUndefined();
  });

  it('gives up (unbounded) on what it does not model', () => {
    for (const re of [/(a)\1/, /(?<n>a)\k<n>/, /a{2/, new RegExp('[[a]]', 'v'), /\cJ/]) expect(regexBounds(re)).toEqual({ maxLength: Infinity, lookaround: Infinity });
  });

  it('never reports a bound shorter than a real match', () => {
    const pieces = ['a', 'b', '[ab]', '\\d', '.', '(?:a|bb)', '(?<n>ab)', '(?=a)', '\\b'];
    const quantifiers = ['', '?', '{2}', '{1,3}', '{0,2}?'];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...pieces), fc.constantFrom(...quantifiers)), { minLength: 1, maxLength: 6 }), fc.string({ unit: fc.constantFrom('a', 'b', '1', ' '), maxLength: 30 }), (parts, text) => {
        const source = parts.map(([p, q], i) => (p.startsWith('(?=') || p === '\\b' ? p : p.replace('<n>', `<n${i}>`) + q)).join('');
        const re = new RegExp(source, 'g');
        const { maxLength } = regexBounds(re);
        for (const m of text.matchAll(re)) expect(m[0].length).toBeLessThanOrEqual(maxLength);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('literalReach', () => {
  it.each([
    [/sk-(?:proj|admin)-[A-Za-z0-9]{80}/, ['sk-proj-', 'sk-admin-'], 9],
    [/do[opr]_v1_[a-f0-9]{64}/, ['dop_v1_', 'doo_v1_', 'dor_v1_'], 7],
    [/private[_-]?ai[a-z]{0,20}/i, ['privateai', 'private_ai', 'private-ai'], 10],
    [/(?<![A-Za-z0-9])[A-Za-z0-9_.-]{0,24}(?:password|api[_.-]?key)\s{0,4}=\S{8,200}/i, ['pass', 'api_key', 'api.key', 'api-key', 'apikey'], 32],
    [/(?:\s-u|--user)\s{1,3}\S+/, ['-u', '--user'], 3],
    [/A{22}[A-Za-z0-9%]{80,120}/, ['a'.repeat(21)], 22],
    [/(?:AQVN[A-Za-z0-9_-]{35,38}|y[0-3]_[A-Za-z0-9_-]{55})/, ['aqvn', 'y0_', 'y1_', 'y2_', 'y3_'], 4],
    [/ATBB[A-Za-z0-9_=.-]{32,}/, ['atbb'], 4],
  ])('%s holds one of %j within %d code units of its start', (re, literals, reach) => {
    expect(literalReach(re, literals)).toBe(reach);
  });

  it.each([
    ['a literal the pattern can miss', /do[opr]_v1_/, ['dop_v1_', 'doo_v1_']],
    ['an optional literal', /(?:token)?[a-z]{8}/, ['token']],
    ['a literal only in a lookbehind', /(?<=aws.{0,20})[A-Z0-9]{40}/, ['aws']],
    ['a context keyword', /[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}/, ['discord']],
    ['a separator wider than the literal says', /kind:\s{0,4}Secret/, ['kind: secret']],
    ['an unbounded stretch before the literal', /.*password/, ['password']],
    ['Unicode case-insensitivity (ſ matches s)', /secret/iu, ['secret']],
  ])('is not proven for %s', (_name, re, literals) => {
    expect(literalReach(re, literals)).toBeUndefined();
  });

  it('keeps case when asked to (for callers that find the literals exactly as written)', () => {
    expect(literalReach(/Key=/, ['key'])).toBe(3);
    expect(literalReach(/Key=/, ['key'], true)).toBeUndefined();
    expect(literalReach(/(?:key|Key)=/, ['key', 'Key'], true)).toBe(3);
    expect(literalReach(/key=/i, ['key'], true)).toBeUndefined();
    expect(literalReach(/\bключ\s{1,4}=/u, ['ключ'], true)).toBe(4);
  });

  it('holds on random matches: every match contains a literal within the reach', () => {
    const literals = ['key', 'pass'];
    const pieces = ['key', 'pass', 'k', 'e', 'y', '[kp]', '(?:key|pass)', '(?:ke|pa)', '[a-z]', '\\d', '(?=k)'];
    const quantifiers = ['', '?', '{2}', '{0,3}'];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...pieces), fc.constantFrom(...quantifiers)), { minLength: 1, maxLength: 5 }), fc.string({ unit: fc.constantFrom('k', 'e', 'y', 'p', 'a', 's', '1', 'x'), maxLength: 40 }), (parts, text) => {
        const source = parts.map(([p, q]) => (p.startsWith('(?=') ? p : p + q)).join('');
        const re = new RegExp(source, 'g');
        const reach = literalReach(re, literals);
        if (reach === undefined) return;
        for (const m of text.matchAll(re)) {
          if (m[0].length === 0) continue;
          const ends = literals.map((l) => m[0].indexOf(l)).filter((at) => at >= 0);
          expect(ends.length, `${source} on ${m[0]}`).toBeGreaterThan(0);
          const first = Math.min(...literals.flatMap((l) => (m[0].includes(l) ? [m[0].indexOf(l) + l.length] : [])));
          expect(first).toBeLessThanOrEqual(reach);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
