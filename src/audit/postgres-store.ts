import pg from 'pg';
import type { WrappedDataKey } from './encryption.js';
import { chainDrafts, type RecordDraft, type StoredRecord } from './record.js';
import type { Checkpoint } from './signing.js';
import type { AuditQuery, AuditStore, ChainHead, EventKey, RecordPageText, RecordRow } from './store.js';

export interface PostgresAuditStoreOptions {
  /** A pool to share, or a connection string (the store then owns its pool). */
  readonly pool?: pg.Pool;
  readonly connectionString?: string;
  /** Schema for the audit tables (created if missing). Default `clawguard_audit`. */
  readonly schema?: string;
  readonly maxConnections?: number;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

function migrations(s: string): string[] {
  return [
    `CREATE TABLE ${s}.audit_records (
       seq BIGINT PRIMARY KEY,
       prev TEXT NOT NULL,
       hash TEXT NOT NULL,
       body TEXT NOT NULL,
       payload BYTEA,
       event_id TEXT GENERATED ALWAYS AS ((body::jsonb) ->> 'id') STORED,
       ts BIGINT GENERATED ALWAYS AS (((body::jsonb) ->> 'ts')::bigint) STORED,
       type TEXT GENERATED ALWAYS AS ((body::jsonb) ->> 'type') STORED,
       principal TEXT GENERATED ALWAYS AS ((body::jsonb) ->> 'principal') STORED,
       tenant TEXT GENERATED ALWAYS AS ((body::jsonb) ->> 'tenant') STORED,
       subject TEXT GENERATED ALWAYS AS ((body::jsonb) ->> 'subject') STORED,
       request_id TEXT GENERATED ALWAYS AS ((body::jsonb) ->> 'requestId') STORED
     );
     CREATE UNIQUE INDEX audit_records_event ON ${s}.audit_records(event_id);
     CREATE INDEX audit_records_ts ON ${s}.audit_records(ts);
     CREATE INDEX audit_records_principal ON ${s}.audit_records(principal, ts);
     CREATE TABLE ${s}.audit_checkpoints (
       id BIGSERIAL PRIMARY KEY,
       seq BIGINT NOT NULL,
       hash TEXT NOT NULL,
       ts BIGINT NOT NULL,
       key_id TEXT NOT NULL,
       signature TEXT NOT NULL,
       kind TEXT NOT NULL
     );
     CREATE INDEX audit_checkpoints_seq ON ${s}.audit_checkpoints(seq);
     CREATE TABLE ${s}.audit_data_keys (
       id TEXT PRIMARY KEY,
       subject TEXT NOT NULL,
       kek_id TEXT NOT NULL,
       wrapped BYTEA,
       created_at BIGINT NOT NULL,
       erased_at BIGINT
     );
     CREATE INDEX audit_data_keys_subject ON ${s}.audit_data_keys(subject);`,
  ];
}

interface CheckpointRow {
  seq: string;
  hash: string;
  ts: string;
  key_id: string;
  signature: string;
  kind: Checkpoint['kind'];
}
interface KeyRow {
  id: string;
  subject: string;
  kek_id: string;
  wrapped: Buffer | null;
  created_at: string;
  erased_at: string | null;
}
const toCheckpoint = (r: CheckpointRow): Checkpoint => ({ seq: Number(r.seq), hash: r.hash, ts: Number(r.ts), keyId: r.key_id, signature: r.signature, kind: r.kind });
const toKey = (r: KeyRow): WrappedDataKey => ({ id: r.id, subject: r.subject, kekId: r.kek_id, wrapped: r.wrapped, createdAt: Number(r.created_at), erasedAt: r.erased_at === null ? null : Number(r.erased_at) });

/** The fleet store: PostgreSQL. Replicas append to one chain, serialized by a transaction-scoped advisory lock. */
export class PostgresAuditStore implements AuditStore {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  readonly schema: string;
  private readonly ownsPool: boolean;
  private readonly t: { records: string; checkpoints: string; keys: string };
  private readonly lockKey: string;

  private constructor(options: PostgresAuditStoreOptions) {
    const schema = options.schema ?? 'clawguard_audit';
    if (!IDENT.test(schema)) throw new Error(`audit postgres schema must match ${IDENT.source}`);
    this.schema = schema;
    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else {
      if (!options.connectionString) throw new Error('audit postgres store: give a pool or a connection string');
      this.pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 4 });
      this.ownsPool = true;
    }
    // An idle client that loses its connection must not crash the process: the next query fails instead.
    this.pool.on('error', () => undefined);
    // pg also emits 'error' on a checked-out client (mid-transaction) when the server goes away; unheard, that kills the process.
    this.pool.on('connect', (client) => void client.on('error', () => undefined));
    this.t = { records: `${schema}.audit_records`, checkpoints: `${schema}.audit_checkpoints`, keys: `${schema}.audit_data_keys` };
    this.lockKey = `clawguard_audit:${schema}`;
  }

  static async open(options: PostgresAuditStoreOptions): Promise<PostgresAuditStore> {
    const store = new PostgresAuditStore(options);
    try {
      await store.migrate();
    } catch (error) {
      if (store.ownsPool) await store.pool.end().catch(() => undefined);
      throw error;
    }
    return store;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${this.lockKey}:migrate`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.schema}.audit_schema (version INTEGER NOT NULL)`);
      const r = await client.query<{ version: number }>(`SELECT version FROM ${this.schema}.audit_schema`);
      let version = r.rows[0]?.version ?? 0;
      if (r.rows.length === 0) await client.query(`INSERT INTO ${this.schema}.audit_schema (version) VALUES (0)`);
      const all = migrations(this.schema);
      for (; version < all.length; version++) {
        await client.query(all[version]!);
        await client.query(`UPDATE ${this.schema}.audit_schema SET version = $1`, [version + 1]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async append(drafts: readonly RecordDraft[], keys: readonly WrappedDataKey[]): Promise<StoredRecord[]> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockKey]);
      for (let i = 0; i < keys.length; i += 500) {
        const chunk = keys.slice(i, i + 500);
        const values: unknown[] = [];
        const rows = chunk.map((k, j) => {
          values.push(k.id, k.subject, k.kekId, k.wrapped, k.createdAt);
          const b = j * 5;
          return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5})`;
        });
        await client.query(`INSERT INTO ${this.t.keys} (id, subject, kek_id, wrapped, created_at) VALUES ${rows.join(', ')} ON CONFLICT (id) DO NOTHING`, values);
      }
      const head = await client.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM ${this.t.records} ORDER BY seq DESC LIMIT 1`);
      const h = head.rows[0];
      const records = chainDrafts(h ? { seq: Number(h.seq), hash: h.hash } : undefined, drafts);
      for (let i = 0; i < records.length; i += 1000) {
        const chunk = records.slice(i, i + 1000);
        const values: unknown[] = [];
        const rows = chunk.map((r, j) => {
          values.push(r.seq, r.prev, r.hash, r.body, r.payload);
          const b = j * 5;
          return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5})`;
        });
        await client.query(`INSERT INTO ${this.t.records} (seq, prev, hash, body, payload) VALUES ${rows.join(', ')}`, values);
      }
      await client.query('COMMIT');
      return records;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async head(): Promise<ChainHead | undefined> {
    const r = await this.pool.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM ${this.t.records} ORDER BY seq DESC LIMIT 1`);
    const h = r.rows[0];
    return h ? { seq: Number(h.seq), hash: h.hash } : undefined;
  }

  async extent(): Promise<{ first: number | undefined; last: number | undefined; count: number }> {
    const r = await this.pool.query<{ first: string | null; last: string | null; count: string }>(`SELECT MIN(seq) AS first, MAX(seq) AS last, COUNT(*) AS count FROM ${this.t.records}`);
    const row = r.rows[0]!;
    return { first: row.first === null ? undefined : Number(row.first), last: row.last === null ? undefined : Number(row.last), count: Number(row.count) };
  }

  async page(after: number, limit: number): Promise<RecordRow[]> {
    const r = await this.pool.query({ text: `SELECT seq, hash, body, payload FROM ${this.t.records} WHERE seq > $1 ORDER BY seq LIMIT $2`, values: [after, limit], rowMode: 'array' });
    const rows = r.rows as [string, string, string, Buffer | null][];
    const out: RecordRow[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const x = rows[i]!;
      out[i] = [Number(x[0]), x[1], x[2], x[3]];
    }
    return out;
  }

  async pageText(after: number, limit: number): Promise<RecordPageText | undefined> {
    const r = await this.pool.query({
      // As text, not bytea: a bytea travels hex-encoded (twice the bytes, and a hex decode here).
      text: `SELECT count(*), min(seq), max(seq), string_agg(hash || chr(31) || prev || chr(10) || seq || chr(10) || body || coalesce(chr(10) || encode(sha256(payload), 'base64'), ''), chr(30) ORDER BY seq)
             FROM (SELECT seq, hash, prev, body, payload FROM ${this.t.records} WHERE seq > $1 ORDER BY seq LIMIT $2) page`,
      values: [after, limit],
      rowMode: 'array',
    });
    const [count, first, last, text] = r.rows[0] as [string, string | null, string | null, string | null];
    if (Number(count) === 0 || first === null || last === null || text === null) return undefined;
    return { count: Number(count), firstSeq: Number(first), lastSeq: Number(last), bytes: Buffer.from(text, 'utf8') };
  }

  async record(seq: number): Promise<StoredRecord | undefined> {
    const r = await this.pool.query<{ seq: string; prev: string; hash: string; body: string; payload: Buffer | null }>(`SELECT seq, prev, hash, body, payload FROM ${this.t.records} WHERE seq = $1`, [seq]);
    const x = r.rows[0];
    return x ? { seq: Number(x.seq), prev: x.prev, hash: x.hash, body: x.body, payload: x.payload } : undefined;
  }

  async query(filter: AuditQuery, after: number, limit: number): Promise<StoredRecord[]> {
    const where = ['seq > $1'];
    const args: unknown[] = [after];
    const add = (sql: string, value: unknown) => {
      args.push(value);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (filter.since !== undefined) add('ts >= ?', filter.since);
    if (filter.until !== undefined) add('ts < ?', filter.until);
    if (filter.principal !== undefined) add('principal = ?', filter.principal);
    if (filter.subject !== undefined) add('subject = ?', filter.subject);
    if (filter.types?.length) add('type = ANY(?)', [...filter.types]);
    args.push(limit);
    const r = await this.pool.query<{ seq: string; prev: string; hash: string; body: string; payload: Buffer | null }>(
      `SELECT seq, prev, hash, body, payload FROM ${this.t.records} WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${args.length}`,
      args,
    );
    return r.rows.map((x) => ({ seq: Number(x.seq), prev: x.prev, hash: x.hash, body: x.body, payload: x.payload }));
  }

  async existingEventIds(events: readonly EventKey[]): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const r = await this.pool.query<{ event_id: string }>(`SELECT event_id FROM ${this.t.records} WHERE event_id = ANY($1)`, [events.map((e) => e.id)]);
    return new Set(r.rows.map((x) => x.event_id));
  }

  async lastBefore(ts: number): Promise<ChainHead | undefined> {
    const r = await this.pool.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM ${this.t.records} WHERE ts < $1 ORDER BY seq DESC LIMIT 1`, [ts]);
    const h = r.rows[0];
    return h ? { seq: Number(h.seq), hash: h.hash } : undefined;
  }

  async addCheckpoint(cp: Checkpoint): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.t.checkpoints} (seq, hash, ts, key_id, signature, kind) VALUES ($1, $2, $3, $4, $5, $6)`, [cp.seq, cp.hash, cp.ts, cp.keyId, cp.signature, cp.kind]);
  }

  async checkpoints(): Promise<Checkpoint[]> {
    const r = await this.pool.query<CheckpointRow>(`SELECT seq, hash, ts, key_id, signature, kind FROM ${this.t.checkpoints} ORDER BY seq, id`);
    return r.rows.map(toCheckpoint);
  }

  async purgeThrough(anchor: Checkpoint): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockKey]);
      const d = await client.query(`DELETE FROM ${this.t.records} WHERE seq <= $1`, [anchor.seq]);
      await client.query(`DELETE FROM ${this.t.checkpoints} WHERE seq < $1 OR kind = 'anchor'`, [anchor.seq]);
      await client.query(`INSERT INTO ${this.t.checkpoints} (seq, hash, ts, key_id, signature, kind) VALUES ($1, $2, $3, $4, $5, $6)`, [anchor.seq, anchor.hash, anchor.ts, anchor.keyId, anchor.signature, anchor.kind]);
      await client.query('COMMIT');
      return d.rowCount ?? 0;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async dataKeys(ids: readonly string[]): Promise<WrappedDataKey[]> {
    if (ids.length === 0) return [];
    const r = await this.pool.query<KeyRow>(`SELECT * FROM ${this.t.keys} WHERE id = ANY($1)`, [[...ids]]);
    return r.rows.map(toKey);
  }

  async subjectKeys(subject: string): Promise<WrappedDataKey[]> {
    const r = await this.pool.query<KeyRow>(`SELECT * FROM ${this.t.keys} WHERE subject = $1`, [subject]);
    return r.rows.map(toKey);
  }

  async countSubjectPayloads(subject: string): Promise<number> {
    const r = await this.pool.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${this.t.records} WHERE subject = $1 AND payload IS NOT NULL`, [subject]);
    return Number(r.rows[0]!.n);
  }

  async eraseSubject(subject: string, now: number): Promise<number> {
    const r = await this.pool.query(`UPDATE ${this.t.keys} SET wrapped = NULL, erased_at = $1 WHERE subject = $2 AND wrapped IS NOT NULL`, [now, subject]);
    // MVCC keeps the old row version until the table is rewritten: VACUUM FULL drops it (the key
    // table is small). WAL archives and backups keep it until they expire.
    if ((r.rowCount ?? 0) > 0) await this.pool.query(`VACUUM FULL ${this.t.keys}`);
    return r.rowCount ?? 0;
  }

  async keysNotWrappedBy(kekId: string): Promise<WrappedDataKey[]> {
    const r = await this.pool.query<KeyRow>(`SELECT * FROM ${this.t.keys} WHERE kek_id <> $1 AND wrapped IS NOT NULL`, [kekId]);
    return r.rows.map(toKey);
  }

  async replaceWrappedKeys(keys: readonly WrappedDataKey[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (const k of keys) await client.query(`UPDATE ${this.t.keys} SET kek_id = $1, wrapped = $2 WHERE id = $3 AND wrapped IS NOT NULL`, [k.kekId, k.wrapped, k.id]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Drops the schema and everything in it (tests, decommissioning). */
  async dropSchema(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}
