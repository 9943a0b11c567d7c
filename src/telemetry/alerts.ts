/**
 * Real-time alerts to webhooks (generic JSON or Slack-compatible), deduplicated and rate-limited.
 * Delivery is asynchronous and never throws into the caller; failures are counted.
 */

export type AlertSeverity = 'info' | 'warning' | 'critical';
const RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

export interface Alert {
  /** `injection_burst`, `auth_failure_burst`, `anomaly`, `guard_failures`, `audit_spooling`, `lockdown`, … */
  readonly rule: string;
  readonly severity: AlertSeverity;
  readonly title: string;
  readonly message: string;
  /** Alerts with the same key inside the dedup window are sent once. Defaults to the rule. */
  readonly dedupKey?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly time?: number;
}

export interface WebhookTarget {
  readonly url: string;
  readonly format: 'json' | 'slack';
  readonly minSeverity?: AlertSeverity;
  readonly headers?: Readonly<Record<string, string>>;
}

export type AlertOutcome = 'sent' | 'deduplicated' | 'rate_limited' | 'failed' | 'filtered';

export interface AlertManagerOptions {
  readonly targets: readonly WebhookTarget[];
  readonly dedupWindowMs?: number;
  /** Per target: alerts beyond this many per minute are dropped (counted). */
  readonly maxPerMinute?: number;
  readonly timeoutMs?: number;
  readonly now?: () => number;
  /** Called for every alert and target with what happened (metrics). */
  readonly onOutcome?: (alert: Alert, outcome: AlertOutcome) => void;
}

export function slackBody(alert: Alert): Record<string, unknown> {
  const icon = alert.severity === 'critical' ? ':rotating_light:' : alert.severity === 'warning' ? ':warning:' : ':information_source:';
  const labels = Object.entries(alert.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return { text: `${icon} *ClawGuard: ${alert.title}*\n${alert.message}${labels ? `\n\`${labels}\`` : ''}` };
}

export function jsonBody(alert: Alert, now: number): Record<string, unknown> {
  return {
    source: 'clawguard',
    rule: alert.rule,
    severity: alert.severity,
    title: alert.title,
    message: alert.message,
    labels: alert.labels ?? {},
    time: new Date(alert.time ?? now).toISOString(),
  };
}

export class AlertManager {
  private readonly lastSent = new Map<string, number>();
  private readonly sentTimes: number[][];
  private readonly inflight = new Set<Promise<void>>();
  private readonly dedupWindowMs: number;
  private readonly maxPerMinute: number;
  private readonly now: () => number;
  readonly stats = { sent: 0, deduplicated: 0, rateLimited: 0, failed: 0 };

  constructor(private readonly options: AlertManagerOptions) {
    this.dedupWindowMs = options.dedupWindowMs ?? 300_000;
    this.maxPerMinute = options.maxPerMinute ?? 20;
    this.now = options.now ?? Date.now;
    this.sentTimes = options.targets.map(() => []);
  }

  /** Sends an alert to every target whose minimum severity it meets, unless a duplicate was sent recently. */
  fire(alert: Alert): void {
    const now = this.now();
    const key = `${alert.rule}\u0000${alert.dedupKey ?? ''}`;
    const last = this.lastSent.get(key);
    if (last !== undefined && now - last < this.dedupWindowMs) {
      this.stats.deduplicated++;
      this.options.onOutcome?.(alert, 'deduplicated');
      return;
    }
    this.lastSent.set(key, now);
    if (this.lastSent.size > 10_000) {
      for (const [k, t] of this.lastSent) if (now - t >= this.dedupWindowMs) this.lastSent.delete(k);
    }
    this.options.targets.forEach((target, i) => {
      if (RANK[alert.severity] < RANK[target.minSeverity ?? 'info']) {
        this.options.onOutcome?.(alert, 'filtered');
        return;
      }
      const times = this.sentTimes[i]!;
      while (times.length && now - times[0]! >= 60_000) times.shift();
      if (times.length >= this.maxPerMinute) {
        this.stats.rateLimited++;
        this.options.onOutcome?.(alert, 'rate_limited');
        return;
      }
      times.push(now);
      const p = this.deliver(target, alert, now).finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    });
  }

  private async deliver(target: WebhookTarget, alert: Alert, now: number): Promise<void> {
    const body = JSON.stringify(target.format === 'slack' ? slackBody(alert) : jsonBody(alert, now));
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const res = await fetch(target.url, {
          method: 'POST',
          headers: { ...target.headers, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.stats.sent++;
          this.options.onOutcome?.(alert, 'sent');
          return;
        }
        if (res.status < 500 && res.status !== 429) break;
      } catch {
        // retried once below
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    this.stats.failed++;
    this.options.onOutcome?.(alert, 'failed');
  }

  /** Waits for alerts in flight. */
  async flush(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }
}

/** Counts events per key in a sliding window and says when a count reaches its threshold. */
export class BurstCounter {
  private readonly events = new Map<string, number[]>();

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
  ) {}

  /** Adds one event; true when the key has `threshold` events inside the window (then starts over). */
  hit(key: string, now: number): boolean {
    let times = this.events.get(key);
    if (!times) {
      if (this.events.size > 10_000) this.prune(now);
      times = [];
      this.events.set(key, times);
    }
    times.push(now);
    while (times.length && now - times[0]! >= this.windowMs) times.shift();
    if (times.length >= this.threshold) {
      this.events.delete(key);
      return true;
    }
    return false;
  }

  private prune(now: number): void {
    for (const [k, t] of this.events) if (!t.length || now - t[t.length - 1]! >= this.windowMs) this.events.delete(k);
  }
}
