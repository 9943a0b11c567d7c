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

export const siemTargetSchema = z.discriminatedUnion('type', [syslogTargetSchema, httpTargetSchema]);

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
        batchSize: z.number().int().positive().default(1000),
        flushIntervalMs: z.number().int().positive().default(50),
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
    siem: z.array(siemTargetSchema).default([]),
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
