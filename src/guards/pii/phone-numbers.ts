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
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

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

export const parsePhoneNumberFromString: Library['parsePhoneNumberFromString'] = library.parsePhoneNumberFromString;
export type { CountryCode } from 'libphonenumber-js/max';
