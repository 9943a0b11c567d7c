import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSecretsDetector, secretsConfigSchema } from '../../src/guards/secrets/index.js';

/**
 * The suite-wide secret scan (issue #7): every gateway a test starts through startTestGateway is
 * scanned when it closes. A leak fails that test. Two nets:
 *   1. known values: the gateway's client and admin keys and every environment value the test gave it
 *      (upstream keys, vault keys, signing keys), searched byte for byte in every log line and in every
 *      file the gateway wrote (SQLite stores, WAL files, spools);
 *   2. the product's own secrets detector run over every log line and every audit record body, so a
 *      credential planted in a prompt or tool result that leaked into a log or into audit metadata is
 *      caught even though the test never named it.
 * Redacted payloads legitimately hold placeholders, never values; encrypted ones are ciphertext.
 */
const detect = createSecretsDetector(secretsConfigSchema.parse({}));

/** Files a gateway writes (configs and key files a test wrote on purpose are not scanned). */
const WRITTEN = /\.(db|db-wal|db-shm|sqlite|spool|jsonl|log)$|-wal$|spool/;

function writtenFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(path);
      else if (WRITTEN.test(name)) out.push(path);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

function auditBodies(file: string): string[] {
  if (!/\.(db|sqlite)$/.test(file)) return [];
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'audit_records'").get();
    if (!table) return [];
    return db.prepare('SELECT body FROM audit_records').pluck().all() as string[];
  } catch {
    return [];
  } finally {
    db?.close();
  }
}

export interface Leak {
  readonly where: string;
  readonly what: string;
}

/** Values worth searching for: long enough that a match is not chance. */
export function knownSecretValues(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length >= 12))];
}

export function findLeaks(known: readonly string[], logs: readonly string[], dir: string): Leak[] {
  const leaks: Leak[] = [];
  const logText = logs.join('');
  for (const value of known) if (logText.includes(value)) leaks.push({ where: 'log', what: `a known secret (${value.slice(0, 4)}…)` });
  for (const line of logs) {
    for (const m of detect(line)) leaks.push({ where: 'log', what: `${m.id} detected in: ${line.slice(0, 160)}` });
  }
  for (const file of writtenFiles(dir)) {
    const bytes = readFileSync(file).toString('latin1');
    for (const value of known) if (bytes.includes(value)) leaks.push({ where: file, what: `a known secret (${value.slice(0, 4)}…)` });
    for (const body of auditBodies(file)) {
      for (const m of detect(body)) leaks.push({ where: `${file} audit record`, what: `${m.id} detected in: ${body.slice(0, 160)}` });
    }
  }
  return leaks;
}
