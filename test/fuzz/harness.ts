import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { expect } from 'vitest';

/**
 * One harness for every fuzz property. In the normal suite each property runs its `base` number of
 * cases with a fixed seed (fast, reproducible). `FUZZ_RUNS=N` multiplies every count by N (the
 * `npm run fuzz` script sets it); `FUZZ_SEED` replaces the fixed seeds; `FUZZ_REPORT=file` appends
 * one JSON line per property (name, cases, failures, seed, ms) for the summary table.
 */
export const FUZZ_RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? '1') || 1);
const SEED_OVERRIDE = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

export function runsFor(base: number, cap = Number.MAX_SAFE_INTEGER, fuzzScale = 1): number {
  return Math.min(cap, Math.max(1, Math.round(base * FUZZ_RUNS * (FUZZ_RUNS > 1 ? fuzzScale : 1))));
}

function seedOf(name: string): number {
  if (SEED_OVERRIDE !== undefined && Number.isFinite(SEED_OVERRIDE)) return SEED_OVERRIDE | 0;
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h | 0;
}

function report(name: string, details: fc.RunDetails<any>, seed: number, ms: number): void {
  const file = process.env.FUZZ_REPORT;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ property: name, cases: details.numRuns, failures: details.failed ? 1 : 0, seed, ms: Math.round(ms) })}\n`);
}

function failureMessage(details: fc.RunDetails<any>): string {
  if (!details.failed) return '';
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  return `${fc.defaultReportMessage(details) ?? ''}\nerror: ${error.slice(0, 2000)}`;
}

export interface RunOptions {
  /** Cases in the normal suite; multiplied by FUZZ_RUNS. */
  readonly base: number;
  /** Never more than this many cases, whatever FUZZ_RUNS says (for properties through real HTTP). */
  readonly cap?: number;
  /** Extra factor under `npm run fuzz` only (FUZZ_RUNS > 1), for properties kept tiny in the normal suite. */
  readonly fuzzScale?: number;
}

/** Runs a synchronous property; a failure fails the test with fast-check's counterexample and seed. */
export function checkProperty<T>(name: string, arb: fc.Arbitrary<T>, predicate: (value: T) => boolean | void, options: RunOptions): void {
  const seed = seedOf(name);
  const started = performance.now();
  const details = fc.check(fc.property(arb, predicate), { numRuns: runsFor(options.base, options.cap, options.fuzzScale), seed });
  report(name, details, seed, performance.now() - started);
  expect(details.failed, failureMessage(details)).toBe(false);
}

export async function checkAsyncProperty<T>(name: string, arb: fc.Arbitrary<T>, predicate: (value: T) => Promise<boolean | void>, options: RunOptions): Promise<void> {
  const seed = seedOf(name);
  const started = performance.now();
  const details = await fc.check(fc.asyncProperty(arb, predicate), { numRuns: runsFor(options.base, options.cap, options.fuzzScale), seed });
  report(name, details, seed, performance.now() - started);
  expect(details.failed, failureMessage(details)).toBe(false);
}

/** Unicode that breaks naive code: lone surrogates, astral characters, combining marks, invisible and bidi controls, tag characters. */
export const nastyChar = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom('\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u202e', '\u202d', '\u2066', '\u2069', '\u00ad', '\u034f', '\u0301', '\u0336', '\ufe0f', '\u180e') },
  { weight: 1, arbitrary: fc.integer({ min: 0xe0000, max: 0xe007f }).map((c) => String.fromCodePoint(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom('а', 'е', 'о', 'р', 'с', 'і', 'ѕ', 'Ꭺ', 'ℐ', 'ｉ', 'ｇ', '𝐢', '𝗻', 'ſ', 'ß', 'İ', 'ﬁ', '\u0000', '\r', '\n', '\t') },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }) },
);
export const nastyString = (maxLength = 40): fc.Arbitrary<string> => fc.array(nastyChar, { maxLength }).map((a) => a.join(''));

/** Values a guard must find: a GitHub token, an AWS key id, an e-mail address (check the default policy for each direction). */
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// Detectors skip low-entropy look-alikes (`ghp_AAAA…`, placeholders) on purpose: planted values are
// drawn from a seeded generator, so shrinking changes the seed and never makes them less random.
function randomChars(seed: number, alphabet: string, length: number): string {
  let x = (seed ^ 0x9e3779b9) >>> 0;
  let out = '';
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out += alphabet[x % alphabet.length];
  }
  return out;
}
const looksRandom = (body: string, distinct: number) => new Set(body).size >= distinct && /[0-9]/.test(body) && /[A-Z]/.test(body);
export const githubToken = fc.integer().map((seed) => randomChars(seed, ALNUM, 36)).filter((b) => looksRandom(b, 20) && /[a-z]/.test(b)).map((b) => `gh${'p_'}${b}`);
export const awsKeyId = fc.integer().map((seed) => randomChars(seed, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)).filter((b) => looksRandom(b, 10) && !/EXAMPLE/.test(b)).map((b) => `AKIA${b}`);

/** Splits a string into pieces at random points (possibly empty pieces, possibly one piece). */
export function splitAt(text: string, cuts: readonly number[]): string[] {
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(text.length, c))))].sort((a, b) => a - b);
  const out: string[] = [];
  let last = 0;
  for (const p of points) {
    out.push(text.slice(last, p));
    last = p;
  }
  out.push(text.slice(last));
  return out;
}
