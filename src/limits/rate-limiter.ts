/** Result of taking from a counter: whether it fit, what is left, and when the window resets. */
export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Milliseconds until the current window ends. */
  readonly resetMs: number;
}

/**
 * Fixed-window counters. `consume` checks and takes in one step (one round trip for Redis);
 * `add` takes without checking (output tokens counted after the answer).
 */
/** One counter to check and take from. */
export interface CounterCheck {
  readonly key: string;
  readonly cost: number;
  readonly limit: number;
  readonly windowMs: number;
}

export interface CounterStore {
  readonly kind: 'memory' | 'redis';
  /**
   * Checks every counter and, only when all fit, takes from all of them — atomically, in one round
   * trip for Redis. Returns a decision per check (in order).
   */
  consumeAll(checks: readonly CounterCheck[], now?: number): Promise<RateDecision[]>;
  consume(key: string, cost: number, limit: number, windowMs: number, now?: number): Promise<RateDecision>;
  add(key: string, cost: number, windowMs: number, now?: number): Promise<void>;
  close(): Promise<void>;
}

export function windowStart(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}

/** In-process counters: the single-replica default. Expired windows are dropped as they are met. */
export class MemoryCounterStore implements CounterStore {
  readonly kind = 'memory' as const;
  private readonly counters = new Map<string, { start: number; count: number }>();
  private sweepAt = 0;

  private current(key: string, windowMs: number, now: number): { start: number; count: number } {
    const start = windowStart(now, windowMs);
    let entry = this.counters.get(key);
    if (!entry || entry.start !== start) {
      entry = { start, count: 0 };
      this.counters.set(key, entry);
    }
    if (now > this.sweepAt) this.sweep(now);
    return entry;
  }

  private sweep(now: number): void {
    this.sweepAt = now + 60_000;
    if (this.counters.size < 10_000) return;
    for (const [key, entry] of this.counters) if (entry.start + 31 * 86_400_000 < now) this.counters.delete(key);
  }

  async consume(key: string, cost: number, limit: number, windowMs: number, now = Date.now()): Promise<RateDecision> {
    const entry = this.current(`${key}:${windowMs}`, windowMs, now);
    const resetMs = entry.start + windowMs - now;
    if (entry.count + cost > limit) return { allowed: false, limit, remaining: Math.max(0, limit - entry.count), resetMs };
    entry.count += cost;
    return { allowed: true, limit, remaining: limit - entry.count, resetMs };
  }

  async add(key: string, cost: number, windowMs: number, now = Date.now()): Promise<void> {
    this.current(`${key}:${windowMs}`, windowMs, now).count += cost;
  }

  async consumeAll(checks: readonly CounterCheck[], now = Date.now()): Promise<RateDecision[]> {
    return this.consumeAllNow(checks, now);
  }

  /** `consumeAll` answered at once: the limiter calls it on every request without a promise. */
  consumeAllNow(checks: readonly CounterCheck[], now = Date.now()): RateDecision[] {
    // Loops rather than map/every/map: this runs on every request.
    const entries: { start: number; count: number }[] = [];
    let fits = true;
    for (const c of checks) {
      const entry = this.current(`${c.key}:${c.windowMs}`, c.windowMs, now);
      entries.push(entry);
      if (entry.count + c.cost > c.limit) fits = false;
    }
    const decisions: RateDecision[] = [];
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i]!;
      const entry = entries[i]!;
      if (fits) entry.count += c.cost;
      // When the whole set does not fit, each check still says whether it alone would have.
      const allowed = fits || entry.count + c.cost <= c.limit;
      decisions.push({ allowed, limit: c.limit, remaining: Math.max(0, c.limit - entry.count), resetMs: entry.start + c.windowMs - now });
    }
    return decisions;
  }

  async close(): Promise<void> {
    this.counters.clear();
  }
}
