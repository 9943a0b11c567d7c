import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE api_keys (
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
  `CREATE TABLE approvals (
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
   );
   CREATE INDEX approvals_status ON approvals (status, created_at)`,
  `CREATE TABLE lockdowns (
     scope TEXT PRIMARY KEY,
     mode TEXT NOT NULL CHECK (mode IN ('refuse', 'read-only')),
     reason TEXT,
     created_at TEXT NOT NULL,
     created_by TEXT NOT NULL
   )`,
];

/** Opens (creating if needed) the embedded store, in WAL mode, and brings its schema up to date. */
export function openSqlite(path: string): SqliteDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  // Hashes, vault rows and audit data: readable by the gateway's user only (WAL files inherit this).
  if (path !== ':memory:') chmodSync(path, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}
