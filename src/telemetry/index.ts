import type { AuditEvent, AuditSink } from '../audit/events.js';
import type { AuditLogHooks } from '../audit/log.js';
import { resolveSecret } from '../secrets/secret-ref.js';
import { type Alert, AlertManager, BurstCounter, type WebhookTarget } from './alerts.js';
import { type Anomaly, AnomalyDetector, type TrafficSample } from './anomaly.js';
import { isSecretRef, type TelemetryConfig } from './config.js';
import { Metrics } from './metrics.js';

export { type Alert, AlertManager, BurstCounter, type WebhookTarget, jsonBody, slackBody } from './alerts.js';
export { type Anomaly, AnomalyDetector, type AnomalyMetric, type AnomalyOptions, DEFAULT_HIGH_RISK_TOOLS } from './anomaly.js';
export { type TelemetryConfig, telemetryConfigSchema } from './config.js';
export { Metrics, type MetricsOptions } from './metrics.js';

export interface TelemetryOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
  /** Run the anomaly bucket timer (off in tests that drive time themselves). Default true. */
  readonly timers?: boolean;
}

/** The anomaly sample of one request (read-only: one object for all). */
const ONE_REQUEST: TrafficSample = { requests: 1 };

/**
 * Metrics, anomaly detection and alerts fed by the audit event stream: the gateway records an event
 * once (`tap(sink).record(event)`) and it is stored, counted, baselined and alerted on.
 */
export class Telemetry {
  readonly metrics: Metrics;
  readonly anomaly: AnomalyDetector | undefined;
  readonly alerts: AlertManager;
  private readonly injection: BurstCounter;
  private readonly authFailures: BurstCounter;
  private readonly guardFailures: BurstCounter;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  private constructor(config: TelemetryConfig, targets: WebhookTarget[], options: TelemetryOptions) {
    this.now = options.now ?? Date.now;
    this.metrics = new Metrics({ defaultMetrics: config.metrics.defaultMetrics, principalLabelLimit: config.metrics.principalLabelLimit });
    this.alerts = new AlertManager({
      targets,
      dedupWindowMs: config.alerts.dedupWindowSeconds * 1000,
      maxPerMinute: config.alerts.maxPerMinute,
      now: this.now,
      onOutcome: (alert, outcome) => this.metrics.alerts.inc({ rule: alert.rule, outcome }),
    });
    const r = config.alerts.rules;
    this.injection = new BurstCounter(r.injectionBurst.count, r.injectionBurst.windowSeconds * 1000);
    this.authFailures = new BurstCounter(r.authFailureBurst.count, r.authFailureBurst.windowSeconds * 1000);
    this.guardFailures = new BurstCounter(r.guardFailures.count, r.guardFailures.windowSeconds * 1000);
    const a = config.anomaly;
    if (a.enabled) {
      this.anomaly = new AnomalyDetector(
        { bucketMs: a.bucketSeconds * 1000, alpha: a.alpha, warmupBuckets: a.warmupBuckets, zThreshold: a.zThreshold, minRatio: a.minRatio, minimums: a.minimums, highRiskTools: a.highRiskTools },
        (anomaly) => this.anomalyFound(anomaly),
      );
      if (options.timers !== false) {
        this.timer = setInterval(() => this.anomaly!.tick(this.now()), Math.max(1000, (a.bucketSeconds * 1000) / 4));
        this.timer.unref();
      }
    }
  }

  /** Builds telemetry from its config section, resolving webhook URLs and header secrets. */
  static async create(config: TelemetryConfig, options: TelemetryOptions = {}): Promise<Telemetry> {
    const targets: WebhookTarget[] = [];
    for (const w of config.alerts.webhooks) {
      const headers: Record<string, string> = {};
      for (const [name, ref] of Object.entries(w.headers)) headers[name] = await resolveSecret(ref, options.env);
      const url = isSecretRef(w.url) ? await resolveSecret(w.url, options.env) : w.url;
      targets.push({ url, format: w.format, minSeverity: w.minSeverity, headers });
    }
    return new Telemetry(config, targets, options);
  }

  private anomalyFound(anomaly: Anomaly): void {
    this.metrics.anomalies.inc({ metric: anomaly.metric });
    this.alerts.fire({
      rule: 'anomaly',
      severity: anomaly.metric === 'newHighRiskTool' ? 'critical' : 'warning',
      title: anomaly.metric === 'newHighRiskTool' ? 'first use of a high-risk tool' : `unusual ${anomaly.metric}`,
      message: anomaly.message,
      dedupKey: `${anomaly.principal}:${anomaly.metric}:${anomaly.metric === 'newHighRiskTool' ? anomaly.value : ''}`,
      labels: { principal: anomaly.principal, metric: anomaly.metric },
    });
  }

  /** Counts, baselines and alerts on one audit event. Never throws. */
  observe(event: AuditEvent): void {
    try {
      this.observeUnsafe(event);
    } catch {
      // Telemetry must never break the request path.
    }
  }

  private observeUnsafe(event: AuditEvent): void {
    const now = event.time ?? this.now();
    const principal = event.principal ?? 'anonymous';
    const m = this.metrics;
    switch (event.type) {
      case 'request.received':
        this.anomaly?.observe(principal, ONE_REQUEST, now);
        break;
      case 'finding':
        m.finding(event.guard, event.findingType);
        break;
      case 'decision':
        if (event.action === 'block') {
          this.anomaly?.observe(principal, { blocked: 1 }, now);
          if (event.findingTypes?.some((t) => t.startsWith('injection.')) && this.injection.hit(principal, now)) {
            this.alerts.fire({ rule: 'injection_burst', severity: 'critical', title: 'burst of blocked prompt injections', message: `${principal}: repeated prompt-injection attempts were blocked`, dedupKey: principal, labels: { principal } });
          }
        }
        break;
      case 'upstream.response': {
        const failed = event.error !== undefined || event.status >= 500;
        if (event.error !== undefined) m.upstreamFailed(event.upstream, event.error);
        else {
          if (event.status >= 500) m.upstreamFailed(event.upstream, 'status_5xx');
          m.upstreamAnswered(event.upstream, event.latencyMs / 1000, event.timeToFirstTokenMs !== undefined ? event.timeToFirstTokenMs / 1000 : undefined);
        }
        const tokens = (event.tokensIn ?? 0) + (event.tokensOut ?? 0);
        if (tokens > 0) m.tokensUsed(principal, event.tokensIn ?? 0, event.tokensOut ?? 0);
        this.anomaly?.observe(principal, { tokens, errors: failed ? 1 : 0 }, now);
        break;
      }
      case 'tool.call':
        this.anomaly?.observe(principal, { tool: event.tool }, now);
        break;
      case 'auth':
        if (event.outcome === 'failure') {
          m.authFailed(event.surface, event.reason ?? 'unknown');
          const key = event.clientIp ?? event.surface;
          if (this.authFailures.hit(key, now)) {
            this.alerts.fire({ rule: 'auth_failure_burst', severity: 'warning', title: 'burst of authentication failures', message: `repeated refused credentials on the ${event.surface} surface${event.clientIp ? ` from ${event.clientIp}` : ''}`, dedupKey: key, labels: { surface: event.surface, ...(event.clientIp ? { clientIp: event.clientIp } : {}) } });
          }
        }
        break;
      case 'guard.failure':
        m.guardFailed(event.guard, event.failOpen, event.timedOut);
        if (this.guardFailures.hit(event.guard, now)) {
          this.alerts.fire({ rule: 'guard_failures', severity: event.failOpen ? 'critical' : 'warning', title: 'guard failing', message: `guard ${event.guard} failed repeatedly (${event.failOpen ? 'failing OPEN: requests pass unchecked' : 'failing closed: requests are refused'})`, dedupKey: event.guard, labels: { guard: event.guard } });
        }
        break;
      case 'stream.intervention':
        m.streamIntervention(event.intervention);
        break;
      case 'error':
        this.anomaly?.observe(principal, { errors: 1 }, now);
        break;
      case 'admin':
        if (event.action === 'lockdown.on' || event.action === 'lockdown') {
          this.alerts.fire({ rule: 'lockdown', severity: 'critical', title: 'lockdown engaged', message: `${event.actor} engaged lockdown${event.target ? ` (${event.target})` : ''}`, dedupKey: `${now}`, labels: { actor: event.actor } });
        }
        break;
      default:
        break;
    }
  }

  /** An audit sink that records into `sink` and observes every event. */
  tap(sink: AuditSink & { recordMany?(events: readonly AuditEvent[]): void }): AuditSink & { recordMany(events: readonly AuditEvent[]): void } {
    return {
      record: (event) => {
        sink.record(event);
        this.observe(event);
      },
      recordMany: (events) => {
        if (sink.recordMany) sink.recordMany(events);
        else for (const e of events) sink.record(e);
        for (const e of events) this.observe(e);
      },
      flush: () => sink.flush(),
      close: () => sink.close(),
    };
  }

  /** Hooks for the audit log: spooling and dropped events become alerts. */
  auditHooks(): AuditLogHooks {
    return {
      spooling: (active, bytes) => {
        if (active) this.alerts.fire({ rule: 'audit_spooling', severity: 'critical', title: 'audit store unavailable', message: `audit events are spooling to the local journal (${bytes} bytes pending)`, dedupKey: 'store' });
      },
      dropped: (count) => {
        this.alerts.fire({ rule: 'audit_dropped', severity: 'critical', title: 'audit events dropped', message: `${count} audit event(s) dropped: the spool is full`, dedupKey: 'dropped' });
      },
    };
  }

  /** Sends an alert of the gateway's own (config reload failures, …). */
  alert(alert: Alert): void {
    this.alerts.fire(alert);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.alerts.flush();
  }
}
