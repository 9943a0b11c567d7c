import v8 from 'node:v8';
import { PerformanceObserver } from 'node:perf_hooks';

/**
 * How fast V8 lets the old generation grow between full collections, as a percentage per step.
 * V8's own heuristic grows it by up to 4× when collections are cheap, so under a burst of streams a
 * gateway whose live heap is ~80 MiB sat on ~150 MiB of garbage (RSS 340 MiB at 1,000 streams).
 * 20 % keeps the garbage near the live size (RSS 235 MiB, same throughput; docs/load.md).
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 20;

/**
 * Applies the gateway's heap growth setting at start (V8 reads it at every collection, so setting it
 * after start-up takes effect). `CLAWGUARD_HEAP_GROWING_PERCENT` overrides it, `0` leaves V8's
 * default; a `--heap-growing-percent` given to node itself wins over both. Returns what it set.
 */
export function tuneGatewayHeap(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): number | undefined {
  return applyV8Setting(
    { variable: 'CLAWGUARD_HEAP_GROWING_PERCENT', flag: 'heap-growing-percent', nodeFlags: /--heap[-_]growing[-_]percent/, fallback: DEFAULT_HEAP_GROWING_PERCENT, max: 1000 },
    env,
    execArgv,
  );
}

interface V8Setting {
  /** The environment variable that overrides the default; `0` leaves V8's own. */
  readonly variable: string;
  readonly flag: string;
  /** Flags that, given to node itself, win over both. */
  readonly nodeFlags: RegExp;
  readonly fallback: number;
  readonly max: number;
}

function applyV8Setting(setting: V8Setting, env: NodeJS.ProcessEnv, execArgv: readonly string[]): number | undefined {
  if ([...execArgv, env.NODE_OPTIONS ?? ''].some((arg) => setting.nodeFlags.test(arg))) return undefined;
  const raw = env[setting.variable];
  const value = raw === undefined || raw.trim() === '' ? setting.fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > setting.max) {
    throw new Error(`${setting.variable} must be a whole number from 0 to ${setting.max} (0: V8's default), got "${raw}"`);
  }
  if (value === 0) return undefined;
  v8.setFlagsFromString(`--${setting.flag}=${value}`);
  return value;
}

/**
 * The largest semi-space V8's young generation may grow to, in MiB. V8 starts at 1 MiB and doubles
 * up to 16 MiB under allocation pressure, which keeps ~32 MiB of young-generation pages resident once a
 * burst has passed. Smaller semi-spaces cost CPU: more objects of in-flight requests survive a
 * scavenge and are promoted, and the old generation is collected more often. Measured at c=32
 * (docs/load.md): 1 MiB +52 % CPU per request, 2 MiB +27 %, 8 MiB within noise of 16 MiB.
 */
export const DEFAULT_MAX_SEMI_SPACE_MIB = 8;

const MiB = 1024 * 1024;

/**
 * Caps the young generation's semi-spaces at `CLAWGUARD_MAX_SEMI_SPACE_MIB` (default 8; `0` leaves
 * V8's default). `--max-semi-space-size` is read only when node starts (a `clawguard serve` run as
 * `node dist/cli/main.js serve` has no flag), but V8 reads `--semi-space-growth-factor` each time it
 * grows the semi-spaces. This sets it to 1 (no growth) until `allowYoungGenerationGrowth()`: start-up
 * is one long run of synchronous code (module parsing, model tables) that would grow them to 16 MiB
 * before any check could run, so it must be called before the gateway's modules are even parsed
 * (src/cli/main.ts does). A young-generation size given to node itself (`--max-semi-space-size`,
 * `--min-semi-space-size`, `--semi-space-growth-factor`) wins. Returns the cap in MiB.
 */
export function tuneYoungGeneration(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): number | undefined {
  const nodeFlags = /--(max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor/;
  if ([...execArgv, env.NODE_OPTIONS ?? ''].some((arg) => nodeFlags.test(arg))) return undefined;
  const raw = env.CLAWGUARD_MAX_SEMI_SPACE_MIB;
  const cap = raw === undefined || raw.trim() === '' ? DEFAULT_MAX_SEMI_SPACE_MIB : Number(raw);
  if (!Number.isInteger(cap) || cap < 0 || cap > 1024) {
    throw new Error(`CLAWGUARD_MAX_SEMI_SPACE_MIB must be a whole number of MiB from 0 to 1024 (0: V8's default), got "${raw}"`);
  }
  if (cap === 0) return undefined;
  youngGeneration.cap = cap * MiB;
  if (!youngGeneration.observer) setGrowthFactor(1);
  return cap;
}

/**
 * Lets the young generation grow again, by doublings, up to the cap `tuneYoungGeneration` set (none
 * set: nothing to do): after every collection (a gc PerformanceObserver) the growth factor is 2 while
 * a doubling stays within the cap and 1 once it would not. A burst of synchronous allocation can
 * overshoot by one doubling before the check runs. The gateway calls it once it is serving.
 */
export function allowYoungGenerationGrowth(): void {
  if (youngGeneration.cap === 0 || youngGeneration.observer) return;
  youngGeneration.observer = new PerformanceObserver(checkYoungGeneration);
  youngGeneration.observer.observe({ entryTypes: ['gc'] });
  checkYoungGeneration();
}

const youngGeneration: { cap: number; factor: number; observer?: PerformanceObserver } = { cap: 0, factor: 0 };

function setGrowthFactor(factor: number): void {
  if (factor === youngGeneration.factor) return;
  v8.setFlagsFromString(`--semi-space-growth-factor=${factor}`);
  youngGeneration.factor = factor;
}

function checkYoungGeneration(): void {
  const newSpace = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  if (!newSpace) return;
  // V8 counts both semi-spaces once both are committed (one before the first scavenge); they start at 1 MiB.
  const semiSpace = Math.max(newSpace.space_size / 2, MiB);
  setGrowthFactor(semiSpace * 2 <= youngGeneration.cap ? 2 : 1);
}
