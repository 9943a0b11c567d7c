import type { RecordBody } from '../../audit/record.js';

/**
 * What an incident looked like, from audit records: counts (what was seen, which controls fired)
 * and a timeline of the notable events (blocks, reviews, auth failures, operator actions, failures).
 * Shared by `incident report` and the forensic bundle's timeline.
 */

export interface TimelineEntry {
  readonly seq: number;
  readonly time: string;
  readonly type: string;
  /** `blocked`, `review`, `auth-failure`, `operator`, `approval`, `tool-refused`, `guard-failure`, `error`, `stream`, `system`. */
  readonly category: string;
  readonly principal?: string;
  readonly requestId?: string;
  readonly summary: string;
}

export interface AlertRules {
  readonly injectionBurst: { readonly count: number; readonly windowSeconds: number };
  readonly authFailureBurst: { readonly count: number; readonly windowSeconds: number };
  readonly guardFailures: { readonly count: number; readonly windowSeconds: number };
}

/** The telemetry defaults, for when the config does not say. */
export const DEFAULT_ALERT_RULES: AlertRules = {
  injectionBurst: { count: 5, windowSeconds: 60 },
  authFailureBurst: { count: 20, windowSeconds: 60 },
  guardFailures: { count: 3, windowSeconds: 300 },
};

export interface IncidentSummary {
  readonly from: string | null;
  readonly to: string | null;
  readonly records: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly requests: number;
  readonly principals: number;
  readonly decisions: Record<string, number>;
  readonly blockedByGuard: Record<string, number>;
  readonly blockedByFinding: Record<string, number>;
  readonly reviewsByFinding: Record<string, number>;
  readonly findingsByType: Record<string, number>;
  readonly blockedByPrincipal: Record<string, number>;
  readonly authFailures: { readonly total: number; readonly byReason: Record<string, number>; readonly byAddress: Record<string, number>; readonly bySurface: Record<string, number> };
  readonly toolCallsRefused: Record<string, number>;
  readonly approvals: Record<string, number>;
  readonly guardFailures: Record<string, number>;
  readonly lockdownRefusals: Record<string, number>;
  readonly streamInterventions: Record<string, number>;
  readonly upstreamErrors: number;
  readonly errors: number;
  readonly transforms: Record<string, number>;
  readonly tokens: { readonly in: number; readonly out: number };
  readonly operatorActions: number;
  /** Alerts the gateway's rules would have raised over these events (alerts themselves are not audited). */
  readonly alerts: readonly { readonly rule: string; readonly time: string; readonly key: string; readonly detail: string }[];
}

const bump = (m: Record<string, number>, key: string, n = 1): void => {
  m[key] = (m[key] ?? 0) + n;
};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const iso = (ts: number): string => new Date(ts).toISOString();

/** Sliding-window burst detection, as the alert rules do it. */
class Bursts {
  private readonly hits = new Map<string, number[]>();
  private readonly firedAt = new Map<string, number>();
  constructor(private readonly rule: { count: number; windowSeconds: number }) {}
  /** True when this hit completes a burst (once per window per key). */
  hit(key: string, ts: number): boolean {
    const window = this.rule.windowSeconds * 1000;
    const times = (this.hits.get(key) ?? []).filter((t) => t > ts - window);
    times.push(ts);
    this.hits.set(key, times);
    const last = this.firedAt.get(key);
    if (times.length >= this.rule.count && (last === undefined || ts - last >= window)) {
      this.firedAt.set(key, ts);
      return true;
    }
    return false;
  }
}

export interface AuditItem {
  readonly seq: number;
  readonly body: RecordBody;
}

/** Counts and timeline over records in chain order. */
export function summarize(items: Iterable<AuditItem>, rules: AlertRules = DEFAULT_ALERT_RULES): { summary: IncidentSummary; timeline: TimelineEntry[] } {
  const decisions: Record<string, number> = {};
  const blockedByGuard: Record<string, number> = {};
  const blockedByFinding: Record<string, number> = {};
  const reviewsByFinding: Record<string, number> = {};
  const findingsByType: Record<string, number> = {};
  const blockedByPrincipal: Record<string, number> = {};
  const auth = { total: 0, byReason: {} as Record<string, number>, byAddress: {} as Record<string, number>, bySurface: {} as Record<string, number> };
  const toolCallsRefused: Record<string, number> = {};
  const approvals: Record<string, number> = {};
  const guardFailures: Record<string, number> = {};
  const lockdownRefusals: Record<string, number> = {};
  const streamInterventions: Record<string, number> = {};
  const transforms: Record<string, number> = {};
  const tokens = { in: 0, out: 0 };
  const principals = new Set<string>();
  const alerts: { rule: string; time: string; key: string; detail: string }[] = [];
  const injection = new Bursts(rules.injectionBurst);
  const authBurst = new Bursts(rules.authFailureBurst);
  const guardBurst = new Bursts(rules.guardFailures);
  const timeline: TimelineEntry[] = [];
  let records = 0;
  let requests = 0;
  let upstreamErrors = 0;
  let errors = 0;
  let operatorActions = 0;
  let first: AuditItem | undefined;
  let last: AuditItem | undefined;

  for (const item of items) {
    const { seq, body } = item;
    const d = body.data ?? {};
    records++;
    first ??= item;
    last = item;
    if (body.principal) principals.add(body.principal);
    const base = { seq, time: iso(body.ts), type: body.type, ...(body.principal ? { principal: body.principal } : {}), ...(body.requestId ? { requestId: body.requestId } : {}) };
    const add = (category: string, summary: string): void => {
      timeline.push({ ...base, category, summary });
    };
    switch (body.type) {
      case 'request.received':
        requests++;
        break;
      case 'finding':
        bump(findingsByType, String(d.findingType ?? 'unknown'));
        break;
      case 'decision': {
        const action = String(d.action ?? 'unknown');
        bump(decisions, `${String(d.direction ?? 'input')} ${action}`);
        const guards = list(d.guards);
        const types = list(d.findingTypes);
        if (action === 'block') {
          for (const g of guards) bump(blockedByGuard, g);
          for (const t of types) bump(blockedByFinding, t);
          bump(blockedByPrincipal, body.principal ?? 'anonymous');
          if (guards.includes('lockdown')) for (const t of types) bump(lockdownRefusals, t.replace(/^lockdown\./, ''));
          add('blocked', `${String(d.direction ?? 'input')} blocked${d.stream ? ' (stream)' : ''}: ${types.join(', ') || 'policy'}${guards.length ? ` [${guards.join(', ')}]` : ''}`);
          if (types.some((t) => t.startsWith('injection.')) && injection.hit(body.principal ?? 'anonymous', body.ts)) {
            alerts.push({ rule: 'injection_burst', time: iso(body.ts), key: body.principal ?? 'anonymous', detail: `${rules.injectionBurst.count} blocked prompt injections within ${rules.injectionBurst.windowSeconds} s` });
          }
        } else if (action === 'review') {
          for (const t of types) bump(reviewsByFinding, t);
          add('review', `${String(d.direction ?? 'input')} held for review: ${types.join(', ') || 'policy'}`);
        }
        break;
      }
      case 'auth':
        if (d.outcome === 'failure') {
          auth.total++;
          bump(auth.byReason, String(d.reason ?? 'unknown'));
          bump(auth.bySurface, String(d.surface ?? 'unknown'));
          const ip = str(d.clientIp);
          if (ip) bump(auth.byAddress, ip);
          add('auth-failure', `authentication failed on ${String(d.surface ?? '?')}${ip ? ` from ${ip}` : ''}: ${String(d.reason ?? 'unknown')}`);
          const key = ip ?? String(d.surface ?? 'unknown');
          if (authBurst.hit(key, body.ts)) alerts.push({ rule: 'auth_failure_burst', time: iso(body.ts), key, detail: `${rules.authFailureBurst.count} refused credentials within ${rules.authFailureBurst.windowSeconds} s` });
        }
        break;
      case 'admin': {
        operatorActions++;
        const action = String(d.action ?? 'unknown');
        const detail = d.detail && typeof d.detail === 'object' ? ` (${Object.entries(d.detail as Record<string, unknown>).map(([k, v]) => `${k} ${String(v)}`).join(', ')})` : '';
        add('operator', `${String(d.actor ?? 'unknown')}: ${action}${d.target ? ` ${String(d.target)}` : ''}${d.outcome && d.outcome !== 'success' ? ` — ${String(d.outcome)}` : ''}${detail}`);
        if (action === 'lockdown.on' || action === 'lockdown') alerts.push({ rule: 'lockdown', time: iso(body.ts), key: String(d.target ?? ''), detail: `${String(d.actor ?? 'unknown')} engaged lockdown` });
        break;
      }
      case 'approval': {
        const status = String(d.status ?? 'unknown');
        bump(approvals, status);
        const by = str(d.actor);
        if (by) operatorActions++;
        add(by ? 'operator' : 'approval', `approval ${String(d.approvalId ?? '?')} ${status}${by ? ` by ${by}` : ''}${d.reason ? ` (${String(d.reason)})` : ''}`);
        break;
      }
      case 'tool.call':
        if (d.verdict === 'block') {
          bump(toolCallsRefused, String(d.tool ?? 'unknown'));
          add('tool-refused', `tool call ${String(d.tool ?? 'unknown')} refused`);
        }
        break;
      case 'guard.failure': {
        const guard = String(d.guard ?? 'unknown');
        bump(guardFailures, guard);
        add('guard-failure', `guard ${guard} ${d.timedOut ? 'timed out' : 'failed'} (${d.failOpen ? 'failed open' : 'failed closed'})`);
        if (guardBurst.hit(guard, body.ts)) alerts.push({ rule: 'guard_failures', time: iso(body.ts), key: guard, detail: `${rules.guardFailures.count} failures within ${rules.guardFailures.windowSeconds} s` });
        break;
      }
      case 'stream.intervention':
        bump(streamInterventions, String(d.intervention ?? 'unknown'));
        add('stream', `stream ${String(d.intervention ?? 'intervention')}`);
        break;
      case 'payload.transformed':
        bump(transforms, String(d.transform ?? 'unknown'));
        break;
      case 'upstream.response':
        if (d.error !== undefined || Number(d.status) >= 500) {
          upstreamErrors++;
          add('error', `upstream ${String(d.upstream ?? '?')} failed: ${String(d.error ?? `status ${String(d.status)}`)}`);
        }
        tokens.in += Number(d.tokensIn ?? 0) || 0;
        tokens.out += Number(d.tokensOut ?? 0) || 0;
        break;
      case 'error':
        errors++;
        add('error', `error in ${String(d.where ?? '?')}: ${String(d.message ?? '')}${d.status ? ` (${String(d.status)})` : ''}`);
        break;
      case 'system':
        add('system', `system ${String(d.action ?? '')}`);
        break;
      default:
        break;
    }
  }
  return {
    summary: {
      from: first ? iso(first.body.ts) : null,
      to: last ? iso(last.body.ts) : null,
      records,
      firstSeq: first?.seq ?? null,
      lastSeq: last?.seq ?? null,
      requests,
      principals: principals.size,
      decisions,
      blockedByGuard,
      blockedByFinding,
      reviewsByFinding,
      findingsByType,
      blockedByPrincipal,
      authFailures: auth,
      toolCallsRefused,
      approvals,
      guardFailures,
      lockdownRefusals,
      streamInterventions,
      upstreamErrors,
      errors,
      transforms,
      tokens,
      operatorActions,
      alerts,
    },
    timeline,
  };
}

const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function table(title: string, counts: Record<string, number>, column: string): string[] {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (rows.length === 0) return [`**${title}:** none.`, ''];
  return [`**${title}:**`, '', `| ${column} | count |`, '|---|---:|', ...rows.map(([k, n]) => `| ${esc(k)} | ${n} |`), ''];
}

export interface MarkdownOptions {
  readonly title: string;
  readonly window: { readonly since: number; readonly until?: number | undefined };
  /** Lines under the title (where the data came from). */
  readonly preamble?: readonly string[];
  /** At most this many timeline rows (the rest are counted). */
  readonly maxTimeline?: number;
}

/** The post-incident timeline as Markdown. */
export function incidentMarkdown(summary: IncidentSummary, timeline: readonly TimelineEntry[], options: MarkdownOptions): string {
  const s = summary;
  const blocked = Object.entries(s.decisions).filter(([k]) => k.endsWith(' block')).reduce((n, [, v]) => n + v, 0);
  const reviewed = Object.entries(s.decisions).filter(([k]) => k.endsWith(' review')).reduce((n, [, v]) => n + v, 0);
  const lines: string[] = [
    `# ${options.title}`,
    '',
    `Window: ${iso(options.window.since)} to ${options.window.until !== undefined ? iso(options.window.until) : 'now'} (UTC).`,
    ...(options.preamble ?? []),
    '',
    '## Summary',
    '',
    `- ${s.records} audit record(s)${s.firstSeq !== null ? ` (seq ${s.firstSeq}..${s.lastSeq}, ${s.from} to ${s.to})` : ''}; ${s.requests} request(s) from ${s.principals} principal(s).`,
    `- ${blocked} blocked decision(s), ${reviewed} held for review, ${s.authFailures.total} authentication failure(s), ${Object.values(s.toolCallsRefused).reduce((a, b) => a + b, 0)} tool call(s) refused.`,
    `- ${s.operatorActions} operator action(s); ${s.alerts.length} alert(s) by the gateway's rules; ${s.errors} error(s), ${s.upstreamErrors} upstream failure(s).`,
    `- Tokens: ${s.tokens.in} in, ${s.tokens.out} out.`,
    '',
    '## What was seen',
    '',
    ...table('Blocked requests by finding type', s.blockedByFinding, 'finding type'),
    ...table('Blocks by principal', s.blockedByPrincipal, 'principal'),
    ...table('Held for review by finding type', s.reviewsByFinding, 'finding type'),
    ...table('All findings by type', s.findingsByType, 'finding type'),
    ...table('Authentication failures by reason', s.authFailures.byReason, 'reason'),
    ...table('Authentication failures by address', s.authFailures.byAddress, 'address'),
    '**Alerts and anomalies** (the alert rules replayed over these records; alerts themselves are not audit events):',
    '',
    ...(s.alerts.length === 0 ? ['none.'] : ['| time | rule | key | detail |', '|---|---|---|---|', ...s.alerts.map((a) => `| ${a.time} | ${a.rule} | ${esc(a.key)} | ${esc(a.detail)} |`)]),
    '',
    '## Which controls fired',
    '',
    ...table('Blocks by guard', s.blockedByGuard, 'guard'),
    ...table('Lockdown refusals by scope', s.lockdownRefusals, 'scope'),
    ...table('Tool calls refused by tool', s.toolCallsRefused, 'tool'),
    ...table('Payload transforms', s.transforms, 'transform'),
    ...table('Stream interventions', s.streamInterventions, 'intervention'),
    ...table('Approvals by outcome', s.approvals, 'status'),
    ...table('Guard failures', s.guardFailures, 'guard'),
    '## What operators did',
    '',
  ];
  const ops = timeline.filter((t) => t.category === 'operator');
  if (ops.length === 0) lines.push('No operator action in the window.', '');
  else lines.push('| time (UTC) | seq | action |', '|---|---:|---|', ...ops.map((t) => `| ${t.time} | ${t.seq} | ${esc(t.summary)} |`), '');
  const max = options.maxTimeline ?? 1000;
  lines.push('## Timeline', '');
  if (timeline.length === 0) lines.push('No notable event in the window.', '');
  else {
    lines.push('| time (UTC) | seq | what | principal | request |', '|---|---:|---|---|---|');
    for (const t of timeline.slice(0, max)) lines.push(`| ${t.time} | ${t.seq} | ${esc(t.summary)} | ${esc(t.principal ?? '')} | ${t.requestId ?? ''} |`);
    if (timeline.length > max) lines.push('', `… ${timeline.length - max} more event(s) in timeline.json / the audit export.`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
