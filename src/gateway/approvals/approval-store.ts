import type { PostgresPool } from '../../storage/postgres.js';
import type { SqliteDatabase } from '../../storage/sqlite.js';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

export interface Approval {
  readonly id: string;
  readonly status: ApprovalStatus;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly principal: string;
  readonly requestId: string;
  /** The held tool call, when a tool call is what waits (absent for a held request). */
  readonly toolName: string | null;
  readonly arguments: string | null;
  /** Finding types that asked for review. */
  readonly reasons: string[];
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
  readonly note: string | null;
}

export type NewApproval = Pick<Approval, 'id' | 'createdAt' | 'expiresAt' | 'principal' | 'requestId' | 'toolName' | 'arguments' | 'reasons'>;

/** Pending human decisions, shared by every replica that uses the same database. */
export interface ApprovalStore {
  insert(approval: NewApproval): Promise<void>;
  get(id: string): Promise<Approval | undefined>;
  list(status?: ApprovalStatus, limit?: number): Promise<Approval[]>;
  /** Moves a pending approval to a final status; false when it was no longer pending. */
  decide(id: string, status: 'approved' | 'denied' | 'expired', by: string, note?: string): Promise<boolean>;
  /** Expires every pending approval whose time is up (or, at start, every pending one). */
  expirePending(before: string): Promise<number>;
}

interface Row {
  id: string;
  status: ApprovalStatus;
  created_at: string;
  expires_at: string;
  principal: string;
  request_id: string;
  tool_name: string | null;
  arguments: string | null;
  reasons: string;
  decided_by: string | null;
  decided_at: string | null;
  note: string | null;
}

function toApproval(r: Row): Approval {
  return {
    id: r.id,
    status: r.status,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    principal: r.principal,
    requestId: r.request_id,
    toolName: r.tool_name,
    arguments: r.arguments,
    reasons: JSON.parse(r.reasons) as string[],
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    note: r.note,
  };
}

export class SqliteApprovalStore implements ApprovalStore {
  constructor(private readonly db: SqliteDatabase) {}

  async insert(a: NewApproval): Promise<void> {
    this.db
      .prepare(`INSERT INTO approvals (id, status, created_at, expires_at, principal, request_id, tool_name, arguments, reasons) VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?)`)
      .run(a.id, a.createdAt, a.expiresAt, a.principal, a.requestId, a.toolName, a.arguments, JSON.stringify(a.reasons));
  }

  async get(id: string): Promise<Approval | undefined> {
    const row = this.db.prepare<[string], Row>('SELECT * FROM approvals WHERE id = ?').get(id);
    return row ? toApproval(row) : undefined;
  }

  async list(status?: ApprovalStatus, limit = 100): Promise<Approval[]> {
    const rows = status
      ? this.db.prepare<[string, number], Row>('SELECT * FROM approvals WHERE status = ? ORDER BY created_at DESC LIMIT ?').all(status, limit)
      : this.db.prepare<[number], Row>('SELECT * FROM approvals ORDER BY created_at DESC LIMIT ?').all(limit);
    return rows.map(toApproval);
  }

  async decide(id: string, status: 'approved' | 'denied' | 'expired', by: string, note?: string): Promise<boolean> {
    const result = this.db
      .prepare("UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ? AND status = 'pending'")
      .run(status, by, new Date().toISOString(), note ?? null, id);
    return result.changes === 1;
  }

  async expirePending(before: string): Promise<number> {
    return this.db
      .prepare("UPDATE approvals SET status = 'expired', decided_by = 'clawguard', decided_at = ? WHERE status = 'pending' AND expires_at <= ?")
      .run(new Date().toISOString(), before).changes;
  }
}

export class PostgresApprovalStore implements ApprovalStore {
  constructor(private readonly pool: PostgresPool) {}

  async insert(a: NewApproval): Promise<void> {
    await this.pool.query(
      `INSERT INTO clawguard_approvals (id, status, created_at, expires_at, principal, request_id, tool_name, arguments, reasons) VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, $8)`,
      [a.id, a.createdAt, a.expiresAt, a.principal, a.requestId, a.toolName, a.arguments, JSON.stringify(a.reasons)],
    );
  }

  async get(id: string): Promise<Approval | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM clawguard_approvals WHERE id = $1', [id]);
    return rows[0] ? toApproval(rows[0]) : undefined;
  }

  async list(status?: ApprovalStatus, limit = 100): Promise<Approval[]> {
    const { rows } = status
      ? await this.pool.query<Row>('SELECT * FROM clawguard_approvals WHERE status = $1 ORDER BY created_at DESC LIMIT $2', [status, limit])
      : await this.pool.query<Row>('SELECT * FROM clawguard_approvals ORDER BY created_at DESC LIMIT $1', [limit]);
    return rows.map(toApproval);
  }

  async decide(id: string, status: 'approved' | 'denied' | 'expired', by: string, note?: string): Promise<boolean> {
    const result = await this.pool.query("UPDATE clawguard_approvals SET status = $1, decided_by = $2, decided_at = $3, note = $4 WHERE id = $5 AND status = 'pending'", [
      status,
      by,
      new Date().toISOString(),
      note ?? null,
      id,
    ]);
    return result.rowCount === 1;
  }

  async expirePending(before: string): Promise<number> {
    const result = await this.pool.query("UPDATE clawguard_approvals SET status = 'expired', decided_by = 'clawguard', decided_at = $1 WHERE status = 'pending' AND expires_at <= $2", [
      new Date().toISOString(),
      before,
    ]);
    return result.rowCount ?? 0;
  }
}
