import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseIncompletePhoneNumber as shippedDigits, parsePhoneNumberFromString as shipped, type CountryCode } from 'libphonenumber-js/max';
import shippedMetadata from 'libphonenumber-js/metadata.max.json' with { type: 'json' };
import { describe, expect, it } from 'vitest';
import { parsePhone, parsePhoneNumberFromString, phoneDigitsReadDirectly, phoneNumberTypeKept, phoneParseDirect, phonePatternsCompiledOnce } from '../../../src/guards/pii/phone-numbers.js';

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

  it('parsePhone calls the library parse directly and answers as parsePhoneNumberFromString(text, { defaultCountry, extract: false })', () => {
    expect(phoneParseDirect).toBe(true);
    const odd = ['', '1', '12', '+12', '++12125550199', '+', '(', 'abc', '1 800 FLOWERS', '+1 212 555 0199 ext. 12', '212-555-0199#', 'tel:+1-212-555-0199', '+1 212 555 0199;ext=12'];
    const wide = ['＋１ ２１２ ５５５ ０１９９', '+٩٧١٥٠١٢٣٤٥٦٧', '۰۹۱۲۳۴۵۶۷۸۹', '1'.repeat(260), '+' + '4'.repeat(30)];
    for (const run of [...numbers(1500), ...odd, ...wide]) {
      expect(verdict(parsePhone(run)), run).toEqual(verdict(shipped(run, { extract: false })));
      for (const country of COUNTRIES) {
        expect(verdict(parsePhone(run, country)), `${run} in ${country}`).toEqual(verdict(shipped(run, { defaultCountry: country, extract: false })));
      }
    }
    // A country the metadata does not know is dropped, as the shipped entry point does.
    expect(verdict(parsePhone('+1 212-555-0199', 'ZZ' as CountryCode))).toEqual(verdict(shipped('+1 212-555-0199', { defaultCountry: 'ZZ' as CountryCode, extract: false })));
  });

  it("replaces parseIncompletePhoneNumber by a loop with the shipped function's answers", () => {
    expect(phoneDigitsReadDirectly).toBe(true);
    // The replaced helper of the CommonJS build (the ES-module copy imported above is the shipped one).
    const require = createRequire(import.meta.url);
    const file = join(dirname(require.resolve('libphonenumber-js/package.json')), 'build', 'parseIncompletePhoneNumber.js');
    const replaced = (require(file) as { default: (text: string) => string }).default;
    expect(replaced.name).toBe('parseIncompletePhoneNumber');
    const inputs = ['', '+', '++1', '+1+2', '1+2', '(415) 555-0132', '+44 (0)20 7946-0958', 'a+1b2', ' +1', '1\u00a02', '＋１２', '٣٤+٥', '۰۱۲', '+٣4', 'x\u{1F600}1', ...numbers(500)];
    for (const text of inputs) expect(replaced(text), text).toBe(shippedDigits(text));
  });

  it('replaces getNumberType by one that keeps its last answer, with the shipped answers in any order of calls', () => {
    expect(phoneNumberTypeKept).toBe(true);
    const require = createRequire(import.meta.url);
    const build = join(dirname(require.resolve('libphonenumber-js/package.json')), 'build');
    const replaced = (require(join(build, 'helpers', 'getNumberType.js')) as { default: (input: object, options: object | undefined, metadata: object) => string | undefined }).default;
    expect(replaced.name).toBe('getNumberType');
    const metadata = require('libphonenumber-js/metadata.max.json') as object;
    // The shipped helper's answer, from the ES-module copy: getType() of a number parsed there, for the country the parse chose.
    const shippedType = (national: string, country: string): { plan: string; type: string | undefined } | undefined => {
      const p = shipped(national, { defaultCountry: country as CountryCode, extract: false });
      return p?.country !== undefined && p.nationalNumber === national ? { plan: p.country, type: p.getType() } : undefined;
    };
    const nationals = [...numbers(300)].map((n) => n.replace(/[^0-9]/g, '')).filter((n) => n.length >= 2);
    const countries = ['US', 'GB', 'DE', 'IN', 'CA', 'AG'];
    let compared = 0;
    for (let i = 0; i < nationals.length; i++) {
      // Each number twice in a row, under both option shapes, and again after another plan.
      const national = nationals[i]!;
      for (const country of [countries[i % countries.length]!, countries[i % countries.length]!, countries[(i + 1) % countries.length]!]) {
        const expected = shippedType(national, country);
        if (expected === undefined) continue;
        expect(replaced({ country: expected.plan, phone: national }, undefined, metadata), `${national} in ${expected.plan}`).toBe(expected.type);
        expect(replaced({ country: expected.plan, nationalNumber: national, phone: 'ignored' }, { v2: true }, metadata), `${national} in ${expected.plan} (v2)`).toBe(expected.type);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(300);
    // Same number, another plan given by calling code; same plan, another metadata object.
    expect(replaced({ countryCallingCode: '1', phone: '2125550199' }, undefined, metadata)).toBe(shipped('+12125550199')?.getType());
    expect(replaced({ countryCallingCode: '44', phone: '2125550199' }, undefined, metadata)).toBe(shipped('+442125550199')?.getType());
    expect(replaced({ country: 'US', phone: '2125550199' }, undefined, shippedMetadata)).toBe(replaced({ country: 'US', phone: '2125550199' }, undefined, metadata));
  });
});
