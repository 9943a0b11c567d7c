import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { sha256Base64 } from './record.js';

/**
 * Signed checkpoints: an Ed25519 signature over (sequence number, record hash, time). A checkpoint
 * proves that the log had at least `seq` records ending in `hash`: a rewritten chain cannot match it
 * without the private key, and a log cut short of it is truncated.
 */
export interface Checkpoint {
  readonly seq: number;
  readonly hash: string;
  readonly ts: number;
  /** Fingerprint of the public key that signed it. */
  readonly keyId: string;
  /** base64 Ed25519 signature. */
  readonly signature: string;
  /** `interval` (every N records or T seconds), `close`, or `anchor` (the cut of a retention purge). */
  readonly kind: 'interval' | 'close' | 'anchor';
}

export class AuditSigningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditSigningError';
  }
}

function message(cp: Pick<Checkpoint, 'seq' | 'hash' | 'ts' | 'kind'>): Buffer {
  return Buffer.from(`clawguard-audit-checkpoint/v1\n${cp.kind}\n${cp.seq}\n${cp.hash}\n${cp.ts}`, 'utf8');
}

/** Key id: first 16 base64 characters of SHA-256 over the raw public key. */
export function publicKeyId(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return sha256Base64(der).slice(0, 16);
}

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Private key from a PEM (PKCS#8) or base64/hex of the 32-byte seed. The error never shows the value. */
export function parseSigningKey(secret: string): KeyObject {
  const text = secret.trim();
  try {
    if (text.includes('-----BEGIN')) return createPrivateKey(text);
    const raw = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
    if (raw.length !== 32) throw new Error('length');
    return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  } catch {
    throw new AuditSigningError('audit signing key: must be an Ed25519 private key (PKCS#8 PEM, or the 32-byte seed as base64 or hex)');
  }
}

/** Public key from a PEM (SPKI) or base64/hex of the raw 32 bytes. */
export function parsePublicKey(text: string): KeyObject {
  const t = text.trim();
  try {
    if (t.includes('-----BEGIN')) return createPublicKey(t);
    const raw = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
    if (raw.length !== 32) throw new Error('length');
    return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    throw new AuditSigningError('audit public key: must be an Ed25519 public key (SPKI PEM, or the raw 32 bytes as base64 or hex)');
  }
}

/** The raw 32-byte public key as base64 (what the config's `signing.publicKey` takes). */
export function rawPublicKey(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'der' }).subarray(ED25519_SPKI_PREFIX.length).toString('base64');
}

/** A fresh key pair: the seed (keep it secret) and the public key, both base64. */
export function generateAuditSigningKey(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(ED25519_PKCS8_PREFIX.length);
  return { privateKey: seed.toString('base64'), publicKey: rawPublicKey(publicKey) };
}

export class CheckpointSigner {
  readonly keyId: string;
  readonly publicKey: KeyObject;

  constructor(private readonly privateKey: KeyObject) {
    this.publicKey = createPublicKey(privateKey);
    this.keyId = publicKeyId(this.publicKey);
  }

  sign(seq: number, hash: string, kind: Checkpoint['kind'], ts = Date.now()): Checkpoint {
    const signature = sign(null, message({ seq, hash, ts, kind }), this.privateKey).toString('base64');
    return { seq, hash, ts, keyId: this.keyId, signature, kind };
  }
}

/** Public keys by key id; a checkpoint signed by any of them verifies (old keys stay after rotation). */
export class CheckpointVerifier {
  private readonly keys = new Map<string, KeyObject>();

  constructor(publicKeys: readonly KeyObject[]) {
    for (const k of publicKeys) this.keys.set(publicKeyId(k), k);
  }

  get size(): number {
    return this.keys.size;
  }

  /** `undefined` when valid, else why not. */
  check(cp: Checkpoint): string | undefined {
    const key = this.keys.get(cp.keyId);
    if (!key) return `signed by unknown key ${cp.keyId}`;
    let ok = false;
    try {
      ok = verify(null, message(cp), key, Buffer.from(cp.signature, 'base64'));
    } catch {
      ok = false;
    }
    return ok ? undefined : 'signature does not verify';
  }
}
