import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Server-side dashboard sessions. The browser holds only a random session id in an HttpOnly cookie;
 * the CSRF token is bound to the session and must accompany every mutating request. Sessions end on
 * logout, after `idleMs` without an operator's request (timed background polls do not count), after `absoluteMs` in all, or when the admin key that
 * opened them is revoked or expires (checked by the routes on every request).
 */

export interface UiSession {
  /** The admin key's id (the principal) and name. */
  readonly keyId: string;
  readonly admin: string;
  readonly csrf: string;
  readonly createdAt: number;
  lastSeenAt: number;
}

export interface UiSessionOptions {
  /** Default 30 minutes. */
  readonly idleMs?: number;
  /** Default 12 hours. */
  readonly absoluteMs?: number;
  /** Sessions kept at once; the least recently used goes first. Default 1000. */
  readonly max?: number;
  readonly now?: () => number;
}

const digest = (id: string): string => createHash('sha256').update(id).digest('base64url');

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class UiSessions {
  readonly idleMs: number;
  readonly absoluteMs: number;
  private readonly max: number;
  private readonly now: () => number;
  /** Keyed by the SHA-256 of the session id: a heap dump does not hand out live cookies. */
  private readonly byDigest = new Map<string, UiSession>();

  constructor(options: UiSessionOptions = {}) {
    this.idleMs = options.idleMs ?? 30 * 60_000;
    this.absoluteMs = options.absoluteMs ?? 12 * 3600_000;
    this.max = options.max ?? 1000;
    this.now = options.now ?? Date.now;
  }

  create(keyId: string, admin: string): { id: string; session: UiSession } {
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    const session: UiSession = { keyId, admin, csrf: randomBytes(32).toString('base64url'), createdAt: now, lastSeenAt: now };
    while (this.byDigest.size >= this.max) {
      const oldest = this.byDigest.keys().next().value;
      if (oldest === undefined) break;
      this.byDigest.delete(oldest);
    }
    this.byDigest.set(digest(id), session);
    return { id, session };
  }

  /**
   * The live session for a cookie value; undefined when unknown or expired (then forgotten). `touch`
   * false (the dashboard's timed background polls) reads it without counting as activity, so an
   * unattended dashboard still ends after `idleMs`.
   */
  get(id: string | undefined, touch = true): UiSession | undefined {
    if (!id) return undefined;
    const key = digest(id);
    const session = this.byDigest.get(key);
    if (!session) return undefined;
    const now = this.now();
    if (now - session.lastSeenAt > this.idleMs || now - session.createdAt > this.absoluteMs) {
      this.byDigest.delete(key);
      return undefined;
    }
    if (!touch) return session;
    session.lastSeenAt = now;
    // Map order doubles as recency order for eviction.
    this.byDigest.delete(key);
    this.byDigest.set(key, session);
    return session;
  }

  /** When the session ends if nothing else happens. */
  expiresAt(session: UiSession): number {
    return Math.min(session.lastSeenAt + this.idleMs, session.createdAt + this.absoluteMs);
  }

  destroy(id: string | undefined): void {
    if (id) this.byDigest.delete(digest(id));
  }

  /** Ends every session opened with this admin key (it was revoked). */
  destroyKey(keyId: string): number {
    let n = 0;
    for (const [k, s] of this.byDigest) {
      if (s.keyId === keyId) {
        this.byDigest.delete(k);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.byDigest.size;
  }
}
