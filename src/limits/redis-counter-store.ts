import { Redis } from 'ioredis';
import { type CounterCheck, type CounterStore, type RateDecision, windowStart } from './rate-limiter.js';

// Check-and-take in one atomic step: replicas sharing Redis see one counter.
const CONSUME = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if current + cost > limit then return {0, current} end
local after = redis.call('INCRBY', KEYS[1], cost)
if after == cost then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, after}
`;
// Every check first, then every take: all or nothing, one round trip for the whole request.
const CONSUME_ALL = `
local n = #KEYS
local counts = {}
local fits = 1
for i = 1, n do
  local current = tonumber(redis.call('GET', KEYS[i]) or '0')
  counts[i] = current
  if current + tonumber(ARGV[3 * i - 2]) > tonumber(ARGV[3 * i - 1]) then fits = 0 end
end
if fits == 1 then
  for i = 1, n do
    local cost = tonumber(ARGV[3 * i - 2])
    if cost > 0 then
      local after = redis.call('INCRBY', KEYS[i], cost)
      if after == cost then redis.call('PEXPIRE', KEYS[i], ARGV[3 * i]) end
      counts[i] = after
    end
  end
end
table.insert(counts, 1, fits)
return counts
`;
const ADD = `
local after = redis.call('INCRBY', KEYS[1], ARGV[1])
if after == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return after
`;

export interface RedisCounterOptions {
  readonly url: string;
  readonly keyPrefix?: string;
  /** Give up on one command after this long (then the caller falls back or fails closed). */
  readonly commandTimeoutMs?: number;
}

/** Counters shared by every replica, one round trip per check. */
export class RedisCounterStore implements CounterStore {
  readonly kind = 'redis' as const;
  readonly client: Redis;
  private readonly prefix: string;

  constructor(options: RedisCounterOptions) {
    this.prefix = options.keyPrefix ?? 'clawguard:rl:';
    this.client = new Redis(options.url, {
      lazyConnect: false,
      // Queued while (re)connecting; commandTimeout bounds the wait, then the limiter falls back.
      enableOfflineQueue: true,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 200,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.client.on('error', () => {
      /* surfaced per command; reconnects in the background */
    });
    this.client.defineCommand('cgConsume', { numberOfKeys: 1, lua: CONSUME });
    this.client.defineCommand('cgAdd', { numberOfKeys: 1, lua: ADD });
    this.client.defineCommand('cgConsumeAll', { lua: CONSUME_ALL });
  }

  private key(key: string, windowMs: number, now: number): string {
    return `${this.prefix}${key}:${windowMs}:${windowStart(now, windowMs)}`;
  }

  async consume(key: string, cost: number, limit: number, windowMs: number, now = Date.now()): Promise<RateDecision> {
    const start = windowStart(now, windowMs);
    const [ok, count] = (await (this.client as any).cgConsume(this.key(key, windowMs, now), cost, limit, windowMs + 1000)) as [number, number];
    const resetMs = start + windowMs - now;
    return { allowed: ok === 1, limit, remaining: Math.max(0, limit - count), resetMs };
  }

  async consumeAll(checks: readonly CounterCheck[], now = Date.now()): Promise<RateDecision[]> {
    if (checks.length === 0) return [];
    const keys = checks.map((c) => this.key(c.key, c.windowMs, now));
    const args = checks.flatMap((c) => [c.cost, c.limit, c.windowMs + 1000]);
    const [fits, ...counts] = (await (this.client as any).cgConsumeAll(keys.length, ...keys, ...args)) as number[];
    return checks.map((c, i) => {
      const count = counts[i] ?? 0;
      const allowed = fits === 1 || count + c.cost <= c.limit;
      return { allowed, limit: c.limit, remaining: Math.max(0, c.limit - count), resetMs: windowStart(now, c.windowMs) + c.windowMs - now };
    });
  }

  async add(key: string, cost: number, windowMs: number, now = Date.now()): Promise<void> {
    await (this.client as any).cgAdd(this.key(key, windowMs, now), cost, windowMs + 1000);
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
