import type { EvalOptions, EvalReport, EvalSuite } from './types.js';

/** Runs the named suites (all when `names` is empty) in order. Unknown names are an error. */
export async function runSuites(suites: readonly EvalSuite[], names: readonly string[], options: EvalOptions): Promise<EvalReport[]> {
  const chosen = selectSuites(suites, names);
  const reports: EvalReport[] = [];
  for (const suite of chosen) reports.push(await suite.run(options));
  return reports;
}

export function selectSuites(suites: readonly EvalSuite[], names: readonly string[]): EvalSuite[] {
  if (names.length === 0) return [...suites];
  const byName = new Map(suites.map((s) => [s.name, s]));
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length > 0) {
    throw new Error(`unknown suite(s): ${unknown.join(', ')}; known: ${suites.map((s) => s.name).join(', ') || 'none'}`);
  }
  return names.map((n) => byName.get(n)!);
}
