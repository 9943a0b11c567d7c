import { describe, expect, it } from 'vitest';
import { randomRequestId } from '../../src/gateway/request-id.js';

describe('randomRequestId', () => {
  it('makes version 4 UUIDs, as crypto.randomUUID does, all different', () => {
    const seen = new Set<string>();
    const digits = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const id = randomRequestId();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
      digits.add(`${i % 36}:${id[i % 36]}`);
    }
    expect(seen.size).toBe(50_000);
    // Each of the 30 free positions takes all 16 digits; the 4 dashes and the version one value, the variant 4.
    expect(digits.size).toBe(30 * 16 + 4 + 1 + 4);
  });
});
