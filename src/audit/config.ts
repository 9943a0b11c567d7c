import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { secretRefSchema } from '../secrets/secret-ref.js';

const syslogTargetSchema = z.strictObject({
  type: z.literal('syslog'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(6514),
  /** TLS (RFC 5425) unless explicitly off; plain TCP only inside a trusted network. */
  tls: z.boolean().default(true),
  /** PEM file of a private CA for the collector. */
  caFile: z.string().min(1).optional(),
  rejectUnauthorized: z.boolean().default(true),
  appName: z.string().regex(/^[!-~]{1,48}$/).default('clawguard'),
  /** Events waiting for the collector; beyond it the oldest are dropped (the audit store keeps them). */
  maxQueue: z.number().int().positive().default(10_000),
});

const httpTargetSchema = z.strictObject({
  type: z.literal('http'),
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  /** Header values are secret references (e.g. `authorization: env:SIEM_TOKEN`). */
  headers: z.record(z.string().min(1), secretRefSchema).default({}),
  batchSize: z.number().int().positive().default(500),
  flushIntervalMs: z.number().int().positive().default(1000),
  maxQueue: z.number().int().positive().default(10_000),
});

/** A target's own journal of events the collector has not accepted yet; survives restarts. */
const siemSpoolSchema = z.union([
  z.literal(false),
  z.strictObject({
    /** Relative to the config file; default `clawguard-siem-<name>.spool`. */
    path: z.string().min(1).optional(),
    /** Waiting events at most; beyond it new events are dropped and counted (the audit store keeps them). */
    maxBytes: z.number().int().positive().default(64 * 1024 * 1024),
  }),
]);

/** Fields every HTTPS collector shares: TLS, batching, retries, spool. */
const collectorFields = {
  /** Names the target in logs and its default spool file; unique among targets. */
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)').optional(),
  /** PEM file of a private CA for the collector's certificate. */
  caFile: z.string().min(1).optional(),
  /** TLS certificate verification; turn off only for a lab collector. */
  tlsVerify: z.boolean().default(true),
  flushIntervalMs: z.number().int().positive().default(1000),
  timeoutMs: z.number().int().positive().default(10_000),
  /** First retry delay; doubles (with jitter) up to `maxBackoffMs`. */
  initialBackoffMs: z.number().int().positive().default(500),
  maxBackoffMs: z.number().int().positive().default(60_000),
  spool: siemSpoolSchema.prefault({}),
};

const splunkTargetSchema = z.strictObject({
  type: z.literal('splunk'),
  /** HEC base URL (`https://splunk.example:8088`); events are POSTed to `/services/collector/event`. */
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  /** The HEC token, as a secret reference (`env:SPLUNK_HEC_TOKEN`). */
  token: secretRefSchema,
  index: z.string().min(1).optional(),
  source: z.string().min(1).default('clawguard'),
  sourcetype: z.string().min(1).default('clawguard:audit'),
  /** `host` of each event; default the machine's hostname. */
  host: z.string().min(1).optional(),
  batchSize: z.number().int().positive().default(500),
  /** One POST at most this many bytes (HEC's `max_content_length`). */
  batchBytes: z.number().int().positive().default(1024 * 1024),
  ...collectorFields,
});

const datadogTargetSchema = z.strictObject({
  type: z.literal('datadog'),
  /** The API key, as a secret reference (`env:DD_API_KEY`). */
  apiKey: secretRefSchema,
  /** Datadog site; the intake is `https://http-intake.logs.<site>/api/v2/logs`. */
  site: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'a Datadog site such as datadoghq.com or datadoghq.eu').default('datadoghq.com'),
  /** Full intake URL instead of the site's (an egress proxy or a relay). */
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  service: z.string().min(1).default('clawguard'),
  source: z.string().min(1).default('clawguard'),
  /** `ddtags`, e.g. `env:prod`. */
  tags: z.array(z.string().regex(/^[^,\s]+$/, 'one tag, no commas or spaces')).default([]),
  hostname: z.string().min(1).optional(),
  /** gzip request bodies. */
  compress: z.boolean().default(true),
  batchSize: z.number().int().positive().max(1000, 'Datadog accepts at most 1000 entries per request').default(500),
  batchBytes: z.number().int().positive().max(5_000_000, 'Datadog accepts at most 5 MB per request').default(4 * 1024 * 1024),
  ...collectorFields,
});

export const siemTargetSchema = z.discriminatedUnion('type', [syslogTargetSchema, httpTargetSchema, splunkTargetSchema, datadogTargetSchema]);

/** The name a target goes by in logs and in its default spool file. */
export function siemTargetName(target: z.output<typeof siemTargetSchema>): string {
  return ('name' in target && target.name) || target.type;
}

const siemTargetsSchema = z.array(siemTargetSchema).superRefine((targets, ctx) => {
  const seen = new Map<string, number>();
  targets.forEach((t, i) => {
    if (t.type !== 'splunk' && t.type !== 'datadog') return;
    const name = siemTargetName(t);
    if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${name}" is already the name of siem[${seen.get(name)}]: give each Splunk/Datadog target its own name (it names its spool file)` });
    seen.set(name, i);
  });
});

/** The `audit:` section of clawguard.yaml. */
export const auditConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    store: z
      .strictObject({
        type: z.enum(['sqlite', 'postgres']).default('sqlite'),
        /** SQLite file, relative to the config file. */
        path: z.string().min(1).default('clawguard-audit.db'),
        /** PostgreSQL connection string, as a secret reference (it usually holds a password). */
        url: secretRefSchema.optional(),
        schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _').default('clawguard_audit'),
      })
      .prefault({}),
    /** How prompts, responses and tool arguments are kept: not at all, redacted, or encrypted. */
    payloads: z.enum(['none', 'redacted', 'encrypted']).default('none'),
    encryption: z
      .strictObject({
        /** Id of the master key that wraps new data keys. */
        activeKey: z.string().min(1),
        /** Every master key still needed to read old payloads. Values: 32 bytes, hex or base64. */
        keys: z.array(z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), secret: secretRefSchema })).min(1),
        /** A subject gets a fresh data key after this many hours. */
        dataKeyMaxAgeHours: z.number().positive().default(24),
      })
      .optional(),
    signing: z
      .strictObject({
        /** Ed25519 private key (PKCS#8 PEM or 32-byte seed, base64/hex) that signs checkpoints. */
        privateKey: secretRefSchema.optional(),
        /** Public keys that verify checkpoints (raw 32 bytes base64, or PEM); keep old ones after a rotation. */
        publicKeys: z.array(z.string().min(1)).default([]),
        checkpointEvery: z.number().int().positive().default(10_000),
        checkpointIntervalSeconds: z.number().positive().default(60),
      })
      .prefault({}),
    retention: z
      .strictObject({
        /** Purge records older than this many days; 0 keeps everything. */
        days: z.number().int().min(0).default(0),
      })
      .prefault({}),
    writer: z
      .strictObject({
        // Small, frequent batches: SQLite appends run on the event loop (~15–25 µs per event), so a
        // batch of 1,000 held every request for 15–30 ms; 200 every 20 ms bounds that to a few ms.
        batchSize: z.number().int().positive().default(200),
        flushIntervalMs: z.number().int().positive().default(20),
        maxQueue: z.number().int().positive().default(50_000),
      })
      .prefault({}),
    spool: z
      .strictObject({
        /** Journal of events not yet stored, relative to the config file. `false` turns it off (a crash then loses queued events). */
        path: z.union([z.string().min(1), z.literal(false)]).default('clawguard-audit.spool'),
        maxBytes: z.number().int().positive().default(256 * 1024 * 1024),
      })
      .prefault({}),
    /** When the spool is full: refuse requests (`fail-closed`, 503) or drop events and alert (`drop`). */
    onFull: z.enum(['fail-closed', 'drop']).default('fail-closed'),
    /** Live forwarding to a SIEM. */
    siem: siemTargetsSchema.default([]),
  })
  .superRefine((c, ctx) => {
    if (c.store.type === 'postgres' && !c.store.url) ctx.addIssue({ code: 'custom', path: ['store', 'url'], message: 'is required for store type "postgres"' });
    if (c.payloads === 'encrypted' && !c.encryption) ctx.addIssue({ code: 'custom', path: ['encryption'], message: 'is required for payloads "encrypted"' });
    if (c.encryption && !c.encryption.keys.some((k) => k.id === c.encryption!.activeKey)) {
      ctx.addIssue({ code: 'custom', path: ['encryption', 'activeKey'], message: 'must be the id of one of encryption.keys' });
    }
  })
  .prefault({});

export type AuditConfig = z.output<typeof auditConfigSchema>;
export type SiemTarget = z.output<typeof siemTargetSchema>;

export class AuditConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditConfigError';
  }
}

/** Reads the `audit:` section of a ClawGuard config file (for the CLI; the gateway gets it from its own config). */
export function loadAuditConfigFile(path: string): { config: AuditConfig; baseDir: string } {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AuditConfigError(`${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new AuditConfigError(`${file}: not valid YAML (${error instanceof Error ? error.message.split('\n')[0] : 'parse error'})`);
  }
  const section = doc && typeof doc === 'object' ? (doc as Record<string, unknown>).audit : undefined;
  const parsed = auditConfigSchema.safeParse(section ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${file}: audit.${i.path.join('.')}: ${i.message}`);
    throw new AuditConfigError(lines.join('\n'));
  }
  return { config: parsed.data, baseDir: dirname(file) };
}
