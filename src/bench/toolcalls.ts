/**
 * Cost of the tool-call guard per call: `evaluateToolCall` (rules + shell analyzer) on the `exec`
 * corpus of issue 5 (ordinary and dangerous developer commands), plus a few file and URL calls.
 * Every call is timed on its own after a warm-up; mean, p50, p99 and max per group, in microseconds.
 *
 *   node dist/bench/toolcalls.js [--json]      Env: BENCH_TOOLCALLS_ROUNDS (default 20)
 *
 * The corpus is read from test/guards/toolcalls/fixtures (next to the tests that assert its figures).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileToolPolicy, evaluateToolCall, shellParserReady, toolCallsConfigSchema } from '../guards/toolcalls/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = resolve(HERE, '../../test/guards/toolcalls/fixtures');

export interface CostRow {
  readonly group: string;
  readonly calls: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
  /** CPU time (user + system) per call: what the call costs even when the machine is busy with other work. */
  readonly cpuUs: number;
}

function stats(group: string, samples: number[], cpuMicros: number): CostRow {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const r = (n: number): number => Math.round(n * 1000) / 1000;
  return { group, calls: samples.length, meanUs: r(mean * 1000), p50Us: r(at(0.5) * 1000), p99Us: r(at(0.99) * 1000), maxUs: r(sorted[sorted.length - 1]! * 1000), cpuUs: r(cpuMicros / samples.length) };
}

export async function measureToolCallCost(rounds = 20): Promise<CostRow[]> {
  await shellParserReady();
  const policy = compileToolPolicy(toolCallsConfigSchema.parse({ profile: 'openclaw' }));
  const ordinary = readFileSync(resolve(FIXTURES, 'ordinary.txt'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const dangerous = readFileSync(resolve(FIXTURES, 'dangerous.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { cmd: string }).cmd);
  const groups: [string, [string, string][]][] = [
    ['exec, ordinary commands', ordinary.map((c) => ['exec', JSON.stringify({ command: c })])],
    ['exec, dangerous commands', dangerous.map((c) => ['exec', JSON.stringify({ command: c })])],
    [
      'read / write / web_fetch',
      [
        ['read', JSON.stringify({ path: 'src/index.ts' })],
        ['write', JSON.stringify({ path: '/tmp/marker', content: 'x'.repeat(2000) })],
        ['edit', JSON.stringify({ path: 'README.md', edits: [{ oldText: 'a', newText: 'b' }] })],
        ['web_fetch', JSON.stringify({ url: 'https://nodejs.org/en/docs?q=streams' })],
        ['web_fetch', JSON.stringify({ url: 'http://169.254.169.254/latest/meta-data/' })],
      ],
    ],
  ];
  for (let i = 0; i < 3; i++) for (const [, calls] of groups) for (const [tool, args] of calls) evaluateToolCall(policy, tool, args);
  const rows: CostRow[] = [];
  const all: number[] = [];
  let allCpu = 0;
  for (const [group, calls] of groups) {
    const samples: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let r = 0; r < rounds; r++) {
      for (const [tool, args] of calls) {
        const t0 = performance.now();
        evaluateToolCall(policy, tool, args);
        samples.push(performance.now() - t0);
      }
    }
    const cpu = process.cpuUsage(cpu0);
    allCpu += cpu.user + cpu.system;
    all.push(...samples);
    rows.push(stats(group, samples, cpu.user + cpu.system));
  }
  rows.push(stats('all calls', all, allCpu));
  return rows;
}

export function renderCost(rows: readonly CostRow[]): string {
  const lines = ['| calls | n | CPU µs/call | wall mean µs | p50 µs | p99 µs | max µs |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.group} | ${r.calls} | ${r.cpuUs.toFixed(1)} | ${r.meanUs.toFixed(1)} | ${r.p50Us.toFixed(1)} | ${r.p99Us.toFixed(1)} | ${r.maxUs.toFixed(1)} |`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const rounds = Number(process.env.BENCH_TOOLCALLS_ROUNDS ?? 20);
  const rows = await measureToolCallCost(rounds);
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(rows, null, 2)}\n` : `${renderCost(rows)}\n`);
}
