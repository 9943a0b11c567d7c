#!/usr/bin/env node
// `npm run fuzz`: every property under test/fuzz with FUZZ_RUNS times its normal-suite cases
// (default 45: about 115k cases), a fresh random seed unless FUZZ_SEED is set, then a summary
// table. Exit 1 when a property failed or fewer than FUZZ_MIN_CASES (default 100,000) ran.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = process.env.FUZZ_RUNS ?? '45';
const seed = process.env.FUZZ_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
const minCases = Number(process.env.FUZZ_MIN_CASES ?? '100000');
const report = join(mkdtempSync(join(tmpdir(), 'clawguard-fuzz-')), 'report.jsonl');
const files = process.argv.slice(2);

console.log(`fuzz: FUZZ_RUNS=${runs} FUZZ_SEED=${seed} (rerun a failure with the same FUZZ_SEED)`);
const started = Date.now();
const result = spawnSync('npx', ['vitest', 'run', ...(files.length ? files : ['test/fuzz']), '--testTimeout', '3600000', '--hookTimeout', '120000'], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: runs, FUZZ_SEED: seed, FUZZ_REPORT: report },
});

const rows = existsSync(report) ? readFileSync(report, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
const width = Math.max(8, ...rows.map((r) => r.property.length));
const line = (a, b, c, d) => `| ${a.padEnd(width)} | ${String(b).padStart(8)} | ${String(c).padStart(8)} | ${String(d).padStart(8)} |`;
console.log(`\n${line('property', 'cases', 'failures', 'ms')}`);
console.log(`|${'-'.repeat(width + 2)}|${'-'.repeat(10)}|${'-'.repeat(10)}|${'-'.repeat(10)}|`);
let cases = 0;
let failures = 0;
for (const r of rows) {
  cases += r.cases;
  failures += r.failures;
  console.log(line(r.property, r.cases, r.failures, r.ms));
}
console.log(line('total', cases, failures, Date.now() - started));
console.log(`seed ${seed}`);
if (result.status !== 0 || failures > 0) process.exit(1);
if (files.length === 0 && cases < minCases) {
  console.error(`only ${cases} cases ran; expected at least ${minCases}`);
  process.exit(1);
}
