import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Keyring, parseMasterKey } from '../../src/audit/encryption.js';
import { PostgresAuditStore } from '../../src/audit/postgres-store.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import type { AuditStore } from '../../src/audit/store.js';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cg-audit-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A store under test plus a way to tamper with its tables directly, as an attacker with DB access would. */
export interface StoreUnderTest {
  readonly name: 'sqlite' | 'postgres';
  readonly store: AuditStore;
  /** Runs raw SQL against the audit tables; `T` in the SQL is replaced by the records table name. */
  sql(text: string, params?: unknown[]): Promise<void>;
  dispose(): Promise<void>;
}

export async function openSqliteUnderTest(): Promise<StoreUnderTest> {
  const { dir, cleanup } = tempDir();
  const store = new SqliteAuditStore({ database: join(dir, 'audit.db') });
  return {
    name: 'sqlite',
    store,
    async sql(text, params = []) {
      store.db.prepare(text.replaceAll('$T', 'audit_records').replaceAll('$C', 'audit_checkpoints').replace(/\$\d+/g, '?')).run(...params);
    },
    async dispose() {
      await store.close();
      cleanup();
    },
  };
}

export async function openPostgresUnderTest(): Promise<StoreUnderTest> {
  const schema = `cg_audit_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const store = await PostgresAuditStore.open({ connectionString: PG_URL, schema });
  return {
    name: 'postgres',
    store,
    async sql(text, params = []) {
      await store.pool.query(text.replaceAll('$T', `${schema}.audit_records`).replaceAll('$C', `${schema}.audit_checkpoints`), params);
    },
    async dispose() {
      await store.dropSchema();
      await store.close();
    },
  };
}

export const STORES: readonly [string, () => Promise<StoreUnderTest>][] = [
  ['sqlite', openSqliteUnderTest],
  ['postgres', openPostgresUnderTest],
];

export function testKeyring(ids: string[] = ['k1'], active = ids[0]!): Keyring {
  return new Keyring(ids.map((id) => parseMasterKey(id, randomBytes(32).toString('base64'))), active);
}
