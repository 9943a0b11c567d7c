import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, type ScriptedUpstream, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const ISSUER = 'https://idp.test';
const AUDIENCE = 'clawguard';
let upstream: ScriptedUpstream;
let jwks: Server;
let gw: TestGateway;
let privateKey: CryptoKey;
let otherKey: CryptoKey;
let publicPem: string;

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function sign(claims: Record<string, unknown>, options: { kid?: string; key?: CryptoKey; exp?: string | number; nbf?: string | number } = {}) {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1' }).setIssuedAt();
  if (!('iss' in claims)) jwt = jwt.setIssuer(ISSUER);
  if (!('aud' in claims)) jwt = jwt.setAudience(AUDIENCE);
  jwt = jwt.setExpirationTime(options.exp ?? '5m');
  if (options.nbf !== undefined) jwt = jwt.setNotBefore(options.nbf);
  return jwt.sign(options.key ?? privateKey);
}

const call = (token: string, model = 'gpt-test') =>
  fetch(`${gw.proxyUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  publicPem = await exportSPKI(pair.publicKey);
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  upstream = await startScriptedUpstream((_req, res) => json(res, 200, { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }));
  gw = await startTestGateway({
    upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }],
    routes: [{ model: '*', upstream: 'u' }],
    auth: { jwt: { issuer: ISSUER, audience: AUDIENCE, jwksUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`, algorithms: ['RS256'] } },
    roles: [{ name: 'default' }, { name: 'analyst', models: ['gpt-mini'] }],
  });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
  await new Promise<void>((r) => jwks.close(() => r()));
});

describe('JWT bearer tokens', () => {
  it('accepts a valid token from the issuer and maps its roles claim', async () => {
    expect((await call(await sign({ sub: 'agent-7' }))).status).toBe(200);
    const analyst = await sign({ sub: 'agent-8', roles: ['analyst'] });
    expect((await call(analyst, 'gpt-test')).status).toBe(403);
    expect((await call(analyst, 'gpt-mini')).status).toBe(200);
  });

  it('refuses a token whose roles the gateway does not know', async () => {
    const res = await call(await sign({ sub: 'x', roles: ['root'] }));
    expect(res.status).toBe(403);
  });

  const attacks: [string, () => Promise<string>][] = [
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'evil', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 })}.`],
    [
      'HS256 signed with the RSA public key',
      async () => {
        const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${b64({ sub: 'evil', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 })}`;
        return `${head}.${createHmac('sha256', publicPem).update(head).digest('base64url')}`;
      },
    ],
    ['expired', () => sign({ sub: 'a' }, { exp: Math.floor(Date.now() / 1000) - 3600 })],
    ['not yet valid', () => sign({ sub: 'a' }, { nbf: Math.floor(Date.now() / 1000) + 3600 })],
    ['wrong audience', () => sign({ sub: 'a', aud: 'someone-else' })],
    ['wrong issuer', () => sign({ sub: 'a', iss: 'https://evil.test' })],
    ['unknown kid', () => sign({ sub: 'a' }, { kid: 'k999', key: otherKey })],
    ['signed by another key', () => sign({ sub: 'a' }, { key: otherKey })],
    [
      'tampered payload',
      async () => {
        const [h, , s] = (await sign({ sub: 'a', roles: ['default'] })).split('.');
        return `${h}.${b64({ sub: 'admin', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 })}.${s}`;
      },
    ],
    ['oversized', () => sign({ sub: 'a', pad: 'x'.repeat(10_000) })],
  ];
  for (const [name, make] of attacks) {
    it(`rejects ${name} with 401 and logs why`, async () => {
      const before = gw.logs.length;
      const res = await call(await make());
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error.code).toBe('invalid_api_key');
      expect(gw.logs.slice(before).join('')).toContain('authentication failed');
    });
  }
});

describe('JWT config', () => {
  it('refuses a JWKS URL over plain http except on loopback (keys fetched in the clear could be replaced)', async () => {
    const { jwtConfigSchema } = await import('../../src/auth/jwt-config.js');
    const base = { issuer: 'https://idp.example', audience: 'clawguard' };
    const remote = jwtConfigSchema.safeParse({ ...base, jwksUrl: 'http://idp.example/.well-known/jwks.json' });
    expect(remote.success).toBe(false);
    expect(remote.error?.issues[0]).toMatchObject({ path: ['jwksUrl'], message: expect.stringContaining('must be https://') });
    expect(jwtConfigSchema.safeParse({ ...base, jwksUrl: 'https://idp.example/.well-known/jwks.json' }).success).toBe(true);
    expect(jwtConfigSchema.safeParse({ ...base, jwksUrl: 'http://127.0.0.1:8443/jwks.json' }).success).toBe(true);
  });
});
