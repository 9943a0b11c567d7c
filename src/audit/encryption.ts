import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';

/**
 * Envelope encryption for audit payloads.
 *
 * - A **master key** (KEK, 32 bytes, from a secret reference, with an operator-chosen id) wraps data keys.
 * - A **data key** (DEK, 32 random bytes) encrypts the payloads of one subject. It is stored wrapped,
 *   with its id, its subject and the id of the master key that wrapped it.
 * - Rotating the master key: new data keys are wrapped by the new active key; old data keys stay
 *   readable as long as their master key is in the keyring, and `rewrapDataKeys` moves them to the new
 *   key without touching a single audit record.
 * - Erasing a subject deletes its wrapped data keys: its payloads become undecryptable ciphertext,
 *   while the hash chain (which covers the ciphertext) still verifies.
 */

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

/** A data key as stored: `wrapped` is null once the subject was erased. */
export interface WrappedDataKey {
  readonly id: string;
  readonly subject: string;
  readonly kekId: string;
  readonly wrapped: Buffer | null;
  readonly createdAt: number;
  readonly erasedAt?: number | null;
}

export class AuditKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditKeyError';
  }
}

/**
 * Parses a master key from its secret value: 64 hex characters or base64 of 32 bytes.
 * The error never repeats the value.
 */
export function parseMasterKey(id: string, secret: string): MasterKey {
  const text = secret.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== 32) throw new AuditKeyError(`audit master key ${id}: must be 32 bytes as 64 hex characters or base64`);
  return { id, key };
}

export function sealAesGcm(key: Buffer, plaintext: Buffer, aad: string, iv: Buffer = randomBytes(IV_BYTES)): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]);
}

export function openAesGcm(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new AuditKeyError('ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/** Master keys by id and the one that wraps new data keys. */
export class Keyring {
  private readonly keys = new Map<string, MasterKey>();

  constructor(
    masterKeys: readonly MasterKey[],
    readonly activeId: string,
  ) {
    for (const k of masterKeys) this.keys.set(k.id, k);
    if (!this.keys.has(activeId)) throw new AuditKeyError(`active audit master key ${activeId} is not in the keyring`);
  }

  has(id: string): boolean {
    return this.keys.has(id);
  }

  wrap(dataKeyId: string, subject: string, dek: Buffer, now = Date.now()): WrappedDataKey {
    const kek = this.keys.get(this.activeId)!;
    return { id: dataKeyId, subject, kekId: kek.id, wrapped: sealAesGcm(kek.key, dek, `dek:${dataKeyId}`), createdAt: now };
  }

  unwrap(stored: WrappedDataKey): Buffer {
    if (!stored.wrapped) throw new AuditKeyError(`data key ${stored.id} was erased`);
    const kek = this.keys.get(stored.kekId);
    if (!kek) throw new AuditKeyError(`data key ${stored.id} is wrapped by master key ${stored.kekId}, which is not in the keyring`);
    return openAesGcm(kek.key, stored.wrapped, `dek:${stored.id}`);
  }

  /** The same data key wrapped by the active master key (rotation without rewriting history). */
  rewrap(stored: WrappedDataKey): WrappedDataKey {
    const dek = this.unwrap(stored);
    return { ...this.wrap(stored.id, stored.subject, dek, stored.createdAt), erasedAt: null };
  }
}

/**
 * Nonces for one data key: a random 32-bit prefix and a 64-bit counter. A data key is created by one
 * process and used only by it, so counter nonces never repeat under a key (and cost no randomness call).
 */
class NonceSequence {
  private readonly prefix = randomBytes(4);
  private counter = 0n;

  next(): Buffer {
    const iv = Buffer.allocUnsafe(IV_BYTES);
    this.prefix.copy(iv, 0);
    iv.writeBigUInt64BE(this.counter++, 4);
    return iv;
  }
}

/** A data key in use: its id, the key, and its nonce sequence. */
export interface ActiveDataKey {
  readonly id: string;
  readonly key: Buffer;
  readonly createdAt: number;
  readonly nonces: NonceSequence;
}

/** Data keys in use by this process, one per subject, created on first use and rotated by age. */
export class DataKeyCache {
  private readonly bySubject = new Map<string, ActiveDataKey>();
  private readonly byId = new Map<string, Buffer>();

  constructor(
    private readonly keyring: Keyring,
    /** New data key for a subject after this long, so no key encrypts forever. */
    private readonly maxAgeMs = 24 * 3600_000,
    private readonly maxEntries = 100_000,
  ) {}

  /** The subject's current data key; `created` is set when a new key must be persisted first. */
  forSubject(subject: string, now = Date.now()): ActiveDataKey & { created?: WrappedDataKey } {
    const hit = this.bySubject.get(subject);
    if (hit && now - hit.createdAt < this.maxAgeMs) return hit;
    const key = randomBytes(32);
    const id = `dk_${randomUUID()}`;
    if (this.bySubject.size >= this.maxEntries) {
      this.bySubject.clear();
      this.byId.clear();
    }
    const entry: ActiveDataKey = { id, key, createdAt: now, nonces: new NonceSequence() };
    this.bySubject.set(subject, entry);
    this.byId.set(id, key);
    return { ...entry, created: this.keyring.wrap(id, subject, key, now) };
  }

  /** Forgets a subject's keys (after erasure), so new payloads get a fresh key. */
  forget(subject: string): void {
    const hit = this.bySubject.get(subject);
    if (hit) this.byId.delete(hit.id);
    this.bySubject.delete(subject);
  }
}

/** Encrypts one payload under a data key; the event id is bound as associated data. */
export function encryptPayload(dek: Buffer | ActiveDataKey, eventId: string, text: string): Buffer {
  const plaintext = Buffer.from(text, 'utf8');
  return Buffer.isBuffer(dek) ? sealAesGcm(dek, plaintext, `payload:${eventId}`) : sealAesGcm(dek.key, plaintext, `payload:${eventId}`, dek.nonces.next());
}

export function decryptPayload(dek: Buffer, eventId: string, sealed: Buffer): string {
  return openAesGcm(dek, sealed, `payload:${eventId}`).toString('utf8');
}
