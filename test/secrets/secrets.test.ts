import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LiveSecret } from '../../src/secrets/live-secret.js';
import { resolveSecret, SecretError } from '../../src/secrets/secret-ref.js';
import { clearVaultCache } from '../../src/secrets/vault.js';

/** A fake of Vault's documented HTTP API: AppRole login and KV v2 reads. */
let vault: Server;
let address: string;
let reads = 0;
beforeAll(async () => {
  vault = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.method === 'POST' && req.url === '/v1/auth/approle/login') {
        const { role_id, secret_id } = JSON.parse(body);
        return role_id === 'role-1' && secret_id === 'secret-1' ? send(200, { auth: { client_token: 'approle-token', lease_duration: 600 } }) : send(400, { errors: ['invalid role or secret ID'] });
      }
      const token = req.headers['x-vault-token'];
      if (token !== 'root-token' && token !== 'approle-token') return send(403, { errors: ['permission denied'] });
      if (req.url === '/v1/secret/data/clawguard/openai') {
        reads++;
        return send(200, { data: { data: { api_key: 'sk-from-vault-123', org: 'acme' }, metadata: { version: 3 } } });
      }
      if (req.url === '/v1/secret/data/clawguard/single') return send(200, { data: { data: { value: 'only-one' } } });
      return send(404, { errors: [] });
    });
  });
  await new Promise<void>((r) => vault.listen(0, '127.0.0.1', r));
  address = `http://127.0.0.1:${(vault.address() as AddressInfo).port}`;
});
afterAll(() => vault.close());
beforeEach(() => {
  clearVaultCache();
  reads = 0;
});

describe('vault: secret references (HashiCorp Vault KV v2)', () => {
  it('reads a field with a token, and caches it', async () => {
    const env = { VAULT_ADDR: address, VAULT_TOKEN: 'root-token' };
    expect(await resolveSecret('vault:secret/clawguard/openai#api_key', env)).toBe('sk-from-vault-123');
    expect(await resolveSecret('vault:secret/clawguard/openai#api_key', env)).toBe('sk-from-vault-123');
    expect(reads).toBe(1);
  });

  it('logs in with AppRole, and takes the only field when none is named', async () => {
    const env = { VAULT_ADDR: address, VAULT_ROLE_ID: 'role-1', VAULT_SECRET_ID: 'secret-1' };
    expect(await resolveSecret('vault:secret/clawguard/single', env)).toBe('only-one');
  });

  it('names the reference, never a value, in every error', async () => {
    const cases: [string, NodeJS.ProcessEnv, RegExp][] = [
      ['vault:secret/clawguard/openai#api_key', { VAULT_ADDR: address, VAULT_TOKEN: 'wrong' }, /refused the token/],
      ['vault:secret/clawguard/missing#x', { VAULT_ADDR: address, VAULT_TOKEN: 'root-token' }, /no such secret/],
      ['vault:secret/clawguard/openai', { VAULT_ADDR: address, VAULT_TOKEN: 'root-token' }, /2 fields: name one/],
      ['vault:secret/clawguard/openai#api_key', { VAULT_TOKEN: 'root-token' }, /VAULT_ADDR is not set/],
      ['vault:secret/clawguard/openai#api_key', { VAULT_ADDR: 'http://127.0.0.1:9' }, /VAULT_TOKEN/],
    ];
    for (const [ref, env, message] of cases) {
      const error = await resolveSecret(ref, env).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SecretError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toContain(ref);
      expect((error as Error).message).not.toContain('sk-from-vault');
    }
  });
});

describe('live secrets', () => {
  it('follows a mounted secret file when it is rotated, keeping the last good value meanwhile', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cg-live-')), 'key');
    writeFileSync(file, 'sk-first\n');
    const secret = await LiveSecret.open(`file:${file}`, {}, 60_000);
    try {
      expect(secret.value).toBe('sk-first');
      writeFileSync(file, 'sk-second-longer\n');
      await secret.refresh();
      expect(secret.value).toBe('sk-second-longer');
      writeFileSync(file, '');
      await secret.refresh();
      expect(secret.value).toBe('sk-second-longer');
      expect(secret.lastError).toContain('the file is empty');
    } finally {
      secret.close();
    }
  });
});
