import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesInWindows, type WindowedPattern } from '../../src/core/windowed-scan.js';

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const MONTHS = 'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';

// The shapes the PII scanners use: MAC addresses, numeric and word dates.
const patterns: Record<string, WindowedPattern> = {
  mac: {
    re: /(?<![0-9A-Fa-f:\-.])(?:[0-9A-Fa-f]{2}([:\-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![0-9A-Fa-f:\-])/g,
    maxLength: 17,
    inMatch: (c) => isHex(c) || c === 0x3a || c === 0x2d || c === 0x2e,
  },
  numericDate: {
    re: /(?<![0-9])(?:[0-9]{1,2}[/.-][0-9]{1,2}[/.-](?:[0-9]{4}|[0-9]{2})|[0-9]{4}-[0-9]{2}-[0-9]{2})(?![0-9])/g,
    maxLength: 10,
    inMatch: (c) => (c >= 48 && c <= 57) || c === 0x2f || c === 0x2e || c === 0x2d,
  },
  wordDate: {
    re: new RegExp(`(?<![\\p{L}\\p{N}])(?:[0-9]{1,2}(?:st|nd|rd|th)? (?:of )?(?:${MONTHS})\\.?,? [0-9]{4}|(?:${MONTHS})\\.? [0-9]{1,2}(?:st|nd|rd|th)?,? [0-9]{4})(?![\\p{L}\\p{N}])`, 'giu'),
    maxLength: 24,
    inMatch: (c) => isAlnum(c) || c === 0x20 || c === 0x2e || c === 0x2c || c === 0x17f || c === 0x212a,
  },
};

// Pieces that make matches, near misses and chains of them back to back.
const piece = fc.oneof(
  fc.constantFrom('aa:bb:cc:dd:ee:ff', '0A-1B-2C-3D-4E-5F', 'dead.beef.cafe', ':', '-', '.', '/', ' ', ',', '\n', 'x', 'é'),
  fc.constantFrom('12/05/2020', '1.2.3', '2024-01-15', '3-4-99', '31', '1999', '12th', 'of', 'September', 'sept.', 'May', 'jan', 'ſept', 'born', 'Dec'),
  fc.stringMatching(/^[0-9a-f:.\-\/ ]{1,12}$/),
  fc.stringMatching(/^[0-9]{1,5}$/),
);
// A fresh regex: matchAll starts from the given regex's lastIndex.
const whole = (p: WindowedPattern, text: string) => [...text.matchAll(new RegExp(p.re.source, p.re.flags))].map((m) => [m.index, m[0]] as const);

describe('matchesInWindows', () => {
  for (const [name, pattern] of Object.entries(patterns)) {
    it(`finds exactly the whole-text matches that start in the windows (${name})`, () => {
      fc.assert(
        fc.property(
          fc.array(piece, { maxLength: 50 }),
          fc.array(fc.tuple(fc.nat(400), fc.integer({ min: 0, max: 60 })), { maxLength: 6 }),
          (pieces, spans) => {
            const text = pieces.join(pieces.length % 3 === 0 ? '' : ' ');
            const windows = spans.map(([from, len]) => [from, from + len] as [number, number]);
            const expected = whole(pattern, text).filter(([at]) => windows.some(([from, to]) => at >= from && at < to));
            expect(matchesInWindows(pattern, text, windows).map((m) => [m.index, m[0]] as const)).toEqual(expected);
          },
        ),
        { numRuns: 1500 },
      );
    });
  }

  it('without inMatch, scans from each window start (the caller says no match starts elsewhere), with group indices in text positions', () => {
    const re = /(?<![A-Za-z0-9])(?<k>[a-z_]{0,10}key)\s?=\s?(?<s>[A-Za-z0-9]{8,20})/dg;
    const text = `${'filler text. '.repeat(50)}api_key=Zx9q7Lm2Vb8N ${'more words '.repeat(40)}db_key = Qw3e4r5t6y7u8i`;
    const ends = [...text.matchAll(/key/g)].map((m) => m.index + 3);
    const found = matchesInWindows({ re, maxLength: 40 }, text, ends.map((e) => [e - 40, e] as const));
    expect(found.map((m) => [m.index, m[0]])).toEqual([...text.matchAll(new RegExp(re.source, 'g'))].map((m) => [m.index, m[0]]));
    for (const m of found) expect(text.slice(...m.indices!.groups!['s']!)).toBe(m.groups!['s']);
  });

  it('leaves the shared regex as it found it (lastIndex 0), whatever the windows', () => {
    const text = 'mac 00:1a:2b:3c:4d:5e and 0A-1B-2C-3D-4E-5F here';
    expect(matchesInWindows(patterns.mac!, text, [[0, 10], [20, 30]]).map((m) => m[0])).toEqual(['00:1a:2b:3c:4d:5e', '0A-1B-2C-3D-4E-5F']);
    expect(patterns.mac!.re.lastIndex).toBe(0);
  });

  it('stops after `limit` matches, leaving the regex at lastIndex 0', () => {
    const text = 'mac 00:1a:2b:3c:4d:5e and 0A-1B-2C-3D-4E-5F here';
    const windows = [[20, 30], [0, 10]] as const;
    expect(matchesInWindows(patterns.mac!, text, windows, 1).map((m) => [m.index, m[0]])).toEqual([[4, '00:1a:2b:3c:4d:5e']]);
    expect(patterns.mac!.re.lastIndex).toBe(0);
    expect(matchesInWindows(patterns.mac!, text, windows, 2).map((m) => m[0])).toEqual(['00:1a:2b:3c:4d:5e', '0A-1B-2C-3D-4E-5F']);
  });

  it('reads from the last character no match can hold, so a chain of dates before a window is read as the whole scan reads it', () => {
    // The whole scan takes "1.2.30" and then nothing; a scan started at "30" would take "30.4.99".
    const text = 'x 1.2.30.4.99 y';
    expect(whole(patterns.numericDate!, text)).toEqual([[2, '1.2.30']]);
    expect(matchesInWindows(patterns.numericDate!, text, [[5, 9]])).toEqual([]);
    expect(matchesInWindows(patterns.numericDate!, text, [[0, 9]]).map((m) => m[0])).toEqual(['1.2.30']);
  });
});
