import type { Finding, GuardFailure } from './finding.js';
import type { Guard, GuardContext, PayloadSummary } from './guard.js';
import { type CachedResults, ScanCache } from './scan-cache.js';
import type { Segment } from './segment.js';

export interface ScanResult {
  readonly findings: Finding[];
  readonly failures: GuardFailure[];
}

/** Observes guard runs (metrics, logs). Never changes the outcome. */
export interface ScanObserver {
  guardFailed?(failure: GuardFailure): void;
}

class GuardTimeout extends Error {}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function withBudget<T>(promise: Promise<T>, ms: number, controller: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Reject before aborting: a guard that answers the abort at once (resolving with what it has,
      // often nothing) would otherwise settle the race first and pass the text unjudged.
      reject(new GuardTimeout(`exceeded its ${ms} ms budget`));
      controller.abort();
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The context guards see during one scan. One signal for the whole scan: when any async guard
 * overruns, the request fails closed, so the other guards still working on it may stop too. The
 * controller is made on first use: only async guards read it, and a stream scans every delta (an
 * AbortController per delta was 4 % of a streaming gateway's CPU). A class rather than an object
 * literal with a getter: building that literal (`{ ...ctx, get signal() {…} }`) cost 2.5–4 µs per
 * scan, most of a scan with few guards.
 */
class ScanContext implements GuardContext {
  readonly requestId: string;
  readonly direction: GuardContext['direction'];
  readonly principal?: GuardContext['principal'];
  private controller: AbortController | undefined;

  constructor(ctx: GuardContext) {
    this.requestId = ctx.requestId;
    this.direction = ctx.direction;
    if (ctx.principal !== undefined) this.principal = ctx.principal;
  }

  get signal(): AbortSignal {
    return this.abortable().signal;
  }

  abortable(): AbortController {
    return (this.controller ??= new AbortController());
  }
}

/** Records a guard's failure (and tells the observer). */
function recordFailure(failures: GuardFailure[], observer: ScanObserver | undefined, guard: Guard, error: unknown, segmentId?: string): void {
  const failure: GuardFailure = {
    guard: guard.id,
    ...(segmentId === undefined ? {} : { segmentId }),
    error: describe(error),
    timedOut: error instanceof GuardTimeout,
    failOpen: guard.failOpen,
  };
  failures.push(failure);
  observer?.guardFailed?.(failure);
}

/**
 * An async guard's findings, within its budget, into the scan's results (and the cache under `key`).
 * Its own function: closures written in the scan's loops made V8 allocate a context for every segment
 * and guard the loops went through, async or not.
 */
function settle(
  result: Promise<Finding[]>,
  guard: Guard,
  segmentId: string,
  key: string | undefined,
  cache: ScanCache,
  scanCtx: ScanContext,
  findings: Finding[],
  failures: GuardFailure[],
  observer: ScanObserver | undefined,
): Promise<void> {
  return withBudget(result, guard.timeoutMs, scanCtx.abortable()).then(
    (found) => {
      append(findings, found);
      if (key !== undefined) cache.set(guard.fingerprint, key, found);
    },
    (error: unknown) => recordFailure(failures, observer, guard, error, segmentId),
  );
}

/** `target.push(...items)` without spreading: a spread call copies its arguments, even none. */
function append(target: Finding[], items: readonly Finding[]): void {
  for (let i = 0; i < items.length; i++) target.push(items[i]!);
}

/**
 * Runs every applicable guard over every segment, using the cache, and the payload-level checks.
 * A guard that throws or overruns its budget yields a failure, never an empty (passing) result.
 */
export async function scanSegments(...args: Parameters<typeof startScan>): Promise<ScanResult> {
  const scan = startScan(...args);
  if (scan.pending) await scan.pending;
  return { findings: scan.findings, failures: scan.failures };
}

/**
 * `scanSegments` up to its asynchronous guards: the results are complete once `pending` (present only
 * when a guard answered with a promise) has settled. Most scans have none: callers that await only
 * `pending` save a promise and an await per scan. Allocates little per segment and guard (no
 * closures, no spread calls): every request scans twice.
 */
export function startScan(
  segments: readonly Segment[],
  guards: readonly Guard[],
  ctx: GuardContext,
  cache: ScanCache,
  payload?: Omit<PayloadSummary, 'segments'>,
  observer?: ScanObserver,
): ScanResult & { readonly pending?: Promise<unknown> } {
  const findings: Finding[] = [];
  const failures: GuardFailure[] = [];
  let pending: Promise<void>[] | undefined;

  if (payload) {
    // Built field by field: spreading payloads of two shapes (with and without totalChars) took
    // V8's slow object-clone path, about a microsecond per scan.
    const summary: PayloadSummary =
      payload.totalChars === undefined
        ? { direction: payload.direction, messageCount: payload.messageCount, segments }
        : { direction: payload.direction, messageCount: payload.messageCount, segments, totalChars: payload.totalChars };
    for (const guard of guards) {
      if (!guard.inspectPayload) continue;
      try {
        append(findings, guard.inspectPayload(summary, ctx));
      } catch (error) {
        recordFailure(failures, observer, guard, error);
      }
    }
  }

  const caching = cache.maxEntries > 0;
  const scanCtx = new ScanContext(ctx);
  for (const segment of segments) {
    let contentKey: string | undefined;
    let record: CachedResults | undefined;
    for (const guard of guards) {
      if (guard.appliesTo && !guard.appliesTo(segment)) continue;
      if (caching) {
        if (contentKey === undefined) {
          contentKey = ScanCache.contentKey(segment);
          record = cache.recordOf(contentKey);
        }
        const cached = cache.take(record, cache.slotOf(guard.fingerprint), segment.id);
        if (cached) {
          append(findings, cached);
          continue;
        }
      }
      const key = contentKey ?? '';
      const started = performance.now();
      let result: Finding[] | Promise<Finding[]>;
      try {
        result = guard.inspect(segment, scanCtx);
      } catch (error) {
        recordFailure(failures, observer, guard, error, segment.id);
        continue;
      }
      if (result instanceof Promise) {
        (pending ??= []).push(settle(result, guard, segment.id, caching ? key : undefined, cache, scanCtx, findings, failures, observer));
      } else {
        const elapsed = performance.now() - started;
        if (elapsed > guard.timeoutMs) {
          recordFailure(failures, observer, guard, new GuardTimeout(`took ${elapsed.toFixed(1)} ms, over its ${guard.timeoutMs} ms budget`), segment.id);
          continue;
        }
        append(findings, result);
        if (caching) cache.set(guard.fingerprint, key, result);
      }
    }
  }
  return pending ? { findings, failures, pending: Promise.all(pending) } : { findings, failures };
}
