import { type LoadedConfig, resolveConfigPath } from '../../config/load.js';
import { resolveSecret, SECRET_REF } from '../../secrets/secret-ref.js';
import { openSqlite } from '../../storage/sqlite.js';
import { type ApprovalStore, PostgresApprovalStore, SqliteApprovalStore } from './approval-store.js';

/** The approval store of the configured backend, with a function that closes its connection. */
export async function openApprovalStore(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): Promise<{ store: ApprovalStore; close: () => Promise<void> }> {
  const storage = loaded.config.storage;
  if (storage.backend === 'postgres') {
    const ref = storage.postgres!.url;
    const { openPostgres } = await import('../../storage/postgres.js');
    const pool = await openPostgres(SECRET_REF.test(ref) ? await resolveSecret(ref, env) : ref, storage.postgres!.schema ? { schema: storage.postgres!.schema } : {});
    return { store: new PostgresApprovalStore(pool), close: () => pool.end() };
  }
  const db = openSqlite(resolveConfigPath(loaded, storage.sqlite.path));
  return {
    store: new SqliteApprovalStore(db),
    close: async () => {
      db.close();
    },
  };
}
