import type { Principal } from '../core/index.js';
import type { PostgresPool } from '../storage/postgres.js';
import { API_KEY_FORMAT, type ApiKeyRecord, type CreateKeyOptions, hashApiKey, type KeyKind, type KeyRow, type KeyStore, newKeyRow, principalFromRow, toRecord } from './api-keys.js';

/**
 * Keys in PostgreSQL, shared by every replica. Each request reads the key's row, so a revocation on
 * one replica is refused by all of them on their next request.
 */
export class PostgresKeyStore implements KeyStore {
  readonly backend = 'postgres' as const;
  private readonly lastTouch = new Map<string, number>();

  constructor(private readonly pool: PostgresPool) {}

  async create(options: CreateKeyOptions): Promise<{ key: string; record: ApiKeyRecord }> {
    const { key, row } = newKeyRow(options);
    await this.pool.query(
      `INSERT INTO clawguard_api_keys (id, kind, name, hash, prefix, role, tenant, created_at, expires_at, last_used_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [row.id, row.kind, row.name, row.hash, row.prefix, row.role, row.tenant, row.created_at, row.expires_at, row.last_used_at, row.revoked_at],
    );
    return { key, record: toRecord(row) };
  }

  async list(kind?: KeyKind): Promise<ApiKeyRecord[]> {
    const { rows } = kind
      ? await this.pool.query<KeyRow>('SELECT * FROM clawguard_api_keys WHERE kind = $1 ORDER BY created_at', [kind])
      : await this.pool.query<KeyRow>('SELECT * FROM clawguard_api_keys ORDER BY created_at');
    return rows.map(toRecord);
  }

  async get(idOrPrefix: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.pool.query<KeyRow>("SELECT * FROM clawguard_api_keys WHERE id LIKE $1 || '%'", [idOrPrefix.replace(/[%_\\]/g, '\\$&')]);
    if (rows.length > 1) throw new Error(`"${idOrPrefix}" matches ${rows.length} keys; give more of the id`);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async revoke(idOrPrefix: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.pool.query<KeyRow>("SELECT * FROM clawguard_api_keys WHERE id LIKE $1 || '%'", [idOrPrefix.replace(/[%_\\]/g, '\\$&')]);
    if (rows.length > 1) throw new Error(`"${idOrPrefix}" matches ${rows.length} keys; give more of the id`);
    const row = rows[0];
    if (!row) return undefined;
    const now = new Date().toISOString();
    await this.pool.query('UPDATE clawguard_api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2', [now, row.id]);
    return toRecord({ ...row, revoked_at: row.revoked_at ?? now });
  }

  async verify(presented: string, kind: KeyKind, now = new Date()): Promise<Principal | undefined> {
    if (!API_KEY_FORMAT.test(presented)) return undefined;
    const hash = hashApiKey(presented);
    const { rows } = await this.pool.query<KeyRow>('SELECT * FROM clawguard_api_keys WHERE hash = $1', [hash]);
    const principal = principalFromRow(rows[0], hash, kind, now);
    if (principal && now.getTime() - (this.lastTouch.get(principal.id) ?? 0) > 60_000) {
      this.lastTouch.set(principal.id, now.getTime());
      this.pool.query('UPDATE clawguard_api_keys SET last_used_at = $1 WHERE id = $2', [now.toISOString(), principal.id]).catch(() => undefined);
    }
    return principal;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
