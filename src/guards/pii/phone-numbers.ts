/**
 * libphonenumber-js (full metadata), with each of its regular expressions compiled once.
 *
 * The library tests metadata patterns through one helper that builds
 * `new RegExp('^(?:' + pattern + ')$')` on every call: half of its time on a US number (whose
 * country is found by testing the patterns of every country sharing +1), and most of the PII
 * guard's time on text full of phone numbers. Its CommonJS build calls that helper through the
 * helper module's `default` export at call time, so the export is replaced by one that keeps each
 * compiled expression (the patterns are the metadata's: a few thousand distinct strings at most).
 * Results cannot change: the expression has no `g`/`y` flag, so a kept one holds no state.
 *
 * Only this module's instance of the library is affected (the CommonJS build; an ES-module import
 * of libphonenumber-js elsewhere is a separate copy). If a later version of the library moves the
 * helper, nothing is replaced, the library runs as shipped, and `phonePatternsCompiledOnce` is
 * false, which test/guards/pii/phone-numbers.test.ts reports.
 *
 * The same way, `parseIncompletePhoneNumber` reads ASCII strings with a plain loop, and `parsePhone`
 * calls the library's `parse` without the entry point's wrappers (see each below).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { CountryCode } from 'libphonenumber-js/max';

type Library = typeof import('libphonenumber-js/max');

const require = createRequire(import.meta.url);
const library = require('libphonenumber-js/max') as Library;

/** Bound on kept expressions, far above the metadata's distinct patterns: a guard against surprises. */
const MAX_COMPILED = 20_000;
const compiled = new Map<string, RegExp>();

function matchesEntirely(text: string | undefined, pattern: string): boolean {
  let re = compiled.get(pattern);
  if (re === undefined) {
    re = new RegExp(`^(?:${pattern})$`);
    if (compiled.size < MAX_COMPILED) compiled.set(pattern, re);
  }
  return re.test(text || '');
}

function compilePatternsOnce(): boolean {
  try {
    const helperFile = join(dirname(require.resolve('libphonenumber-js/package.json')), 'build', 'helpers', 'matchesEntirely.js');
    const helper = require(helperFile) as { default?: unknown };
    if (typeof helper.default !== 'function' || helper.default.length !== 2) return false;
    helper.default = matchesEntirely;
    return true;
  } catch {
    return false;
  }
}

/** Whether the library's pattern helper was replaced (false: it runs as shipped, slower). */
export const phonePatternsCompiledOnce = compilePatternsOnce();

/**
 * `parseIncompletePhoneNumber` (the digits and a leading `+` of a string; a parse calls it twice)
 * walks the string through `split('')`, an iterator helper and a table lookup per character: a fifth
 * of a parse. Replaced, the same way and under the same conditions as the pattern helper, by a loop
 * that answers for ASCII strings (every run the PII scanner sends: its only digits are ASCII, and the
 * library's table maps no other ASCII character) and hands any other string to the shipped function.
 */
function readDigitsDirectly(): boolean {
  try {
    const file = join(dirname(require.resolve('libphonenumber-js/package.json')), 'build', 'parseIncompletePhoneNumber.js');
    const helper = require(file) as { default?: unknown };
    if (typeof helper.default !== 'function' || helper.default.length !== 1) return false;
    const shipped = helper.default as (text: string) => string;
    helper.default = function parseIncompletePhoneNumber(text: string): string {
      let digits = '';
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 48 && c <= 57) digits += text[i];
        // `+` only first; any other ASCII character is dropped.
        else if (c === 43) {
          if (digits === '') digits = '+';
        } else if (c >= 128) return shipped(text);
      }
      return digits;
    };
    return true;
  } catch {
    return false;
  }
}

/** Whether `parseIncompletePhoneNumber` was replaced (test/guards/pii/phone-numbers.test.ts compares it with the shipped one). */
export const phoneDigitsReadDirectly = readDigitsDirectly();

/** What the library's `getNumberType` reads of its input: the numbering plan and the national number. */
interface NumberTypeInput {
  readonly country?: string;
  readonly countryCallingCode?: string;
  readonly phone?: string;
  readonly nationalNumber?: string;
}
type NumberType = (input: NumberTypeInput, options: { v2?: boolean } | undefined, metadata: object) => string | undefined;

/**
 * `getNumberType` (helpers/getNumberType.js) tests a national number against its plan's type patterns.
 * A parse runs it for the country the number belongs to (getCountryByNationalNumber: every valid US
 * number), and `isValid()` right after runs it again on the same number and plan: a quarter of a
 * valid number's parse. Replaced, the same way and under the same conditions as the helpers above, by
 * one that keeps its last answer. Its answer is a function of the metadata, the plan
 * (`country || countryCallingCode`) and the national number (`nationalNumber` with `v2`, else
 * `phone`) only, which is what the kept answer is keyed on.
 */
function keepLastNumberType(): boolean {
  try {
    const file = join(dirname(require.resolve('libphonenumber-js/package.json')), 'build', 'helpers', 'getNumberType.js');
    const helper = require(file) as { default?: unknown };
    if (typeof helper.default !== 'function' || helper.default.length !== 3) return false;
    const shipped = helper.default as NumberType;
    let lastMetadata: object | undefined;
    let lastPlan: string | undefined;
    let lastNumber: string | undefined;
    let lastType: string | undefined;
    helper.default = function getNumberType(input: NumberTypeInput, options: { v2?: boolean } | undefined, metadata: object): string | undefined {
      const plan = input.country || input.countryCallingCode;
      const number = options && options.v2 ? input.nationalNumber : input.phone;
      if (typeof plan !== 'string' || typeof number !== 'string') return shipped(input, options, metadata);
      if (metadata === lastMetadata && plan === lastPlan && number === lastNumber) return lastType;
      const type = shipped(input, options, metadata);
      lastMetadata = metadata;
      lastPlan = plan;
      lastNumber = number;
      lastType = type;
      return type;
    } satisfies NumberType;
    return true;
  } catch {
    return false;
  }
}

/** Whether `getNumberType` keeps its last answer (test/guards/pii/phone-numbers.test.ts compares it with the shipped one). */
export const phoneNumberTypeKept = keepLastNumberType();

export const parsePhoneNumberFromString: Library['parsePhoneNumberFromString'] = library.parsePhoneNumberFromString;
export type { CountryCode };

type PhoneNumber = NonNullable<ReturnType<Library['parsePhoneNumberFromString']>>;
type Parse = (text: string, options: object, metadata: object) => PhoneNumber;

/**
 * The library's own `parse` (build/parse.js), called the way `parsePhoneNumberFromString(text,
 * { defaultCountry, extract: false })` calls it, without the wrappers in between: argument
 * normalization, two Babel object spreads of the options and a copy of the arguments (about a third
 * of a call's time). Its options objects are built once per country. Undefined, and the shipped
 * entry point used, if a later version of the library moves the function.
 */
function loadParse(): { parse: Parse; metadata: object; ParseError: new (...args: never[]) => Error } | undefined {
  try {
    const build = join(dirname(require.resolve('libphonenumber-js/package.json')), 'build');
    const parse = (require(join(build, 'parse.js')) as { default?: unknown }).default;
    const ParseError = (require(join(build, 'ParseError.js')) as { default?: unknown }).default;
    const metadata = require('libphonenumber-js/metadata.max.json') as object;
    if (typeof parse !== 'function' || parse.length !== 3 || typeof ParseError !== 'function' || ParseError !== library.ParseError) return undefined;
    return { parse: parse as Parse, metadata, ParseError: ParseError as new (...args: never[]) => Error };
  } catch {
    return undefined;
  }
}
const direct = loadParse();

/** Whether `parsePhone` calls the library's `parse` directly (false: through the shipped entry point). */
export const phoneParseDirect = direct !== undefined;

const INTERNATIONAL = Object.freeze({ extract: false, v2: true });
const NATIONAL = new Map<string, object>();

/**
 * `parsePhoneNumberFromString(text, { defaultCountry: country, extract: false })` (`{ extract: false }`
 * without a country), the same answer for every input (test/guards/pii/phone-numbers.test.ts).
 */
export function parsePhone(text: string, country?: CountryCode): PhoneNumber | undefined {
  if (direct === undefined) return library.parsePhoneNumberFromString(text, country ? { defaultCountry: country, extract: false } : { extract: false });
  let options: object = INTERNATIONAL;
  if (country) {
    let o = NATIONAL.get(country);
    if (o === undefined) {
      // The shipped entry point drops a country the metadata does not know.
      o = Object.freeze(library.isSupportedCountry(country) ? { defaultCountry: country, extract: false, v2: true } : INTERNATIONAL);
      NATIONAL.set(country, o);
    }
    options = o;
  }
  try {
    return direct.parse(text, options, direct.metadata);
  } catch (error) {
    // The shipped entry point answers undefined for the library's ParseError and throws anything else.
    if (error instanceof direct.ParseError) return undefined;
    throw error;
  }
}
