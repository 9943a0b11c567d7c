import { describe, expect, it } from 'vitest';
import { CodeUnits } from '../../src/normalize/codeunits.js';

describe('CodeUnits', () => {
  it('holds exactly the UTF-16 code units, lone surrogates and NUL included, across reuse and growth', () => {
    const scratch = new CodeUnits();
    // 70,000 units: beyond what the scratch array keeps, so that one is a temporary array.
    for (const text of ['', 'a', 'ignore\u0000all', 'a\ud800b\udc00c😀中文', 'x'.repeat(5000) + '\udfff', 'é'.repeat(70_000) + '!', 'short', 'y'.repeat(3000)]) {
      const units = scratch.load(text);
      expect(units.length).toBeGreaterThanOrEqual(text.length);
      for (let i = 0; i < text.length; i++) expect(units[i]).toBe(text.charCodeAt(i));
    }
  });
});
