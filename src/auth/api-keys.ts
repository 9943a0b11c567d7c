import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { sha256 } from '../core/hash.js';
import type { Principal } from '../core/index.js';
import type { SqliteDatabase } from '../storage/sqlite.js';

export type KeyKind = 'client' | 'admin';

/** `cg_` + 32 random bytes in base64url: long, recognisable by secret scanners, never stored. */
export function generateApiKey(): string {
  return `cg_${randomBytes(32).toString('base64url')}`;
}

export const API_KEY_FORMAT = /^cg_[A-Za-z0-9_-]{43}$/;

export function hashApiKey(key: string): string {
  return sha256(key, 'hex');
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly kind: KeyKind;
  readonly name: string;
  /** First characters of the key, to recognise it in listings. */
  readonly prefix: string;
  readonly role: string | null;
  readonly tenant: string | null;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

/** Where keys live: SQLite on one machine, PostgreSQL for a fleet. Only hashes are stored. */
export interface KeyStore {
  readonly backend: 'sqlite' | 'postgres';
  create(options: CreateKeyOptions): Promise<{ key: string; record: ApiKeyRecord }>;
  list(kind?: KeyKind): Promise<ApiKeyRecord[]>;
  /** Revokes by id or by unique id prefix; undefined when none matched. */
  revoke(idOrPrefix: string): Promise<ApiKeyRecord | undefined>;
  /** One key by id or unique id prefix. */
  get(idOrPrefix: string): Promise<ApiKeyRecord | undefined>;
  /** The principal for a presented key, or undefined for an unknown, revoked, expired or wrong-kind key. */
  verify(presented: string, kind: KeyKind, now?: Date): Promise<Principal | undefined>;
  /** `verify` answered at once, where the store can (SQLite): no promise and no await per request. */
  verifyNow?(presented: string, kind: KeyKind, now?: Date): Principal | undefined;
  close(): Promise<void>;
}

export interface KeyRow {
  id: string;
  kind: KeyKind;
  name: string;
  hash: string;
  prefix: string;
  role: string | null;
  tenant: string | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

type Row = KeyRow;

/** The columns verifying a key reads. */
export type VerifiedRow = Pick<KeyRow, 'id' | 'kind' | 'name' | 'hash' | 'role' | 'tenant' | 'expires_at' | 'revoked_at'>;

export function toRecord(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    tenant: row.tenant,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

export interface CreateKeyOptions {
  readonly kind: KeyKind;
  readonly name: string;
  readonly role?: string;
  readonly tenant?: string;
  readonly expiresAt?: Date;
}

/** A new key and the row that stores its hash. */
export function newKeyRow(options: CreateKeyOptions): { key: string; row: KeyRow } {
  const key = generateApiKey();
  return {
    key,
    row: {
      id: randomUUID(),
      kind: options.kind,
      name: options.name,
      hash: hashApiKey(key),
      prefix: key.slice(0, 10),
      role: options.role ?? null,
      tenant: options.tenant ?? null,
      created_at: new Date().toISOString(),
      expires_at: options.expiresAt ? options.expiresAt.toISOString() : null,
      last_used_at: null,
      revoked_at: null,
    },
  };
}

/** Checks a stored row against the presented key's hash (constant time), its kind, revocation and expiry. */
export function principalFromRow(row: VerifiedRow | undefined, hash: string, kind: KeyKind, now: Date | number): Principal | undefined {
  if (!row) return undefined;
  if (!timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
  if (row.kind !== kind || row.revoked_at) return undefined;
  if (row.expires_at && Date.parse(row.expires_at) <= (typeof now === 'number' ? now : now.getTime())) return undefined;
  return { id: row.id, name: row.name, kind: row.kind, ...(row.role ? { role: row.role } : {}), ...(row.tenant ? { tenant: row.tenant } : {}) };
}

/** API keys in the embedded SQLite store. Only SHA-256 hashes are kept; the key is returned once, at creation. */
export class SqliteKeyStore implements KeyStore {
  readonly backend = 'sqlite' as const;
  private readonly byHash;
  private readonly touch;
  private lastTouch = new Map<string, number>();

  constructor(private readonly db: SqliteDatabase) {
    // Only what verification reads: every request runs it, and each column is a new string.
    this.byHash = db.prepare<[string], VerifiedRow>('SELECT id, kind, name, hash, role, tenant, expires_at, revoked_at FROM api_keys WHERE hash = ?');
    this.touch = db.prepare<[string, string]>('UPDATE api_keys SET last_used_at = ? WHERE id = ?');
  }

  async create(options: CreateKeyOptions): Promise<{ key: string; record: ApiKeyRecord }> {
    return this.createSync(options);
  }

  /** Synchronous creation, for `init` (one process, no server yet). */
  createSync(options: CreateKeyOptions): { key: string; record: ApiKeyRecord } {
    const { key, row } = newKeyRow(options);
    this.db
      .prepare(
        `INSERT INTO api_keys (id, kind, name, hash, prefix, role, tenant, created_at, expires_at, last_used_at, revoked_at)
         VALUES (@id, @kind, @name, @hash, @prefix, @role, @tenant, @created_at, @expires_at, @last_used_at, @revoked_at)`,
      )
      .run(row);
    return { key, record: toRecord(row) };
  }

  async list(kind?: KeyKind): Promise<ApiKeyRecord[]> {
    const rows = kind
      ? this.db.prepare<[string], Row>('SELECT * FROM api_keys WHERE kind = ? ORDER BY created_at').all(kind)
      : this.db.prepare<[], Row>('SELECT * FROM api_keys ORDER BY created_at').all();
    return rows.map(toRecord);
  }

  /** Revokes by id or by unique id prefix. Returns the revoked record, or undefined when none matched. */
  async get(idOrPrefix: string): Promise<ApiKeyRecord | undefined> {
    const rows = this.db.prepare<[string], Row>("SELECT * FROM api_keys WHERE id LIKE ? || '%'").all(idOrPrefix);
    if (rows.length > 1) throw new Error(`"${idOrPrefix}" matches ${rows.length} keys; give more of the id`);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async revoke(idOrPrefix: string): Promise<ApiKeyRecord | undefined> {
    const rows = this.db.prepare<[string], Row>("SELECT * FROM api_keys WHERE id LIKE ? || '%'").all(idOrPrefix);
    if (rows.length !== 1) {
      if (rows.length > 1) throw new Error(`"${idOrPrefix}" matches ${rows.length} keys; give more of the id`);
      return undefined;
    }
    const row = rows[0]!;
    const now = new Date().toISOString();
    this.db.prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(now, row.id);
    return toRecord({ ...row, revoked_at: row.revoked_at ?? now });
  }

  /**
   * The principal a presented key belongs to, or undefined for an unknown, revoked or expired key.
   * Lookup is by hash; the final comparison is constant-time.
   */
  async verify(presented: string, kind: KeyKind, now?: Date): Promise<Principal | undefined> {
    return this.verifyNow(presented, kind, now);
  }

  verifyNow(presented: string, kind: KeyKind, now?: Date): Principal | undefined {
    if (!API_KEY_FORMAT.test(presented)) return undefined;
    const hash = hashApiKey(presented);
    const row = this.byHash.get(hash);
    const time = now?.getTime() ?? Date.now();
    const principal = principalFromRow(row, hash, kind, time);
    if (!principal || !row) return undefined;
    // last_used_at at most once a minute per key: a write per request would cost more than the proxying.
    const last = this.lastTouch.get(row.id) ?? 0;
    if (time - last > 60_000) {
      this.lastTouch.set(row.id, time);
      this.touch.run(new Date(time).toISOString(), row.id);
    }
    return principal;
  }

  async close(): Promise<void> {
    /* the database handle belongs to whoever opened it */
  }
}

/**
 * Replaces a key: a new key with the same kind, name, role, tenant and remaining lifetime, and the old
 * one revoked at once. Returns the new key (shown once) and both records.
 */
export async function rotateKey(store: KeyStore, idOrPrefix: string): Promise<{ key: string; record: ApiKeyRecord; replaced: ApiKeyRecord } | undefined> {
  const old = await store.get(idOrPrefix);
  if (!old) return undefined;
  if (old.revokedAt) throw new Error(`key ${old.id} is revoked; create a new one instead`);
  const created = await store.create({
    kind: old.kind,
    name: old.name,
    ...(old.role ? { role: old.role } : {}),
    ...(old.tenant ? { tenant: old.tenant } : {}),
    ...(old.expiresAt ? { expiresAt: new Date(old.expiresAt) } : {}),
  });
  const replaced = (await store.revoke(old.id))!;
  return { ...created, replaced };
}
