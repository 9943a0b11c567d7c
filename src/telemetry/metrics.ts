import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: from sub-millisecond guard runs to multi-second upstream answers. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const GUARD_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * Increments of one counter, summed per label set and added to the prom-client counter when it is
 * read (its `collect`, which every scrape runs first). prom-client builds a label-hash string and more
 * on every `inc` (~0.4 KB); the gateway counts several times per request. Label sets are found through
 * nested maps of their values, which allocate nothing once a set has been seen, and reach prom-client
 * in the order they were first counted (the order `inc` would have given them).
 */
class PendingCounts<L extends string> {
  /** First label value → second → (third →) the label set's series. */
  private readonly root = new Map<string, Map<string, unknown>>();
  private readonly series: Series<L>[] = [];

  /** Two or three label names. */
  constructor(private readonly names: readonly L[]) {}

  /** Adds `value` to the label set of these values (in the order of `names`). */
  add(value: number, a: string, b: string, c?: string): void {
    let second = this.root.get(a);
    if (!second) this.root.set(a, (second = new Map()));
    let last = second as Map<string, Series<L>>;
    let key = b;
    if (this.names.length === 3) {
      let third = second.get(b) as Map<string, Series<L>> | undefined;
      if (!third) second.set(b, (third = new Map()));
      last = third;
      key = c!;
    }
    let series = last.get(key);
    if (!series) {
      const values = [a, b, c];
      const labels: Partial<Record<L, string>> = {};
      this.names.forEach((name, i) => (labels[name] = values[i]!));
      last.set(key, (series = { labels, pending: 0 }));
      this.series.push(series);
    }
    series.pending += value;
  }

  /** Moves the sums into the counter. */
  flush(counter: Counter<L>): void {
    for (const s of this.series) {
      if (s.pending === 0) continue;
      const value = s.pending;
      s.pending = 0;
      counter.inc(s.labels, value);
    }
  }
}

interface Series<L extends string> {
  readonly labels: Partial<Record<L, string>>;
  pending: number;
}

/** Counts `value` unless prom-client would refuse it (then it refuses it now, as `inc` did, not at the next scrape). */
function countable(value: number): boolean {
  return Number.isFinite(value) && value >= 0;
}

export interface MetricsOptions {
  /** Adds Node.js process metrics (CPU, memory, event loop lag). */
  readonly defaultMetrics?: boolean;
  /** Distinct principals kept as label values; the rest are counted as `other` (bounded cardinality). */
  readonly principalLabelLimit?: number;
  readonly prefix?: string;
}

export interface AuditGaugeSource {
  stats(): { queued: number; spoolBytes: number; storeDown: boolean; dropped: number };
}

/**
 * The gateway's Prometheus metrics, in a registry of its own (never the global one, so two gateways
 * in one process, or tests, never collide). `render()` is the `/metrics` body.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly principals = new Set<string>();
  private readonly principalLimit: number;
  private auditSource: AuditGaugeSource | undefined;
  private readonly requestCounts = new PendingCounts<'route' | 'decision' | 'status'>(['route', 'decision', 'status']);
  private readonly tokenCounts = new PendingCounts<'principal' | 'direction'>(['principal', 'direction']);
  private pendingApprovalsSource: (() => number) | undefined;

  readonly requests: Counter<'route' | 'decision' | 'status'>;
  readonly overhead: Histogram<'route'>;
  readonly upstreamLatency: Histogram<'upstream'>;
  readonly timeToFirstToken: Histogram<'upstream'>;
  readonly upstreamErrors: Counter<'upstream' | 'kind'>;
  readonly guardLatency: Histogram<'guard'>;
  readonly guardFailures: Counter<'guard' | 'fail_open' | 'timed_out'>;
  readonly findings: Counter<'guard' | 'type'>;
  readonly streamInterventions: Counter<'kind'>;
  readonly authFailures: Counter<'surface' | 'reason'>;
  readonly cacheLookups: Counter<'result'>;
  readonly tokens: Counter<'principal' | 'direction'>;
  readonly anomalies: Counter<'metric'>;
  readonly alerts: Counter<'rule' | 'outcome'>;
  /** Rate-limit store (Redis) failures; limits then count locally or refuse, as configured. */
  readonly rateLimitStoreErrors: Counter;

  constructor(options: MetricsOptions = {}) {
    const p = options.prefix ?? 'clawguard_';
    const registers = [this.registry];
    this.principalLimit = options.principalLabelLimit ?? 1000;
    const requestCounts = this.requestCounts;
    const tokenCounts = this.tokenCounts;
    this.requests = new Counter({
      name: `${p}requests_total`,
      help: 'Requests answered, by route, policy decision and HTTP status',
      labelNames: ['route', 'decision', 'status'],
      registers,
      collect() {
        requestCounts.flush(this);
      },
    });
    this.overhead = new Histogram({ name: `${p}gateway_overhead_seconds`, help: 'Time the gateway itself added to a request (everything but the upstream)', labelNames: ['route'], buckets: LATENCY_BUCKETS, registers });
    this.upstreamLatency = new Histogram({ name: `${p}upstream_latency_seconds`, help: 'Upstream time from request sent to answer complete', labelNames: ['upstream'], buckets: LATENCY_BUCKETS, registers });
    this.timeToFirstToken = new Histogram({ name: `${p}time_to_first_token_seconds`, help: 'Streams: time from request received to the first token sent to the client', labelNames: ['upstream'], buckets: LATENCY_BUCKETS, registers });
    this.upstreamErrors = new Counter({ name: `${p}upstream_errors_total`, help: 'Upstream failures: timeout, refused, reset, status_5xx, …', labelNames: ['upstream', 'kind'], registers });
    this.guardLatency = new Histogram({ name: `${p}guard_latency_seconds`, help: 'Time one guard took on one request', labelNames: ['guard'], buckets: GUARD_BUCKETS, registers });
    this.guardFailures = new Counter({ name: `${p}guard_failures_total`, help: 'Guards that threw or timed out', labelNames: ['guard', 'fail_open', 'timed_out'], registers });
    this.findings = new Counter({ name: `${p}findings_total`, help: 'Findings, by guard and finding type', labelNames: ['guard', 'type'], registers });
    this.streamInterventions = new Counter({ name: `${p}stream_interventions_total`, help: 'Streams changed in flight: redacted, blocked, tool_call_refused', labelNames: ['kind'], registers });
    this.authFailures = new Counter({ name: `${p}auth_failures_total`, help: 'Refused credentials, by surface and reason', labelNames: ['surface', 'reason'], registers });
    this.cacheLookups = new Counter({ name: `${p}scan_cache_lookups_total`, help: 'Guard result cache lookups', labelNames: ['result'], registers });
    this.tokens = new Counter({
      name: `${p}tokens_total`,
      help: 'Model tokens by principal and direction (in = prompt, out = completion)',
      labelNames: ['principal', 'direction'],
      registers,
      collect() {
        tokenCounts.flush(this);
      },
    });
    this.anomalies = new Counter({ name: `${p}anomalies_total`, help: 'Anomalies detected, by metric', labelNames: ['metric'], registers });
    this.alerts = new Counter({ name: `${p}alerts_total`, help: 'Alerts by rule and outcome (sent, deduplicated, rate_limited, failed)', labelNames: ['rule', 'outcome'], registers });
    this.rateLimitStoreErrors = new Counter({ name: `${p}ratelimit_store_errors_total`, help: 'Rate-limit store (Redis) failures; the limiter counted locally or refused meanwhile', registers });
    const self = this;
    new Gauge({
      name: `${p}audit_queue_depth`,
      help: 'Audit events waiting to be stored',
      registers,
      collect() {
        this.set(self.auditSource?.stats().queued ?? 0);
      },
    });
    new Gauge({
      name: `${p}audit_spool_bytes`,
      help: 'Bytes in the audit spool not yet stored',
      registers,
      collect() {
        this.set(self.auditSource?.stats().spoolBytes ?? 0);
      },
    });
    new Gauge({
      name: `${p}audit_store_up`,
      help: '1 when the audit store takes writes, 0 while events spool',
      registers,
      collect() {
        this.set(self.auditSource ? (self.auditSource.stats().storeDown ? 0 : 1) : 1);
      },
    });
    new Gauge({
      name: `${p}audit_dropped_events`,
      help: 'Audit events dropped because the spool was full (onFull: drop)',
      registers,
      collect() {
        this.set(self.auditSource?.stats().dropped ?? 0);
      },
    });
    new Gauge({
      name: `${p}pending_approvals`,
      help: 'Requests waiting for a human approval',
      registers,
      collect() {
        this.set(self.pendingApprovalsSource?.() ?? 0);
      },
    });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: p });
  }

  /** Reads the audit log's queue, spool and store state at each scrape. */
  watchAudit(source: AuditGaugeSource): void {
    this.auditSource = source;
  }

  watchPendingApprovals(count: () => number): void {
    this.pendingApprovalsSource = count;
  }

  private principalLabel(principal: string): string {
    if (this.principals.has(principal)) return principal;
    if (this.principals.size >= this.principalLimit) return 'other';
    this.principals.add(principal);
    return principal;
  }

  requestCompleted(route: string, decision: string, status: number, overheadSeconds?: number): void {
    this.requestCounts.add(1, route, decision, String(status));
    if (overheadSeconds !== undefined) this.overhead.observe({ route }, overheadSeconds);
  }

  upstreamAnswered(upstream: string, seconds: number, timeToFirstTokenSeconds?: number): void {
    this.upstreamLatency.observe({ upstream }, seconds);
    if (timeToFirstTokenSeconds !== undefined) this.timeToFirstToken.observe({ upstream }, timeToFirstTokenSeconds);
  }

  upstreamFailed(upstream: string, kind: string): void {
    this.upstreamErrors.inc({ upstream, kind });
  }

  guardRan(guard: string, seconds: number): void {
    this.guardLatency.observe({ guard }, seconds);
  }

  guardFailed(guard: string, failOpen: boolean, timedOut: boolean): void {
    this.guardFailures.inc({ guard, fail_open: String(failOpen), timed_out: String(timedOut) });
  }

  finding(guard: string, type: string): void {
    this.findings.inc({ guard, type });
  }

  streamIntervention(kind: string): void {
    this.streamInterventions.inc({ kind });
  }

  authFailed(surface: string, reason: string): void {
    this.authFailures.inc({ surface, reason });
  }

  cacheLookup(hit: boolean, count = 1): void {
    this.cacheLookups.inc({ result: hit ? 'hit' : 'miss' }, count);
  }

  tokensUsed(principal: string, tokensIn: number, tokensOut: number): void {
    const label = this.principalLabel(principal);
    if (tokensIn > 0) {
      if (countable(tokensIn)) this.tokenCounts.add(tokensIn, label, 'in');
      else this.tokens.inc({ principal: label, direction: 'in' }, tokensIn);
    }
    if (tokensOut > 0) {
      if (countable(tokensOut)) this.tokenCounts.add(tokensOut, label, 'out');
      else this.tokens.inc({ principal: label, direction: 'out' }, tokensOut);
    }
  }

  /** The `/metrics` body (Prometheus text format 0.0.4). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
