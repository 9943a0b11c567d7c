import { parsePhoneNumberFromString as shipped, type CountryCode } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { parsePhoneNumberFromString, phonePatternsCompiledOnce } from '../../../src/guards/pii/phone-numbers.js';

const COUNTRIES: CountryCode[] = ['US', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'IN', 'BR', 'JP', 'CN', 'AU', 'CA'];

/** Deterministic pseudo-random digits (xorshift), so a failure names a reproducible number. */
function* numbers(count: number): Generator<string> {
  let x = 0x9e3779b9;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const shapes = [(d: string) => d, (d: string) => `+${d}`, (d: string) => `0${d}`, (d: string) => `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`, (d: string) => `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}`];
  for (let i = 0; i < count; i++) {
    const length = 6 + (next() % 9);
    let digits = '';
    for (let k = 0; k < length; k++) digits += String(next() % 10);
    yield shapes[next() % shapes.length]!(digits);
  }
}

function verdict(p: ReturnType<typeof shipped>): unknown {
  return p && { valid: p.isValid(), possible: p.isPossible(), country: p.country, national: p.nationalNumber, type: p.getType() };
}

describe('phone numbers: libphonenumber with its patterns compiled once', () => {
  it('replaces the library helper that compiled a pattern on every call', () => {
    expect(phonePatternsCompiledOnce).toBe(true);
  });

  it('gives the shipped library answers for national and international numbers', () => {
    const inputs = [...numbers(1500), '(415) 555-0132', '+1 212-555-0199', '650.555.0147', '+44 20 7946 0958', '030 901820', '+49 30 901820', '06 12 34 56 78', '416 555 0123'];
    let valid = 0;
    for (const run of inputs) {
      expect(verdict(parsePhoneNumberFromString(run, { extract: false })), run).toEqual(verdict(shipped(run, { extract: false })));
      for (const country of COUNTRIES) {
        const ours = verdict(parsePhoneNumberFromString(run, { defaultCountry: country, extract: false }));
        expect(ours, `${run} in ${country}`).toEqual(verdict(shipped(run, { defaultCountry: country, extract: false })));
        if ((ours as { valid?: boolean } | undefined)?.valid) valid++;
      }
    }
    // The generated numbers reach the validation patterns, not only the length checks.
    expect(valid).toBeGreaterThan(500);
  });
});
