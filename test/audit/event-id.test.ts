import { describe, expect, it } from 'vitest';
import { timeOrderedId } from '../../src/audit/log.js';

describe('event ids', () => {
  it('are UUIDv7-shaped: the millisecond in hex, version 7, the RFC 4122 variant, random bits elsewhere', () => {
    const now = Date.UTC(2026, 10, 26, 12, 0, 0, 123);
    const hex = now.toString(16).padStart(12, '0');
    const ids = Array.from({ length: 20_000 }, () => timeOrderedId(now));
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(id.slice(0, 8) + id.slice(9, 13)).toBe(hex);
    }
    expect(new Set(ids).size).toBe(ids.length);
    // Every random position takes every value it can (16 hex digits; 4 for the variant digit).
    for (const at of [15, 16, 17, 20, 21, 22, ...Array.from({ length: 12 }, (_, i) => 24 + i)]) expect(new Set(ids.map((id) => id[at])).size, `position ${at}`).toBe(16);
    expect(new Set(ids.map((id) => id[19]))).toEqual(new Set(['8', '9', 'a', 'b']));
  });

  it('sort in time order across milliseconds', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const ids = [0, 1, 2, 255, 256, 65_536, 86_400_000].map((d) => timeOrderedId(t0 + d));
    expect([...ids].sort()).toEqual(ids);
    expect(timeOrderedId(t0 + 0.9).slice(0, 13)).toBe(timeOrderedId(t0).slice(0, 13));
  });
});
