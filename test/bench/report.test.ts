import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BenchResult, type Cell, checkPipelineTargets, checkTargets, FLOOR, renderDoc } from '../../src/bench/report.js';
import { measurePipeline, type PipelineResult, writeDocsSection } from '../../src/bench/pipeline.js';

const result: BenchResult = {
  meta: {
    date: '2026-11-26T00:00:00Z',
    finished: '2026-11-26T00:05:00Z',
    commit: 'abc1234',
    node: 'v20',
    kernel: 'k',
    cpus: 2,
    cpuModel: 'cpu',
    memGiB: 24,
    loadgen: 'wrk',
    pinning: 'none',
    durationS: 5,
    warmupS: 1,
    prewarmS: 3,
    probeN: 200,
    backgroundCpuPct: 0,
    backgroundTop: '',
    bodies: {},
    guards: ['injection'],
    portkey: 'skipped',
  },
  targets: [],
  cells: [],
  probes: [],
  integrity: [],
  failures: [],
};

describe('docs/benchmarks.md', () => {
  it('keeps the notes, the peer comparison and the bench:pipeline section when npm run bench rewrites it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cg-bench-doc-')), 'benchmarks.md');
    writeFileSync(file, renderDoc(result, file));
    writeDocsSection('pipeline figures 1\n', file);
    writeFileSync(file, readFileSync(file, 'utf8').replace('<!-- notes:start -->\n', '<!-- notes:start -->\nmy notes\n'));
    writeFileSync(file, renderDoc({ ...result, meta: { ...result.meta, commit: 'def5678' } }, file));
    const doc = readFileSync(file, 'utf8');
    expect(doc).toContain('def5678');
    expect(doc).not.toContain('abc1234');
    expect(doc).toContain('my notes');
    expect(doc.match(/<!-- pipeline:start -->\npipeline figures 1\n<!-- pipeline:end -->/g)).toHaveLength(1);
    expect(doc.indexOf('<!-- pipeline:start -->')).toBeGreaterThan(doc.indexOf('<!-- peer:end -->'));
    // A later bench:pipeline run replaces its section in place.
    writeDocsSection('pipeline figures 2\n', file);
    expect(readFileSync(file, 'utf8').match(/<!-- pipeline:start -->/g)).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toContain('pipeline figures 2');
  });
});

describe('issue-2 targets next to the bare Node floor', () => {
  const at = (target: string, mode: string, conns: number, p50Us: number, p99Us: number, gwCpuUsPerReq?: number): Cell => ({
    target,
    mode,
    conns,
    rps: 1000,
    requests: 5000,
    errors: 0,
    p50Us,
    p99Us,
    ...(gwCpuUsPerReq === undefined ? {} : { gwCpuPct: 100, gwCpuUsPerReq, gwRssMaxMiB: 90 }),
    otherCpuPct: 0,
  });
  const run: BenchResult = {
    ...result,
    cells: [
      at('direct', 'nonstream', 1, 100, 400),
      at('clawguard', 'nonstream', 1, 700, 5000, 300),
      at(FLOOR, 'nonstream', 1, 250, 900, 60),
      at('clawguard', 'nonstream', 32, 7000, 20000, 250),
      at('portkey', 'nonstream', 32, 30000, 90000, 1000),
      at(FLOOR, 'nonstream', 32, 2000, 5000, 60),
    ],
  };

  it('says what the 10× goal leaves above the floor, and is never counted as a target', () => {
    const checks = checkTargets(run);
    const throughput = checks.find((c) => c.target === 'throughput c=32 nonstream, default guards')!;
    expect(throughput.met).toBe(false);
    expect(throughput.margin).toContain('needs ≤ 100 µs/req');
    const floor = checks.find((c) => c.target === `for scale: bare Node proxy (${FLOOR}), c=32 nonstream`)!;
    expect(floor.met).toBeUndefined();
    expect(floor.measured).toBe('60 µs/req = 16.7× Portkey; RSS max 90.0 MiB');
    expect(floor.margin).toContain('leaves 40 µs/req above this floor');
    expect(floor.margin).toContain('ClawGuard spends 190');
    const latency = checks.find((c) => c.target === `for scale: bare Node proxy (${FLOOR}), added latency c=1 nonstream`)!;
    expect(latency.measured).toBe('p50 0.150 ms, p99 0.500 ms');
    expect(latency.met).toBeUndefined();
  });

  it('adds no floor rows to a run without the floor', () => {
    const checks = checkTargets({ ...run, cells: run.cells.filter((c) => c.target !== FLOOR) });
    expect(checks.some((c) => c.target.startsWith('for scale'))).toBe(false);
    expect(checks.find((c) => c.target === 'added latency c=1 nonstream p50')!.measured).toBe('0.600 ms (0.70 vs direct 0.10)');
  });
});

describe('issue-4 targets: the input pipeline measured by npm run bench', () => {
  const rate = (name: string, cpuUs: number, bytes: number) => ({ name, calls: 1000, cpuUs, callsPerCpuSecond: 1e6 / cpuUs, mbPerCpuSecond: bytes / cpuUs });
  const pipeline = (ordinaryUs: number, ratios: number[]): PipelineResult => ({
    date: '2026-11-27T00:00:00Z',
    node: 'v20',
    cpu: 'cpu',
    loadavg: [0],
    textBytes: { ordinary: 2000, guardrailsSample: 2000 },
    defaultGuards: ['injection', 'pii', 'secrets'],
    rates: [rate('default input pipeline (all default input guards, GuardEngine.inspect, no cache), ordinary 2 KB', ordinaryUs, 2000)],
    guardrails: { version: '0.2.1', rates: [rate('guardrails pii() default entities (40), guardrails sample 2 KB', 100, 2000)], sideBySide: { rounds: ratios.length, ratios, median: [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]! } },
    f1: { types: ['EMAIL_ADDRESS'], ours: { tp: 9, fp: 0, fn: 1, precision: 1, recall: 0.9, f1: 0.947 }, oursAll: { tp: 9, fp: 0, fn: 1, precision: 1, recall: 0.9, f1: 0.947 }, guardrails: { tp: 5, fp: 5, fn: 5, precision: 0.5, recall: 0.5, f1: 0.5 }, rows: 10 },
    notes: [],
  });

  it('judges MB per CPU second, the median ratio to guardrails and F1 against the goals', () => {
    const slow = checkPipelineTargets(pipeline(80, [0.7, 0.8, 0.9]));
    expect(slow.map((t) => t.met)).toEqual([false, false, true]);
    const withRest = checkPipelineTargets({ ...pipeline(80, [0.8]), rates: [...pipeline(80, [0.8]).rates, rate('  the same pipeline without the injection guard, ordinary 2 KB', 10, 2000)] });
    expect(withRest.find((t) => t.target.startsWith('for scale'))).toMatchObject({ met: undefined, measured: '200.0 MB/s on ordinary English' });
    expect(slow[0]!.measured).toContain('25.0 MB/s');
    expect(slow[0]!.margin).toBe('needs ≤ 40.0 µs per call');
    expect(slow[1]!.measured).toContain('0.80×');
    const fast = checkPipelineTargets(pipeline(30, [2.1, 2.5, 1.9]));
    expect(fast.map((t) => t.met)).toEqual([true, true, true]);
    expect(fast[1]!.measured).toContain('2.10×');
  });

  it('writes the pipeline section and the issue-4 rows from the run, replacing an older bench:pipeline section', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cg-bench-doc-')), 'benchmarks.md');
    writeFileSync(file, renderDoc(result, file));
    writeDocsSection('stale pipeline figures\n', file);
    writeFileSync(file, renderDoc({ ...result, pipeline: pipeline(80, [0.75]) }, file));
    const doc = readFileSync(file, 'utf8');
    expect(doc).not.toContain('stale pipeline figures');
    expect(doc.match(/<!-- pipeline:start -->/g)).toHaveLength(1);
    expect(doc).toContain('### Targets (issue 4');
    expect(doc).toMatch(/vs @openai\/guardrails 0\.2\.1 PII check .* \| 0\.75× /);
    // A run without the pipeline keeps the section the last run wrote.
    writeFileSync(file, renderDoc(result, file));
    expect(readFileSync(file, 'utf8')).toContain('0.75×');
  });
});

describe('bench:pipeline input', () => {
  it('refuses CPU seconds that are not a number above 0, before measuring anything', async () => {
    for (const bad of [Number.NaN, 0, -1, Number.POSITIVE_INFINITY]) await expect(measurePipeline(bad)).rejects.toThrow(/CPU seconds per row must be a number above 0/);
  });
});
