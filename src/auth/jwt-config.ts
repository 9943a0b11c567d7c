import { z } from 'zod';
import { isLoopbackHost } from '../posture/heuristics.js';

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
    // Keys fetched over plain HTTP can be swapped on the way: anyone on the path could then mint tokens.
    if (c.jwksUrl && new URL(c.jwksUrl).protocol === 'http:' && !isLoopbackHost(new URL(c.jwksUrl).hostname)) {
      ctx.addIssue({ code: 'custom', path: ['jwksUrl'], message: 'must be https:// (plain http:// only on loopback): keys fetched in the clear could be replaced' });
    }
  });
export type JwtConfig = z.infer<typeof jwtConfigSchema>;
