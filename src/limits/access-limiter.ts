import type { Logger } from 'pino';
import { type CounterStore, MemoryCounterStore, type RateDecision } from './rate-limiter.js';

/** Limits a role, a tenant or a client address may have. Absent fields mean no limit. */
export interface LimitRule {
  readonly requestsPerMinute?: number | undefined;
  readonly tokensPerMinute?: number | undefined;
  readonly tokensPerDay?: number | undefined;
  readonly tokensPerMonth?: number | undefined;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const MONTH = 30 * DAY;

interface Check {
  readonly key: string;
  readonly cost: number;
  readonly limit: number;
  readonly windowMs: number;
  readonly name: string;
}

function limited(rule: LimitRule): boolean {
  return rule.requestsPerMinute !== undefined || rule.tokensPerMinute !== undefined || rule.tokensPerDay !== undefined || rule.tokensPerMonth !== undefined;
}

function addChecks(out: Check[], scope: string, rule: LimitRule, estimatedTokens: number): void {
  if (rule.requestsPerMinute !== undefined) out.push({ key: `${scope}:req`, cost: 1, limit: rule.requestsPerMinute, windowMs: MINUTE, name: 'requests' });
  if (rule.tokensPerMinute !== undefined) out.push({ key: `${scope}:tok`, cost: estimatedTokens, limit: rule.tokensPerMinute, windowMs: MINUTE, name: 'tokens' });
  if (rule.tokensPerDay !== undefined) out.push({ key: `${scope}:tok`, cost: estimatedTokens, limit: rule.tokensPerDay, windowMs: DAY, name: 'tokens-day' });
  if (rule.tokensPerMonth !== undefined) out.push({ key: `${scope}:tok`, cost: estimatedTokens, limit: rule.tokensPerMonth, windowMs: MONTH, name: 'tokens-month' });
}

/** The outcome of a request's checks from the store's decisions (undefined: the store is down and refuses). */
function outcome(checks: readonly Check[], decisions: readonly RateDecision[] | undefined): LimitOutcome {
  const headers: Record<string, string> = {};
  if (decisions === undefined) {
    return { allowed: false, headers, retryAfterSeconds: 1, reason: 'the rate-limit store is unavailable', storeDown: true };
  }
  let refused: { index: number; d: RateDecision } | undefined;
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i]!;
    const d = decisions[i]!;
    if (c.windowMs === MINUTE && (c.name === 'requests' || c.name === 'tokens')) {
      headers[`x-ratelimit-limit-${c.name}`] = String(d.limit);
      headers[`x-ratelimit-remaining-${c.name}`] = String(d.remaining);
      headers[`x-ratelimit-reset-${c.name}`] = `${Math.ceil(d.resetMs / 1000)}s`;
    }
    if (!d.allowed && !refused) refused = { index: i, d };
  }
  if (!refused) return { allowed: true, headers };
  const c = checks[refused.index]!;
  const retryAfterSeconds = Math.max(1, Math.ceil(refused.d.resetMs / 1000));
  headers['retry-after'] = String(retryAfterSeconds);
  if (c.name === 'auth') return { allowed: false, headers, retryAfterSeconds, reason: 'too many failed authentication attempts from this address', authLockout: true };
  return { allowed: false, headers, retryAfterSeconds, reason: `${c.key.split(':')[0]} ${c.name} limit of ${c.limit} reached` };
}

export interface LimitSubject {
  /** `principal:<id>`; `tenant:<t>` and `ip:<addr>` are checked too when given. */
  readonly principal: string;
  readonly tenant?: string | undefined;
  readonly ip: string;
  /** Role whose limits apply to the principal. */
  readonly role?: string | undefined;
}

export type LimitOutcome =
  | { readonly allowed: true; readonly headers: Record<string, string> }
  | {
      readonly allowed: false;
      readonly headers: Record<string, string>;
      readonly retryAfterSeconds: number;
      readonly reason: string;
      readonly storeDown?: boolean;
      readonly authLockout?: boolean;
    };

export interface AccessLimiterOptions {
  readonly perPrincipal: (subject: LimitSubject) => LimitRule;
  readonly perTenant: LimitRule;
  readonly perIp: LimitRule;
  readonly authFailuresPerMinutePerIp: number;
  /** When the shared store fails: count locally (default) or refuse requests. */
  readonly onStoreError: 'local' | 'block';
  readonly log: Logger;
  /** Told of each store failure (metrics). */
  readonly onStoreFailure?: () => void;
}

/**
 * Request and token limits over a counter store (memory or Redis), with a local fallback when the
 * shared store is down. Emits OpenAI-style `x-ratelimit-*` headers.
 */
export class AccessLimiter {
  private readonly local = new MemoryCounterStore();
  private lastWarn = 0;
  /** After a store error, skip the store for a second: a dead Redis must not add its timeout to every request. */
  private storeDownUntil = 0;
  storeErrors = 0;

  constructor(
    private readonly store: CounterStore,
    private readonly options: AccessLimiterOptions,
  ) {}

  private async run<T>(fn: (store: CounterStore) => Promise<T>): Promise<{ value: T; storeDown: boolean } | { value?: undefined; storeDown: true }> {
    const now = Date.now();
    if (now < this.storeDownUntil) {
      if (this.options.onStoreError === 'block') return { storeDown: true };
      return { value: await fn(this.local), storeDown: true };
    }
    try {
      return { value: await fn(this.store), storeDown: false };
    } catch (error) {
      this.storeErrors++;
      this.options.onStoreFailure?.();
      this.storeDownUntil = now + 1000;
      if (now - this.lastWarn > 10_000) {
        this.lastWarn = now;
        this.options.log.warn({ store: this.store.kind, error: error instanceof Error ? error.message : String(error), fallback: this.options.onStoreError }, 'rate-limit store unavailable');
      }
      if (this.options.onStoreError === 'block') return { storeDown: true };
      return { value: await fn(this.local), storeDown: true };
    }
  }

  /** The limits that apply to a subject, appended to `out`. A scope without limits costs nothing (no key strings). */
  private checks(subject: LimitSubject, estimatedTokens: number, out: Check[] = []): Check[] {
    const principal = this.options.perPrincipal(subject);
    if (limited(principal)) addChecks(out, `principal:${subject.principal}`, principal, estimatedTokens);
    if (subject.tenant && limited(this.options.perTenant)) addChecks(out, `tenant:${subject.tenant}`, this.options.perTenant, estimatedTokens);
    if (limited(this.options.perIp)) addChecks(out, `ip:${subject.ip}`, this.options.perIp, estimatedTokens);
    return out;
  }

  /**
   * Checks and takes every applicable limit, and the address's authentication lockout, in one step
   * (one round trip with Redis). The first check exceeded refuses the request.
   */
  checkRequest(subject: LimitSubject, estimatedTokens: number): LimitOutcome | Promise<LimitOutcome> {
    const checks = this.checks(subject, estimatedTokens, [{ key: `authfail:${subject.ip}`, cost: 0, limit: this.options.authFailuresPerMinutePerIp - 1, windowMs: MINUTE, name: 'auth' }]);
    // The in-memory store cannot fail: asked directly, without `run`, and answered at once rather than
    // as a promise (a promise and an await were most of what a request's limit check allocated).
    if (this.store instanceof MemoryCounterStore) return outcome(checks, this.store.consumeAllNow(checks));
    return this.run((s) => s.consumeAll(checks)).then((result) => outcome(checks, result.value));
  }

  /** Output tokens, counted once the upstream reports them (streams included). Without token limits (most roles), at once: no promise. */
  recordTokens(subject: LimitSubject, tokens: number): void | Promise<void> {
    if (tokens <= 0) return;
    const checks = this.checks(subject, tokens);
    return checks.length === 0 ? undefined : this.addTokens(checks, tokens);
  }

  private async addTokens(checks: readonly Check[], tokens: number): Promise<void> {
    const seen = new Set<string>();
    for (const c of checks) {
      if (c.name === 'requests' || seen.has(`${c.key}:${c.windowMs}`)) continue;
      seen.add(`${c.key}:${c.windowMs}`);
      await this.run((s) => s.add(c.key, tokens, c.windowMs));
    }
  }

  /** True while an address has failed authentication too often this minute. */
  async authLocked(ip: string): Promise<boolean> {
    return (await this.authLockedFor(ip)) !== undefined;
  }

  /** Seconds until an address's lockout ends, or undefined when it is not locked out. */
  async authLockedFor(ip: string): Promise<number | undefined> {
    const limit = this.options.authFailuresPerMinutePerIp;
    const result = await this.run((s) => s.consume(`authfail:${ip}`, 0, limit - 1, MINUTE));
    if (result.value === undefined || result.value.allowed) return undefined;
    return Math.max(1, Math.ceil(result.value.resetMs / 1000));
  }

  async authFailed(ip: string): Promise<void> {
    await this.run((s) => s.add(`authfail:${ip}`, 1, MINUTE));
  }

  async close(): Promise<void> {
    await this.store.close();
    await this.local.close();
  }
}
