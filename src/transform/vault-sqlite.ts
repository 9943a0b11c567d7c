import type { Database } from 'better-sqlite3';
import type { VaultRow, VaultStore } from './vault.js';

/**
 * Vault rows in SQLite (the embedded default): mappings survive gateway restarts. The rows hold only
 * sealed (AES-256-GCM) mappings; the key never touches the database.
 */
export class SqliteVaultStore implements VaultStore {
  private readonly getStmt;
  private readonly putStmt;
  private readonly deleteStmt;
  private readonly purgeStmt;

  constructor(db: Database, private readonly now: () => number = Date.now) {
    db.exec(`CREATE TABLE IF NOT EXISTS pseudonym_vault (
      conversation_id TEXT PRIMARY KEY,
      sealed TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    )`);
    db.exec('CREATE INDEX IF NOT EXISTS pseudonym_vault_expires ON pseudonym_vault (expires_at)');
    this.getStmt = db.prepare<[string], { sealed: string; expires_at: number }>(
      'SELECT sealed, expires_at FROM pseudonym_vault WHERE conversation_id = ?',
    );
    this.putStmt = db.prepare<[string, string, number]>(
      `INSERT INTO pseudonym_vault (conversation_id, sealed, expires_at) VALUES (?, ?, ?)
       ON CONFLICT(conversation_id) DO UPDATE SET sealed = excluded.sealed, expires_at = excluded.expires_at`,
    );
    this.deleteStmt = db.prepare<[string]>('DELETE FROM pseudonym_vault WHERE conversation_id = ?');
    this.purgeStmt = db.prepare<[number]>('DELETE FROM pseudonym_vault WHERE expires_at <= ?');
  }

  get(conversationId: string): VaultRow | undefined {
    const row = this.getStmt.get(conversationId);
    if (!row || row.expires_at <= this.now()) return undefined;
    return { sealed: row.sealed, expiresAt: row.expires_at };
  }

  put(conversationId: string, row: VaultRow): void {
    this.putStmt.run(conversationId, row.sealed, row.expiresAt);
  }

  delete(conversationId: string): void {
    this.deleteStmt.run(conversationId);
  }

  purgeExpired(now: number): number {
    return this.purgeStmt.run(now).changes;
  }
}
