import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { type KeyStore, rotateKey } from '../auth/api-keys.js';
import type { RoleSet } from '../auth/roles.js';
import { createKeyFromBody } from './admin-keys.js';
import type { AuditSink } from '../audit/events.js';
import type { AuditLog } from '../audit/log.js';
import type { CheckpointVerifier } from '../audit/signing.js';
import type { AuditStore } from '../audit/store.js';
import { verifyAuditLog, type VerifyResult } from '../audit/verify.js';
import type { ApprovalService } from './approvals/approval-service.js';
import type { Approval } from './approvals/approval-store.js';
import type { LockdownService } from './incident/lockdown.js';
import { maskSecrets, type UiEventCategory, type UiEventFeed } from '../ui/event-feed.js';
import { sameToken, type UiSession, UiSessions, type UiSessionOptions } from '../ui/sessions.js';
import { APP_CSS } from '../ui/assets/app-css.js';
import { APP_JS } from '../ui/assets/app-js.js';
import { FAVICON_SVG, INDEX_HTML } from '../ui/assets/index-html.js';

/**
 * The operator dashboard on the admin listener: `/ui/` (static single-page app, no data in it) and
 * `/ui/api/*` (JSON, session-authenticated). See docs/dashboard.md for the security model.
 */

export interface AdminUiDeps {
  readonly keys: KeyStore;
  readonly roles: RoleSet;
  readonly approvals: ApprovalService;
  readonly lockdowns: LockdownService;
  /** Where admin actions done through the dashboard are recorded (the gateway's audit sink). */
  readonly audit: AuditSink;
  /** The audit log itself, when auditing is on: chain status and verify-now. */
  readonly auditRuntime?: { readonly log: AuditLog; readonly store: AuditStore; readonly verifier?: CheckpointVerifier | undefined } | undefined;
  readonly events: UiEventFeed;
  readonly log: Logger;
  /** The admin listener serves TLS: the cookie gets `Secure`, origins are https. */
  readonly secure: boolean;
  /**
   * The gateway's per-address lockout (server.ts passes its AccessLimiter): failed dashboard logins count
   * against the address as failed keys on the proxy and the admin API do, and a locked-out address is
   * refused here too. The dashboard's own throttle stays in front of it.
   */
  readonly authLimiter?: { authLockedFor(ip: string): Promise<number | undefined>; authFailed(ip: string): Promise<void> };
  readonly sessions?: UiSessionOptions;
}

export const UI_COOKIE = 'cg_ui_session';
export const CSRF_HEADER = 'x-clawguard-csrf';
/** Sent by the dashboard's timed polls: they read the session without keeping it alive. */
export const BACKGROUND_HEADER = 'x-clawguard-background';

export const UI_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': UI_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

const loginBody = z.strictObject({ key: z.string().min(1).max(200) });
const lockdownBody = z.strictObject({ scope: z.string().trim().min(1).max(210), mode: z.enum(['refuse', 'read-only']).default('refuse'), reason: z.string().max(500).optional() });
const decideBody = z.strictObject({ note: z.string().max(500).optional() }).optional();
const CATEGORIES: readonly UiEventCategory[] = ['blocked', 'finding', 'auth', 'approval', 'admin', 'other'];

function cookieValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const bad = (reply: FastifyReply, status: number, type: string, message: string) => reply.code(status).send({ error: { type, message } });

function zodMessage(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.join('.') || 'body'}: ${issue.message}`;
}

interface LoginThrottle {
  failures: number;
  windowStart: number;
}

/** Registers `/ui` and `/ui/api/*` on the admin listener. */
export function registerAdminUi(app: FastifyInstance, deps: AdminUiDeps): { readonly sessions: UiSessions } {
  const sessions = new UiSessions(deps.sessions);
  const { keys, approvals, lockdowns, audit, events, log } = deps;
  const throttle = new Map<string, LoginThrottle>();
  const scheme = deps.secure ? 'https' : 'http';
  let verifying: Promise<VerifyResult> | undefined;
  let lastVerify: (VerifyResult & { at: number }) | undefined;
  let checkpointCache: { at: number; value: unknown } | undefined;

  const cookie = (value: string, maxAgeSeconds: number) =>
    `${UI_COOKIE}=${value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${deps.secure ? '; Secure' : ''}`;

  /** A mutating request must come from a page of this listener: Origin equal to our own, never cross-site. */
  function sameOrigin(request: FastifyRequest): boolean {
    const origin = request.headers.origin;
    const host = request.headers.host;
    if (typeof origin !== 'string' || !host) return false;
    if (origin !== `${scheme}://${host}`) return false;
    const site = request.headers['sec-fetch-site'];
    return site === undefined || site === 'same-origin';
  }

  function actor(session: UiSession): string {
    return `admin:${session.admin}`;
  }

  // On the root instance, not only in the dashboard's plugin: the listener's 404 answers (an unknown
  // /ui path, a method no route has) are sent outside that plugin and echo the path they were given.
  app.addHook('onSend', async (request, reply, payload) => {
    const path = request.url.split('?')[0]!;
    if (path !== '/ui' && !path.startsWith('/ui/')) return payload;
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    if (path.startsWith('/ui/api/') || reply.statusCode >= 400) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.register(async (ui) => {

    // Static shell: the same to everyone, holds no data.
    ui.get('/ui', async (_request, reply) => reply.redirect('/ui/', 302));
    ui.get('/ui/', async (_request, reply) => reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(INDEX_HTML));
    ui.get('/ui/app.js', async (_request, reply) => reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(APP_JS));
    ui.get('/ui/app.css', async (_request, reply) => reply.header('content-type', 'text/css; charset=utf-8').header('cache-control', 'no-cache').send(APP_CSS));
    ui.get('/ui/favicon.svg', async (_request, reply) => reply.header('content-type', 'image/svg+xml').header('cache-control', 'max-age=86400').send(FAVICON_SVG));

    ui.post('/ui/api/login', async (request, reply) => {
      if (!sameOrigin(request)) return bad(reply, 403, 'forbidden', 'cross-origin request refused');
      const now = Date.now();
      const t = throttle.get(request.ip);
      if (t && now - t.windowStart < 60_000 && t.failures >= 10) return bad(reply, 429, 'rate_limited', 'too many failed logins from this address; wait a minute');
      const lockedFor = await deps.authLimiter?.authLockedFor(request.ip);
      if (lockedFor !== undefined) {
        reply.header('retry-after', String(lockedFor));
        return bad(reply, 429, 'rate_limited', 'too many failed authentication attempts from this address');
      }
      const parsed = loginBody.safeParse(request.body);
      const principal = parsed.success ? await keys.verify(parsed.data.key.trim(), 'admin') : undefined;
      if (!principal) {
        await deps.authLimiter?.authFailed(request.ip);
        const entry = t && now - t.windowStart < 60_000 ? t : { failures: 0, windowStart: now };
        entry.failures++;
        throttle.set(request.ip, entry);
        if (throttle.size > 10_000) throttle.clear();
        log.info({ route: request.url }, 'dashboard login failed');
        audit.record({ type: 'auth', outcome: 'failure', surface: 'admin', reason: parsed.success ? 'dashboard login: unknown, revoked or expired admin key' : 'dashboard login: missing credential', clientIp: request.ip });
        return bad(reply, 401, 'authentication_error', 'missing or invalid ClawGuard admin key');
      }
      throttle.delete(request.ip);
      // A new sign-in ends the session the browser already held: no two live sessions per cookie jar,
      // and a session id planted or seen before sign-in is worth nothing after it.
      sessions.destroy(cookieValue(request, UI_COOKIE));
      const { id, session } = sessions.create(principal.id, principal.name);
      audit.record({ type: 'auth', outcome: 'success', surface: 'admin', reason: 'dashboard login', keyId: principal.id, clientIp: request.ip });
      log.info({ admin: principal.name }, 'dashboard login');
      reply.header('set-cookie', cookie(id, Math.ceil(sessions.absoluteMs / 1000)));
      return { admin: session.admin, csrf: session.csrf, expiresAt: new Date(sessions.expiresAt(session)).toISOString(), idleSeconds: sessions.idleMs / 1000 };
    });

    // Everything else under /ui/api needs a live session; mutations also the CSRF token and our Origin.
    ui.register(async (api) => {
      api.addHook('onRequest', async (request, reply) => {
        const id = cookieValue(request, UI_COOKIE);
        const background = request.method === 'GET' && request.headers[BACKGROUND_HEADER] === '1';
        const session = sessions.get(id, !background);
        if (!session) return bad(reply, 401, 'authentication_error', 'not logged in or session expired');
        // The admin key that opened the session must still be valid: revoking it ends the session.
        const record = await keys.get(session.keyId).catch(() => undefined);
        if (!record || record.revokedAt || (record.expiresAt && Date.parse(record.expiresAt) <= Date.now())) {
          sessions.destroyKey(session.keyId);
          return bad(reply, 401, 'authentication_error', 'the admin key of this session was revoked or expired');
        }
        if (request.method !== 'GET' && request.method !== 'HEAD') {
          if (!sameOrigin(request)) return bad(reply, 403, 'forbidden', 'cross-origin request refused');
          const token = request.headers[CSRF_HEADER];
          if (typeof token !== 'string' || !sameToken(token, session.csrf)) return bad(reply, 403, 'forbidden', 'missing or wrong CSRF token');
        }
        (request as unknown as { uiSession: UiSession }).uiSession = session;
        (request as unknown as { uiSessionId: string }).uiSessionId = id!;
      });
      const sessionOf = (request: FastifyRequest): UiSession => (request as unknown as { uiSession: UiSession }).uiSession;

      api.get('/ui/api/session', async (request) => {
        const s = sessionOf(request);
        return { admin: s.admin, csrf: s.csrf, expiresAt: new Date(sessions.expiresAt(s)).toISOString(), idleSeconds: sessions.idleMs / 1000, roles: deps.roles.names(), auditEnabled: Boolean(deps.auditRuntime) };
      });

      api.post('/ui/api/logout', async (request, reply) => {
        sessions.destroy((request as unknown as { uiSessionId: string }).uiSessionId);
        reply.header('set-cookie', cookie('', 0));
        return { loggedOut: true };
      });

      api.get<{ Querystring: { after?: string; category?: string; guard?: string; principal?: string; limit?: string } }>('/ui/api/events', async (request, reply) => {
        const q = request.query;
        const category = q.category || undefined;
        if (category !== undefined && !CATEGORIES.includes(category as UiEventCategory)) return bad(reply, 400, 'invalid_request_error', `category must be one of ${CATEGORIES.join(', ')}`);
        const after = q.after ? Number.parseInt(q.after, 10) : 0;
        const limit = q.limit ? Number.parseInt(q.limit, 10) : 200;
        return {
          last: events.lastId,
          events: events.events({
            after: Number.isFinite(after) ? after : 0,
            limit: Number.isFinite(limit) ? limit : 200,
            ...(category ? { category: category as UiEventCategory } : {}),
            ...(q.guard ? { guard: q.guard } : {}),
            ...(q.principal ? { principal: q.principal } : {}),
          }),
        };
      });

      api.get('/ui/api/series', async () => events.series());

      api.get('/ui/api/overview', async () => {
        const pending = await approvals.store.list('pending');
        const allKeys = await keys.list();
        return {
          pendingApprovals: pending.length,
          activeKeys: allKeys.filter((k) => !k.revokedAt).length,
          lockdowns: lockdowns.active.length,
          auditLastSeq: deps.auditRuntime?.log.stats().lastSeq ?? null,
        };
      });

      // Approvals: the held call with its context. Arguments are what the gateway stored (already
      // redacted by policy), with credentials masked once more; findings come from the event feed.
      const withContext = async (a: Approval) => {
        const key = await keys.get(a.principal).catch(() => undefined);
        const findings = events
          .events({ requestId: a.requestId, category: 'finding', limit: 50 })
          .map((e) => ({ guard: e.fields.guard, type: e.fields.findingType, action: e.fields.action, direction: e.fields.direction, reason: e.fields.reason, score: e.fields.score }));
        return { ...a, arguments: a.arguments === null ? null : maskSecrets(a.arguments), principalName: key?.name ?? null, principalRole: key?.role ?? null, principalTenant: key?.tenant ?? null, findings };
      };
      api.get('/ui/api/approvals', async () => {
        const pending = await approvals.store.list('pending');
        const recent = (await approvals.store.list(undefined, 50)).filter((a) => a.status !== 'pending').slice(0, 20);
        return { pending: await Promise.all(pending.map(withContext)), recent: await Promise.all(recent.map(withContext)) };
      });
      for (const verb of ['approve', 'deny'] as const) {
        api.post<{ Params: { id: string } }>(`/ui/api/approvals/:id/${verb}`, async (request, reply) => {
          const parsed = decideBody.safeParse(request.body ?? undefined);
          if (!parsed.success) return bad(reply, 400, 'invalid_request_error', zodMessage(parsed.error));
          const by = actor(sessionOf(request));
          const decided = await approvals.decide(request.params.id, verb === 'approve', by, parsed.data?.note);
          if (!decided) {
            const found = await approvals.store.get(request.params.id);
            return found ? bad(reply, 409, 'conflict', `approval is already ${found.status}`) : bad(reply, 404, 'not_found_error', 'no such approval');
          }
          audit.record({ type: 'approval', approvalId: request.params.id, status: verb === 'approve' ? 'approved' : 'denied', actor: by });
          const found = await approvals.store.get(request.params.id);
          return found ? withContext(found) : { id: request.params.id };
        });
      }

      // Keys: the list never holds a key; a new key is in the one answer that created it.
      api.get('/ui/api/keys', async () => ({ keys: await keys.list() }));
      api.post('/ui/api/keys', async (request, reply) => {
        const created = await createKeyFromBody(keys, deps.roles, request.body);
        if (!created.ok) return bad(reply, 400, 'invalid_request_error', created.message);
        log.info({ keyId: created.record.id, kind: created.record.kind }, 'admin: key created (dashboard)');
        audit.record({ type: 'admin', action: 'key.create', actor: actor(sessionOf(request)), target: created.record.id, outcome: 'success', detail: { via: 'dashboard' } });
        return reply.code(201).header('cache-control', 'no-store').send({ ...created.record, key: created.key });
      });
      api.post<{ Params: { id: string } }>('/ui/api/keys/:id/rotate', async (request, reply) => {
        try {
          const rotated = await rotateKey(keys, request.params.id);
          if (!rotated) return bad(reply, 404, 'not_found_error', 'no such key');
          audit.record({ type: 'admin', action: 'key.rotate', actor: actor(sessionOf(request)), target: rotated.replaced.id, outcome: 'success', detail: { replacement: rotated.record.id, via: 'dashboard' } });
          return reply.code(201).send({ ...rotated.record, key: rotated.key, replaced: rotated.replaced.id });
        } catch (error) {
          return bad(reply, 409, 'conflict', error instanceof Error ? error.message : String(error));
        }
      });
      api.post<{ Params: { id: string } }>('/ui/api/keys/:id/revoke', async (request, reply) => {
        const revoked = await keys.revoke(request.params.id);
        if (!revoked) return bad(reply, 404, 'not_found_error', 'no such key');
        if (revoked.kind === 'admin') sessions.destroyKey(revoked.id);
        log.info({ keyId: revoked.id }, 'admin: key revoked (dashboard)');
        audit.record({ type: 'admin', action: 'key.revoke', actor: actor(sessionOf(request)), target: revoked.id, outcome: 'success', detail: { via: 'dashboard' } });
        return revoked;
      });

      api.get('/ui/api/lockdowns', async () => ({ lockdowns: lockdowns.active }));
      api.post('/ui/api/lockdowns', async (request, reply) => {
        const parsed = lockdownBody.safeParse(request.body);
        if (!parsed.success) return bad(reply, 400, 'invalid_request_error', zodMessage(parsed.error));
        try {
          const by = actor(sessionOf(request));
          const locked = await lockdowns.lock(parsed.data.scope, parsed.data.mode, parsed.data.reason, by);
          audit.record({ type: 'admin', action: 'lockdown.on', actor: by, target: locked.scope, outcome: 'success', detail: { via: 'dashboard' } });
          return reply.code(201).send(locked);
        } catch (error) {
          return bad(reply, 400, 'invalid_request_error', error instanceof Error ? error.message : String(error));
        }
      });
      api.post('/ui/api/lockdowns/unlock', async (request, reply) => {
        const parsed = z.strictObject({ scope: z.string().min(1).max(210) }).safeParse(request.body);
        if (!parsed.success) return bad(reply, 400, 'invalid_request_error', zodMessage(parsed.error));
        try {
          const by = actor(sessionOf(request));
          const lifted = await lockdowns.unlock(parsed.data.scope, by);
          if (!lifted) return bad(reply, 404, 'not_found_error', 'no lockdown with that scope');
          audit.record({ type: 'admin', action: 'lockdown.off', actor: by, target: parsed.data.scope, outcome: 'success', detail: { via: 'dashboard' } });
          return { unlocked: parsed.data.scope };
        } catch (error) {
          return bad(reply, 400, 'invalid_request_error', error instanceof Error ? error.message : String(error));
        }
      });

      // Audit chain: where it stands (cheap), and verify-now (reads the whole chain; one at a time).
      api.get('/ui/api/audit', async () => {
        const rt = deps.auditRuntime;
        if (!rt) return { enabled: false };
        const stats = rt.log.stats();
        if (!checkpointCache || Date.now() - checkpointCache.at > 10_000) {
          const [extent, checkpoints] = await Promise.all([rt.store.extent(), rt.store.checkpoints()]);
          const last = checkpoints[checkpoints.length - 1];
          checkpointCache = {
            at: Date.now(),
            value: { extent, checkpoints: checkpoints.length, lastCheckpoint: last ? { seq: last.seq, time: new Date(last.ts).toISOString(), kind: last.kind, keyId: last.keyId } : null },
          };
        }
        return {
          enabled: true,
          store: rt.store.kind,
          lastSeq: stats.lastSeq,
          committed: stats.committed,
          queued: stats.queued,
          storeDown: stats.storeDown,
          dropped: stats.dropped,
          signing: Boolean(rt.verifier),
          ...(checkpointCache.value as object),
          lastVerify: lastVerify ? summary(lastVerify) : null,
        };
      });
      api.post('/ui/api/audit/verify', async (request, reply) => {
        const rt = deps.auditRuntime;
        if (!rt) return bad(reply, 409, 'conflict', 'auditing is off');
        if (!verifying) {
          verifying = (async () => {
            await rt.log.flush(5_000).catch(() => undefined);
            return verifyAuditLog(rt.store, rt.verifier ? { verifier: rt.verifier } : {});
          })();
          verifying
            .then((result) => {
              lastVerify = { ...result, at: Date.now() };
              checkpointCache = undefined;
              audit.record({ type: 'admin', action: 'audit.verify', actor: actor(sessionOf(request)), outcome: result.ok ? 'success' : 'failure', detail: { records: result.records, via: 'dashboard' } });
            })
            .catch(() => undefined)
            .finally(() => {
              verifying = undefined;
            });
        }
        const result = await verifying;
        return summary({ ...result, at: Date.now() });
      });
    });
  });

  return { sessions };
}

function summary(r: VerifyResult & { at: number }) {
  return {
    ok: r.ok,
    records: r.records,
    firstSeq: r.firstSeq ?? null,
    lastSeq: r.lastSeq ?? null,
    checkpoints: r.checkpoints,
    signaturesChecked: r.signaturesChecked,
    unsignedTail: r.unsignedTail,
    problem: r.problem ?? null,
    elapsedMs: Math.round(r.elapsedMs),
    at: new Date(r.at).toISOString(),
  };
}
