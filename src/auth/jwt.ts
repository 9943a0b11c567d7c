import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, errors, importSPKI, importX509, type JWTPayload, jwtVerify, type KeyObject, type CryptoKey } from 'jose';
import { z } from 'zod';

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export const jwtConfigSchema = z
  .strictObject({
    /** Required `iss`. */
    issuer: z.string().min(1),
    /** Required `aud` (one of). */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** Keys from the issuer's JWKS endpoint, cached and refreshed when an unknown `kid` arrives. */
    jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Or one configured public key: a PEM file (SPKI public key or X.509 certificate). */
    publicKeyFile: z.string().min(1).optional(),
    /** Allowed algorithms: asymmetric only, so `none` and HMAC confusion are impossible. */
    algorithms: z.array(z.enum(ASYMMETRIC)).min(1).default(['RS256', 'ES256', 'EdDSA']),
    clockSkewSeconds: z.number().int().min(0).max(300).default(30),
    maxTokenBytes: z.number().int().min(256).max(65_536).default(8192),
    claims: z
      .strictObject({ principal: z.string().default('sub'), tenant: z.string().default('tenant'), roles: z.string().default('roles') })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    if (!c.jwksUrl === !c.publicKeyFile) ctx.addIssue({ code: 'custom', path: ['jwksUrl'], message: 'set exactly one of jwksUrl and publicKeyFile' });
  });
export type JwtConfig = z.infer<typeof jwtConfigSchema>;

export interface JwtIdentity {
  readonly subject: string;
  readonly tenant?: string;
  readonly roles: string[];
}

export class JwtRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'JwtRejected';
  }
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function looksLikeJwt(token: string): boolean {
  return JWT_SHAPE.test(token);
}

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
