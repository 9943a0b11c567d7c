import type { Logger } from 'pino';
import type { Principal } from '../../core/index.js';
import type { PostgresPool } from '../../storage/postgres.js';
import type { SqliteDatabase } from '../../storage/sqlite.js';

/** `all`, `tenant:T`, `principal:P`, `tool:NAME` or `conversation:ID` (a quarantine). */
export type LockdownScope = string;
/** `review` belongs to `conversation:` scopes only: the conversation's further turns go to human review. */
export type LockdownMode = 'refuse' | 'read-only' | 'review';

export interface Lockdown {
  readonly scope: LockdownScope;
  readonly mode: LockdownMode;
  readonly reason: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
}

const SCOPE = /^(all|tenant:.{1,200}|principal:.{1,200}|tool:[A-Za-z0-9_.:*?-]{1,200}|conversation:[^\s/]{1,200})$/;
export const CONVERSATION_PREFIX = 'conversation:';

export function parseScope(scope: string): LockdownScope {
  if (!SCOPE.test(scope)) throw new Error(`lockdown scope must be all, tenant:T, principal:P, tool:NAME or conversation:ID (got "${scope}")`);
  return scope;
}

/** A quarantine is a `conversation:` scope in mode `review`; no other scope takes that mode. */
function checkMode(scope: LockdownScope, mode: LockdownMode): void {
  if ((mode === 'review') !== scope.startsWith(CONVERSATION_PREFIX)) {
    throw new Error(mode === 'review' ? 'mode "review" applies to conversation:ID scopes only' : 'a conversation is quarantined (mode "review"), not locked: use incident quarantine');
  }
}

/**
 * The tables' `mode` column predates quarantines and its CHECK allows `refuse` and `read-only` only:
 * a quarantine is stored as `refuse` and read back as `review` (its `conversation:` scope says which).
 */
const storedMode = (l: Lockdown): 'refuse' | 'read-only' => (l.mode === 'review' ? 'refuse' : l.mode);

export interface LockdownStore {
  list(): Promise<Lockdown[]>;
  put(lockdown: Lockdown): Promise<void>;
  /** False when no lockdown had that scope. */
  remove(scope: LockdownScope): Promise<boolean>;
}

interface Row {
  scope: string;
  mode: LockdownMode;
  reason: string | null;
  created_at: string;
  created_by: string;
}
const toLockdown = (r: Row): Lockdown => ({ scope: r.scope, mode: r.scope.startsWith(CONVERSATION_PREFIX) ? 'review' : r.mode, reason: r.reason, createdAt: r.created_at, createdBy: r.created_by });

export class SqliteLockdownStore implements LockdownStore {
  constructor(private readonly db: SqliteDatabase) {}
  async list(): Promise<Lockdown[]> {
    return this.db.prepare<[], Row>('SELECT * FROM lockdowns ORDER BY created_at').all().map(toLockdown);
  }
  async put(l: Lockdown): Promise<void> {
    this.db
      .prepare('INSERT INTO lockdowns (scope, mode, reason, created_at, created_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope) DO UPDATE SET mode = excluded.mode, reason = excluded.reason, created_at = excluded.created_at, created_by = excluded.created_by')
      .run(l.scope, storedMode(l), l.reason, l.createdAt, l.createdBy);
  }
  async remove(scope: LockdownScope): Promise<boolean> {
    return this.db.prepare('DELETE FROM lockdowns WHERE scope = ?').run(scope).changes > 0;
  }
}

export class PostgresLockdownStore implements LockdownStore {
  constructor(private readonly pool: PostgresPool) {}
  async list(): Promise<Lockdown[]> {
    return (await this.pool.query<Row>('SELECT * FROM clawguard_lockdowns ORDER BY created_at')).rows.map(toLockdown);
  }
  async put(l: Lockdown): Promise<void> {
    await this.pool.query(
      'INSERT INTO clawguard_lockdowns (scope, mode, reason, created_at, created_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (scope) DO UPDATE SET mode = EXCLUDED.mode, reason = EXCLUDED.reason, created_at = EXCLUDED.created_at, created_by = EXCLUDED.created_by',
      [l.scope, storedMode(l), l.reason, l.createdAt, l.createdBy],
    );
  }
  async remove(scope: LockdownScope): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM clawguard_lockdowns WHERE scope = $1', [scope])).rowCount ?? 0) > 0;
  }
}

export interface LockdownVerdict {
  /** Set when the caller is locked out entirely. */
  readonly refuse?: Lockdown;
  /** No tool call of this caller may run. */
  readonly readOnly: boolean;
  /** Tools locked for everyone. */
  readonly deniedTools: readonly string[];
}

/**
 * The kill switch. Lockdowns live in the shared store; every replica keeps a copy refreshed every
 * `refreshMs` (and at once on a change it makes itself, or is told about over Redis pub/sub), so a
 * lockdown takes effect on every replica within that time without a store read per request.
 */
export class LockdownService {
  private snapshot: Lockdown[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastError = 0;

  constructor(
    readonly store: LockdownStore,
    private readonly log: Logger,
    private readonly refreshMs: number,
    /** Tells other replicas to refresh now (Redis pub/sub), when configured. */
    private readonly announce?: () => Promise<void>,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    try {
      this.snapshot = await this.store.list();
    } catch (error) {
      // Keep the last known lockdowns: a store outage must not lift a lockdown.
      if (Date.now() - this.lastError > 10_000) {
        this.lastError = Date.now();
        this.log.warn({ error: error instanceof Error ? error.message : String(error) }, 'lockdown store unavailable; keeping the last known lockdowns');
      }
    }
  }

  get active(): readonly Lockdown[] {
    return this.snapshot;
  }

  /** Whether any conversation is quarantined: a cheap test before matching conversation ids. */
  get hasQuarantines(): boolean {
    return this.snapshot.some((l) => l.mode === 'review');
  }

  /** The quarantine holding a conversation, known by any of its ids (derived id, client header). */
  quarantined(...ids: readonly (string | undefined)[]): Lockdown | undefined {
    for (const l of this.snapshot) {
      if (l.mode === 'review' && ids.some((id) => id !== undefined && l.scope === `${CONVERSATION_PREFIX}${id}`)) return l;
    }
    return undefined;
  }

  check(principal: Principal): LockdownVerdict {
    let refuse: Lockdown | undefined;
    let readOnly = false;
    const deniedTools: string[] = [];
    for (const l of this.snapshot) {
      const applies = l.scope === 'all' || l.scope === `principal:${principal.id}` || (principal.tenant !== undefined && l.scope === `tenant:${principal.tenant}`);
      if (l.mode === 'review') continue;
      if (l.scope.startsWith('tool:')) deniedTools.push(l.scope.slice(5));
      else if (applies && l.mode === 'refuse') refuse ??= l;
      else if (applies) readOnly = true;
    }
    return { ...(refuse ? { refuse } : {}), readOnly, deniedTools };
  }

  async lock(scope: string, mode: LockdownMode, reason: string | undefined, by: string): Promise<Lockdown> {
    const lockdown: Lockdown = { scope: parseScope(scope), mode, reason: reason ?? null, createdAt: new Date().toISOString(), createdBy: by };
    checkMode(lockdown.scope, mode);
    await this.store.put(lockdown);
    this.log.warn({ scope, mode, reason, by }, 'LOCKDOWN engaged');
    await this.refresh();
    await this.announce?.().catch(() => undefined);
    return lockdown;
  }

  async unlock(scope: string, by: string): Promise<boolean> {
    const removed = await this.store.remove(parseScope(scope));
    if (removed) this.log.warn({ scope, by }, 'lockdown lifted');
    await this.refresh();
    await this.announce?.().catch(() => undefined);
    return removed;
  }
}
