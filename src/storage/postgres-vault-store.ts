import type { VaultRow, VaultStore } from '../transform/vault.js';
import type { PostgresPool } from './postgres.js';

/** Sealed pseudonym mappings in PostgreSQL: every replica restores the same placeholders. */
export class PostgresVaultStore implements VaultStore {
  constructor(
    private readonly pool: PostgresPool,
    private readonly now: () => number = Date.now,
  ) {}

  async get(conversationId: string): Promise<VaultRow | undefined> {
    const { rows } = await this.pool.query<{ sealed: string; expires_at: string }>('SELECT sealed, expires_at FROM clawguard_pseudonym_vault WHERE conversation_id = $1', [conversationId]);
    const row = rows[0];
    if (!row || Number(row.expires_at) <= this.now()) return undefined;
    return { sealed: row.sealed, expiresAt: Number(row.expires_at) };
  }

  async put(conversationId: string, row: VaultRow): Promise<void> {
    await this.pool.query(
      `INSERT INTO clawguard_pseudonym_vault (conversation_id, sealed, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (conversation_id) DO UPDATE SET sealed = EXCLUDED.sealed, expires_at = EXCLUDED.expires_at`,
      [conversationId, row.sealed, row.expiresAt],
    );
  }

  async delete(conversationId: string): Promise<void> {
    await this.pool.query('DELETE FROM clawguard_pseudonym_vault WHERE conversation_id = $1', [conversationId]);
  }

  async purgeExpired(now: number): Promise<number> {
    return (await this.pool.query('DELETE FROM clawguard_pseudonym_vault WHERE expires_at <= $1', [now])).rowCount ?? 0;
  }
}
