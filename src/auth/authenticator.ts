import type { Logger } from 'pino';
import type { Principal } from '../core/index.js';
import type { AccessLimiter } from '../limits/access-limiter.js';
import type { KeyStore } from './api-keys.js';
import { JwtRejected, looksLikeJwt, type TokenVerifier } from './jwt-shape.js';
import type { RoleSet } from './roles.js';

export type AuthOutcome =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly status: 401 | 403 | 429; readonly reason: string; readonly retryAfterSeconds?: number };

export interface AuthenticatorOptions {
  readonly enabled: boolean;
  readonly apiKeys: boolean;
  readonly defaultRole: string;
  readonly keys: KeyStore;
  readonly jwt?: TokenVerifier | undefined;
  readonly roles: RoleSet;
  readonly limiter: AccessLimiter;
  readonly log: Logger;
  /** Subject CN → role for client certificates; undefined when mTLS identities are off. */
  readonly mtlsRoles?: Readonly<Record<string, string>> | undefined;
}

/** A client certificate the TLS layer verified against the configured CA. */
export interface VerifiedClientCert {
  readonly commonName: string;
}

/**
 * Client credential → principal with a known role. API keys (`cg_…`) and JWTs are told apart by
 * shape; an address that fails too often is locked out for the rest of the minute.
 */
export class Authenticator {
  constructor(private readonly options: AuthenticatorOptions) {}

  private withRole(principal: Omit<Principal, 'role'>, requested: readonly string[]): AuthOutcome {
    const { roles, defaultRole } = this.options;
    const role = requested.length === 0 ? defaultRole : requested.find((r) => roles.has(r));
    if (!role || !roles.has(role)) return { ok: false, status: 403, reason: `no known role among [${requested.join(', ') || defaultRole}]` };
    // `{ ...principal, role }` in effect: a spread's copy cannot take a new field along a shared hidden
    // class, so that literal made new hidden classes (in the old generation) on every request.
    const withRole: { -readonly [K in keyof Principal]: Principal[K] } = Object.assign({}, principal);
    withRole.role = role;
    return { ok: true, principal: withRole };
  }

  /**
   * The outcome for a presented credential. A key the embedded store knows is answered at once, not
   * as a promise (an await per request is ~0.4 KB of garbage); everything else, and every refusal,
   * asynchronously. Errors are thrown or rejected as they come.
   */
  authenticate(credential: string | undefined, ip: string, clientCert?: VerifiedClientCert): AuthOutcome | Promise<AuthOutcome> {
    const { enabled, keys } = this.options;
    if (!enabled) return this.withRole({ id: 'anonymous', name: 'anonymous', kind: 'client' }, []);
    if (credential && this.options.apiKeys && credential.startsWith('cg_') && keys.verifyNow) {
      const principal = keys.verifyNow(credential, 'client');
      return principal ? this.withRole(principal, principal.role ? [principal.role] : []) : this.refuse(ip, 'unknown, revoked or expired key');
    }
    return this.authenticateOther(credential, ip, clientCert);
  }

  private async authenticateOther(credential: string | undefined, ip: string, clientCert?: VerifiedClientCert): Promise<AuthOutcome> {
    const { keys, jwt, mtlsRoles } = this.options;
    // The address's lockout is checked with the rate limits, in the same round trip, once the
    // caller is known: a locked-out address is refused even with a valid key.
    let outcome: AuthOutcome | undefined;
    let reason = 'missing credential';
    if (credential && this.options.apiKeys && credential.startsWith('cg_')) {
      const principal = await keys.verify(credential, 'client');
      if (principal) outcome = this.withRole(principal, principal.role ? [principal.role] : []);
      else reason = 'unknown, revoked or expired key';
    } else if (credential && jwt && looksLikeJwt(credential)) {
      try {
        const identity = await jwt.verify(credential);
        outcome = this.withRole({ id: `jwt:${identity.subject}`, name: identity.subject, kind: 'client', ...(identity.tenant ? { tenant: identity.tenant } : {}) }, identity.roles);
      } catch (error) {
        reason = error instanceof JwtRejected ? `jwt: ${error.reason}` : 'jwt: verification failed';
      }
    } else if (credential) {
      reason = 'unrecognised credential';
    } else if (clientCert && mtlsRoles) {
      const role = mtlsRoles[clientCert.commonName];
      outcome = this.withRole({ id: `mtls:${clientCert.commonName}`, name: clientCert.commonName, kind: 'client' }, role ? [role] : []);
    }
    return outcome ?? this.refuse(ip, reason);
  }

  /**
   * A refused credential: counted against the address (its lockout) and logged. An address already
   * locked out is answered 429 whatever it presents: a 401 there would keep guessing unthrottled and
   * tell a right guess (answered 429 by the lockout check with the limits) from a wrong one.
   */
  private async refuse(ip: string, reason: string): Promise<AuthOutcome> {
    const { limiter, log } = this.options;
    const lockedFor = await limiter.authLockedFor(ip);
    if (lockedFor !== undefined) {
      log.info({ ip, reason }, 'authentication failed (address locked out)');
      return { ok: false, status: 429, reason: 'too many failed authentication attempts from this address', retryAfterSeconds: lockedFor };
    }
    await limiter.authFailed(ip);
    log.info({ ip, reason }, 'authentication failed');
    return { ok: false, status: 401, reason };
  }
}
