import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Authenticator } from '../auth/authenticator.js';
import { RoleSet } from '../auth/roles.js';
import { type AuditSink, AuditUnavailableError } from '../audit/events.js';
import { decisionEvents, eventBase, recordAll } from '../audit/gateway-events.js';
import { globMatch, type GuardContext, type Principal, type Segment } from '../core/index.js';
import type { AccessLimiter } from '../limits/access-limiter.js';
import { approvalOptionsFrom, ApprovalService, type HoldOutcome } from './approvals/approval-service.js';
import type { Approval, ApprovalStore } from './approvals/approval-store.js';
import { type GuardEngine, toolRefusal } from './guard-engine.js';
import type { LockdownService } from './incident/lockdown.js';
import { presentedCredential, verifiedClientCert } from './proxy.js';
import { wrappedTools } from './wrapped-tools.js';

/**
 * Tool verdicts for agents whose provider traffic ClawGuard cannot see (OpenClaw on an OAuth
 * subscription provider, say): the agent's own runtime asks before each tool call it runs — the
 * OpenClaw plugin in `integrations/openclaw-plugin` on `before_tool_call` — and ClawGuard answers with
 * the same judgement the LLM proxy gives a tool call in a model's answer: the guards and the policy
 * (`toolcalls` rules and analyzers, patterns, secrets…), the caller's role (`tools`), lockdowns
 * (`tool:NAME`, read-only, refuse), and human review through the shared approval store.
 *
 *   POST /v1/tool-verdicts                       {tool, params, toolCallId?, agentId?, sessionKey?, sessionId?, runId?}
 *     → 200 {verdict: "allow", params?}          (params present only when the policy rewrote them)
 *     → 200 {verdict: "block", reason, reasons}
 *     → 200 {verdict: "review", approvalId, expiresAt, reasons}
 *   GET  /v1/tool-verdicts/approvals/:id?wait=S  long-poll (S ≤ 60) for the human's decision
 *     → 200 {verdict: "review", status: "pending", …} | {verdict: "allow", status: "approved"} | {verdict: "block", status: "denied"|"expired", reason}
 *
 * Mounted on the admin listener but authenticated like the LLM proxy — with a **client** credential
 * (a `cg_` client key, a JWT or an mTLS identity): the verdict is about that principal's tool calls, and
 * an agent host that can read the credential must not be able to approve its own calls (an admin key
 * could). Approvals are decided only through the admin API / CLI.
 */

export interface ToolVerdictDeps {
  readonly engine: GuardEngine;
  readonly auth: Authenticator;
  readonly limiter: AccessLimiter;
  readonly roles: RoleSet;
  readonly lockdowns: LockdownService;
  /** The gateway's approval service: its store is where held calls wait for a human. */
  readonly approvals: ApprovalService;
  readonly approvalsConfig: { readonly timeoutSeconds: number; readonly pollMs: number; readonly webhookUrl?: string | undefined; readonly webhookIncludesArguments: boolean };
  readonly audit: AuditSink;
  readonly log: Logger;
  /** Largest request body accepted (tool arguments can be whole files). */
  readonly bodyLimit?: number;
}

export const TOOL_VERDICTS_PATH = '/v1/tool-verdicts';
/** The longest a single long-poll waits; the plugin polls again until its own deadline. */
export const MAX_WAIT_SECONDS = 60;
const MAX_JSON_DEPTH = 64;

const id = z.string().min(1).max(200);
const verdictBody = z.strictObject({
  tool: z.string().min(1).max(200),
  params: z.record(z.string(), z.unknown()).default({}),
  toolCallId: id.optional(),
  agentId: id.optional(),
  sessionKey: z.string().min(1).max(500).optional(),
  sessionId: id.optional(),
  runId: id.optional(),
});

type VerdictAnswer =
  | { verdict: 'allow'; requestId: string; params?: Record<string, unknown> }
  | { verdict: 'block'; requestId: string; reason: string; reasons: string[] }
  | { verdict: 'review'; requestId: string; approvalId: string; expiresAt: string; reasons: string[] };

function depthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

function errorReply(reply: FastifyReply, status: number, type: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { type, message } });
}

/** An approval store that tells who inserted what: the id of a held call is known before its hold ends. */
function capturingStore(base: ApprovalStore, inserted: (requestId: string, approval: { id: string; expiresAt: string }) => void): ApprovalStore {
  return {
    async insert(approval) {
      await base.insert(approval);
      inserted(approval.requestId, { id: approval.id, expiresAt: approval.expiresAt });
    },
    get: (approvalId) => base.get(approvalId),
    list: (status, limit) => base.list(status, limit),
    decide: (approvalId, status, by, note) => base.decide(approvalId, status, by, note),
    expirePending: (before) => base.expirePending(before),
  };
}

function approvedParams(args: string | null): { params: Record<string, unknown> } | undefined {
  if (args === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? { params: parsed as Record<string, unknown> } : undefined;
  } catch {
    return undefined;
  }
}

function outcomeOf(approval: Approval): HoldOutcome | 'pending' {
  return approval.status;
}

export function registerToolVerdicts(app: FastifyInstance, deps: ToolVerdictDeps): void {
  const { engine, auth, limiter, roles, lockdowns, audit, log } = deps;
  const store = deps.approvals.store;
  const inserted = new Map<string, (a: { id: string; expiresAt: string }) => void>();
  // Held calls: the same hold as the proxy's (announced to the webhook, audited, expired by silence),
  // on the shared store, so `clawguard approvals approve` and the admin API decide them on any replica.
  const holds = new ApprovalService(
    capturingStore(store, (requestId, a) => inserted.get(requestId)?.(a)),
    approvalOptionsFrom(deps.approvalsConfig, log, audit),
  );
  /** Holds running in this process, by approval id: a long-poll here wakes as soon as the hold ends. */
  const running = new Map<string, Promise<unknown>>();

  async function authenticate(request: FastifyRequest, reply: FastifyReply, requestId: string): Promise<Principal | undefined> {
    if (await limiter.authLocked(request.ip)) {
      errorReply(reply, 429, 'rate_limit_error', 'too many failed authentications from this address; try again later');
      return undefined;
    }
    const outcome = await auth.authenticate(presentedCredential(request), request.ip, verifiedClientCert(request));
    if (!outcome.ok) {
      audit.record({ type: 'auth', requestId, outcome: 'failure', surface: 'admin', reason: `tool verdicts: ${outcome.reason}`, clientIp: request.ip });
      errorReply(reply, outcome.status, outcome.status === 401 ? 'authentication_error' : outcome.status === 429 ? 'rate_limit_error' : 'permission_error', outcome.status === 401 ? 'missing or invalid ClawGuard client credential' : outcome.reason);
      return undefined;
    }
    return outcome.principal;
  }

  app.post(TOOL_VERDICTS_PATH, { bodyLimit: deps.bodyLimit ?? 4 * 1024 * 1024 }, async (request, reply) => {
    const started = performance.now();
    const requestId = randomUUID();
    reply.header('x-request-id', requestId);
    const line: Record<string, unknown> = { requestId, route: TOOL_VERDICTS_PATH };
    try {
      const principal = await authenticate(request, reply, requestId);
      if (!principal) return reply;
      line.principal = principal.id;
      const parsed = verdictBody.safeParse(request.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        return errorReply(reply, 400, 'invalid_request_error', `${issue.path.join('.') || 'body'}: ${issue.message}`);
      }
      const body = parsed.data;
      if (depthExceeds(body.params, MAX_JSON_DEPTH)) return errorReply(reply, 400, 'invalid_request_error', `params: nests deeper than ${MAX_JSON_DEPTH} levels`);
      Object.assign(line, { tool: body.tool, toolCallId: body.toolCallId, agentId: body.agentId, sessionKey: body.sessionKey, runId: body.runId });
      const ctx = { requestId, principal };
      const args = JSON.stringify(body.params);
      const answer = await judge(body.tool, args, body.toolCallId ?? requestId, ctx, wrappedTools(body.tool, body.params));
      line.verdict = answer.verdict;
      if (answer.verdict === 'block') line.reasons = answer.reasons;
      audit.record({ type: 'tool.call', ...eventBase(ctx), tool: body.tool, ...(body.toolCallId ? { callId: body.toolCallId } : {}), verdict: answer.verdict, payload: args });
      return answer;
    } catch (error) {
      line.internalError = error instanceof Error ? error.message : String(error);
      // Fail closed: the plugin blocks the call on anything but a well-formed verdict.
      return errorReply(
        reply,
        error instanceof AuditUnavailableError ? 503 : 500,
        'api_error',
        error instanceof AuditUnavailableError ? 'the audit log cannot accept events; ClawGuard gives no verdict it cannot record' : 'ClawGuard could not judge this tool call',
      );
    } finally {
      line.status = reply.statusCode;
      line.totalMs = Number((performance.now() - started).toFixed(3));
      log.info(line, 'tool verdict');
    }
  });

  async function judge(tool: string, args: string, callId: string, ctx: { requestId: string; principal: Principal }, inner: readonly string[] = []): Promise<VerdictAnswer> {
    const { requestId, principal } = ctx;
    const lockdown = lockdowns.check(principal);
    if (lockdown.refuse) {
      const reason = `ClawGuard is in lockdown for this caller (${lockdown.refuse.scope}${lockdown.refuse.reason ? `: ${lockdown.refuse.reason}` : ''})`;
      return { verdict: 'block', requestId, reason, reasons: ['lockdown'] };
    }
    const role = roles.get(principal.role ?? '');
    const allowedOne = (name: string): boolean =>
      role !== undefined && RoleSet.allowsTool(role, name) && !lockdown.readOnly && !lockdown.deniedTools.some((glob) => globMatch(glob, name));
    // A wrapper (`tool_call {id, args}`) runs the tool it names: the role and lockdowns apply to that one too.
    const toolAllowed = (name: string): boolean => allowedOne(name) && inner.every(allowedOne);
    const guardCtx: GuardContext = { requestId, direction: 'output', principal };
    // The same judgement as a tool call in a model's answer (GuardEngine.judgeToolCall), with the
    // inspection kept so its findings and failures go to the audit trail.
    const segment: Segment = { id: `plugin.tool_calls.${callId}`, path: [], direction: 'output', role: 'assistant', kind: 'tool_call', trusted: false, toolName: tool, toolCallId: callId, text: args };
    const inspection = await engine.inspect([segment], guardCtx, 1, { useCache: false });
    recordAll(audit, decisionEvents(ctx, 'output', inspection.decision));
    const judgement = engine.judgeToolSegments(inspection, engine.rewrites(inspection), toolAllowed)[0]!;
    if (judgement.action === 'refuse') return { verdict: 'block', requestId, reason: toolRefusal(judgement), reasons: [...judgement.reasons] };
    if (judgement.action === 'allow') {
      if (judgement.arguments === args) return { verdict: 'allow', requestId };
      return { verdict: 'allow', requestId, params: JSON.parse(judgement.arguments) as Record<string, unknown> };
    }
    const held = await startHold(principal, requestId, tool, judgement.arguments, judgement.reasons);
    return { verdict: 'review', requestId, approvalId: held.id, expiresAt: held.expiresAt, reasons: [...judgement.reasons] };
  }

  async function startHold(principal: Principal, requestId: string, toolName: string, args: string, reasons: readonly string[]): Promise<{ id: string; expiresAt: string }> {
    const created = new Promise<{ id: string; expiresAt: string }>((resolve) => inserted.set(requestId, resolve));
    const hold = holds.hold({ principal: principal.id, requestId, toolName, arguments: args, reasons });
    // Either the insert lands (the hold goes on in the background until a human or the timeout ends
    // it) or the hold fails before it (the store is down): then the verdict request fails, closed.
    const first = await Promise.race([created, hold.then(() => undefined)]).finally(() => inserted.delete(requestId));
    if (!first) throw new Error('the approval could not be recorded');
    const tracked = hold
      .catch((error: unknown) => log.warn({ approvalId: first.id, error: error instanceof Error ? error.message : String(error) }, 'tool verdict hold failed'))
      .finally(() => running.delete(first.id));
    running.set(first.id, tracked);
    return first;
  }

  app.get<{ Params: { id: string }; Querystring: { wait?: string } }>(`${TOOL_VERDICTS_PATH}/approvals/:id`, async (request, reply) => {
    const requestId = randomUUID();
    reply.header('x-request-id', requestId);
    const principal = await authenticate(request, reply, requestId);
    if (!principal) return reply;
    const wait = request.query.wait === undefined ? 0 : Number(request.query.wait);
    if (!Number.isFinite(wait) || wait < 0 || wait > MAX_WAIT_SECONDS) return errorReply(reply, 400, 'invalid_request_error', `wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`);
    const approvalId = request.params.id;
    let approval = await store.get(approvalId);
    // Another principal's approval is no business of this caller's: the same answer as an unknown id.
    if (!approval || approval.principal !== principal.id || approval.toolName === null) return errorReply(reply, 404, 'not_found_error', 'no such approval');
    const deadline = Date.now() + wait * 1000;
    const gone = new AbortController();
    const onClose = (): void => gone.abort();
    request.raw.socket.once('close', onClose);
    try {
      while (approval.status === 'pending' && Date.now() < deadline && !gone.signal.aborted) {
        const local = running.get(approvalId);
        const pause = Math.min(deps.approvalsConfig.pollMs, Math.max(1, deadline - Date.now()));
        await Promise.race([local ?? new Promise<void>(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, pause).unref())]);
        approval = (await store.get(approvalId)) ?? approval;
        // Past its time and no hold of this process left to expire it (its replica died): expire it here.
        if (approval.status === 'pending' && Date.parse(approval.expiresAt) <= Date.now() && !running.has(approvalId)) {
          await store.decide(approvalId, 'expired', 'clawguard', 'no decision in time');
          approval = (await store.get(approvalId)) ?? approval;
        }
      }
    } finally {
      request.raw.socket.off('close', onClose);
    }
    const outcome = outcomeOf(approval);
    const common = { requestId, approvalId, status: approval.status, expiresAt: approval.expiresAt, reasons: approval.reasons, decidedBy: approval.decidedBy, note: approval.note };
    if (outcome === 'pending') return { ...common, verdict: 'review' };
    // What was approved is what runs: the held arguments (redacted where the policy said so), not the originals.
    // Held arguments that are no longer a JSON object cannot be handed back: refused, never the originals.
    if (outcome === 'approved') {
      const approved = approvedParams(approval.arguments);
      if (approval.arguments !== null && !approved) return { ...common, verdict: 'block', reason: toolRefusal({ toolName: approval.toolName ?? 'unknown', reasons: [...approval.reasons, 'the approved arguments are not a JSON object'] }) };
      return { ...common, verdict: 'allow', ...(approved ?? {}) };
    }
    return { ...common, verdict: 'block', reason: toolRefusal({ toolName: approval.toolName ?? 'unknown', reasons: [...approval.reasons, `review ${outcome}`] }) };
  });
}
