import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BenchResult, type Cell, checkTargets, FLOOR, renderDoc } from '../../src/bench/report.js';
import { writeDocsSection } from '../../src/bench/pipeline.js';

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
