import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticator.js';
import { RoleSet } from '../auth/roles.js';
import { type Decision, decisionCauses, type Finding, type GuardContext, type Segment } from '../core/index.js';
import { flowEscalation } from '../guards/toolcalls/flow.js';
import { type AuditEvent, type AuditSink, AuditUnavailableError, NULL_AUDIT_SINK } from '../audit/events.js';
import { type AuditRequestContext, decisionEvents, eventBase, requestReceived } from '../audit/gateway-events.js';
import { RequestAudit } from './request-audit.js';
import { logRequest } from './request-log.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { AccessLimiter, LimitSubject } from '../limits/access-limiter.js';
import type { ErrorSpec, ProviderAdapter, ToolCallRefusal } from '../providers/adapter.js';
import { SseParser, type SseEvent } from '../providers/sse.js';
import { GuardEngine, toolRefusal } from './guard-engine.js';
import type { ApprovalService } from './approvals/approval-service.js';
import type { LockdownService } from './incident/lockdown.js';
import { type IntegrityConfig, pinnedModelViolation } from '../integrity/startup.js';
import { answeredModel, ModelLineage, StreamModelSniffer } from '../integrity/lineage.js';
import { globMatch } from '../core/index.js';
import { ownValuesInToolCalls, type PseudonymService, restoreJsonText, withheldCredentialsInUrls, withRestoredToolArguments } from './pseudonyms.js';
import { type PseudonymMap, VaultError } from '../transform/vault.js';
import { isStoreUnavailable } from '../storage/errors.js';
import type { Router } from './router.js';
import { GatewayStreamInspector } from './stream-inspector.js';
import { CallAbort, classifyUpstreamError, UpstreamError, type Upstream } from './upstream.js';

export interface ProxyDeps {
  readonly engine: GuardEngine;
  readonly router: Router;
  readonly auth: Authenticator;
  readonly roles: RoleSet;
  readonly limiter: AccessLimiter;
  readonly log: Logger;
  readonly pseudonyms: PseudonymService;
  /** Absent: `review` fails closed at once. */
  readonly approvals?: ApprovalService | undefined;
  readonly lockdowns?: LockdownService | undefined;
  /** Model pinning: only exact, versioned model ids when the operator asks for it. */
  readonly integrity?: IntegrityConfig | undefined;
  /** Tool names whose calls go to review once a tool result in the conversation was flagged as injection. */
  readonly highRiskTools?: readonly string[] | undefined;
  /** The tool-call policy's trusted domains (`guards.toolcalls.domains.allow`). */
  readonly trustedDomains?: readonly string[] | undefined;
  /** Where every step of the request is recorded (audit log + telemetry). */
  readonly audit?: (AuditSink & { recordMany?(events: readonly AuditEvent[]): void }) | undefined;
  /** False when nothing behind `audit` keeps payloads (`audit.payloads: none`): the request text is not joined for it. */
  readonly auditPayloads?: boolean | undefined;
  readonly metrics?: Metrics | undefined;
  /** Model lineage for `upstream.response` events, and MLflow pins (docs/integrity.md). */
  readonly lineage?: ModelLineage | undefined;
}

/** Input tokens before the call, for token limits: about four characters a token. */
function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/** Upstream response headers worth passing on; everything else (cookies, provider internals) stays behind. */
const PASS_RESPONSE_HEADERS = /^(content-type|retry-after|x-ratelimit-.*|anthropic-ratelimit-.*|openai-processing-ms|request-id|x-request-id)$/;
const MAX_UPSTREAM_JSON = 32 * 1024 * 1024;
/** Provider error bodies are short JSON; a larger one is refused (502) and its connection closed. */
const MAX_UPSTREAM_ERROR = 1024 * 1024;
/** Deeper JSON than this is refused: no provider payload needs it, and deep nesting is a parser attack. */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether an object or array sits deeper than `max`. Recursive: the recursion stops one level past
 * `max`, and it allocates nothing (a work stack of [node, depth] pairs and an `Object.values` array
 * per object were ~0.7 KB per request).
 */
function jsonDepthExceeds(value: unknown, max: number, depth = 1): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > max) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (jsonDepthExceeds(value[i], max, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    if (Object.hasOwn(value, key) && jsonDepthExceeds((value as Record<string, unknown>)[key], max, depth + 1)) return true;
  }
  return false;
}

/** The tool-call segments (no closure and no new array for an answer without any: the usual one). */
function toolCallsOf(segments: readonly Segment[]): readonly Segment[] {
  let calls: Segment[] | undefined;
  for (const s of segments) if (s.kind === 'tool_call') (calls ??= []).push(s);
  return calls ?? NO_SEGMENTS;
}

/**
 * Whether an answer's decision blocks its text: a block or review verdict on anything but a tool call,
 * or a guard that failed closed on anything but a tool call (tool calls are refused one by one).
 */
function blocksAnswerText(decision: Decision, segments: readonly Segment[]): boolean {
  const kindOf = (id: string | undefined): Segment['kind'] | undefined => segments.find((s) => s.id === id)?.kind;
  for (const v of decision.verdicts) if ((v.action === 'block' || v.action === 'review') && kindOf(v.finding.segmentId) !== 'tool_call') return true;
  for (const f of decision.failures) if (!f.failOpen && kindOf(f.segmentId) !== 'tool_call') return true;
  return false;
}

const NO_SEGMENTS: readonly Segment[] = [];

/** The path of a request URL, without its query (`url.split('?')[0]` without the array). */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** The end user a client names, for the audit's payload key (OpenAI `user`, Anthropic `metadata.user_id`). */
function endUser(body: any): string | undefined {
  return typeof body?.user === 'string' ? body.user : typeof body?.metadata?.user_id === 'string' ? body.metadata.user_id : undefined;
}

const NO_IDS: ReadonlySet<string> = new Set();

/** The client certificate's CN, when TLS verified it against the configured CA. */
export function verifiedClientCert(request: FastifyRequest): { commonName: string } | undefined {
  const socket = request.raw.socket as TLSSocket;
  if (!socket.encrypted || !socket.authorized) return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  const commonName = Array.isArray(cn) ? cn[0] : cn;
  return typeof commonName === 'string' && commonName ? { commonName } : undefined;
}

const BEARER = /^Bearer\s+\S+\s*$/i;
const SPACE = /\s/;

export function presentedCredential(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && BEARER.test(authorization)) {
    // The token between "Bearer" with its spaces and any trailing spaces: /^Bearer\s+(\S+)\s*$/i's
    // capture, without the match array.
    let start = 6;
    while (SPACE.test(authorization[start]!)) start++;
    let end = authorization.length;
    while (SPACE.test(authorization[end - 1]!)) end--;
    return authorization.slice(start, end);
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

function upstreamHeaders(adapter: ProviderAdapter, request: FastifyRequest, upstream: Upstream, requestId: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of adapter.forwardHeaders) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  headers['content-type'] = 'application/json';
  headers['x-request-id'] = requestId;
  if (adapter.api === 'anthropic-messages' && !headers['anthropic-version']) headers['anthropic-version'] = '2023-06-01';
  const auth = upstream.authHeaders(adapter.authHeaders);
  if (auth) Object.assign(headers, auth);
  return headers;
}

/** The whole body, at most `cap` bytes (beyond it the body is destroyed, which closes the connection). */
function readCapped(body: Readable, cap: number): Promise<Buffer> {
  // Listeners rather than `for await`: an async iterator and a promise per chunk cost more than the read.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) {
        fail(new UpstreamError(502, `the upstream response exceeds ${cap} bytes`));
        body.destroy();
        return;
      }
      chunks.push(chunk);
    });
    // `on`, not `once` (a wrapper per listener): each of these events comes once, and `settled` guards.
    body.on('end', () => {
      settled = true;
      // One chunk (most answers): it is the body; a copy would be as much garbage again.
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    body.on('error', fail);
    // 'close' follows 'end' on every read: the error (and its stack trace) only when it means something.
    body.on('close', () => {
      if (!settled) fail(Object.assign(new Error('the upstream response ended early'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
  });
}

/** One request through the LLM proxy: authenticate, validate, guard, route, forward, guard the answer. */
export function createProxyHandler(adapter: ProviderAdapter, deps: ProxyDeps) {
  const { engine, router, auth, roles, limiter, log, pseudonyms, approvals, lockdowns, integrity, highRiskTools, trustedDomains, metrics } = deps;
  const payloadOption = { includePayload: deps.auditPayloads !== false };
  const audit = deps.audit ?? NULL_AUDIT_SINK;
  const lineage = deps.lineage ?? ModelLineage.none;

  return async function proxyHandler(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const started = performance.now();
    const requestId = randomUUID();
    // The path only: a query string may hold what a client should not have put there (a key).
    const line: Record<string, unknown> = { requestId, api: adapter.api, route: pathOf(request.url) };
    // What the guards decided; `none` when the request failed before they ran (auth, validation, routing).
    let decision: string = 'none';
    let guardMs = 0;
    reply.header('x-request-id', requestId);

    // This request's audit events, written before each action they account for (request-audit.ts).
    const events = new RequestAudit(audit);
    const fail = (spec: ErrorSpec): void => {
      let error = spec;
      try {
        events.flush();
      } catch (e) {
        if (!(e instanceof AuditUnavailableError)) throw e;
        line.internalError = e.message;
        error = auditUnavailable(adapter);
      }
      line.status = error.status;
      line.error = error.type;
      reply.header('x-clawguard-decision', decision).code(error.status).send(adapter.errorBody(error));
    };
    let auditCtx: AuditRequestContext = { requestId };
    const finish = (): void => {
      line.decision = decision;
      line.guardMs = Number(guardMs.toFixed(3));
      line.totalMs = Number((performance.now() - started).toFixed(3));
      logRequest(log, line);
      const upstreamMs = typeof line.upstreamMs === 'number' ? line.upstreamMs : 0;
      metrics?.requestCompleted(pathOf(request.url), String(line.decision), Number(line.status ?? 0), Math.max(0, (line.totalMs as number) - upstreamMs) / 1000);
    };

    try {
      // Authentication, limits and guards answer at once when they can: awaited only when they did not
      // (an await is ~0.4 KB of garbage; a request went through seven).
      const authenticated = auth.authenticate(presentedCredential(request), request.ip, verifiedClientCert(request));
      const authOutcome = authenticated instanceof Promise ? await authenticated : authenticated;
      if (!authOutcome.ok) {
        events.record({ type: 'auth', requestId, outcome: 'failure', surface: 'proxy', reason: authOutcome.reason, clientIp: request.ip });
        if (authOutcome.status === 429) {
          reply.header('retry-after', String(authOutcome.retryAfterSeconds ?? 60));
          fail({ status: 429, type: 'rate_limit_error', code: 'auth_lockout', message: authOutcome.reason });
        } else if (authOutcome.status === 403) {
          fail({ status: 403, type: 'permission_error', code: 'unknown_role', message: 'the credential carries no role this gateway knows' });
        } else {
          fail({ status: 401, type: adapter.api === 'openai-chat' ? 'invalid_request_error' : 'authentication_error', code: 'invalid_api_key', message: 'missing or invalid ClawGuard credential' });
        }
        line.authFailure = authOutcome.reason;
        return;
      }
      const principal = authOutcome.principal;
      const role = roles.get(principal.role)!;
      auditCtx = { requestId, principal };
      events.record({ type: 'auth', ...eventBase(auditCtx), outcome: 'success', surface: 'proxy', keyId: principal.id, clientIp: request.ip });
      line.principal = principal.id;
      line.role = role.name;
      const lockdown = lockdowns?.check(principal);
      if (lockdown?.refuse) {
        line.lockdown = lockdown.refuse.scope;
        decision = 'block';
        events.record({ type: 'decision', ...eventBase(auditCtx), direction: 'input', action: 'block', findings: 0, failures: 0, guards: ['lockdown'], findingTypes: [`lockdown.${lockdown.refuse.scope}`] });
        fail({ status: 403, type: 'permission_error', code: 'lockdown', message: `ClawGuard is in lockdown for this caller (${lockdown.refuse.scope}${lockdown.refuse.reason ? `: ${lockdown.refuse.reason}` : ''})` });
        return;
      }

      const requestType = String(request.headers['content-type'] ?? '');
      if (!/^application\/json\b/i.test(requestType)) {
        fail({ status: 415, type: 'invalid_request_error', message: 'content-type must be application/json' });
        return;
      }
      const raw = request.body as Buffer | undefined;
      let body: any;
      try {
        body = JSON.parse((raw ?? Buffer.alloc(0)).toString('utf8'));
      } catch {
        fail({ status: 400, type: 'invalid_request_error', message: 'the request body is not valid JSON' });
        return;
      }
      if (jsonDepthExceeds(body, MAX_JSON_DEPTH)) {
        fail({ status: 400, type: 'invalid_request_error', message: `the request body nests deeper than ${MAX_JSON_DEPTH} levels` });
        return;
      }
      const check = adapter.validateRequest(body);
      if (!check.ok) {
        fail({ status: 400, type: 'invalid_request_error', message: check.message, param: check.param });
        return;
      }
      line.model = check.model;
      line.stream = check.stream;

      if (!RoleSet.allowsApi(role, adapter.api)) {
        fail({ status: 403, type: 'permission_error', code: 'api_not_allowed', message: `role "${role.name}" may not use this API` });
        return;
      }
      // An MLflow pin that governs the model decides; otherwise the pinning rule.
      const registryPin = lineage.pinCheck(check.model);
      const unpinned = registryPin ? registryPin.refused : pinnedModelViolation(integrity, check.model);
      if (unpinned) {
        fail({ status: 403, type: 'permission_error', code: 'model_not_pinned', message: unpinned, param: 'model' });
        return;
      }
      if (!RoleSet.allowsModel(role, check.model)) {
        fail({ status: 403, type: 'permission_error', code: 'model_not_allowed', message: `role "${role.name}" may not use model "${check.model}"`, param: 'model' });
        return;
      }
      const route = router.resolve(check.model, adapter.api);
      if (route.ok && !RoleSet.allowsUpstream(role, route.upstream.name)) {
        fail({ status: 403, type: 'permission_error', code: 'upstream_not_allowed', message: `role "${role.name}" may not use the upstream serving "${check.model}"`, param: 'model' });
        return;
      }
      if (!route.ok) {
        fail({ status: 404, type: adapter.api === 'openai-chat' ? 'invalid_request_error' : 'not_found_error', code: 'model_not_found', message: route.reason, param: 'model' });
        return;
      }
      const upstream = route.upstream;
      line.upstream = upstream.name;
      const providerTools = adapter.providerTools(body);
      if (providerTools.length > 0 && !upstream.allowsServerTools) {
        fail({
          status: 403,
          type: 'permission_error',
          code: 'server_tools_not_allowed',
          message: `the request declares tools the provider runs itself (${providerTools.slice(0, 5).map((t) => t.slice(0, 64)).join(', ')}): their calls would bypass ClawGuard's tool-call policy; allow them for upstream "${upstream.name}" with serverTools: allow`,
          param: 'tools',
        });
        return;
      }

      const ctxIn: GuardContext = { requestId, direction: 'input', principal };
      const { segments, messageCount } = adapter.requestSegments(body);
      // The conversation id (for quarantines, and shown to the operator in the header and the log line).
      const conversationHeader = typeof request.headers['x-clawguard-conversation'] === 'string' ? request.headers['x-clawguard-conversation'] : undefined;
      const conversationId = pseudonyms.conversationId(principal, segments, conversationHeader);
      line.conversation = conversationId;
      reply.header('x-clawguard-conversation', conversationId);
      const quarantine = lockdowns?.hasQuarantines ? lockdowns.quarantined(conversationId, conversationHeader) : undefined;
      auditCtx = { requestId, principal, endUser: endUser(body) };
      events.record(requestReceived(auditCtx, { route: pathOf(request.url), api: adapter.api, model: check.model, stream: check.stream, bytes: raw?.length ?? 0, clientIp: request.ip }, segments, payloadOption));
      const subject: LimitSubject = { principal: principal.id, tenant: principal.tenant, ip: request.ip, role: role.name };
      let inputChars = 0;
      for (const s of segments) inputChars += s.text.length;
      const checked = limiter.checkRequest(subject, estimateTokens(inputChars));
      const limit = checked instanceof Promise ? await checked : checked;
      for (const name in limit.headers) reply.header(name, limit.headers[name]!);
      if (!limit.allowed) {
        line.rateLimited = limit.reason;
        fail(
          limit.storeDown
            ? { status: 503, type: adapter.api === 'openai-chat' ? 'service_unavailable' : 'overloaded_error', message: 'rate limiting is unavailable and configured to fail closed' }
            : limit.authLockout
              ? { status: 429, type: 'rate_limit_error', code: 'auth_lockout', message: limit.reason }
              : { status: 429, type: adapter.api === 'openai-chat' ? 'requests' : 'rate_limit_error', code: 'rate_limit_exceeded', message: `rate limit reached: ${limit.reason}` },
        );
        return;
      }
      // The flow rule: an injection flagged in a tool result of this conversation sends the model's next
      // high-risk tool calls to review (the conversation is re-sent every turn, so no state is kept).
      // Without findings in the request or tool calls in the answer there is nothing to escalate.
      // It also refuses a call that would get a withheld credential restored into a URL to an untrusted host
      // (withheldCredentialsInUrls): tool calls are read here as the model wrote them, placeholders in.
      const flow = (toolCalls: readonly Segment[]): Finding[] => {
        if (toolCalls.length === 0) return [];
        const escalation = input.findings.length === 0 ? [] : flowEscalation(input.findings, [...input.segments, ...toolCalls], highRiskTools ? { highRisk: highRiskTools } : {});
        const withheld = withheldCredentialsInUrls(conversation, toolCalls, trustedDomains ?? []);
        return withheld.length === 0 ? escalation : [...escalation, ...withheld];
      };
      const toolAllowed = (name: string): boolean =>
        RoleSet.allowsTool(role, name) && !lockdown?.readOnly && !lockdown?.deniedTools.some((glob) => globMatch(glob, name));
      const inspected = engine.inspect(segments, ctxIn, messageCount);
      const input = inspected instanceof Promise ? await inspected : inspected;
      guardMs += input.guardMs;
      events.recordAll(decisionEvents(auditCtx, 'input', input.decision));
      decision = input.decision.action;
      if (input.findings.length > 0) line.findings = input.findings.map((f) => f.type);
      if (input.decision.failures.length > 0) line.guardFailures = input.decision.failures.map((f) => ({ guard: f.guard, error: f.error, failOpen: f.failOpen }));
      if (input.decision.action === 'block') {
        fail(policyError(input.decision));
        return;
      }
      if (input.decision.action === 'review' || quarantine) {
        const reasons = [...decisionCauses(input.decision).types, ...(quarantine ? [`quarantine:${quarantine.scope}`] : [])];
        decision = 'review';
        if (quarantine) events.record({ type: 'decision', ...eventBase(auditCtx), direction: 'input', action: 'review', findings: 0, failures: 0, guards: ['quarantine'], findingTypes: ['incident.quarantine'] });
        const gone = clientGone(request);
        let held: Awaited<ReturnType<ApprovalService['hold']>> | undefined;
        try {
          events.flush();
          held = approvals ? await approvals.hold({ principal: principal.id, requestId, reasons }, gone.signal) : undefined;
        } finally {
          gone.dispose();
        }
        line.review = held?.outcome ?? 'no approver';
        if (held?.outcome !== 'approved') {
          fail(quarantine ? quarantineError(quarantine.scope, held?.outcome) : policyError(input.decision));
          return;
        }
        decision = input.decision.action === 'review' ? 'allow' : input.decision.action;
      }
      let outgoing: Buffer | string = raw!;
      let conversation: PseudonymMap | undefined;
      if (GuardEngine.wantsPseudonyms(input)) {
        const header = request.headers['x-clawguard-conversation'];
        conversation = await pseudonyms.open(pseudonyms.conversationId(principal, segments, typeof header === 'string' ? header : undefined));
      }
      const rewrites = engine.rewrites(input, conversation);
      if (rewrites.length > 0) {
        events.record({ type: 'payload.transformed', ...eventBase(auditCtx), direction: 'input', transform: conversation ? 'pseudonymize' : 'redact', spans: input.decision.verdicts.filter((v) => v.action === 'redact' || v.action === 'pseudonymize').length });
      }
      // Saved before forwarding: the answer may come back with these placeholders.
      if (conversation) await pseudonyms.save(conversation);
      if (rewrites.length > 0) {
        adapter.applyRequestRewrites(body, rewrites);
        outgoing = JSON.stringify(body);
      }

      events.flush();
      const abort = new CallAbort();
      const onClose = (): void => {
        if (!reply.raw.writableFinished) abort.abort(new Error('client went away'));
      };
      reply.raw.on('close', onClose);
      const budget = upstream.budget(abort);
      const upstreamStarted = performance.now();
      let response;
      try {
        response = await upstream.send('POST', adapter.upstreamPath, upstreamHeaders(adapter, request, upstream, requestId), outgoing, abort);
      } catch (error) {
        clearTimeout(budget);
        const e = classifyUpstreamError(error, upstream.name);
        events.record({ type: 'upstream.response', ...eventBase(auditCtx), upstream: upstream.name, model: check.model, status: e.status, latencyMs: performance.now() - upstreamStarted, error: e.message });
        fail({ status: e.status, type: adapter.api === 'openai-chat' ? 'upstream_error' : 'api_error', message: e.message });
        return;
      }
      line.upstreamStatus = response.status;
      const contentType = String(response.headers['content-type'] ?? '');
      for (const name in response.headers) {
        const value = response.headers[name];
        if (value !== undefined && Object.hasOwn(response.headers, name) && PASS_RESPONSE_HEADERS.test(name) && name !== 'x-request-id') reply.header(name === 'request-id' ? 'x-upstream-request-id' : name, value);
      }

      if (response.status < 200 || response.status >= 300) {
        // Provider errors are already in the provider's shape; pass them on as they are.
        let errorBody: Buffer;
        try {
          errorBody = await readCapped(response.body, MAX_UPSTREAM_ERROR);
        } catch (error) {
          // Too large, reset or stalled: a 502 (was a 500); leaving the read loop early destroyed the
          // body, which closes the connection.
          const e = classifyUpstreamError(error, upstream.name);
          events.record({ type: 'upstream.response', ...eventBase(auditCtx), upstream: upstream.name, model: check.model, status: e.status, latencyMs: performance.now() - upstreamStarted, error: `provider error ${response.status}: ${e.message}` });
          fail({ status: e.status, type: adapter.api === 'openai-chat' ? 'upstream_error' : 'api_error', message: e.message });
          return;
        } finally {
          clearTimeout(budget);
        }
        line.status = response.status;
        events.record({ type: 'upstream.response', ...eventBase(auditCtx), upstream: upstream.name, model: check.model, status: response.status, latencyMs: performance.now() - upstreamStarted, error: 'provider error' });
        events.flush();
        reply.header('x-clawguard-decision', decision).code(response.status).send(errorBody);
        return;
      }

      if (contentType.includes('text/event-stream')) {
        clearTimeout(budget);
        const streamed = await relayStream(adapter, body, response.body, reply, engine, { requestId, direction: 'output', principal }, decision, line, abort, toolAllowed, conversation, approvals, flow);
        decision = line.decision as string;
        events.record({
          type: 'upstream.response',
          ...eventBase(auditCtx),
          upstream: upstream.name,
          model: check.model,
          status: response.status,
          stream: true,
          latencyMs: performance.now() - upstreamStarted,
          ...(typeof line.upstreamFirstByteMs === 'number' ? { timeToFirstTokenMs: line.upstreamFirstByteMs } : {}),
          tokensIn: Math.ceil(inputChars / 4),
          tokensOut: streamed.outputTokens,
          ...lineage.fields(upstream.name, check.model, streamed.model),
          ...(typeof line.streamError === 'string' ? { error: line.streamError } : {}),
        });
        for (const t of streamed.toolCalls) events.record({ type: 'tool.call', ...eventBase(auditCtx), tool: t.tool, callId: t.callId, verdict: t.verdict, payload: t.arguments });
        if (streamed.intervened) events.record({ type: 'stream.intervention', ...eventBase(auditCtx), intervention: decision === 'block' ? 'blocked' : 'rewritten' });
        events.flush();
        await limiter.recordTokens(subject, streamed.outputTokens);
        return;
      }

      let answer: any;
      let answerBytes: Buffer;
      try {
        answerBytes = await readCapped(response.body, MAX_UPSTREAM_JSON);
        answer = JSON.parse(answerBytes.toString('utf8'));
      } catch (error) {
        const e = error instanceof SyntaxError ? new UpstreamError(502, `upstream "${upstream.name}" sent invalid JSON`) : classifyUpstreamError(error, upstream.name);
        events.record({ type: 'upstream.response', ...eventBase(auditCtx), upstream: upstream.name, model: check.model, status: e.status, latencyMs: performance.now() - upstreamStarted, error: e.message });
        fail({ status: e.status, type: adapter.api === 'openai-chat' ? 'upstream_error' : 'api_error', message: e.message });
        return;
      } finally {
        clearTimeout(budget);
        line.upstreamMs = Number((performance.now() - upstreamStarted).toFixed(3));
      }
      events.record({ type: 'upstream.response', ...eventBase(auditCtx), upstream: upstream.name, model: check.model, status: response.status, latencyMs: performance.now() - upstreamStarted, tokensIn: Math.ceil(inputChars / 4), ...(adapter.outputTokens(answer) !== undefined ? { tokensOut: adapter.outputTokens(answer)! } : {}), ...lineage.fields(upstream.name, check.model, answeredModel(answer)) });
      const outSegments = adapter.responseSegments(answer);
      const keepFinding = ownValuesInToolCalls(conversation);
      const answerInspected = engine.inspect(withRestoredToolArguments(conversation, outSegments), { requestId, direction: 'output', principal }, 1, {
        useCache: false,
        extraFindings: flow(toolCallsOf(outSegments)),
        ...(keepFinding ? { keepFinding } : {}),
      });
      const output = answerInspected instanceof Promise ? await answerInspected : answerInspected;
      guardMs += output.guardMs;
      events.recordAll(decisionEvents(auditCtx, 'output', output.decision));
      if (output.findings.length > 0) line.outputFindings = output.findings.map((f) => f.type);
      // Counted before the output verdict: the provider billed the answer even when the client never sees it.
      const recorded = limiter.recordTokens(subject, adapter.outputTokens(answer) ?? estimateTokens(outSegments.reduce((n, s) => n + s.text.length, 0)));
      if (recorded) await recorded;
      if (blocksAnswerText(output.decision, outSegments)) {
        decision = 'block';
        fail(policyError(output.decision));
        return;
      }
      const allRewrites = engine.rewrites(output);
      const refusals: ToolCallRefusal[] = [];
      for (const j of engine.judgeToolSegments(output, allRewrites, toolAllowed)) {
        if (j.action === 'refuse') refusals.push({ segmentId: j.segmentId, message: toolRefusal(j) });
        else if (j.action === 'review') {
          events.flush();
          const held = approvals
            ? await approvals.hold({ principal: principal.id, requestId, toolName: j.toolName, arguments: conversation ? conversation.conceal(j.arguments) : j.arguments, reasons: j.reasons }, abort.signal)
            : undefined;
          const outcome = held?.outcome ?? 'required, no approver configured';
          line.review = outcome;
          if (outcome !== 'approved') refusals.push({ segmentId: j.segmentId, message: toolRefusal({ toolName: j.toolName, reasons: [...j.reasons, `review ${outcome}`] }) });
        }
      }
      const refused = refusals.length === 0 ? NO_IDS : new Set(refusals.map((r) => r.segmentId));
      const outRewrites = refusals.length === 0 ? allRewrites : allRewrites.filter((r) => !refused.has(r.segmentId));
      for (const s of outSegments) {
        if (s.kind === 'tool_call') events.record({ type: 'tool.call', ...eventBase(auditCtx), tool: s.toolName ?? 'unknown', ...(s.toolCallId ? { callId: s.toolCallId } : {}), verdict: refused.has(s.id) ? 'block' : 'allow', payload: s.text });
      }
      let changed = false;
      if (refusals.length > 0 || outRewrites.length > 0) {
        changed = true;
        adapter.applyResponseRewrites(answer, outRewrites, refusals);
        decision = refusals.length > 0 ? 'block' : decision === 'allow' ? 'redact' : decision;
        if (refusals.length > 0) line.refusedToolCalls = refusals.length;
      }
      if (conversation && conversation.size > 0) {
        const restored = adapter
          .responseSegments(answer)
          .map((s) => ({ segmentId: s.id, text: s.kind === 'tool_call' ? restoreJsonText(conversation, s.text) : conversation.restore(s.text), before: s.text }))
          .filter((r) => r.text !== r.before);
        if (restored.length > 0) {
          changed = true;
          adapter.applyResponseRewrites(answer, restored, []);
        }
      }
      line.status = 200;
      events.flush();
      // Unchanged answers go out as the upstream sent them: exact bytes, no re-serialization.
      reply.header('x-clawguard-decision', decision).code(200).type('application/json').send(changed ? JSON.stringify(answer) : answerBytes!);
    } catch (error) {
      decision = 'block';
      line.internalError = error instanceof Error ? error.message : String(error);
      const storeDown = isStoreUnavailable(error);
      // Written with the error answer (fail() flushes; a log that refuses it turns the answer into a 503).
      if (!(error instanceof AuditUnavailableError)) events.record({ type: 'error', ...eventBase(auditCtx), where: 'proxy', message: error instanceof VaultError ? 'pseudonym vault unreadable' : storeDown ? 'store unavailable' : 'internal error', status: storeDown ? 503 : 500 });
      if (!reply.sent && !reply.raw.headersSent) {
        fail(
          error instanceof AuditUnavailableError
            ? auditUnavailable(adapter)
            : error instanceof VaultError
            ? { status: 500, type: 'api_error', code: 'vault_unreadable', message: "the conversation's pseudonym mapping could not be read (wrong vault key or a corrupted row); the request was not forwarded" }
            : storeDown
            ? { status: 503, type: adapter.api === 'openai-chat' ? 'service_unavailable' : 'overloaded_error', code: 'store_unavailable', message: 'a store ClawGuard needs for this request (keys, limits, vault or approvals) cannot be reached; the request was not forwarded' }
            : { status: 500, type: 'api_error', message: 'ClawGuard could not process the request; it was not forwarded' },
        );
      }
    } finally {
      try {
        events.flush();
      } catch {
        /* already answered; the log's own failure is counted and alerted by the log */
      }
      finish();
    }
  };
}

const auditUnavailable = (adapter: ProviderAdapter): ErrorSpec => ({
  status: 503,
  type: adapter.api === 'openai-chat' ? 'service_unavailable' : 'overloaded_error',
  code: 'audit_unavailable',
  message: 'the audit log cannot accept events; ClawGuard refuses requests it cannot record',
});

/** Aborted when the client disconnects while its request is held; `dispose` detaches from the socket. */
function clientGone(request: FastifyRequest): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  // Keep-alive sockets outlive the request: the listener must go when the hold ends.
  request.raw.socket.once('close', abort);
  return { signal: controller.signal, dispose: () => void request.raw.socket.off('close', abort) };
}

function quarantineError(scope: string, outcome: string | undefined): ErrorSpec {
  return { status: 403, type: 'policy_violation', code: 'review_required', message: `ClawGuard holds every turn of this conversation for human review (${scope}); ${outcome === 'denied' ? 'it was denied' : 'no approval was given'}, so it was not forwarded.`, extra: { guards: ['quarantine'], findings: ['incident.quarantine'] } };
}

function policyError(decision: Decision): ErrorSpec {
  const causes = decisionCauses(decision);
  const review = decision.action === 'review';
  return {
    status: 403,
    type: 'policy_violation',
    code: review ? 'review_required' : 'blocked',
    message: review
      ? `ClawGuard held this request for human review (${causes.types.join(', ')}); no approval was given, so it was not forwarded.`
      : `ClawGuard blocked this request: ${causes.types.join(', ') || 'policy'}.`,
    extra: { guards: causes.guards, findings: causes.types },
  };
}

/** Why a relayed stream's upstream call is aborted once the answer is complete: one reason for all (an Error per stream was a stack trace each). */
const STREAM_FINISHED = new Error('stream finished');

async function relayStream(
  adapter: ProviderAdapter,
  request: any,
  upstreamBody: AsyncIterable<Buffer> & { destroy(): void },
  reply: FastifyReply,
  engine: GuardEngine,
  ctx: GuardContext,
  inputDecision: string,
  line: Record<string, unknown>,
  abort: CallAbort,
  toolAllowed: (name: string) => boolean,
  conversation: PseudonymMap | undefined,
  approvals: ApprovalService | undefined,
  flow: (toolCalls: readonly Segment[]) => Finding[],
): Promise<{ outputTokens: number; toolCalls: readonly { tool: string; callId: string; verdict: 'allow' | 'block'; arguments: string }[]; intervened: boolean; model: string | undefined }> {
  // The call's AbortSignal is made only if a tool call waits for a human: most streams never need one.
  const inspector = new GatewayStreamInspector(engine, ctx, toolAllowed, conversation, approvals, () => abort.signal, flow);
  const rewriter = adapter.createStreamRewriter(inspector, request);
  const parser = new SseParser();
  const sniffer = new StreamModelSniffer();
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...(reply.getHeaders() as Record<string, string>),
    'x-clawguard-decision': inputDecision,
  });
  // The events of one step go out in one write: one HTTP chunk, not one per event.
  const write = async (events: string[]): Promise<void> => {
    if (events.length === 0 || raw.destroyed) return;
    if (!raw.write(events.length === 1 ? events[0]! : events.join(''))) await new Promise<void>((resolve) => {
      const done = (): void => {
        raw.off('drain', done);
        raw.off('close', done);
        resolve();
      };
      raw.on('drain', done);
      raw.on('close', done);
    });
  };
  const pushAll = async (events: readonly SseEvent[]): Promise<string[]> => {
    if (rewriter.pushMany) return rewriter.pushMany(events);
    const out: string[] = [];
    for (const event of events) {
      if (rewriter.done) break;
      out.push(...(await rewriter.push(event)));
    }
    return out;
  };
  let firstByte: number | undefined;
  let firstTokenSent = false;
  const started = performance.now();
  // While a tool call waits for a human, an SSE comment every few seconds keeps proxies and clients from
  // timing out. The timer starts with the first wait: most streams never wait.
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  inspector.onAwaitingApproval = () => {
    heartbeat ??= setInterval(() => {
      if (inspector.awaitingApproval && !raw.destroyed) raw.write(': clawguard: awaiting approval\n\n');
    }, 5000);
  };
  try {
    for await (const chunk of upstreamBody) {
      firstByte ??= performance.now() - started;
      const events = parser.push(chunk);
      let next = 0;
      // Until the first token is out, one event at a time: it must not wait for the rest of the read.
      while (!firstTokenSent && next < events.length && !rewriter.done) {
        const event = events[next++]!;
        sniffer.observe(event);
        await write(await rewriter.push(event));
        if (!rewriter.done && inspector.releasedChars > 0) {
          // The response socket is corked until the current tick ends; when an upstream read carries
          // many events, the first token would wait for all of them. Let it go now: the uncork was queued
          // as a tick when the socket was corked, so it runs before this one (no event-loop turn needed).
          firstTokenSent = true;
          await new Promise<void>((resolve) => process.nextTick(resolve));
        }
      }
      // Then the rest of the read together: its text deltas are judged in one scan, not one per event.
      if (next < events.length && !rewriter.done) {
        const rest = next === 0 ? events : events.slice(next);
        for (const event of rest) sniffer.observe(event);
        await write(await pushAll(rest));
      }
      if (rewriter.done || raw.destroyed) break;
    }
    if (!rewriter.done && !raw.destroyed) {
      await write(await pushAll(parser.end()));
      await write(await rewriter.end());
    }
  } catch (error) {
    const reason = abort.aborted ? 'client went away' : classifyUpstreamError(error, String(line.upstream)).message;
    line.streamError = reason;
    if (!raw.destroyed) await write(rewriter.fail(reason));
  } finally {
    if (heartbeat !== undefined) clearInterval(heartbeat);
    if (!abort.aborted && rewriter.done) abort.abort(STREAM_FINISHED);
    upstreamBody.destroy();
    line.status = 200;
    line.decision = inspector.outcome === 'block' ? 'block' : inputDecision;
    if (firstByte !== undefined) line.upstreamFirstByteMs = Number(firstByte.toFixed(3));
    if (rewriter.intervened) line.streamIntervened = true;
    // An event the rewriter could not read ended the stream with an error: audited like an upstream failure.
    if (rewriter.failure && typeof line.streamError !== 'string') line.streamError = rewriter.failure;
    if (inspector.outputFindings.length > 0) line.outputFindings = inspector.outputFindings;
    if (!raw.destroyed) raw.end();
  }
  return { outputTokens: rewriter.outputTokens ?? estimateTokens(inspector.releasedChars), toolCalls: inspector.toolCalls, intervened: rewriter.intervened, model: sniffer.model };
}
