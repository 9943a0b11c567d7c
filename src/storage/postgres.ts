import pg from 'pg';

export type PostgresPool = pg.Pool;

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS clawguard_api_keys (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL CHECK (kind IN ('client', 'admin')),
     name TEXT NOT NULL,
     hash TEXT NOT NULL UNIQUE,
     prefix TEXT NOT NULL,
     role TEXT,
     tenant TEXT,
     created_at TEXT NOT NULL,
     expires_at TEXT,
     last_used_at TEXT,
     revoked_at TEXT
   )`,
  `CREATE TABLE IF NOT EXISTS clawguard_approvals (
     id TEXT PRIMARY KEY,
     status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
     created_at TEXT NOT NULL,
     expires_at TEXT NOT NULL,
     principal TEXT NOT NULL,
     request_id TEXT NOT NULL,
     tool_name TEXT,
     arguments TEXT,
     reasons TEXT NOT NULL,
     decided_by TEXT,
     decided_at TEXT,
     note TEXT
   )`,
  `CREATE TABLE IF NOT EXISTS clawguard_lockdowns (
     scope TEXT PRIMARY KEY,
     mode TEXT NOT NULL CHECK (mode IN ('refuse', 'read-only')),
     reason TEXT,
     created_at TEXT NOT NULL,
     created_by TEXT NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS clawguard_pseudonym_vault (
     conversation_id TEXT PRIMARY KEY,
     sealed TEXT NOT NULL,
     expires_at BIGINT NOT NULL
   )`,
];

/**
 * Opens a pool to the fleet store and brings its schema up to date. Migrations run under an advisory
 * lock, so replicas starting together do not race.
 */
export async function openPostgres(url: string, options: { schema?: string } = {}): Promise<PostgresPool> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 });
  pool.on('error', () => {
    /* idle client errors surface on the next query */
  });
  // A checked-out client also emits 'error' when the server goes away (a restart); unheard, that kills the process.
  pool.on('connect', (client) => void client.on('error', () => undefined));
  if (options.schema) {
    // Every pooled connection works in the given schema (tests isolate themselves this way).
    const schema = options.schema.replace(/"/g, '');
    pool.on('connect', (c) => {
      c.query(`SET search_path TO "${schema}"`).catch(() => undefined);
    });
  }
  const client = await pool.connect();
  try {
    if (options.schema) {
      const schema = options.schema.replace(/"/g, '');
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(`SET search_path TO "${schema}"`);
    }
    await client.query('SELECT pg_advisory_lock(7231987)');
    try {
      await client.query('CREATE TABLE IF NOT EXISTS clawguard_schema_version (version INTEGER NOT NULL)');
      const { rows } = await client.query<{ version: number }>('SELECT version FROM clawguard_schema_version');
      let version = rows[0]?.version ?? 0;
      if (rows.length === 0) await client.query('INSERT INTO clawguard_schema_version (version) VALUES (0)');
      for (; version < MIGRATIONS.length; version++) {
        await client.query('BEGIN');
        await client.query(MIGRATIONS[version]!);
        await client.query('UPDATE clawguard_schema_version SET version = $1', [version + 1]);
        await client.query('COMMIT');
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(7231987)');
    }
  } catch (error) {
    client.release();
    await pool.end();
    throw error;
  }
  client.release();
  return pool;
}
