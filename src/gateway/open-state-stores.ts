import { type LoadedConfig, resolveConfigPath } from '../config/load.js';
import { resolveSecret, SECRET_REF } from '../secrets/secret-ref.js';
import { openSqlite } from '../storage/sqlite.js';
import { type LockdownStore, PostgresLockdownStore, SqliteLockdownStore } from './incident/lockdown.js';
import { type ApprovalStore, PostgresApprovalStore, SqliteApprovalStore } from './approvals/approval-store.js';
import type { VaultStore } from '../transform/vault.js';
import { SqliteVaultStore } from '../transform/vault-sqlite.js';

export interface StateStores {
  readonly approvals: ApprovalStore;
  readonly lockdowns: LockdownStore;
  readonly vault: VaultStore;
  close(): Promise<void>;
}

/** Approvals, lockdowns and the pseudonym vault in the configured backend, over one connection (pool) that `close` ends. */
export async function openStateStores(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): Promise<StateStores> {
  const storage = loaded.config.storage;
  if (storage.backend === 'postgres') {
    const ref = storage.postgres!.url;
    const { openPostgres } = await import('../storage/postgres.js');
    const pool = await openPostgres(SECRET_REF.test(ref) ? await resolveSecret(ref, env) : ref, storage.postgres!.schema ? { schema: storage.postgres!.schema } : {});
    const { PostgresVaultStore } = await import('../storage/postgres-vault-store.js');
    return { approvals: new PostgresApprovalStore(pool), lockdowns: new PostgresLockdownStore(pool), vault: new PostgresVaultStore(pool), close: () => pool.end() };
  }
  const db = openSqlite(resolveConfigPath(loaded, storage.sqlite.path));
  return {
    approvals: new SqliteApprovalStore(db),
    lockdowns: new SqliteLockdownStore(db),
    vault: new SqliteVaultStore(db),
    close: async () => {
      db.close();
    },
  };
}
