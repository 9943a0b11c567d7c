import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BenchResult, renderDoc } from '../../src/bench/report.js';
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
