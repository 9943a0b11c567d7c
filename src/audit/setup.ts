import { isAbsolute, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { resolveSecret } from '../secrets/secret-ref.js';
import type { AuditConfig } from './config.js';
import { Keyring, parseMasterKey } from './encryption.js';
import { AuditLog, type AuditLogHooks } from './log.js';
import { PostgresAuditStore } from './postgres-store.js';
import { createSiemForwarder, type SiemForwarder, type SiemSetupOptions } from './siem.js';
import { CheckpointSigner, CheckpointVerifier, parsePublicKey, parseSigningKey } from './signing.js';
import { SqliteAuditStore } from './sqlite-store.js';
import type { AuditStore } from './store.js';

export interface AuditSetupOptions {
  /** Folder that relative paths in the config are resolved against (the config file's folder). */
  readonly baseDir: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Put the audit tables in this open SQLite database instead of their own file. */
  readonly sqliteDatabase?: Database.Database;
}

const under = (baseDir: string, path: string): string => (isAbsolute(path) ? path : resolve(baseDir, path));

export async function openAuditStore(config: AuditConfig, options: AuditSetupOptions): Promise<AuditStore> {
  if (config.store.type === 'postgres') {
    const url = await resolveSecret(config.store.url!, options.env);
    return PostgresAuditStore.open({ connectionString: url, schema: config.store.schema });
  }
  return new SqliteAuditStore({ database: options.sqliteDatabase ?? under(options.baseDir, config.store.path) });
}

export interface AuditKeys {
  readonly keyring?: Keyring;
  readonly signer?: CheckpointSigner;
  readonly verifier?: CheckpointVerifier;
}

/** Resolves the master keys and the signing key from their secret references. */
export async function loadAuditKeys(config: AuditConfig, env?: NodeJS.ProcessEnv): Promise<AuditKeys> {
  let keyring: Keyring | undefined;
  if (config.encryption) {
    const masters = [];
    for (const k of config.encryption.keys) masters.push(parseMasterKey(k.id, await resolveSecret(k.secret, env)));
    keyring = new Keyring(masters, config.encryption.activeKey);
  }
  const signer = config.signing.privateKey ? new CheckpointSigner(parseSigningKey(await resolveSecret(config.signing.privateKey, env))) : undefined;
  const publicKeys = config.signing.publicKeys.map(parsePublicKey);
  if (signer) publicKeys.push(signer.publicKey);
  const verifier = publicKeys.length ? new CheckpointVerifier(publicKeys) : undefined;
  return { ...(keyring ? { keyring } : {}), ...(signer ? { signer } : {}), ...(verifier ? { verifier } : {}) };
}

export async function createSiemForwarders(config: AuditConfig, env?: NodeJS.ProcessEnv, options: Omit<SiemSetupOptions, 'env'> = {}): Promise<SiemForwarder[]> {
  const out: SiemForwarder[] = [];
  try {
    for (const [i, t] of config.siem.entries()) out.push(await createSiemForwarder(t, i, { ...options, ...(env ? { env } : {}) }));
  } catch (error) {
    for (const f of out) await f.close();
    throw error;
  }
  return out;
}

export interface AuditRuntime extends AuditKeys {
  readonly log: AuditLog;
  readonly store: AuditStore;
  readonly forwarders: readonly SiemForwarder[];
  /** Flushes the log, closes forwarders, then the store. */
  close(): Promise<void>;
}

export interface StartAuditOptions extends AuditSetupOptions {
  /** The gateway's redaction for `payloads: redacted`. */
  readonly redactor?: (text: string) => string;
  /** Metrics and alerts: spooling, drops, store errors, committed records. */
  readonly hooks?: AuditLogHooks;
}

/** Everything the gateway needs for auditing, from the `audit:` config section. */
export async function startAudit(config: AuditConfig, options: StartAuditOptions): Promise<AuditRuntime> {
  const keys = await loadAuditKeys(config, options.env);
  const forwarders = await createSiemForwarders(config, options.env, { baseDir: options.baseDir, ...(options.hooks?.error ? { log: options.hooks.error } : {}) });
  const store = await openAuditStore(config, options);
  const hooks = options.hooks ?? {};
  const log = await AuditLog.open({
    store,
    payloads: config.payloads,
    ...(keys.keyring ? { keyring: keys.keyring } : {}),
    ...(keys.signer ? { signer: keys.signer } : {}),
    ...(options.redactor ? { redactor: options.redactor } : {}),
    boundMetadata: true,
    checkpointEvery: config.signing.checkpointEvery,
    checkpointIntervalMs: config.signing.checkpointIntervalSeconds * 1000,
    batchSize: config.writer.batchSize,
    flushIntervalMs: config.writer.flushIntervalMs,
    maxQueue: config.writer.maxQueue,
    ...(config.spool.path !== false ? { spool: { path: under(options.baseDir, config.spool.path), maxBytes: config.spool.maxBytes } } : {}),
    onFull: config.onFull,
    dataKeyMaxAgeMs: (config.encryption?.dataKeyMaxAgeHours ?? 24) * 3600_000,
    hooks: {
      ...hooks,
      committed(records) {
        for (const f of forwarders) f.send(records);
        hooks.committed?.(records);
      },
    },
  });
  return {
    ...keys,
    log,
    store,
    forwarders,
    async close() {
      try {
        await log.close();
      } finally {
        for (const f of forwarders) await f.close();
        await store.close();
      }
    },
  };
}
