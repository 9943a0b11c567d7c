import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { importPKCS8, SignJWT } from 'jose';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqliteKeyStore } from '../../src/auth/api-keys.js';
import { Authenticator } from '../../src/auth/authenticator.js';
import { JwtRejected, JwtVerifier, jwtConfigSchema, looksLikeJwt } from '../../src/auth/jwt.js';
import { RoleSet } from '../../src/auth/roles.js';
import { AccessLimiter } from '../../src/limits/access-limiter.js';
import { MemoryCounterStore } from '../../src/limits/rate-limiter.js';
import { openSqlite } from '../../src/storage/sqlite.js';
import { checkAsyncProperty, nastyString } from './harness.js';

/**
 * Credentials: API keys (random, near misses of a real key, wrong kind) and JWTs (random, and a
 * valid token with one character changed anywhere). The authenticator never throws, never
 * accepts anything but the exact key or an untouched signed token, and answers only 401/403/429.
 */
const dir = mkdtempSync(join(tmpdir(), 'cg-fuzz-auth-'));
const keys = new SqliteKeyStore(openSqlite(join(dir, 'keys.db')));
let clientKey = '';
let adminKey = '';
let token = '';
let auth: Authenticator;
let verifier: JwtVerifier;
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

beforeAll(async () => {
  clientKey = (await keys.create({ kind: 'client', name: 'fuzz' })).key;
  adminKey = (await keys.create({ kind: 'admin', name: 'fuzz-admin' })).key;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pubFile = join(dir, 'jwt.pem');
  writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }));
  const config = jwtConfigSchema.parse({ issuer: 'https://idp.test', audience: 'clawguard', publicKeyFile: pubFile, algorithms: ['ES256'] });
  verifier = new JwtVerifier(config);
  const key = await importPKCS8(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 'ES256');
  token = await new SignJWT({ roles: ['default'] }).setProtectedHeader({ alg: 'ES256' }).setIssuer('https://idp.test').setAudience('clawguard').setSubject('alice').setExpirationTime('1h').sign(key);
  const log = pino({ level: 'silent' });
  const limiter = new AccessLimiter(new MemoryCounterStore(), { perPrincipal: () => ({}), perTenant: {}, perIp: {}, authFailuresPerMinutePerIp: 1_000_000_000, onStoreError: 'local', log });
  auth = new Authenticator({ enabled: true, apiKeys: true, defaultRole: 'default', keys, jwt: verifier, roles: new RoleSet([{ name: 'default' } as never]), limiter, log });
}, 30_000);

const mutateAt = (s: string, at: number, ch: string) => {
  const i = at % s.length;
  return s.slice(0, i) + ch + s.slice(i + 1);
};

describe('fuzz: API keys and JWTs', () => {
  it('sanity: the real key and the real token are accepted', async () => {
    expect((await auth.authenticate(clientKey, '10.0.0.1')).ok).toBe(true);
    expect((await auth.authenticate(token, '10.0.0.1')).ok).toBe(true);
    expect(looksLikeJwt(token)).toBe(true);
  });

  it('never throws and accepts nothing but the exact credential', async () => {
    const credential = fc.oneof(
      fc.string({ maxLength: 80 }),
      nastyString(30).map((s) => `cg_${s}`),
      fc.array(fc.constantFrom(...B64), { minLength: 43, maxLength: 43 }).map((a) => `cg_${a.join('')}`),
      fc.tuple(fc.nat(), fc.constantFrom(...B64, '.', '=', ' ', '\u0000', 'é')).map(([at, ch]) => ({ near: 'key', at, ch }) as const),
      fc.tuple(fc.nat(), fc.constantFrom(...B64, '.', '=', ' ', '\u0000')).map(([at, ch]) => ({ near: 'jwt', at, ch }) as const),
      fc.array(fc.string({ unit: fc.constantFrom(...B64), maxLength: 40 }), { minLength: 3, maxLength: 3 }).map((p) => p.join('.')),
      fc.constant({ near: 'admin' } as const),
    );
    await checkAsyncProperty(
      'auth: keys and JWTs',
      credential,
      async (c) => {
        const presented = typeof c === 'string' ? c : c.near === 'key' ? mutateAt(clientKey, c.at, c.ch) : c.near === 'jwt' ? mutateAt(token, c.at, c.ch) : adminKey;
        const exact = presented === clientKey || presented === token;
        const outcome = await auth.authenticate(presented, '10.0.0.2');
        if (!exact) {
          // A changed character in the signature's last base64url symbol may carry only padding bits: still the same token.
          if (outcome.ok) expect(typeof c !== 'string' && c.near === 'jwt' && Buffer.from(presented.split('.')[2]!, 'base64url').equals(Buffer.from(token.split('.')[2]!, 'base64url')) && presented.split('.').slice(0, 2).join('.') === token.split('.').slice(0, 2).join('.')).toBe(true);
          else expect([401, 403, 429]).toContain(outcome.status);
        }
        expect(await keys.verify(presented, 'client')).toSatisfy((p) => (presented === clientKey ? p !== undefined : p === undefined));
        if (looksLikeJwt(presented) && presented !== token) {
          const error = await verifier.verify(presented).then(() => undefined, (e: unknown) => e);
          if (error !== undefined) expect(error).toBeInstanceOf(JwtRejected);
        }
      },
      { base: 300 },
    );
  });
});
