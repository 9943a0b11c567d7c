import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { SecretError } from './secret-error.js';
import { isVaultRef, resolveVaultSecret } from './vault.js';
import { CLOUD_REF_SOURCE, isCloudRef, resolveCloudSecret } from './cloud/index.js';

/**
 * A reference to a secret, never the secret itself: `env:NAME`, `file:PATH` (absolute, or relative to
 * the config file's folder: loadConfigFile makes it absolute),
 * `vault:MOUNT/PATH#FIELD` (HashiCorp Vault KV v2, see vault.ts), or a cloud secret manager
 * (`aws-sm:NAME[#field]`, `azure-kv:VAULT/NAME[#field]`, `gcp-sm:projects/P/secrets/S/versions/V[#field]`,
 * see cloud/). Errors name the reference, never a value. docs/secrets.md.
 */
export const SECRET_REF = new RegExp(String.raw`^(env:[A-Za-z_][A-Za-z0-9_]*|file:(?!~)[^\0]+|vault:[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+(#[A-Za-z0-9_.-]+)?|${CLOUD_REF_SOURCE})$`);

/** The folder of the config file being parsed, while it is parsed (withSecretBaseDir). */
let parseBaseDir: string | undefined;

/**
 * Runs `parse` (a synchronous config parse) so that every relative `file:` secret reference it
 * validates comes out absolute, against `baseDir` (the config file's folder, as storage paths are):
 * a project folder then keeps working when it is moved or mounted elsewhere.
 */
export function withSecretBaseDir<T>(baseDir: string | undefined, parse: () => T): T {
  const previous = parseBaseDir;
  parseBaseDir = baseDir;
  try {
    return parse();
  } finally {
    parseBaseDir = previous;
  }
}

/** A relative `file:` reference made absolute against the config being parsed; anything else as is. */
export function anchorSecretRef(value: string): string {
  if (parseBaseDir === undefined || !value.startsWith('file:') || isAbsolute(value.slice(5))) return value;
  return `file:${resolve(parseBaseDir, value.slice(5))}`;
}

export const secretRefSchema = z
  .string()
  .regex(
    SECRET_REF,
    'must be a secret reference: env:NAME, file:PATH (absolute or relative to the config file; ~ is not expanded), vault:MOUNT/PATH#FIELD, aws-sm:NAME[#field], azure-kv:VAULT/NAME or gcp-sm:projects/P/secrets/S/versions/V (never the secret itself)',
  )
  .overwrite(anchorSecretRef);

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
  if (isCloudRef(ref)) return resolveCloudSecret(ref, env);
  throw new SecretError(ref, 'unknown scheme; use env:NAME, file:PATH, vault:MOUNT/PATH#FIELD, aws-sm:, azure-kv: or gcp-sm:');
}

/**
 * A secret read on first use and kept once read: for parts built synchronously from config (guards)
 * that need a credential only when they call out. A failed read is not kept, so the next call tries
 * again (a file mounted late, a Vault that was down); its error names the reference, never a value.
 */
export function lazySecret(ref: string, env: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  let value: Promise<string> | undefined;
  return () => {
    value ??= resolveSecret(ref, env).catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}
