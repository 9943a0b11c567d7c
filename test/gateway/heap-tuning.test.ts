import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HEAP_GROWING_PERCENT, DEFAULT_MAX_SEMI_SPACE_MIB, tuneGatewayHeap, tuneYoungGeneration } from '../../src/gateway/heap-tuning.js';

describe('gateway heap tuning', () => {
  it('sets the default growth, an override, or leaves V8 alone', () => {
    expect(tuneGatewayHeap({}, [])).toBe(DEFAULT_HEAP_GROWING_PERCENT);
    expect(tuneGatewayHeap({ CLAWGUARD_HEAP_GROWING_PERCENT: '35' }, [])).toBe(35);
    expect(tuneGatewayHeap({ CLAWGUARD_HEAP_GROWING_PERCENT: '0' }, [])).toBeUndefined();
  });

  it('never overrides a --heap-growing-percent given to node', () => {
    expect(tuneGatewayHeap({}, ['--heap-growing-percent=50'])).toBeUndefined();
    expect(tuneGatewayHeap({ NODE_OPTIONS: '--heap_growing_percent=50', CLAWGUARD_HEAP_GROWING_PERCENT: '20' }, [])).toBeUndefined();
  });

  it('refuses a value that is not a whole percentage, naming the variable', () => {
    for (const bad of ['-5', 'lots', '2.5', '5000']) {
      expect(() => tuneGatewayHeap({ CLAWGUARD_HEAP_GROWING_PERCENT: bad }, [])).toThrow(/CLAWGUARD_HEAP_GROWING_PERCENT must be a whole number/);
    }
  });

  it('keeps the old generation close to the live size under churn (the effect, in a real process)', () => {
    // Objects that live long enough to be promoted and then die (a stream's buffers): V8's default lets
    // the heap grow well past the live size; 20 % growth steps keep it near (measured: ~25 vs ~37 MB).
    const script = join(import.meta.dirname, 'heap-churn.mjs');
    const peak = (percent: string): number => {
      const run = spawnSync(process.execPath, ['--max-semi-space-size=2', script], { env: { ...process.env, CLAWGUARD_HEAP_GROWING_PERCENT: percent }, encoding: 'utf8', timeout: 60_000 });
      expect(run.status, run.stderr).toBe(0);
      return Number(run.stdout.trim());
    };
    const tuned = peak('20');
    const untuned = peak('0');
    expect(tuned).toBeLessThan(untuned * 0.85);
  });
});

describe('gateway young generation', () => {
  it('sets the default cap, an override, or leaves V8 alone', () => {
    expect(tuneYoungGeneration({}, [])).toBe(DEFAULT_MAX_SEMI_SPACE_MIB);
    expect(tuneYoungGeneration({ CLAWGUARD_MAX_SEMI_SPACE_MIB: '4' }, [])).toBe(4);
    expect(tuneYoungGeneration({ CLAWGUARD_MAX_SEMI_SPACE_MIB: '0' }, [])).toBeUndefined();
  });

  it('never overrides a young-generation size given to node', () => {
    expect(tuneYoungGeneration({}, ['--max-semi-space-size=2'])).toBeUndefined();
    expect(tuneYoungGeneration({}, ['--min_semi_space_size=4'])).toBeUndefined();
    expect(tuneYoungGeneration({ NODE_OPTIONS: '--semi-space-growth-factor=4', CLAWGUARD_MAX_SEMI_SPACE_MIB: '8' }, [])).toBeUndefined();
  });

  it('refuses a value that is not a whole number of MiB, naming the variable', () => {
    for (const bad of ['-1', 'big', '1.5', '2048']) {
      expect(() => tuneYoungGeneration({ CLAWGUARD_MAX_SEMI_SPACE_MIB: bad }, [])).toThrow(/CLAWGUARD_MAX_SEMI_SPACE_MIB must be a whole number/);
    }
  });

  it('grows the young generation up to the cap only, where V8 alone grows it to its maximum (in a real process)', () => {
    const script = join(import.meta.dirname, 'young-churn.mjs');
    const largest = (cap: string): number => {
      const run = spawnSync(process.execPath, [script], { env: { ...process.env, CLAWGUARD_MAX_SEMI_SPACE_MIB: cap }, encoding: 'utf8', timeout: 60_000 });
      expect(run.status, run.stderr).toBe(0);
      return (JSON.parse(run.stdout.trim()) as { largest: number }).largest;
    };
    const MiB = 1024 * 1024;
    // A cap that is a power of two is met exactly when the process yields between bursts, as a server does.
    expect(largest('1')).toBe(MiB);
    expect(largest('8')).toBe(8 * MiB);
    expect(largest('0')).toBeGreaterThan(8 * MiB);
  });
});
