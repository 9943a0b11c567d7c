import { z } from 'zod';
import { ACTIONS, type GuardRegistry } from '../core/index.js';
import { jwtConfigSchema } from '../auth/jwt-config.js';
import { DEFAULT_ROLES, limitRuleSchema, roleSchema } from '../auth/roles.js';
import { anchorSecretRef, SECRET_REF, secretRefSchema } from '../secrets/secret-ref.js';
import { integrityConfigSchema } from '../integrity/startup.js';
import { auditConfigSchema } from '../audit/config.js';
import { telemetryConfigSchema } from '../telemetry/config.js';
import { secretProvidersSchema } from '../secrets/cloud/config.js';
import { lineageConfigSchema } from '../integrity/lineage.js';

const port = z.number().int().min(0).max(65_535);
const host = z.string().min(1);
const action = z.enum(ACTIONS);
const segmentKind = z.enum(['message', 'tool_call', 'tool_result']);
const role = z.enum(['system', 'developer', 'user', 'assistant', 'tool']);

export const PROVIDERS = ['openai', 'anthropic', 'demo'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

const upstreamSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, ".", "-" and "_"'),
    /** Which API the upstream speaks. `demo` is the built-in offline upstream. */
    provider: z.enum(PROVIDERS),
    /** OpenAI: base URL including `/v1`. Anthropic: base URL without `/v1`. Not used for demo. */
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    /** Where the upstream's own API key comes from. */
    apiKey: secretRefSchema.optional(),
    /** Whole-request budget: headers and the complete body. Streams count from the first byte. */
    timeoutMs: z.number().int().positive().default(120_000),
    connectTimeoutMs: z.number().int().positive().default(10_000),
    /** Longest silence allowed between two body chunks of a response. */
    idleTimeoutMs: z.number().int().positive().default(60_000),
    /**
     * Tools the provider runs itself (Anthropic web search, web fetch, code execution, MCP connectors;
     * OpenAI's web_search_options): their calls never reach the agent, so the tool-call policy cannot
     * judge them. Refused (403) unless `allow`.
     */
    serverTools: z.enum(['deny', 'allow']).default('deny'),
    tls: z
      .strictObject({
        /** Never turn this off outside a lab: the gateway logs a loud warning at start when it is. */
        rejectUnauthorized: z.boolean().default(true),
        /** Extra CA certificate (PEM file) for upstreams with a private CA. */
        caFile: z.string().min(1).optional(),
      })
      .prefault({}),
  })
  .superRefine((u, ctx) => {
    if (u.provider !== 'demo' && !u.url) ctx.addIssue({ code: 'custom', path: ['url'], message: `is required for provider "${u.provider}"` });
    // The Anthropic adapter adds /v1/messages: a base URL ending in /v1 would send every request to /v1/v1/messages.
    if (u.provider === 'anthropic' && u.url && /\/v1\/?$/.test(new URL(u.url).pathname)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: `for provider "anthropic" is the base URL without /v1 (ClawGuard adds /v1/messages): use ${u.url.replace(/\/v1\/?$/, '')}` });
    }
  });

/** TLS for a listener: TLS 1.2 at least; with `caFile`, client certificates are requested (mTLS). */
const listenerTlsSchema = z.strictObject({
  certFile: z.string().min(1),
  keyFile: z.string().min(1),
  caFile: z.string().min(1).optional(),
  /** With `caFile`: refuse clients without a certificate signed by it. */
  requireClientCert: z.boolean().default(false),
});

const routeSchema = z.strictObject({
  /** Glob over the model name the client asks for, e.g. `gpt-*`. First match wins. */
  model: z.string().min(1),
  upstream: z.string().min(1),
});

const ruleSchema = z
  .strictObject({
    type: z.string().min(1).optional(),
    guard: z.string().min(1).optional(),
    direction: z.enum(['input', 'output']).optional(),
    kind: z.array(segmentKind).min(1).optional(),
    role: z.array(role).min(1).optional(),
    minScore: z.number().min(0).max(1).optional(),
    action,
    replacement: z.string().optional(),
  })
  .superRefine((r, ctx) => {
    if (r.replacement !== undefined && r.action !== 'redact') {
      ctx.addIssue({ code: 'custom', path: ['replacement'], message: 'only applies to action "redact"' });
    }
  });

/**
 * The default policy, first match wins: strip invisible characters, keep secrets and personal data
 * away from the provider behind restorable placeholders, block injections and harmful output.
 */
export const DEFAULT_RULES = [
  // Tool calls: past calls in the history are recorded only; the model's new calls are reviewed or refused.
  { type: 'toolcall.*', direction: 'input' as const, kind: ['tool_call' as const], action: 'allow' as const },
  { type: 'toolcall.review*', action: 'review' as const },
  { type: 'toolcall.*', action: 'block' as const },
  // A risky link or image in the model's answer loses its URL; the rest of the answer stays.
  { type: 'link.*', direction: 'output' as const, action: 'redact' as const },
  { type: 'invisible.zero_width', action: 'redact' as const, replacement: '' },
  { type: 'invisible.bidi', action: 'redact' as const, replacement: '' },
  { type: 'invisible.tag', action: 'block' as const },
  { type: 'secret.*', direction: 'input' as const, action: 'pseudonymize' as const },
  { type: 'secret.*', direction: 'output' as const, action: 'redact' as const },
  { type: 'pii.*', direction: 'input' as const, action: 'pseudonymize' as const },
  { type: 'pii.*', direction: 'output' as const, action: 'allow' as const },
  // An injection inside a tool result is neutralized (wrapped as untrusted data), not blocked: the
  // flow rule then sends the model's next high-risk tool calls to review.
  { type: 'injection.*', kind: ['tool_result' as const], action: 'neutralize' as const },
  // Direct injection in a message is blocked when the detector is sure (about 2 % of ordinary prompts
  // score above 0.5, far fewer above 0.9); lower scores are recorded for the audit trail and anomalies.
  { type: 'injection.*', minScore: 0.9, action: 'block' as const },
  { type: 'injection.*', action: 'allow' as const },
  // The harmful-content classifier blocks only when it is sure (0.7 or more: 0.7 % of ordinary answers,
  // 1.0 % of ordinary prompts, recall 0.83 on harmful dev); lower scores are recorded. Operator term
  // lists, patterns and services always block.
  { type: 'moderation.harmful', minScore: 0.7, action: 'block' as const },
  { type: 'moderation.harmful', action: 'allow' as const },
  { type: 'moderation.*', action: 'block' as const },
];

const policySchema = z.strictObject({
  /** Action for a finding at or above its threshold that no rule matches. */
  defaultAction: action.default('block'),
  thresholds: z
    .strictObject({
      message: z.number().min(0).max(1).default(0.5),
      tool_call: z.number().min(0).max(1).default(0.5),
      tool_result: z.number().min(0).max(1).default(0.5),
    })
    .default({ message: 0.5, tool_call: 0.5, tool_result: 0.5 }),
  /** The operator's rules: evaluated first. */
  rules: z.array(ruleSchema).default([]),
  /** Evaluated after `rules`; the built-in defaults unless replaced (`[]` drops them). */
  defaultRules: z.array(ruleSchema).default(DEFAULT_RULES),
});

/** Common fields every guard entry has, added to each family's own schema. */
const guardCommon = {
  enabled: z.boolean().default(true),
  /** Let requests pass when this guard fails (counted and logged). Off: guards fail closed. */
  failOpen: z.boolean().default(false),
  // Generous: a budget catches a guard gone pathological, not a busy machine (sync guards are timed by the wall clock).
  timeoutMs: z.number().int().positive().default(500),
};

function guardsSchema(registry: GuardRegistry) {
  const shape: Record<string, z.ZodType> = {};
  const defaults: Record<string, unknown> = {};
  for (const factory of registry.all()) {
    const own = factory.schema;
    if (!(own instanceof z.ZodObject)) throw new Error(`guard family ${factory.name}: its schema must be a z.strictObject`);
    shape[factory.name] = own.safeExtend(guardCommon).prefault({});
    defaults[factory.name] = {};
  }
  return z.strictObject(shape).prefault(defaults);
}

export function configSchema(registry: GuardRegistry) {
  return z
    .strictObject({
      server: z
        .strictObject({
          host: host.default('127.0.0.1'),
          port: port.default(8080),
          tls: listenerTlsSchema.optional(),
        })
        .prefault({}),
      admin: z
        .strictObject({
          enabled: z.boolean().default(true),
          host: host.default('127.0.0.1'),
          port: port.default(8081),
          tls: listenerTlsSchema.optional(),
        })
        .prefault({}),
      auth: z
        .strictObject({
          /** Off only for local experiments: every caller becomes the anonymous principal. */
          enabled: z.boolean().default(true),
          /** Accept ClawGuard client keys (`cg_…`). */
          apiKeys: z.boolean().default(true),
          /** Accept bearer JWTs from an OIDC issuer. */
          jwt: jwtConfigSchema.optional(),
          /** Role of keys created without one and of tokens without a roles claim. */
          defaultRole: z.string().min(1).default('default'),
          /** Client certificates (needs `server.tls.caFile`): the subject CN becomes the principal `mtls:<CN>`. */
          mtls: z
            .strictObject({
              enabled: z.boolean().default(false),
              /** Subject CN → role; CNs not listed get `defaultRole`. */
              roles: z.record(z.string(), z.string()).default({}),
            })
            .prefault({}),
        })
        .prefault({}),
      /** Least privilege: what each role may use. A principal whose role is not listed is refused. */
      roles: z.array(roleSchema).default(DEFAULT_ROLES),
      rateLimits: z
        .strictObject({
          /** `memory` for one replica; `redis` to share counters across replicas. */
          store: z.enum(['memory', 'redis']).default('memory'),
          /** A redis:// URL, or a secret reference to one when it holds a password. */
          redisUrl: z
            .string()
            .refine((v) => /^rediss?:\/\//.test(v) || SECRET_REF.test(v), 'must be a redis:// or rediss:// URL, or a secret reference (env:NAME, file:PATH)')
            .overwrite(anchorSecretRef)
            .optional(),
          /** Shared store down: count locally (`local`) or refuse requests (`block`). */
          onStoreError: z.enum(['local', 'block']).default('local'),
          perIp: limitRuleSchema.prefault({}),
          perTenant: limitRuleSchema.prefault({}),
          authFailuresPerMinutePerIp: z.number().int().positive().default(30),
        })
        .prefault({})
        .superRefine((r, ctx) => {
          if (r.store === 'redis' && !r.redisUrl) ctx.addIssue({ code: 'custom', path: ['redisUrl'], message: 'is required when store is "redis"' });
        }),
      storage: z
        .strictObject({
          /** `sqlite` on one machine; `postgres` shares keys (and more) across replicas. */
          backend: z.enum(['sqlite', 'postgres']).default('sqlite'),
          sqlite: z.strictObject({ path: z.string().min(1).default('clawguard.db') }).prefault({}),
          postgres: z
            .strictObject({
              /** A secret reference (env:NAME, file:PATH) to the connection URL, or a URL without a password. */
              url: z.string().min(1).overwrite(anchorSecretRef),
              /** Optional schema to work in (created when missing). */
              schema: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional(),
            })
            .superRefine((p, ctx) => {
              if (!SECRET_REF.test(p.url)) {
                let parsed: URL | undefined;
                try {
                  parsed = new URL(p.url);
                } catch {
                  ctx.addIssue({ code: 'custom', path: ['url'], message: 'must be a postgres:// URL or a secret reference (env:NAME, file:PATH)' });
                  return;
                }
                if (parsed.password) ctx.addIssue({ code: 'custom', path: ['url'], message: 'holds a password: put the URL in a secret reference (env:NAME or file:PATH)' });
              }
            })
            .optional(),
        })
        .prefault({})
        .superRefine((st, ctx) => {
          if (st.backend === 'postgres' && !st.postgres) ctx.addIssue({ code: 'custom', path: ['postgres'], message: 'is required when backend is "postgres"' });
        }),
      /** No upstreams: every model goes to the built-in demo upstream. */
      upstreams: z.array(upstreamSchema).default([]),
      routes: z.array(routeSchema).default([]),
      guards: guardsSchema(registry),
      policy: policySchema.prefault({}),
      pseudonymization: z
        .strictObject({
          /** Key that seals each conversation's mapping (AES-256-GCM). Absent: a random key per process, mappings in memory. */
          vaultKey: secretRefSchema.optional(),
          /** How long a conversation's mapping lives after its last use. */
          ttlSeconds: z.number().int().positive().default(86_400),
          /**
           * Pseudonymized credentials come back only inside tool-call arguments (the agent can act with
           * them), never in answer text: a model talked into repeating a key prints `<SECRET_1>`.
           * `true` restores them in text too.
           */
          restoreSecretsInText: z.boolean().default(false),
          /**
           * Values pseudonymized only in the operator's system prompt (a customer record, retrieved
           * documents) stay placeholders in answer text; they come back in tool-call arguments. A value
           * the user sent too is the user's own and comes back everywhere. `true` restores them in text.
           */
          restoreOperatorValuesInText: z.boolean().default(false),
        })
        .prefault({}),
      egress: z
        .strictObject({
          /** An HTTP forward proxy (CONNECT) for the agent's own tools (web_fetch, browser, curl). */
          enabled: z.boolean().default(false),
          host: host.default('127.0.0.1'),
          port: port.default(8082),
          /** Host globs that may be reached (`example.com` covers its subdomains); empty: every public host not denied. */
          allowDomains: z.array(z.string().min(1)).default([]),
          denyDomains: z.array(z.string().min(1)).default([]),
          allowPorts: z.array(port).default([80, 443]),
          /** Let tools reach private, loopback and link-local addresses (SSRF): off. */
          allowPrivate: z.boolean().default(false),
          /** Callers present a client key as proxy credentials (`http://agent:cg_…@host:port`). */
          requireAuth: z.boolean().default(true),
          connectTimeoutMs: z.number().int().positive().default(10_000),
          idleTimeoutMs: z.number().int().positive().default(300_000),
        })
        .prefault({}),
      /** Named policies a role can choose with `policyProfile` (same fields as `policy`). */
      policyProfiles: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/), policySchema).default({}),
      /** Hash-chained audit log of every request, decision, tool call and admin action (docs/audit.md). */
      audit: auditConfigSchema.prefault({}),
      /** Prometheus metrics on the admin listener, alerts, anomaly detection (docs/observability.md). */
      telemetry: telemetryConfigSchema,
      /** Cloud secret managers behind aws-sm:, azure-kv:, gcp-sm: references: regions, endpoints, caching (docs/secrets.md). */
      secrets: secretProvidersSchema.prefault({}),
      /** Signed manifest of models, prompts, knowledge bases and configs: the gateway refuses to start on a mismatch. */
      integrity: integrityConfigSchema.prefault({}),
      /** Model lineage in the audit trail (artifact digests) and MLflow registry pins (docs/integrity.md). */
      lineage: lineageConfigSchema.prefault({}),
      incident: z
        .strictObject({
          /** How often each replica re-reads the lockdowns (without Redis pub/sub this bounds how fast a lockdown spreads). */
          lockdownRefreshMs: z.number().int().min(100).max(60_000).default(1000),
        })
        .prefault({}),
      approvals: z
        .strictObject({
          /** How long a call held for review waits for a human; silence denies it. */
          timeoutSeconds: z.number().int().positive().max(86_400).default(300),
          /** How often a held call re-reads the store (decisions taken on another replica). */
          pollMs: z.number().int().min(50).max(10_000).default(500),
          /** Announce each request for approval here (JSON POST; Slack-compatible `text` field). */
          webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
          /** Include the tool-call arguments in the announcement (they may hold sensitive data). */
          webhookIncludesArguments: z.boolean().default(false),
        })
        .prefault({}),
      cache: z.strictObject({ maxEntries: z.number().int().min(0).default(50_000) }).default({ maxEntries: 50_000 }),
      logging: z
        .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
        .default({ level: 'info' }),
    })
    .superRefine((c, ctx) => {
      const names = new Set<string>();
      c.upstreams.forEach((u, i) => {
        if (names.has(u.name)) ctx.addIssue({ code: 'custom', path: ['upstreams', i, 'name'], message: `duplicate upstream name "${u.name}"` });
        names.add(u.name);
      });
      c.routes.forEach((r, i) => {
        if (!names.has(r.upstream)) {
          ctx.addIssue({ code: 'custom', path: ['routes', i, 'upstream'], message: `no upstream named "${r.upstream}"` });
        }
      });
      if (c.upstreams.length > 0 && c.routes.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['routes'], message: 'upstreams are configured but no route sends a model to them (add e.g. {model: "*", upstream: NAME})' });
      }
      const roleNames = new Set<string>();
      c.roles.forEach((r, i) => {
        if (roleNames.has(r.name)) ctx.addIssue({ code: 'custom', path: ['roles', i, 'name'], message: `duplicate role "${r.name}"` });
        roleNames.add(r.name);
        if (r.policyProfile && !(r.policyProfile in c.policyProfiles)) {
          ctx.addIssue({ code: 'custom', path: ['roles', i, 'policyProfile'], message: `no policy profile named "${r.policyProfile}" in policyProfiles` });
        }
        r.upstreams?.forEach((u, j) => {
          if (c.upstreams.length > 0 && !names.has(u)) ctx.addIssue({ code: 'custom', path: ['roles', i, 'upstreams', j], message: `no upstream named "${u}"` });
        });
      });
      if (c.auth.mtls.enabled && !c.server.tls?.caFile) ctx.addIssue({ code: 'custom', path: ['auth', 'mtls', 'enabled'], message: 'needs server.tls.caFile to verify client certificates' });
      for (const [cn, role] of Object.entries(c.auth.mtls.roles)) {
        if (!roleNames.has(role)) ctx.addIssue({ code: 'custom', path: ['auth', 'mtls', 'roles', cn], message: `no role named "${role}"` });
      }
      if (!roleNames.has(c.auth.defaultRole)) ctx.addIssue({ code: 'custom', path: ['auth', 'defaultRole'], message: `no role named "${c.auth.defaultRole}" in roles` });
      if (c.admin.enabled && c.admin.port !== 0 && c.admin.port === c.server.port && c.admin.host === c.server.host) {
        ctx.addIssue({ code: 'custom', path: ['admin', 'port'], message: 'the admin surface must listen apart from the proxy surface' });
      }
    });
}

export type ClawGuardConfig = z.infer<ReturnType<typeof configSchema>>;
export type UpstreamConfig = ClawGuardConfig['upstreams'][number];
export type GuardEntryConfig = { enabled: boolean; failOpen: boolean; timeoutMs: number } & Record<string, unknown>;
