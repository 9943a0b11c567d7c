import type { AuditEvent, AuditSink } from '../audit/events.js';

/**
 * The dashboard's live view of the gateway: a bounded ring buffer of security events and a time
 * series of requests, blocks (by guard) and tokens, both fed by the same audit event stream the
 * gateway records (`feed.tap(sink)`). Only metadata is kept: never `payload`, never segment text;
 * free-text fields (reasons, error messages) pass a secret mask before they are stored.
 */

export type UiEventCategory = 'blocked' | 'finding' | 'auth' | 'approval' | 'admin' | 'other';

export type UiFieldValue = string | number | boolean | readonly string[];

export interface UiEvent {
  /** Position in the feed, 1, 2, 3, … (the client polls with `after`). */
  readonly id: number;
  readonly time: number;
  readonly type: string;
  readonly category: UiEventCategory;
  readonly principal?: string;
  readonly tenant?: string;
  readonly requestId?: string;
  readonly fields: Readonly<Record<string, UiFieldValue>>;
}

export interface SeriesBucket {
  /** Bucket start, ms since the epoch. */
  readonly t: number;
  readonly requests: number;
  readonly blocked: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  /** Blocked decisions by the guard that caused them (`failure` when a guard failed closed). */
  readonly byGuard: Readonly<Record<string, number>>;
}

export interface UiEventFeedOptions {
  /** Events kept (oldest dropped first). Default 2000. */
  readonly capacity?: number;
  /** Width of one time-series bucket. Default 10 s. */
  readonly bucketMs?: number;
  /** Buckets kept. Default 180 (30 minutes at 10 s). */
  readonly buckets?: number;
  readonly now?: () => number;
}

/** Which fields of each event type the dashboard may show: an allowlist, so new fields stay out until added here. */
const FIELDS: Readonly<Record<string, readonly string[]>> = {
  decision: ['direction', 'action', 'findings', 'failures', 'guards', 'findingTypes', 'stream'],
  finding: ['direction', 'guard', 'findingType', 'score', 'action', 'reason'],
  auth: ['outcome', 'surface', 'reason', 'keyId', 'clientIp'],
  approval: ['approvalId', 'status', 'actor', 'reason'],
  admin: ['action', 'actor', 'target', 'outcome'],
  'guard.failure': ['guard', 'error', 'timedOut', 'failOpen'],
  'stream.intervention': ['intervention', 'channel'],
  error: ['where', 'message', 'status'],
  system: ['action'],
  'tool.call': ['tool', 'verdict', 'callId'],
};

/** Free-text fields: masked for credentials before they are kept. */
const FREE_TEXT = new Set(['reason', 'error', 'message']);

/**
 * Masks credentials in the gateway's own free text and in held tool-call arguments (already redacted
 * by policy; this is the last line). Emails and numbers are left: an approver needs to see them.
 */
const SECRET_RULES: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[PRIVATE_KEY]'],
  [/\bcg_[A-Za-z0-9_-]{20,}/g, '[CLAWGUARD_KEY]'],
  [/\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}/g, '[SECRET]'],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, '[SECRET]'],
  [/\b(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}/g, '[SECRET]'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, '[SECRET]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '[JWT]'],
];

export function maskSecrets(text: string): string {
  let out = text;
  for (const [re, replacement] of SECRET_RULES) out = out.replace(re, replacement);
  return out;
}

function category(event: AuditEvent): UiEventCategory | undefined {
  switch (event.type) {
    case 'decision':
      return event.action === 'allow' ? undefined : event.action === 'block' ? 'blocked' : 'other';
    case 'finding':
      return 'finding';
    case 'auth':
      // Successful proxy authentications happen on every request: not security events.
      return event.outcome === 'failure' ? 'auth' : event.surface === 'admin' ? 'auth' : undefined;
    case 'approval':
      return 'approval';
    case 'admin':
      return 'admin';
    case 'stream.intervention':
      return event.intervention === 'blocked' || event.intervention === 'tool_call_refused' ? 'blocked' : 'other';
    case 'tool.call':
      return event.verdict === 'allow' ? undefined : 'blocked';
    case 'guard.failure':
    case 'error':
    case 'system':
      return 'other';
    default:
      return undefined;
  }
}

function pick(event: AuditEvent): Record<string, UiFieldValue> {
  const out: Record<string, UiFieldValue> = {};
  const source = event as unknown as Record<string, unknown>;
  for (const name of FIELDS[event.type] ?? []) {
    const value = source[name];
    if (typeof value === 'string') out[name] = FREE_TEXT.has(name) ? maskSecrets(value).slice(0, 300) : value.slice(0, 200);
    else if (typeof value === 'number' || typeof value === 'boolean') out[name] = value;
    else if (Array.isArray(value)) out[name] = value.filter((v): v is string => typeof v === 'string').slice(0, 20);
  }
  return out;
}

interface MutableBucket {
  t: number;
  requests: number;
  blocked: number;
  tokensIn: number;
  tokensOut: number;
  byGuard: Record<string, number>;
}

export class UiEventFeed {
  private readonly capacity: number;
  private readonly ring: (UiEvent | undefined)[];
  private next = 1;
  readonly bucketMs: number;
  private readonly bucketCount: number;
  private readonly buckets = new Map<number, MutableBucket>();
  private readonly now: () => number;

  constructor(options: UiEventFeedOptions = {}) {
    this.capacity = Math.max(1, options.capacity ?? 2000);
    this.ring = new Array<UiEvent | undefined>(this.capacity);
    this.bucketMs = options.bucketMs ?? 10_000;
    this.bucketCount = options.buckets ?? 180;
    this.now = options.now ?? Date.now;
  }

  /** Observes one audit event. Never throws: the dashboard must not break the request path. */
  observe(event: AuditEvent): void {
    try {
      const time = event.time ?? this.now();
      this.count(event, time);
      const cat = category(event);
      if (!cat) return;
      const id = this.next++;
      this.ring[id % this.capacity] = {
        id,
        time,
        type: event.type,
        category: cat,
        ...(event.principal !== undefined ? { principal: event.principal } : {}),
        ...(event.tenant !== undefined ? { tenant: event.tenant } : {}),
        ...(event.requestId !== undefined ? { requestId: event.requestId } : {}),
        fields: pick(event),
      };
    } catch {
      /* never on the request path */
    }
  }

  private bucket(time: number): MutableBucket {
    const t = Math.floor(time / this.bucketMs) * this.bucketMs;
    let b = this.buckets.get(t);
    if (!b) {
      b = { t, requests: 0, blocked: 0, tokensIn: 0, tokensOut: 0, byGuard: {} };
      this.buckets.set(t, b);
      const oldest = t - this.bucketCount * this.bucketMs;
      for (const key of this.buckets.keys()) if (key <= oldest) this.buckets.delete(key);
    }
    return b;
  }

  private count(event: AuditEvent, time: number): void {
    if (event.type === 'request.received') this.bucket(time).requests++;
    else if (event.type === 'decision' && event.action === 'block') {
      const b = this.bucket(time);
      b.blocked++;
      const guards = event.guards?.length ? event.guards : ['failure'];
      for (const g of guards) b.byGuard[g] = (b.byGuard[g] ?? 0) + 1;
    } else if (event.type === 'upstream.response' && (event.tokensIn || event.tokensOut)) {
      const b = this.bucket(time);
      b.tokensIn += event.tokensIn ?? 0;
      b.tokensOut += event.tokensOut ?? 0;
    }
  }

  /** The last sequence number handed out (0 before the first event). */
  get lastId(): number {
    return this.next - 1;
  }

  /** Events with `id > after`, oldest first, at most `limit` (the newest ones when more match). */
  events(filter: { after?: number; category?: UiEventCategory; guard?: string; principal?: string; requestId?: string; limit?: number } = {}): UiEvent[] {
    const limit = Math.min(Math.max(filter.limit ?? 200, 1), this.capacity);
    const first = Math.max(filter.after ?? 0, this.next - 1 - this.capacity) + 1;
    const out: UiEvent[] = [];
    for (let id = this.next - 1; id >= first && out.length < limit; id--) {
      const e = this.ring[id % this.capacity];
      if (!e || e.id !== id) continue;
      if (filter.category && e.category !== filter.category) continue;
      if (filter.principal && e.principal !== filter.principal) continue;
      if (filter.requestId && e.requestId !== filter.requestId) continue;
      if (filter.guard) {
        const g = e.fields.guard ?? e.fields.guards;
        if (!(g === filter.guard || (Array.isArray(g) && g.includes(filter.guard)))) continue;
      }
      out.push(e);
    }
    return out.reverse();
  }

  /** The time series from `buckets` ago to now, empty buckets included. */
  series(): { bucketMs: number; buckets: SeriesBucket[] } {
    const nowBucket = Math.floor(this.now() / this.bucketMs) * this.bucketMs;
    const out: SeriesBucket[] = [];
    for (let i = this.bucketCount - 1; i >= 0; i--) {
      const t = nowBucket - i * this.bucketMs;
      const b = this.buckets.get(t);
      out.push(b ? { ...b, byGuard: { ...b.byGuard } } : { t, requests: 0, blocked: 0, tokensIn: 0, tokensOut: 0, byGuard: {} });
    }
    return { bucketMs: this.bucketMs, buckets: out };
  }

  /** An audit sink that records into `sink` and feeds the dashboard. */
  tap<S extends AuditSink & { recordMany(events: readonly AuditEvent[]): void }>(sink: S): AuditSink & { recordMany(events: readonly AuditEvent[]): void } {
    return {
      record: (event) => {
        sink.record(event);
        this.observe(event);
      },
      recordMany: (events) => {
        sink.recordMany(events);
        for (const e of events) this.observe(e);
      },
      flush: () => sink.flush(),
      close: () => sink.close(),
    };
  }
}
