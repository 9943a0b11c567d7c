import { type Decision, decisionCauses, type Direction, type Principal, type Segment } from '../core/index.js';
import type { AuditEvent, AuditEventBase, AuditSink, RequestReceivedEvent, SegmentMeta } from './events.js';

/**
 * Builders from the gateway's own types (principal, segments, decisions) to audit events, so the
 * request path records with one call per step and never hand-copies fields (or text) into metadata.
 */

/** Who and what a request is about; carried through the request and spread into every event. */
export interface AuditRequestContext {
  readonly requestId: string;
  readonly principal?: Principal | undefined;
  /** End-user id when the client sends one (e.g. OpenAI `user`, Anthropic `metadata.user_id`). */
  readonly endUser?: string | undefined;
}

/** Common fields: principal id, tenant, and the subject whose payload key encrypts the text. */
export function eventBase(ctx: AuditRequestContext): Pick<AuditEventBase, 'requestId' | 'principal' | 'tenant' | 'subject'> {
  const p = ctx.principal;
  return {
    requestId: ctx.requestId,
    ...(p ? { principal: p.id } : {}),
    ...(p?.tenant !== undefined ? { tenant: p.tenant } : {}),
    ...(ctx.endUser !== undefined ? { subject: ctx.endUser } : p ? { subject: p.id } : {}),
  };
}

/** Segment provenance without the text. */
export function segmentMeta(segments: readonly Segment[]): SegmentMeta[] {
  return segments.map((s) => ({
    id: s.id,
    direction: s.direction,
    role: s.role,
    kind: s.kind,
    ...(s.toolName !== undefined ? { tool: s.toolName } : {}),
    trusted: s.trusted,
    chars: s.text.length,
  }));
}

/** The text of the segments, one per line block: what `payloads: redacted|encrypted` stores for a request. */
export function segmentsText(segments: readonly Segment[]): string {
  return segments.map((s) => `[${s.role}${s.toolName ? `:${s.toolName}` : ''}] ${s.text}`).join('\n\n');
}

export function requestReceived(
  ctx: AuditRequestContext,
  request: { route: string; api?: string; model?: string; stream?: boolean; bytes?: number; clientIp?: string },
  segments: readonly Segment[],
  options: { includePayload?: boolean } = {},
): RequestReceivedEvent {
  return {
    type: 'request.received',
    ...eventBase(ctx),
    ...request,
    segments: segmentMeta(segments),
    ...(options.includePayload === false ? {} : { payload: segmentsText(segments) }),
  };
}

/** One `decision` event, a `finding` event per verdict and a `guard.failure` event per failure. */
export function decisionEvents(ctx: AuditRequestContext, direction: Direction, decision: Decision, options: { stream?: boolean } = {}): AuditEvent[] {
  const base = eventBase(ctx);
  const events: AuditEvent[] = [];
  for (const v of decision.verdicts) {
    const f = v.finding;
    events.push({
      type: 'finding',
      ...base,
      direction,
      guard: f.guard,
      findingType: f.type,
      score: f.score,
      segmentId: f.segmentId,
      ...(f.span ? { span: { start: f.span.start, end: f.span.end } } : {}),
      action: v.action,
      rule: v.rule,
      reason: f.reason,
    });
  }
  for (const failure of decision.failures) {
    events.push({
      type: 'guard.failure',
      ...base,
      guard: failure.guard,
      ...(failure.segmentId !== undefined ? { segmentId: failure.segmentId } : {}),
      error: failure.error,
      timedOut: failure.timedOut,
      failOpen: failure.failOpen,
    });
  }
  const causes = decisionCauses(decision);
  events.push({
    type: 'decision',
    ...base,
    direction,
    action: decision.action,
    findings: decision.verdicts.length,
    failures: decision.failures.length,
    guards: causes.guards,
    findingTypes: causes.types,
    ...(options.stream ? { stream: true } : {}),
  });
  return events;
}

/** Records several events in order, with one journal write when the sink can (AuditLog.recordMany). */
export function recordAll(sink: AuditSink & { recordMany?(events: readonly AuditEvent[]): void }, events: readonly AuditEvent[]): void {
  if (sink.recordMany) sink.recordMany(events);
  else for (const e of events) sink.record(e);
}
