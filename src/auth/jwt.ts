import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, errors, importSPKI, importX509, type JWTPayload, jwtVerify, type KeyObject, type CryptoKey } from 'jose';
import type { JwtConfig } from './jwt-config.js';
import type { JwtIdentity } from './jwt-shape.js';

export { jwtConfigSchema, type JwtConfig } from './jwt-config.js';


import { JwtRejected } from './jwt-shape.js';

export { JwtRejected, looksLikeJwt } from './jwt-shape.js';

function claim(payload: JWTPayload, path: string): unknown {
  let node: unknown = payload;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Verifies bearer JWTs with jose against a JWKS or one public key, and maps claims to an identity. */
export class JwtVerifier {
  private readonly key: ReturnType<typeof createRemoteJWKSet> | Promise<KeyObject | CryptoKey>;

  constructor(private readonly config: JwtConfig) {
    if (config.jwksUrl) {
      this.key = createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 });
    } else {
      const pem = readFileSync(config.publicKeyFile!, 'utf8');
      const alg = config.algorithms[0]!;
      this.key = pem.includes('BEGIN CERTIFICATE') ? importX509(pem, alg) : importSPKI(pem, alg);
    }
  }

  async verify(token: string): Promise<JwtIdentity> {
    if (Buffer.byteLength(token) > this.config.maxTokenBytes) throw new JwtRejected('token too large');
    let payload: JWTPayload;
    try {
      const options = {
        issuer: this.config.issuer,
        audience: this.config.audience,
        algorithms: [...this.config.algorithms],
        clockTolerance: this.config.clockSkewSeconds,
        requiredClaims: ['exp', 'iss', 'aud'],
      };
      const key = this.key;
      const result = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, await key, options);
      payload = result.payload;
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new JwtRejected('token expired');
      if (error instanceof errors.JWTClaimValidationFailed) throw new JwtRejected(`claim ${error.claim} invalid`);
      if (error instanceof errors.JOSEAlgNotAllowed) throw new JwtRejected('algorithm not allowed');
      if (error instanceof errors.JWKSNoMatchingKey) throw new JwtRejected('unknown key id');
      if (error instanceof errors.JWSSignatureVerificationFailed) throw new JwtRejected('bad signature');
      if (error instanceof errors.JWKSTimeout || error instanceof errors.JOSEError) throw new JwtRejected(error.code.toLowerCase().replace(/^err_/, ''));
      throw new JwtRejected('malformed token');
    }
    const subject = claim(payload, this.config.claims.principal);
    if (typeof subject !== 'string' || subject === '') throw new JwtRejected(`claim ${this.config.claims.principal} missing`);
    const tenant = claim(payload, this.config.claims.tenant);
    const rawRoles = claim(payload, this.config.claims.roles);
    const roles = Array.isArray(rawRoles) ? rawRoles.filter((r): r is string => typeof r === 'string') : typeof rawRoles === 'string' ? rawRoles.split(/[\s,]+/).filter(Boolean) : [];
    return { subject, ...(typeof tenant === 'string' && tenant ? { tenant } : {}), roles };
  }
}
