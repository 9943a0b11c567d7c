import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { AccessLimiter, type LimitRule } from '../../src/limits/access-limiter.js';
import { type CounterCheck, MemoryCounterStore, type RateDecision } from '../../src/limits/rate-limiter.js';

/** A memory store that records what the limiter asks of it. */
class RecordingStore extends MemoryCounterStore {
  readonly consumed: string[][] = [];
  readonly added: string[] = [];
  override consumeAllNow(checks: readonly CounterCheck[], now?: number): RateDecision[] {
    this.consumed.push(checks.map((c) => `${c.key}/${c.windowMs}/${c.cost}/${c.limit}`));
    return super.consumeAllNow(checks, now);
  }
  override async add(key: string, cost: number, windowMs: number, now?: number): Promise<void> {
    this.added.push(`${key}/${windowMs}/${cost}`);
    return super.add(key, cost, windowMs, now);
  }
}

function limiter(store: MemoryCounterStore, principal: LimitRule, tenant: LimitRule, ip: LimitRule): AccessLimiter {
  return new AccessLimiter(store, { perPrincipal: () => principal, perTenant: tenant, perIp: ip, authFailuresPerMinutePerIp: 5, onStoreError: 'local', log: pino({ level: 'silent' }) });
}

describe('AccessLimiter', () => {
  const subject = { principal: 'k1', tenant: 't1', ip: '10.0.0.1', role: 'default' };

  it('checks the address lockout, then principal, tenant and address limits, in that order', async () => {
    const store = new RecordingStore();
    const l = limiter(store, { requestsPerMinute: 2, tokensPerDay: 1000 }, { tokensPerMinute: 500, tokensPerMonth: 9000 }, { requestsPerMinute: 10 });
    const first = await l.checkRequest(subject, 100);
    expect(store.consumed[0]).toEqual([
      'authfail:10.0.0.1/60000/0/4',
      'principal:k1:req/60000/1/2',
      'principal:k1:tok/86400000/100/1000',
      'tenant:t1:tok/60000/100/500',
      'tenant:t1:tok/2592000000/100/9000',
      'ip:10.0.0.1:req/60000/1/10',
    ]);
    expect(first).toMatchObject({ allowed: true, headers: { 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': '9', 'x-ratelimit-limit-tokens': '500', 'x-ratelimit-remaining-tokens': '400' } });
    await l.checkRequest(subject, 100);
    const third = await l.checkRequest(subject, 100);
    expect(third).toMatchObject({ allowed: false, reason: 'principal requests limit of 2 reached' });
  });

  it('asks nothing of scopes without limits, and records output tokens once per counter', async () => {
    const store = new RecordingStore();
    const none = limiter(store, {}, {}, {});
    expect(await none.checkRequest(subject, 100)).toEqual({ allowed: true, headers: {} });
    expect(store.consumed).toEqual([['authfail:10.0.0.1/60000/0/4']]);
    await none.recordTokens(subject, 50);
    expect(store.added).toEqual([]);

    const tokens = limiter(store, { tokensPerMinute: 100, tokensPerDay: 1000, requestsPerMinute: 5 }, {}, { tokensPerMinute: 100 });
    await tokens.recordTokens(subject, 50);
    expect(store.added).toEqual(['principal:k1:tok/60000/50', 'principal:k1:tok/86400000/50', 'ip:10.0.0.1:tok/60000/50']);
  });
});
