import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export class KeyError extends Error {}

/**
 * Reads key material from a reference: `env:NAME` (the variable holds PEM text), `file:/path`,
 * a plain path, or PEM text itself.
 */
export function readKeyMaterial(ref: string): string {
  const trimmed = ref.trim();
  if (trimmed.startsWith('-----BEGIN')) return trimmed;
  if (trimmed.startsWith('env:')) {
    const name = trimmed.slice(4);
    const value = process.env[name];
    if (!value) throw new KeyError(`environment variable ${name} is not set`);
    return value.replace(/\\n/g, '\n');
  }
  const path = trimmed.startsWith('file:') ? trimmed.slice(5) : trimmed;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new KeyError(`cannot read key ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function requireEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(`${what} is ${key.asymmetricKeyType ?? 'not asymmetric'}, expected ed25519`);
  return key;
}

export function loadPrivateKey(ref: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readKeyMaterial(ref));
  } catch (error) {
    if (error instanceof KeyError) throw error;
    throw new KeyError(`not a private key: ${error instanceof Error ? error.message : String(error)}`);
  }
  return requireEd25519(key, 'private key');
}

/** A public key, or the public half of a private key. */
export function loadPublicKey(ref: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(readKeyMaterial(ref));
  } catch (error) {
    if (error instanceof KeyError) throw error;
    throw new KeyError(`not a public key: ${error instanceof Error ? error.message : String(error)}`);
  }
  return requireEd25519(key, 'public key');
}

/** Short, stable key id: the first 16 hex digits of the SHA-256 of the SPKI DER encoding. */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export interface GeneratedKeyPair {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly keyId: string;
}

export function generateSigningKeyPair(): GeneratedKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyId(publicKey),
  };
}
