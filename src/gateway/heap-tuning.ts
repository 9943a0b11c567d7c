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
  if ([...execArgv, env.NODE_OPTIONS ?? ''].some((arg) => /--heap[-_]growing[-_]percent/.test(arg))) return undefined;
  const raw = env.CLAWGUARD_HEAP_GROWING_PERCENT;
  const percent = raw === undefined || raw.trim() === '' ? DEFAULT_HEAP_GROWING_PERCENT : Number(raw);
  if (!Number.isInteger(percent) || percent < 0 || percent > 1000) {
    throw new Error(`CLAWGUARD_HEAP_GROWING_PERCENT must be a whole number from 0 to 1000 (0: V8's default), got "${raw}"`);
  }
  if (percent === 0) return undefined;
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
