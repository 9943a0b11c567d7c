/**
 * Whether an error means a backing store (PostgreSQL, Redis, the SQLite file) could not be reached,
 * dropped the connection mid-query, or could not take a write for now (locked past its busy timeout,
 * disk full). The request could not be checked, so it is refused either way; the status
 * says what happened: `503` (try again; the store is down) instead of `500` (a fault in ClawGuard).
 */
export function isStoreUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || SQLITE_CODES.has(code)) return true;
    // PostgreSQL SQLSTATE: class 08 connection exception; 57P01–57P03 shut down / starting up; 53300 too many connections.
    if (/^08[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
  }
  // node-postgres reports a dropped or timed-out connection with plain errors; ioredis when it gives up.
  return /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is closed|Stream isn't writeable|Reached the max retries per request limit)/.test(error.message);
}

/** better-sqlite3's codes for "not now": another writer held the lock past busy_timeout, or the disk is full. */
const SQLITE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_TIMEOUT', 'SQLITE_LOCKED', 'SQLITE_FULL']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
