import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { SecretError } from './secret-error.js';
import { isVaultRef, resolveVaultSecret } from './vault.js';

/**
 * A reference to a secret, never the secret itself: `env:NAME`, `file:/absolute/path` or
 * `vault:MOUNT/PATH#FIELD` (HashiCorp Vault KV v2, see vault.ts). Errors name the reference, never a value.
 */
export const SECRET_REF = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+|vault:[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+(#[A-Za-z0-9_.-]+)?)$/;

export const secretRefSchema = z
  .string()
  .regex(SECRET_REF, 'must be a secret reference: env:NAME, file:/absolute/path or vault:MOUNT/PATH#FIELD (never the secret itself)');

export { SecretError };

export async function resolveSecret(ref: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (ref.startsWith('env:')) {
    const value = env[ref.slice(4)];
    if (value === undefined || value === '') throw new SecretError(ref, 'environment variable is not set or empty');
    return value;
  }
  if (ref.startsWith('file:')) {
    const path = ref.slice(5);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new SecretError(ref, `cannot read the file (${code})`);
    }
    const value = text.replace(/\r?\n$/, '');
    if (value === '') throw new SecretError(ref, 'the file is empty');
    return value;
  }
  if (isVaultRef(ref)) return resolveVaultSecret(ref, env);
  throw new SecretError(ref, 'unknown scheme; use env:NAME, file:/path or vault:MOUNT/PATH#FIELD');
}
