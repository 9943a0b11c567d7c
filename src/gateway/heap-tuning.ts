import v8 from 'node:v8';

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
 * How much V8 multiplies the young generation's semi-spaces by when it grows them. V8 starts them at
 * 1 MiB and doubles them up to 16 MiB under allocation pressure, which keeps ~32 MiB of young-generation
 * pages resident once a burst has passed. `--max-semi-space-size` is read only when node starts (a
 * `clawguard serve` run as `node dist/cli/main.js serve` has no flag), but V8 reads the growth factor
 * each time it grows them: 1 keeps the semi-spaces at their initial 1 MiB (docs/configuration.md).
 * It must be set before the gateway's modules are even parsed (src/cli/main.ts does).
 */
export const DEFAULT_SEMI_SPACE_GROWTH_FACTOR = 1;

/**
 * Applies the young-generation setting at start, before the guards load. `CLAWGUARD_SEMI_SPACE_GROWTH_FACTOR`
 * overrides it (`0` leaves V8's default); a young-generation size given to node itself
 * (`--max-semi-space-size`, `--min-semi-space-size`, `--semi-space-growth-factor`) wins over both.
 * Returns what it set.
 */
export function tuneYoungGeneration(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): number | undefined {
  return applyV8Setting(
    {
      variable: 'CLAWGUARD_SEMI_SPACE_GROWTH_FACTOR',
      flag: 'semi-space-growth-factor',
      nodeFlags: /--(max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor/,
      fallback: DEFAULT_SEMI_SPACE_GROWTH_FACTOR,
      max: 16,
    },
    env,
    execArgv,
  );
}
