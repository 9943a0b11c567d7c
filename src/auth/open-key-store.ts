import { type LoadedConfig, resolveConfigPath } from '../config/load.js';
import { resolveSecret, SECRET_REF } from '../secrets/secret-ref.js';
import { openSqlite } from '../storage/sqlite.js';
import { type KeyStore, SqliteKeyStore } from './api-keys.js';

/** The key store the config selects, opened and migrated. Closing it closes its connection. */
export async function openKeyStore(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): Promise<KeyStore> {
  const storage = loaded.config.storage;
  if (storage.backend === 'postgres') {
    const ref = storage.postgres!.url;
    const url = SECRET_REF.test(ref) ? await resolveSecret(ref, env) : ref;
    const [{ openPostgres }, { PostgresKeyStore }] = await Promise.all([import('../storage/postgres.js'), import('./pg-key-store.js')]);
    const pool = await openPostgres(url, storage.postgres!.schema ? { schema: storage.postgres!.schema } : {});
    return new PostgresKeyStore(pool);
  }
  const db = openSqlite(resolveConfigPath(loaded, storage.sqlite.path));
  const store = new SqliteKeyStore(db);
  return Object.assign(store, {
    close: async () => {
      db.close();
    },
  });
}
