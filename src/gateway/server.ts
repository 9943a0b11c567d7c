import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { type KeyStore, rotateKey } from '../auth/api-keys.js';
import { openKeyStore } from '../auth/open-key-store.js';
import { Authenticator } from '../auth/authenticator.js';
import { RoleSet } from '../auth/roles.js';
import { AccessLimiter } from '../limits/access-limiter.js';
import { MemoryCounterStore } from '../limits/rate-limiter.js';
import { type LoadedConfig, resolveConfigPath } from '../config/load.js';
import type { ClawGuardConfig } from '../config/schema.js';
import type { Guard, GuardRegistry, ScanObserver, Segment } from '../core/index.js';
import { builtinGuards } from '../guards/index.js';
import type { ApiKind, ProviderAdapter } from '../providers/adapter.js';
import { anthropicMessagesAdapter } from '../providers/anthropic-messages.js';
import { openAiChatAdapter } from '../providers/openai-chat.js';
import { resolveSecret, SECRET_REF } from '../secrets/secret-ref.js';
import { LiveSecret } from '../secrets/live-secret.js';
import { configureSecretProviders } from '../secrets/cloud/config.js';
import { DEMO_LABEL, startDemoUpstream } from './demo-upstream.js';
import { createGuards, GuardEngine } from './guard-engine.js';
import { listAllowedModels } from './models.js';
import { type LineSink, writeRequestLinesOf } from './request-log.js';
import { createProxyHandler, presentedCredential, verifiedClientCert } from './proxy.js';
import { Router, type UpstreamSet } from './router.js';
import { Upstream } from './upstream.js';
import { PseudonymService } from './pseudonyms.js';
import { approvalOptionsFrom, ApprovalService } from './approvals/approval-service.js';
import { EgressProxy } from './egress/egress-proxy.js';
import { checkIntegrityAtStartup } from '../integrity/startup.js';
import { ModelLineage } from '../integrity/lineage.js';
import { toolCallsHighRisk, type ToolCallsConfig } from '../guards/toolcalls/index.js';
import { type AuditEvent, type AuditSink, NULL_AUDIT_SINK } from '../audit/events.js';
import { startAudit } from '../audit/setup.js';
import { Telemetry } from '../telemetry/index.js';
import { openStateStores } from './open-state-stores.js';
import { LockdownService } from './incident/lockdown.js';
import { registerQuarantineRoutes } from './incident/admin-routes.js';
import { vaultKeyFrom } from '../transform/vault.js';
import { registerToolVerdicts } from './tool-verdicts.js';
import { createKeyFromBody } from './admin-keys.js';
import { registerAdminUi } from './admin-ui.js';
import { UiEventFeed } from '../ui/event-feed.js';

export interface GatewayOptions {
  readonly registry?: GuardRegistry;
  /** Where log lines go; defaults to stdout at the configured level. */
  readonly logger?: Logger;
  readonly env?: NodeJS.ProcessEnv;
}

export interface Gateway {
  readonly proxy: FastifyInstance;
  readonly admin: FastifyInstance | undefined;
  readonly engine: GuardEngine;
  readonly keys: KeyStore;
  readonly usesDemoUpstream: boolean;
  /** Running counts since start (metrics export arrives with observability). */
  readonly counters: { readonly guardFailures: number; readonly guardFailuresFailOpen: number };
  readonly egress: EgressProxy | undefined;
  readonly lockdowns: LockdownService;
  /** Starts listening; returns the URLs actually bound (ports may be 0 in the config). */
  listen(): Promise<{ proxyUrl: string; adminUrl: string | undefined; egressUrl: string | undefined }>;
  close(): Promise<void>;
}

/** How long a log line may wait in the stdout buffer. */
const LOG_FLUSH_MS = 1000;

/** Redaction paths for every log line: credentials never reach a log. */
export const LOG_REDACT = ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization', 'headers["x-api-key"]', 'apiKey', 'key'];

export function createLogger(level: ClawGuardConfig['logging']['level'], destination?: pino.DestinationStream): Logger {
  const stdout = destination ? undefined : stdoutLines();
  const logger = pino({ level, base: { service: 'clawguard' }, redact: { paths: LOG_REDACT, censor: '[REDACTED]' } }, destination ?? stdout!.stream);
  // The proxy's line per request is written without pino's string building (request-log.ts); a
  // multistream wants pino's own metadata with each line, so it gets pino's lines.
  if (stdout) writeRequestLinesOf(logger, stdout.lineBytes);
  else if ((destination as unknown as Record<symbol, unknown>)[pino.symbols.needsMetadataGsym] !== true) {
    writeRequestLinesOf(logger, (line, length) => destination!.write(line.toString('utf8', 0, length)));
  }
  return logger;
}

/**
 * Buffered, asynchronous writes to stdout: a log line must not block the request path. Flushed on
 * close and at exit (by pino, as for any `pino.destination`). Lines are held as bytes: held as text,
 * SonicBoom appends each line to one string and measures its UTF-8 length on every line, which
 * copies the whole pending text each time (~2.4 KB of garbage per request line at 4 KB batches).
 */
function stdoutLines(): { stream: pino.DestinationStream & { flush(cb?: (error?: Error) => void): void; flushSync(): void }; lineBytes: LineSink } {
  const sonic = pino.destination({ dest: 1, sync: false, minLength: 4096, contentMode: 'buffer' });
  // `contentMode: 'buffer'` takes Buffers; SonicBoom's types only know strings.
  const write = (bytes: Buffer): boolean => sonic.write(bytes as unknown as string);
  // Lines short of minLength would wait for the next 4 KB (on a quiet gateway, until it stops): at most
  // a second late instead.
  const flusher = setInterval(() => {
    try {
      sonic.flush();
    } catch {
      // closing: pino flushes what is left
    }
  }, LOG_FLUSH_MS).unref();
  sonic.once('close', () => clearInterval(flusher));
  return {
    stream: {
      write: (line: string) => write(Buffer.from(line)),
      flush: (cb) => sonic.flush(cb),
      flushSync: () => sonic.flushSync(),
    },
    // SonicBoom keeps what it is given until it writes it: a copy of the reused line buffer.
    lineBytes: (line, length) => {
      const bytes = Buffer.allocUnsafe(length);
      line.copy(bytes, 0, 0, length);
      write(bytes);
    },
  };
}

function urlOf(server: FastifyInstance, tls: boolean): string {
  const address = server.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${tls ? 'https' : 'http'}://${host}:${address.port}`;
}

function adapterForUrl(url: string): ProviderAdapter {
  return url.startsWith('/v1/messages') ? anthropicMessagesAdapter : openAiChatAdapter;
}

function rawBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
}

function providerErrorHandler(log: Logger) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const adapter = adapterForUrl(request.url);
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) log.error({ err: { message: error.message, code: error.code } }, 'unhandled error');
    const message = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'the request body is larger than this gateway accepts' : status === 500 ? 'internal error' : error.message;
    reply
      .code(status)
      .header('x-clawguard-decision', 'block')
      .send(adapter.errorBody({ status, type: status === 413 ? 'request_too_large' : status === 500 ? 'api_error' : 'invalid_request_error', message }));
  };
}

function adminActor(request: FastifyRequest): string {
  return `admin:${(request as unknown as { adminName?: string }).adminName ?? 'unknown'}`;
}

function tlsOptions(tls: ClawGuardConfig['server']['tls'], loaded: LoadedConfig) {
  if (!tls) return undefined;
  const read = (file: string) => readFileSync(resolveConfigPath(loaded, file));
  return {
    cert: read(tls.certFile),
    key: read(tls.keyFile),
    minVersion: 'TLSv1.2' as const,
    ...(tls.caFile ? { ca: read(tls.caFile), requestCert: true, rejectUnauthorized: tls.requireClientCert } : {}),
  };
}

async function buildUpstreams(config: ClawGuardConfig, loaded: LoadedConfig, log: Logger, env: NodeJS.ProcessEnv, closers: (() => Promise<void>)[]): Promise<{ set: UpstreamSet; routes: { model: string; upstream: string }[]; demo: boolean }> {
  const set = new Map<string, Map<ApiKind, Upstream>>();
  let demoUrl: string | undefined;
  const demoBase = async (): Promise<string> => {
    if (!demoUrl) {
      const demo = await startDemoUpstream();
      closers.push(demo.close);
      demoUrl = demo.url;
    }
    return demoUrl;
  };
  const timeouts = { timeoutMs: 120_000, connectTimeoutMs: 10_000, idleTimeoutMs: 60_000, tls: { rejectUnauthorized: true } };
  for (const u of config.upstreams) {
    if (!u.tls.rejectUnauthorized) log.warn({ upstream: u.name }, 'TLS VERIFICATION IS OFF for this upstream: its certificate is not checked (insecure)');
  }
  if (config.upstreams.length === 0) {
    const base = await demoBase();
    set.set('demo', new Map<ApiKind, Upstream>([
      ['openai-chat', new Upstream('demo', 'demo', `${base}/v1`, undefined, timeouts)],
      ['anthropic-messages', new Upstream('demo', 'demo', base, undefined, timeouts)],
    ]));
    return { set, routes: [{ model: '*', upstream: 'demo' }], demo: true };
  }
  let demo = false;
  for (const u of config.upstreams) {
    const secret = u.apiKey ? await LiveSecret.open(u.apiKey, env) : undefined;
    if (secret) closers.push(async () => secret.close());
    const key = secret ? () => secret.value : undefined;
    const byApi = new Map<ApiKind, Upstream>();
    if (u.provider === 'demo') {
      demo = true;
      const base = await demoBase();
      byApi.set('openai-chat', new Upstream(u.name, 'demo', `${base}/v1`, undefined, u));
      byApi.set('anthropic-messages', new Upstream(u.name, 'demo', base, undefined, u));
    } else {
      const ca = u.tls.caFile ? readFileSync(resolveConfigPath(loaded, u.tls.caFile), 'utf8') : undefined;
      byApi.set(u.provider === 'openai' ? 'openai-chat' : 'anthropic-messages', new Upstream(u.name, u.provider, u.url!, key, u, ca));
    }
    set.set(u.name, byApi);
  }
  return { set, routes: config.routes, demo };
}

export const LOCKDOWN_CHANNEL = 'clawguard:lockdown';

async function warmUp(guards: readonly Guard[]): Promise<void> {
  const text = 'Warm-up: Jane Doe wrote to jane@example.org from 10.0.0.1 about invoice 4111 1111 1111 1111.';
  const samples: Segment[] = [
    { id: 'warm.in', path: [], direction: 'input', role: 'user', kind: 'message', trusted: false, text },
    { id: 'warm.tool', path: [], direction: 'input', role: 'tool', kind: 'tool_result', trusted: false, text },
    { id: 'warm.out', path: [], direction: 'output', role: 'assistant', kind: 'message', trusted: false, text },
    { id: 'warm.call', path: [], direction: 'output', role: 'assistant', kind: 'tool_call', trusted: false, toolName: 'exec', text: '{"command":"ls -la"}' },
  ];
  for (const guard of guards) {
    for (const segment of samples) {
      if (guard.appliesTo && !guard.appliesTo(segment)) continue;
      let timer: NodeJS.Timeout | undefined;
      try {
        // Bounded by the guard's own budget: a guard that never answers must not keep the gateway from starting.
        await Promise.race([
          Promise.resolve().then(() => guard.inspect(segment, { requestId: 'warm-up', direction: segment.direction })),
          new Promise((resolve) => {
            timer = setTimeout(resolve, guard.timeoutMs);
          }),
        ]);
      } catch {
        /* a failing guard shows up on real traffic, where it fails closed */
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

/** The Redis URL, read through its secret reference when it is one (it may hold a password). */
export async function resolveRedisUrl(value: string, env: NodeJS.ProcessEnv): Promise<string> {
  return SECRET_REF.test(value) ? resolveSecret(value, env) : value;
}

const lockdownBody = z.strictObject({ scope: z.string().min(1).max(210), mode: z.enum(['refuse', 'read-only']).default('refuse'), reason: z.string().max(500).optional() });

/** Assembles the gateway from a loaded config: stores, guards, upstreams, the proxy and admin surfaces. */
export async function createGateway(loaded: LoadedConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const { config } = loaded;
  const env = options.env ?? process.env;
  // Before any secret is read: how aws-sm:, azure-kv: and gcp-sm: references reach their service.
  configureSecretProviders(config.secrets, { baseDir: loaded.baseDir });
  // Before anything starts: a broken signature or a changed file keeps the gateway down.
  await checkIntegrityAtStartup(config.integrity, loaded.baseDir);
  const log = options.logger ?? createLogger(config.logging.level);
  const registry = options.registry ?? builtinGuards();
  const closers: (() => Promise<void>)[] = [];

  const keys = await openKeyStore(loaded, env);
  closers.push(() => keys.close());

  const telemetry = await Telemetry.create(config.telemetry, { env });
  const audit = config.audit.enabled
    ? await startAudit(config.audit, { baseDir: loaded.baseDir, env, hooks: { ...telemetry.auditHooks(), error: (message: string) => log.error({ audit: true }, message) } })
    : undefined;
  if (audit) telemetry.metrics.watchAudit(audit.log);
  // Every event is stored (when auditing is on) and counted, baselined and alerted on.
  // The dashboard (/ui on the admin listener) sees the same events, metadata only, in a ring buffer.
  const uiEvents = new UiEventFeed();
  const auditSink: AuditSink & { recordMany(events: readonly AuditEvent[]): void } = uiEvents.tap(telemetry.tap(audit?.log ?? NULL_AUDIT_SINK));
  closers.push(async () => {
    await audit?.close();
    await telemetry.close();
  });
  // Artifact digests from the (verified) manifest; MLflow pins resolved once, then refreshed.
  const lineage = await ModelLineage.start(config.lineage, config.integrity, loaded.baseDir, { log, audit: auditSink, env });
  closers.unshift(async () => lineage.close());

  const counters = { guardFailures: 0, guardFailuresFailOpen: 0 };
  const observer: ScanObserver = {
    guardFailed(failure) {
      counters.guardFailures++;
      if (failure.failOpen) counters.guardFailuresFailOpen++;
      log.warn({ guard: failure.guard, error: failure.error, timedOut: failure.timedOut, failOpen: failure.failOpen }, 'guard failed');
    },
  };
  const policy = { ...config.policy, rules: [...config.policy.rules, ...config.policy.defaultRules] };
  const guards = createGuards(config, registry);
  // A guard still loading its parser or model would spend its first calls' budget on loading:
  // wait for it, then warm every guard once on throw-away text (lazy tables, JIT) before serving.
  await Promise.all(guards.map((g) => g.ready?.()));
  await warmUp(guards);
  const engine = new GuardEngine(guards, policy, config.cache.maxEntries, observer);
  const roleProfiles = new Map<string, typeof policy>();
  for (const role of config.roles) {
    const profile = role.policyProfile ? config.policyProfiles[role.policyProfile] : undefined;
    if (profile) roleProfiles.set(role.name, { ...profile, rules: [...profile.rules, ...profile.defaultRules] });
  }
  engine.setRoleProfiles(roleProfiles);

  let upstreams;
  try {
    upstreams = await buildUpstreams(config, loaded, log, env, closers);
  } catch (error) {
    for (const close of closers.reverse()) await close();
    throw error;
  }
  const router = new Router(upstreams.routes, upstreams.set);
  closers.unshift(() => router.close());
  if (upstreams.demo) log.warn(`no provider configured for some or all models: they are answered by the built-in DEMO upstream ${DEMO_LABEL}`);

  const roles = new RoleSet(config.roles);
  const limits = { ...config.rateLimits, ...(config.rateLimits.redisUrl ? { redisUrl: await resolveRedisUrl(config.rateLimits.redisUrl, env) } : {}) };
  // Redis and PostgreSQL clients load only when configured: a single gateway does not carry them.
  const counterStore =
    limits.store === 'redis' ? new (await import('../limits/redis-counter-store.js')).RedisCounterStore({ url: limits.redisUrl! }) : new MemoryCounterStore();
  const limiter = new AccessLimiter(counterStore, {
    perPrincipal: (subject) => roles.get(subject.role)?.limits ?? {},
    perTenant: limits.perTenant,
    perIp: limits.perIp,
    authFailuresPerMinutePerIp: limits.authFailuresPerMinutePerIp,
    onStoreError: limits.onStoreError,
    log,
    onStoreFailure: () => telemetry.metrics.rateLimitStoreErrors.inc(),
  });
  closers.push(() => limiter.close());
  const auth = new Authenticator({
    enabled: config.auth.enabled,
    apiKeys: config.auth.apiKeys,
    defaultRole: config.auth.defaultRole,
    keys,
    jwt: config.auth.jwt ? new (await import('../auth/jwt.js')).JwtVerifier({ ...config.auth.jwt, ...(config.auth.jwt.publicKeyFile ? { publicKeyFile: resolveConfigPath(loaded, config.auth.jwt.publicKeyFile) } : {}) }) : undefined,
    roles,
    limiter,
    log,
    mtlsRoles: config.auth.mtls.enabled ? config.auth.mtls.roles : undefined,
  });
  if (!config.auth.enabled) log.warn('authentication is DISABLED: every caller is accepted as "anonymous"');

  const bodyLimit = (config.guards as Record<string, { enabled?: boolean; maxBodyBytes?: number }>).limits?.maxBodyBytes ?? 16 * 1024 * 1024;
  const proxyTls = tlsOptions(config.server.tls, loaded);
  const proxy = Fastify({ logger: false, bodyLimit, return503OnClosing: true, forceCloseConnections: true, keepAliveTimeout: 65_000, ...(proxyTls ? { https: proxyTls } : {}) }) as unknown as FastifyInstance;
  rawBodyParsers(proxy);
  proxy.setErrorHandler(providerErrorHandler(log));
  proxy.setNotFoundHandler((request, reply) => {
    const adapter = adapterForUrl(request.url);
    reply.code(404).send(adapter.errorBody({ status: 404, type: 'not_found_error', message: `no route ${request.method} ${request.url.split('?')[0]}` }));
  });
  const state = await openStateStores(loaded, env);
  closers.push(() => state.close());
  const pseudonymConfig = config.pseudonymization;
  const withheldInText: ReadonlySet<string> = new Set(pseudonymConfig.restoreSecretsInText ? [] : ['SECRET']);
  // With a vault key the mappings are sealed in the shared store (SQLite or PostgreSQL) and outlive a
  // restart; without one they live in memory under a random key.
  const pseudonyms = pseudonymConfig.vaultKey
    ? new PseudonymService(vaultKeyFrom(await resolveSecret(pseudonymConfig.vaultKey, env)), state.vault, pseudonymConfig.ttlSeconds * 1000, log, withheldInText, !pseudonymConfig.restoreOperatorValuesInText)
    : PseudonymService.ephemeral(log, pseudonymConfig.ttlSeconds * 1000, withheldInText, !pseudonymConfig.restoreOperatorValuesInText);
  const approvals = new ApprovalService(state.approvals, approvalOptionsFrom(config.approvals, log, auditSink));
  // Pending approvals whose waiter died with its process expire once their time is up.
  await approvals.sweep();
  const sweeper = setInterval(() => void approvals.sweep().catch(() => undefined), 30_000);
  sweeper.unref();
  closers.unshift(async () => clearInterval(sweeper));
  let announceLockdown: (() => Promise<void>) | undefined;
  const lockdowns = new LockdownService(state.lockdowns, log, config.incident.lockdownRefreshMs, () => announceLockdown?.() ?? Promise.resolve());
  await lockdowns.start();
  closers.unshift(async () => lockdowns.stop());
  if (limits.store === 'redis') {
    // Replicas sharing Redis hear of a lockdown at once instead of at their next refresh.
    const { Redis } = await import('ioredis');
    const subscriber = new Redis(limits.redisUrl!, { lazyConnect: false, maxRetriesPerRequest: null });
    const publisher = new Redis(limits.redisUrl!, { lazyConnect: false, maxRetriesPerRequest: 1 });
    subscriber.on('error', () => undefined);
    publisher.on('error', () => undefined);
    subscriber.subscribe(LOCKDOWN_CHANNEL).catch(() => undefined);
    subscriber.on('message', () => void lockdowns.refresh());
    announceLockdown = async () => {
      await publisher.publish(LOCKDOWN_CHANNEL, 'changed');
    };
    closers.push(async () => {
      subscriber.disconnect();
      publisher.disconnect();
    });
  }
  const toolcallsConfig = (config.guards as Record<string, unknown>).toolcalls as (ToolCallsConfig & { enabled: boolean }) | undefined;
  const highRiskTools = toolcallsConfig?.enabled ? toolCallsHighRisk(toolcallsConfig) : undefined;
  const trustedDomains = toolcallsConfig?.enabled ? toolcallsConfig.domains.allow : undefined;
  const deps = { engine, router, auth, roles, limiter, log, pseudonyms, approvals, lockdowns, integrity: config.integrity, highRiskTools, trustedDomains, audit: auditSink, auditPayloads: Boolean(audit) && config.audit.payloads !== 'none', metrics: telemetry.metrics, lineage };
  const egress = config.egress.enabled ? new EgressProxy(config.egress, auth, log, limiter, lockdowns) : undefined;
  proxy.post('/v1/chat/completions', createProxyHandler(openAiChatAdapter, deps));
  proxy.post('/v1/messages', createProxyHandler(anthropicMessagesAdapter, deps));
  proxy.get('/v1/models', async (request, reply) => {
    const anthropic = typeof request.headers['anthropic-version'] === 'string';
    const adapter = anthropic ? anthropicMessagesAdapter : openAiChatAdapter;
    const outcome = await auth.authenticate(presentedCredential(request), request.ip, verifiedClientCert(request));
    if (!outcome.ok) {
      return reply.code(outcome.status).send(adapter.errorBody({ status: 401, type: anthropic ? 'authentication_error' : 'invalid_request_error', code: 'invalid_api_key', message: 'missing or invalid ClawGuard client key' }));
    }
    const role = roles.get(outcome.principal.role)!;
    const ids = (await listAllowedModels(router, adapter.api)).ids.filter((id) => RoleSet.allowsModel(role, id));
    if (anthropic) {
      const data = ids.map((id) => ({ type: 'model', id, display_name: id, created_at: '1970-01-01T00:00:00Z' }));
      return reply.send({ data, has_more: false, first_id: ids[0] ?? null, last_id: ids[ids.length - 1] ?? null });
    }
    return reply.send({ object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'clawguard' })) });
  });
  const health = { status: 'ok' };
  proxy.get('/healthz', async () => health);
  const ready = async (_: FastifyRequest, reply: FastifyReply) => {
    try {
      await keys.list('admin');
      if (audit && !audit.log.accepting) return reply.code(503).send({ status: 'not ready', reason: 'audit log not accepting events' });
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'not ready', reason: 'store unavailable' });
    }
  };
  proxy.get('/readyz', ready);

  let admin: FastifyInstance | undefined;
  if (config.admin.enabled) {
    const adminTls = tlsOptions(config.admin.tls, loaded);
    admin = Fastify({ logger: false, bodyLimit: 64 * 1024, forceCloseConnections: true, ...(adminTls ? { https: adminTls } : {}) }) as unknown as FastifyInstance;
    // Every admin answer has the admin API's own error shape, fastify's own errors (a body that is not
    // JSON, too large, a wrong content type) and unknown paths included.
    admin.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
      const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status === 500) log.error({ err: { message: error.message, name: error.name } }, 'admin API error');
      return reply.code(status).send({ error: { type: status === 500 ? 'api_error' : status === 413 ? 'request_too_large' : 'invalid_request_error', message: status === 500 ? 'internal error' : error.message } });
    });
    admin.setNotFoundHandler((request, reply) => reply.code(404).send({ error: { type: 'not_found_error', message: `no admin endpoint ${request.method} ${request.url.split('?')[0]}` } }));
    admin.get('/healthz', async () => health);
    admin.get('/readyz', ready);
    const metricsConfig = config.telemetry.metrics;
    if (metricsConfig.enabled) {
      admin.get(metricsConfig.path, async (request, reply) => {
        if (metricsConfig.requireAuth) {
          const credential = presentedCredential(request);
          if (!(credential && (await keys.verify(credential, 'admin')))) return reply.code(401).send({ error: { type: 'authentication_error', message: 'missing or invalid ClawGuard admin key' } });
        }
        return reply.header('content-type', telemetry.metrics.contentType).send(await telemetry.metrics.render());
      });
    }
    registerAdminUi(admin, { keys, roles, approvals, lockdowns, audit: auditSink, auditRuntime: audit, events: uiEvents, log, secure: Boolean(adminTls), authLimiter: limiter });
    admin.register(async (scoped) => {
      scoped.addHook('onRequest', async (request, reply) => {
        // Failed admin keys count against the address like the proxy's and the dashboard's: locked out, an
        // address is answered 429 whatever it presents (a right guess is not told from a wrong one).
        const lockedFor = await limiter.authLockedFor(request.ip);
        if (lockedFor !== undefined) {
          return reply.code(429).header('retry-after', String(lockedFor)).send({ error: { type: 'rate_limit_error', message: 'too many failed authentication attempts from this address' } });
        }
        const credential = presentedCredential(request);
        const principal = credential ? await keys.verify(credential, 'admin') : undefined;
        if (principal) (request as unknown as { adminName?: string }).adminName = principal.name;
        if (!principal) {
          await limiter.authFailed(request.ip);
          log.info({ route: request.url.split('?')[0] }, 'admin authentication failed');
          auditSink.record({ type: 'auth', outcome: 'failure', surface: 'admin', reason: credential ? 'unknown, revoked or expired admin key' : 'missing credential', clientIp: request.ip });
          return reply.code(401).send({ error: { type: 'authentication_error', message: 'missing or invalid ClawGuard admin key' } });
        }
      });
      scoped.get('/v1/keys', async () => ({ keys: await keys.list() }));
      scoped.post('/v1/keys', async (request, reply) => {
        const created = await createKeyFromBody(keys, roles, request.body);
        if (!created.ok) return reply.code(400).send({ error: { type: 'invalid_request_error', message: created.message } });
        log.info({ keyId: created.record.id, kind: created.record.kind }, 'admin: key created');
        auditSink.record({ type: 'admin', action: 'key.create', actor: adminActor(request), target: created.record.id, outcome: 'success' });
        return reply.code(201).send({ ...created.record, key: created.key });
      });
      scoped.get<{ Querystring: { status?: string } }>('/v1/approvals', async (request, reply) => {
        const status = request.query.status;
        if (status !== undefined && !['pending', 'approved', 'denied', 'expired'].includes(status)) {
          return reply.code(400).send({ error: { type: 'invalid_request_error', message: 'status must be pending, approved, denied or expired' } });
        }
        return { approvals: await approvals.store.list(status as 'pending' | undefined) };
      });
      scoped.get<{ Params: { id: string } }>('/v1/approvals/:id', async (request, reply) => {
        const found = await approvals.store.get(request.params.id);
        return found ?? reply.code(404).send({ error: { type: 'not_found_error', message: 'no such approval' } });
      });
      for (const verb of ['approve', 'deny'] as const) {
        scoped.post<{ Params: { id: string }; Body: { note?: unknown } | undefined }>(`/v1/approvals/:id/${verb}`, async (request, reply) => {
          const note = typeof request.body?.note === 'string' ? request.body.note.slice(0, 500) : undefined;
          const by = `admin:${(request as unknown as { adminName?: string }).adminName ?? 'unknown'}`;
          const decided = await approvals.decide(request.params.id, verb === 'approve', by, note);
          if (decided) auditSink.record({ type: 'approval', approvalId: request.params.id, status: verb === 'approve' ? 'approved' : 'denied', actor: by });
          if (!decided) {
            const found = await approvals.store.get(request.params.id);
            return found
              ? reply.code(409).send({ error: { type: 'conflict', message: `approval is already ${found.status}` } })
              : reply.code(404).send({ error: { type: 'not_found_error', message: 'no such approval' } });
          }
          return approvals.store.get(request.params.id);
        });
      }
      scoped.get('/v1/lockdowns', async () => ({ lockdowns: lockdowns.active }));
      registerQuarantineRoutes(scoped, { lockdowns, audit: auditSink, actor: adminActor });
      scoped.post('/v1/lockdowns', async (request, reply) => {
        const parsed = lockdownBody.safeParse(request.body);
        if (!parsed.success) return reply.code(400).send({ error: { type: 'invalid_request_error', message: `${parsed.error.issues[0]!.path.join('.') || 'body'}: ${parsed.error.issues[0]!.message}` } });
        try {
          const by = `admin:${(request as unknown as { adminName?: string }).adminName ?? 'unknown'}`;
          const locked = await lockdowns.lock(parsed.data.scope, parsed.data.mode, parsed.data.reason, by);
          auditSink.record({ type: 'admin', action: 'lockdown.on', actor: by, target: locked.scope, outcome: 'success' });
          return reply.code(201).send(locked);
        } catch (error) {
          return reply.code(400).send({ error: { type: 'invalid_request_error', message: error instanceof Error ? error.message : String(error) } });
        }
      });
      scoped.delete<{ Params: { scope: string } }>('/v1/lockdowns/:scope', async (request, reply) => {
        try {
          const by = `admin:${(request as unknown as { adminName?: string }).adminName ?? 'unknown'}`;
          const lifted = await lockdowns.unlock(request.params.scope, by);
          if (lifted) auditSink.record({ type: 'admin', action: 'lockdown.off', actor: by, target: request.params.scope, outcome: 'success' });
          return lifted ? { unlocked: request.params.scope } : reply.code(404).send({ error: { type: 'not_found_error', message: 'no lockdown with that scope' } });
        } catch (error) {
          return reply.code(400).send({ error: { type: 'invalid_request_error', message: error instanceof Error ? error.message : String(error) } });
        }
      });
      scoped.get<{ Params: { id: string } }>('/v1/keys/:id', async (request, reply) => {
        const found = await keys.get(request.params.id).catch(() => undefined);
        return found ?? reply.code(404).send({ error: { type: 'not_found_error', message: 'no such key' } });
      });
      scoped.post<{ Params: { id: string } }>('/v1/keys/:id/rotate', async (request, reply) => {
        try {
          const rotated = await rotateKey(keys, request.params.id);
          if (!rotated) return reply.code(404).send({ error: { type: 'not_found_error', message: 'no such key' } });
          auditSink.record({ type: 'admin', action: 'key.rotate', actor: adminActor(request), target: rotated.replaced.id, outcome: 'success', detail: { replacement: rotated.record.id } });
          return reply.code(201).send({ ...rotated.record, key: rotated.key, replaced: rotated.replaced.id });
        } catch (error) {
          return reply.code(409).send({ error: { type: 'conflict', message: error instanceof Error ? error.message : String(error) } });
        }
      });
      scoped.delete<{ Params: { id: string } }>('/v1/keys/:id', async (request, reply) => {
        const revoked = await keys.revoke(request.params.id);
        if (!revoked) return reply.code(404).send({ error: { type: 'not_found_error', message: 'no such key' } });
        log.info({ keyId: revoked.id }, 'admin: key revoked');
        auditSink.record({ type: 'admin', action: 'key.revoke', actor: adminActor(request), target: revoked.id, outcome: 'success' });
        return revoked;
      });
    });
    // Tool verdicts for agent runtimes whose model traffic bypasses the proxy (the OpenClaw plugin): client credentials.
    registerToolVerdicts(admin, { engine, auth, limiter, roles, lockdowns, approvals, approvalsConfig: config.approvals, audit: auditSink, log, bodyLimit });
  }

  return {
    proxy,
    admin,
    engine,
    keys,
    usesDemoUpstream: upstreams.demo,
    counters,
    async listen() {
      // Node's default accept backlog (511) drops connections when a thousand agents connect at once
      // while the event loop is busy (docs/load.md); the kernel caps it at net.core.somaxconn.
      await proxy.listen({ host: config.server.host, port: config.server.port, backlog: 4096 });
      if (admin) await admin.listen({ host: config.admin.host, port: config.admin.port });
      const egressUrl = egress ? await egress.listen() : undefined;
      return { proxyUrl: urlOf(proxy, Boolean(config.server.tls)), adminUrl: admin ? urlOf(admin, Boolean(config.admin.tls)) : undefined, egressUrl };
    },
    egress,
    lockdowns,
    async close() {
      log.flush?.();
      if (egress) await egress.close();
      await proxy.close();
      if (admin) await admin.close();
      for (const close of closers) await close();
    },
  };
}
