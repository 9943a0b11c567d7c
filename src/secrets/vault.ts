import { SecretError } from './secret-error.js';

/**
 * HashiCorp Vault KV version 2, configured the way Vault's own CLI is: `VAULT_ADDR`, and either
 * `VAULT_TOKEN` or an AppRole (`VAULT_ROLE_ID` + `VAULT_SECRET_ID`); `VAULT_NAMESPACE` when used.
 * A reference `vault:MOUNT/PATH#FIELD` reads FIELD of the secret at PATH in the KV v2 engine at MOUNT.
 * Values are cached for `CLAWGUARD_VAULT_CACHE_SECONDS` (300); an AppRole token is reused until 80 %
 * of its lease has passed.
 */
const REF = /^vault:([A-Za-z0-9_.-]+)\/([A-Za-z0-9_./-]+?)(?:#([A-Za-z0-9_.-]+))?$/;

interface Cached {
  readonly value: string;
  readonly until: number;
}

const values = new Map<string, Cached>();
let token: { value: string; until: number; key: string } | undefined;

/** Forget cached values and tokens (tests, and key rotation runbooks). */
export function clearVaultCache(): void {
  values.clear();
  token = undefined;
}

async function vaultFetch(ref: string, url: string, init: RequestInit): Promise<any> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  } catch {
    throw new SecretError(ref, 'Vault could not be reached');
  }
  if (response.status === 403) throw new SecretError(ref, 'Vault refused the token (403)');
  if (response.status === 404) throw new SecretError(ref, 'no such secret in Vault (404)');
  if (!response.ok) throw new SecretError(ref, `Vault answered ${response.status}`);
  try {
    return await response.json();
  } catch {
    throw new SecretError(ref, 'Vault sent an answer that is not JSON');
  }
}

async function vaultToken(ref: string, address: string, env: NodeJS.ProcessEnv, headers: Record<string, string>): Promise<string> {
  if (env.VAULT_TOKEN) return env.VAULT_TOKEN;
  const roleId = env.VAULT_ROLE_ID;
  const secretId = env.VAULT_SECRET_ID;
  if (!roleId || !secretId) throw new SecretError(ref, 'set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole');
  const key = `${address}\0${roleId}`;
  if (token && token.key === key && Date.now() < token.until) return token.value;
  const login = await vaultFetch(ref, `${address}/v1/auth/approle/login`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ role_id: roleId, secret_id: secretId }),
  });
  const clientToken = login?.auth?.client_token;
  if (typeof clientToken !== 'string') throw new SecretError(ref, 'the AppRole login returned no token');
  const lease = Number(login.auth.lease_duration) || 3600;
  token = { value: clientToken, until: Date.now() + lease * 800, key };
  return clientToken;
}

export function isVaultRef(ref: string): boolean {
  return ref.startsWith('vault:');
}

export async function resolveVaultSecret(ref: string, env: NodeJS.ProcessEnv): Promise<string> {
  const m = REF.exec(ref);
  if (!m) throw new SecretError(ref, 'use vault:MOUNT/PATH#FIELD');
  const cached = values.get(ref);
  if (cached && Date.now() < cached.until) return cached.value;
  const address = env.VAULT_ADDR?.replace(/\/$/, '');
  if (!address) throw new SecretError(ref, 'VAULT_ADDR is not set');
  const headers: Record<string, string> = env.VAULT_NAMESPACE ? { 'x-vault-namespace': env.VAULT_NAMESPACE } : {};
  const auth = await vaultToken(ref, address, env, headers);
  const [, mount, path, field] = m;
  const body = await vaultFetch(ref, `${address}/v1/${mount}/data/${path}`, { headers: { ...headers, 'x-vault-token': auth } });
  const data = body?.data?.data;
  if (!data || typeof data !== 'object') throw new SecretError(ref, 'not a KV version 2 secret');
  const keys = Object.keys(data);
  const name = field ?? (keys.length === 1 ? keys[0]! : undefined);
  if (name === undefined) throw new SecretError(ref, `the secret has ${keys.length} fields: name one with #FIELD`);
  const value = data[name];
  if (typeof value !== 'string' || value === '') throw new SecretError(ref, `field "${name}" is missing or not a string`);
  const seconds = Number(env.CLAWGUARD_VAULT_CACHE_SECONDS ?? 300);
  values.set(ref, { value, until: Date.now() + seconds * 1000 });
  return value;
}
