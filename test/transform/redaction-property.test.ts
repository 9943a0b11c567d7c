import { describe, expect, it } from 'vitest';
import { detectPii, piiConfigSchema } from '../../src/guards/pii/index.js';
import { createSecretsDetector, secretsConfigSchema } from '../../src/guards/secrets/index.js';
import { maskSpans, redactSpans } from '../../src/transform/operators.js';
import { pseudonymizeSpans } from '../../src/transform/pseudonymize.js';
import { PseudonymMap } from '../../src/transform/vault.js';

/** Small deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function luhnComplete(prefix: string, length: number, rand: () => number): string {
  let body = prefix;
  while (body.length < length - 1) body += String(Math.floor(rand() * 10));
  for (let d = 0; d < 10; d++) {
    const candidate = body + d;
    let sum = 0;
    for (let i = 0; i < candidate.length; i++) {
      let v = Number(candidate[candidate.length - 1 - i]);
      if (i % 2 === 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable');
}

const FILLER = ['please', 'check', 'the', 'invoice', 'for', 'our', 'team', 'today', 'and', 'reply', 'soon', 'thanks', '—', 'ok', '(draft)', '12', 'items'];
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function sensitiveValue(rand: () => number): string {
  const pick = Math.floor(rand() * 4);
  const word = (n: number) => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(rand() * 26)]).join('');
  if (pick === 0) return `${word(5)}.${word(4)}@${word(6)}.com`;
  if (pick === 1) return luhnComplete('4', 16, rand).replace(/(\d{4})(?=\d)/g, '$1 ');
  if (pick === 2) return 'gh' + 'p_' + Array.from({ length: 36 }, () => ALNUM[Math.floor(rand() * ALNUM.length)]).join('');
  return `192.168.${Math.floor(rand() * 255)}.${1 + Math.floor(rand() * 250)}`;
}

describe('redaction never leaves a detected value in the output', () => {
  const pii = piiConfigSchema.parse({});
  const secrets = createSecretsDetector(secretsConfigSchema.parse({}));

  it('holds over 300 random texts, for redact, mask and pseudonymize', () => {
    const rand = prng(20261125);
    for (let round = 0; round < 300; round++) {
      const parts: string[] = [];
      const planted: string[] = [];
      const n = 3 + Math.floor(rand() * 12);
      for (let i = 0; i < n; i++) {
        if (rand() < 0.25) {
          const v = sensitiveValue(rand);
          planted.push(v);
          parts.push(v);
        } else parts.push(FILLER[Math.floor(rand() * FILLER.length)]!);
      }
      const text = parts.join(' ');
      const spans = [
        ...detectPii(text, pii).map((c) => ({ start: c.start, end: c.end, type: `pii.${c.entity}` })),
        ...secrets(text).map((m) => ({ start: m.start, end: m.end, type: `secret.${m.id}` })),
      ];
      // A detected value that also occurs undetected elsewhere in the text (`items` tagged once) is not a leak of that finding.
      const detected = spans.map((s) => text.slice(s.start, s.end)).filter((v) => text.indexOf(v) === text.lastIndexOf(v));
      const redacted = redactSpans(text, spans);
      const pseudonymized = pseudonymizeSpans(text, spans, new PseudonymMap(`c${round}`));
      for (const value of [...detected, ...planted]) {
        expect(redacted).not.toContain(value);
        expect(pseudonymized).not.toContain(value);
      }
      const masked = maskSpans(text, spans);
      for (const value of planted) expect(masked).not.toContain(value);
    }
  });
});
