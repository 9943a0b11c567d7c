import { globMatch } from '../core/glob.js';

/**
 * Per-principal baselines of request rate, tokens, block rate, error rate and distinct tools, kept as
 * exponentially weighted moving averages (mean and variance) over fixed time buckets. A closed bucket
 * is anomalous when it is far above the baseline in every sense at once: many standard deviations,
 * several times the mean, and above an absolute floor. Slow drifts (day and night) move the baseline
 * with them; a sudden jump does not. Buckets without traffic are not fed to the baseline, so a key
 * that sleeps at night is not "anomalous" every morning.
 */

export type AnomalyMetric = 'requests' | 'tokens' | 'blockRate' | 'errorRate' | 'distinctTools';

export interface AnomalyOptions {
  readonly bucketMs?: number;
  /** EWMA weight of a new bucket (0..1). */
  readonly alpha?: number;
  /** Buckets with traffic a principal needs before it can be judged. */
  readonly warmupBuckets?: number;
  /** Standard deviations above the mean. */
  readonly zThreshold?: number;
  /** Times the mean (for counts). */
  readonly minRatio?: number;
  /** Absolute floors per bucket, so small numbers never alert. */
  readonly minimums?: Partial<Record<AnomalyMetric, number>>;
  /** Tool name globs that alert the first time a principal uses them. */
  readonly highRiskTools?: readonly string[];
  /** Principals tracked at once; the least recently seen are forgotten beyond it. */
  readonly maxPrincipals?: number;
}

export interface Anomaly {
  readonly principal: string;
  readonly metric: AnomalyMetric | 'newHighRiskTool';
  /** Value in the closed bucket (or the tool name for a new high-risk tool). */
  readonly value: number | string;
  readonly baseline?: number;
  readonly zScore?: number;
  readonly bucketStart: number;
  readonly message: string;
}

export interface TrafficSample {
  readonly requests?: number;
  readonly tokens?: number;
  readonly blocked?: number;
  readonly errors?: number;
  readonly tool?: string;
}

interface Baseline {
  mean: number;
  variance: number;
  n: number;
}

interface PrincipalState {
  bucketStart: number;
  requests: number;
  tokens: number;
  blocked: number;
  errors: number;
  tools: Set<string>;
  seenTools: Set<string>;
  baselines: Record<AnomalyMetric, Baseline>;
}

export const DEFAULT_HIGH_RISK_TOOLS = ['exec', 'shell', 'bash', 'system.run', 'run_command', '*exec*', '*shell*', '*delete*', '*drop*', 'browser*', 'gateway*', 'cron*', 'sessions_spawn', 'write', 'apply_patch'];

const DEFAULT_MINIMUMS: Record<AnomalyMetric, number> = { requests: 30, tokens: 20_000, blockRate: 0.3, errorRate: 0.3, distinctTools: 5 };
const RATES: ReadonlySet<AnomalyMetric> = new Set(['blockRate', 'errorRate']);

const fresh = (): Record<AnomalyMetric, Baseline> => ({
  requests: { mean: 0, variance: 0, n: 0 },
  tokens: { mean: 0, variance: 0, n: 0 },
  blockRate: { mean: 0, variance: 0, n: 0 },
  errorRate: { mean: 0, variance: 0, n: 0 },
  distinctTools: { mean: 0, variance: 0, n: 0 },
});

export class AnomalyDetector {
  private readonly state = new Map<string, PrincipalState>();
  /** The key last in `state` (the principal seen last). */
  private newest: string | undefined;
  private readonly bucketMs: number;
  private readonly alpha: number;
  private readonly warmup: number;
  private readonly z: number;
  private readonly ratio: number;
  private readonly minimums: Record<AnomalyMetric, number>;
  private readonly highRisk: (tool: string) => boolean;
  private readonly maxPrincipals: number;

  constructor(
    options: AnomalyOptions = {},
    private readonly onAnomaly?: (anomaly: Anomaly) => void,
  ) {
    this.bucketMs = options.bucketMs ?? 60_000;
    this.alpha = options.alpha ?? 0.05;
    this.warmup = options.warmupBuckets ?? 30;
    this.z = options.zThreshold ?? 6;
    this.ratio = options.minRatio ?? 5;
    this.minimums = { ...DEFAULT_MINIMUMS, ...options.minimums };
    const globs = (options.highRiskTools ?? DEFAULT_HIGH_RISK_TOOLS).map((g) => g.toLowerCase());
    this.highRisk = (tool) => globs.some((g) => globMatch(g, tool.toLowerCase()));
    this.maxPrincipals = options.maxPrincipals ?? 100_000;
  }

  private bucketOf(t: number): number {
    return t - (t % this.bucketMs);
  }

  /** Adds traffic of one principal at time `now`; closes its earlier bucket first. Returns anomalies found. */
  observe(principal: string, sample: TrafficSample, now: number): Anomaly[] {
    const found: Anomaly[] = [];
    let s = this.state.get(principal);
    if (!s) {
      if (this.state.size >= this.maxPrincipals) {
        const oldest = this.state.keys().next().value;
        if (oldest !== undefined) this.state.delete(oldest);
      }
      s = { bucketStart: this.bucketOf(now), requests: 0, tokens: 0, blocked: 0, errors: 0, tools: new Set(), seenTools: new Set(), baselines: fresh() };
    } else {
      if (principal !== this.newest) this.state.delete(principal);
      if (this.bucketOf(now) !== s.bucketStart) found.push(...this.close(principal, s, this.bucketOf(now)));
    }
    // Least recently seen first: moved to the end unless it is there already (one principal sending
    // many requests). Re-inserting the newest key anyway rebuilt the map's table every few requests.
    if (principal !== this.newest) {
      this.state.set(principal, s);
      this.newest = principal;
    }
    s.requests += sample.requests ?? 0;
    s.tokens += sample.tokens ?? 0;
    s.blocked += sample.blocked ?? 0;
    s.errors += sample.errors ?? 0;
    if (sample.tool) {
      s.tools.add(sample.tool);
      if (!s.seenTools.has(sample.tool)) {
        s.seenTools.add(sample.tool);
        if (this.highRisk(sample.tool)) {
          found.push({ principal, metric: 'newHighRiskTool', value: sample.tool, bucketStart: s.bucketStart, message: `${principal} used the high-risk tool "${sample.tool}" for the first time` });
        }
      }
    }
    for (const a of found) this.onAnomaly?.(a);
    return found;
  }

  /** Closes every bucket that ended before `now` (call it on a timer so quiet principals are judged too). */
  tick(now: number): Anomaly[] {
    const found: Anomaly[] = [];
    const bucket = this.bucketOf(now);
    for (const [principal, s] of this.state) if (s.bucketStart < bucket) found.push(...this.close(principal, s, bucket));
    for (const a of found) this.onAnomaly?.(a);
    return found;
  }

  private close(principal: string, s: PrincipalState, next: number): Anomaly[] {
    const found: Anomaly[] = [];
    if (s.requests > 0 || s.tokens > 0) {
      const values: [AnomalyMetric, number | undefined][] = [
        ['requests', s.requests],
        ['tokens', s.tokens],
        ['distinctTools', s.tools.size],
        ['blockRate', s.requests >= 5 ? s.blocked / s.requests : undefined],
        ['errorRate', s.requests >= 5 ? s.errors / s.requests : undefined],
      ];
      for (const [metric, value] of values) {
        if (value === undefined) continue;
        const a = this.judge(principal, metric, value, s.baselines[metric], s.bucketStart);
        if (a) found.push(a);
      }
    }
    s.bucketStart = next;
    s.requests = s.tokens = s.blocked = s.errors = 0;
    s.tools = new Set();
    return found;
  }

  private judge(principal: string, metric: AnomalyMetric, x: number, b: Baseline, bucketStart: number): Anomaly | undefined {
    let anomaly: Anomaly | undefined;
    if (b.n >= this.warmup) {
      const sd = Math.sqrt(b.variance);
      const rate = RATES.has(metric);
      // Rates live in 0..1: judge the rise above the baseline; counts: judge the multiple of it.
      const floor = rate ? this.minimums[metric] : Math.max(this.minimums[metric], b.mean * this.ratio);
      const threshold = rate ? Math.max(b.mean + this.z * sd, b.mean + floor) : Math.max(b.mean + this.z * sd, floor);
      if (x > threshold) {
        const zScore = sd > 0 ? (x - b.mean) / sd : Number.POSITIVE_INFINITY;
        anomaly = {
          principal,
          metric,
          value: x,
          baseline: b.mean,
          zScore,
          bucketStart,
          message: `${principal}: ${metric} ${rate ? x.toFixed(2) : x} in one bucket against a baseline of ${rate ? b.mean.toFixed(2) : b.mean.toFixed(1)}`,
        };
      }
    }
    // An anomalous bucket moves the baseline only a little, so an attack does not become normal at once.
    const sample = anomaly ? b.mean + (x - b.mean) * 0.1 : x;
    if (b.n === 0) {
      b.mean = sample;
      b.variance = 0;
    } else {
      const diff = sample - b.mean;
      b.mean += this.alpha * diff;
      b.variance = (1 - this.alpha) * (b.variance + this.alpha * diff * diff);
    }
    b.n++;
    return anomaly;
  }

  /** The baseline of one principal's metric (for dashboards and tests). */
  baseline(principal: string, metric: AnomalyMetric): { mean: number; sd: number; buckets: number } | undefined {
    const b = this.state.get(principal)?.baselines[metric];
    return b ? { mean: b.mean, sd: Math.sqrt(b.variance), buckets: b.n } : undefined;
  }
}
