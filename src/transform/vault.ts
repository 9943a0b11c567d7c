import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { sha256 } from '../core/hash.js';
import { formatPlaceholder, PLACEHOLDER_MAX_LENGTH, PLACEHOLDER_SOURCE } from './placeholder.js';

export { formatPlaceholder, PLACEHOLDER_MAX_LENGTH } from './placeholder.js';

/**
 * Per-conversation pseudonym vault: the mapping placeholder ↔ original value, encrypted at rest with
 * AES-256-GCM. One row per conversation; the conversation id is bound into the ciphertext as
 * associated data, so a row copied under another conversation id does not decrypt.
 */

/** One stored, encrypted mapping. */
export interface VaultRow {
  /** `v1.<iv b64>.<tag b64>.<ciphertext b64>` */
  readonly sealed: string;
  /** Epoch milliseconds after which the row is gone. */
  readonly expiresAt: number;
}

type MaybePromise<T> = T | Promise<T>;

/** Storage for sealed rows. Synchronous stores (memory, SQLite) and asynchronous ones both fit. */
export interface VaultStore {
  get(conversationId: string): MaybePromise<VaultRow | undefined>;
  put(conversationId: string, row: VaultRow): MaybePromise<void>;
  delete(conversationId: string): MaybePromise<void>;
  /** Drops expired rows; returns how many. */
  purgeExpired(now: number): MaybePromise<number>;
}

export class MemoryVaultStore implements VaultStore {
  private readonly rows = new Map<string, VaultRow>();
  constructor(private readonly now: () => number = Date.now) {}

  get(conversationId: string): VaultRow | undefined {
    const row = this.rows.get(conversationId);
    if (row && row.expiresAt <= this.now()) {
      this.rows.delete(conversationId);
      return undefined;
    }
    return row;
  }

  put(conversationId: string, row: VaultRow): void {
    this.rows.set(conversationId, row);
  }

  delete(conversationId: string): void {
    this.rows.delete(conversationId);
  }

  purgeExpired(now: number): number {
    let n = 0;
    for (const [id, row] of this.rows) {
      if (row.expiresAt <= now) {
        this.rows.delete(id);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.rows.size;
  }
}

/** The vault cannot give an answer: wrong key, corrupted row. Callers must fail closed on it. */
export class VaultError extends Error {
  override readonly name = 'VaultError';
}

const KEY_INFO = 'clawguard/pseudonym-vault/v1';

/**
 * Turns key material from a secret reference into the 32-byte vault key. A 32-byte buffer, 64 hex
 * characters or 44-character base64 of 32 bytes is used as is; anything else goes through HKDF-SHA256.
 */
export function vaultKeyFrom(material: string | Buffer): Buffer {
  if (Buffer.isBuffer(material)) {
    if (material.length === 32) return Buffer.from(material);
    if (material.length < 16) throw new VaultError('vault key material is shorter than 16 bytes');
    return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), KEY_INFO, 32));
  }
  const trimmed = material.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) return Buffer.from(trimmed, 'base64');
  if (trimmed.length < 16) throw new VaultError('vault key material is shorter than 16 characters');
  return Buffer.from(hkdfSync('sha256', Buffer.from(trimmed, 'utf8'), Buffer.alloc(0), KEY_INFO, 32));
}

function seal(key: Buffer, conversationId: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(conversationId, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `v1.${iv.toString('base64')}.${cipher.getAuthTag().toString('base64')}.${body.toString('base64')}`;
}

function unseal(key: Buffer, conversationId: string, sealed: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1') throw new VaultError('vault row is malformed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(parts[1]!, 'base64'));
    decipher.setAAD(Buffer.from(conversationId, 'utf8'));
    decipher.setAuthTag(Buffer.from(parts[2]!, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new VaultError('vault row does not decrypt: wrong vault key or corrupted row');
  }
}

const PLACEHOLDER_RE = new RegExp(PLACEHOLDER_SOURCE, 'g');

/** `SECRET` of `<SECRET_1>`. */
function labelOf(placeholder: string): string {
  return placeholder.slice(1, placeholder.lastIndexOf('_'));
}

interface MappingJson {
  v: 1;
  /** [placeholder, original, label] or, for a value from the operator's text only, [placeholder, original, label, 'o'] */
  e: ([string, string, string] | [string, string, string, 'o'])[];
}

/**
 * The mapping of one conversation, decrypted in memory. Consistent: the same value of the same label
 * always gets the same placeholder in this conversation, across turns.
 */
export class PseudonymMap {
  private readonly byPlaceholder = new Map<string, string>();
  private readonly byValue = new Map<string, string>();
  private readonly counters = new Map<string, number>();
  private originals: Set<string> | undefined;
  private dirty = false;
  /**
   * Labels whose placeholders `restore` leaves in answer text (they come back only in tool-call
   * arguments, through `restoreAll`): by default `SECRET`, so a model talked into repeating a
   * credential from the system prompt prints `<SECRET_1>`, not the key.
   */
  withheldInText: ReadonlySet<string> = new Set();
  /**
   * Placeholders made from the operator's own text (the system prompt) and never sent by the user:
   * with `withholdOperatorValues`, `restore` leaves them in answer text too, so a caller cannot talk
   * the model into printing the customer record the operator put into the prompt.
   */
  private readonly operatorPlaceholders = new Set<string>();
  withholdOperatorValues = false;

  constructor(readonly conversationId: string) {}

  /**
   * The placeholder for a value, creating it on first sight. `fromOperator`: the value comes from a
   * trusted (operator-written) segment; a value the user sends too is the user's own.
   */
  placeholderFor(label: string, value: string, fromOperator = false): string {
    const key = `${label}\0${value}`;
    const known = this.byValue.get(key);
    if (known) {
      if (!fromOperator && this.operatorPlaceholders.delete(known)) this.dirty = true;
      return known;
    }
    let n = (this.counters.get(label) ?? 0) + 1;
    let placeholder = formatPlaceholder(label, n);
    while (this.byPlaceholder.has(placeholder)) placeholder = formatPlaceholder(label, ++n);
    this.counters.set(label, n);
    this.byValue.set(key, placeholder);
    this.byPlaceholder.set(placeholder, value);
    if (fromOperator) this.operatorPlaceholders.add(placeholder);
    this.originals?.add(value);
    this.dirty = true;
    return placeholder;
  }

  /**
   * Whether this conversation's user sent `value` (it was pseudonymized on input). The output policy
   * uses it to tell the user's own data, which may come back, from personal data the user never sent.
   */
  knowsValue(value: string): boolean {
    if (this.originals === undefined) this.originals = new Set(this.byPlaceholder.values());
    return this.originals.has(value);
  }

  /** The original behind a placeholder, if this conversation made it. */
  original(placeholder: string): string | undefined {
    return this.byPlaceholder.get(placeholder);
  }

  get size(): number {
    return this.byPlaceholder.size;
  }

  /** Whether placeholders were added since the map was loaded or saved. */
  get changed(): boolean {
    return this.dirty;
  }

  markSaved(): void {
    this.dirty = false;
  }

  /**
   * Answer text: replaces every placeholder this conversation knows with its original, except the
   * labels in `withheldInText`; unknown ones stay.
   */
  restore(text: string): string {
    if (this.byPlaceholder.size === 0 || !text.includes('<')) return text;
    const operator = this.withholdOperatorValues && this.operatorPlaceholders.size > 0;
    if (this.withheldInText.size === 0 && !operator) return text.replace(PLACEHOLDER_RE, (whole) => this.byPlaceholder.get(whole) ?? whole);
    return text.replace(PLACEHOLDER_RE, (whole, label: string) =>
      this.withheldInText.has(label) || (operator && this.operatorPlaceholders.has(whole)) ? whole : (this.byPlaceholder.get(whole) ?? whole),
    );
  }

  /**
   * The reverse of `restoreAll` for the withheld labels (`withheldInText`, credentials by default): each
   * such value this conversation pseudonymized, put back behind its placeholder (longest first). For
   * copies of restored text that are stored or announced (a held tool call's arguments), so a restored
   * credential is not written to the approval store or a webhook. Other values (an address, a host's IP)
   * stay as they are: the approver must see where `curl http://<IP_ADDRESS_1>/…` would really go.
   */
  conceal(text: string): string {
    if (this.byPlaceholder.size === 0 || this.withheldInText.size === 0) return text;
    const entries = [...this.byPlaceholder]
      .filter(([placeholder, value]) => value.length > 0 && this.withheldInText.has(labelOf(placeholder)) && text.includes(value))
      .sort((a, b) => b[1].length - a[1].length);
    let out = text;
    for (const [placeholder, value] of entries) out = out.split(value).join(placeholder);
    return out;
  }

  /** Tool-call arguments: every placeholder this conversation knows, whatever its label. */
  restoreAll(text: string): string {
    if (this.byPlaceholder.size === 0 || !text.includes('<')) return text;
    return text.replace(PLACEHOLDER_RE, (whole) => this.byPlaceholder.get(whole) ?? whole);
  }

  /** A restorer for a streamed answer (see `StreamRestorer`). */
  streamRestorer(): StreamRestorer {
    return new StreamRestorer(this);
  }

  toJSON(): MappingJson {
    const e: MappingJson['e'] = [];
    for (const [key, placeholder] of this.byValue) {
      const sep = key.indexOf('\0');
      e.push(this.operatorPlaceholders.has(placeholder) ? [placeholder, key.slice(sep + 1), key.slice(0, sep), 'o'] : [placeholder, key.slice(sep + 1), key.slice(0, sep)]);
    }
    return { v: 1, e };
  }

  static fromJSON(conversationId: string, json: unknown): PseudonymMap {
    const map = new PseudonymMap(conversationId);
    const data = json as Partial<MappingJson> | null;
    if (!data || data.v !== 1 || !Array.isArray(data.e)) throw new VaultError('vault row has an unknown format');
    for (const entry of data.e) {
      if (!Array.isArray(entry) || (entry.length !== 3 && !(entry.length === 4 && entry[3] === 'o')) || !entry.every((x) => typeof x === 'string')) {
        throw new VaultError('vault row has an unknown format');
      }
      const [placeholder, value, label] = entry;
      if (entry.length === 4) map.operatorPlaceholders.add(placeholder);
      const m = /^<([A-Z][A-Z0-9_]{0,23})_([1-9][0-9]{0,5})>$/.exec(placeholder);
      if (!m || m[1] !== label) throw new VaultError('vault row has an unknown format');
      map.byPlaceholder.set(placeholder, value);
      map.byValue.set(`${label}\0${value}`, placeholder);
      const n = Number(m[2]);
      if (n > (map.counters.get(label) ?? 0)) map.counters.set(label, n);
    }
    return map;
  }
}

/**
 * Restores placeholders in a streamed answer, delta by delta. Text is passed on at once except a
 * trailing `<…` that could still become a placeholder (at most `PLACEHOLDER_MAX_LENGTH - 1`
 * characters), so a placeholder split across deltas (`<PER` + `SON_1>`) is restored whole.
 */
export class StreamRestorer {
  private held = '';

  constructor(private readonly map: PseudonymMap) {}

  /** Feeds one delta; returns the text that can be sent now. */
  push(delta: string): string {
    const text = this.held + delta;
    const cut = possiblePlaceholderStart(text);
    this.held = text.slice(cut);
    return this.map.restore(text.slice(0, cut));
  }

  /** The stream ended: returns whatever was held back. */
  end(): string {
    const rest = this.held;
    this.held = '';
    return this.map.restore(rest);
  }

  /** Characters currently held back. */
  get pending(): number {
    return this.held.length;
  }
}

/** Index of a trailing `<…` that is a proper prefix of some placeholder, or `text.length`. */
function possiblePlaceholderStart(text: string): number {
  const from = Math.max(0, text.length - (PLACEHOLDER_MAX_LENGTH - 1));
  const lt = text.lastIndexOf('<');
  if (lt < from) return text.length;
  const tail = text.slice(lt);
  return /^<(?:[A-Z][A-Z0-9_]{0,30})?$/.test(tail) ? lt : text.length;
}

export interface PseudonymVaultOptions {
  readonly store: VaultStore;
  /** 32-byte key (see `vaultKeyFrom`). */
  readonly key: Buffer;
  /** How long a conversation's mapping lives after its last change. Default 24 h. */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/** Opens, seals and stores conversation mappings. */
export class PseudonymVault {
  private readonly store: VaultStore;
  private readonly key: Buffer;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: PseudonymVaultOptions) {
    if (options.key.length !== 32) throw new VaultError('vault key must be 32 bytes (use vaultKeyFrom)');
    this.store = options.store;
    this.key = Buffer.from(options.key);
    this.ttlMs = options.ttlMs ?? 24 * 3600 * 1000;
    this.now = options.now ?? Date.now;
  }

  /** Loads the conversation's mapping (empty when new or expired). Throws `VaultError` on a bad row. */
  async open(conversationId: string): Promise<PseudonymMap> {
    const row = await this.store.get(conversationId);
    if (!row || row.expiresAt <= this.now()) return new PseudonymMap(conversationId);
    const plaintext = unseal(this.key, conversationId, row.sealed);
    let json: unknown;
    try {
      json = JSON.parse(plaintext);
    } catch {
      throw new VaultError('vault row has an unknown format');
    }
    return PseudonymMap.fromJSON(conversationId, json);
  }

  /** Seals and stores the mapping, extending its TTL. */
  async save(map: PseudonymMap): Promise<void> {
    const sealed = seal(this.key, map.conversationId, JSON.stringify(map.toJSON()));
    await this.store.put(map.conversationId, { sealed, expiresAt: this.now() + this.ttlMs });
    map.markSaved();
  }

  /** Erases a conversation's mapping (right to erasure, end of conversation). */
  async forget(conversationId: string): Promise<void> {
    await this.store.delete(conversationId);
  }

  async purgeExpired(): Promise<number> {
    return this.store.purgeExpired(this.now());
  }
}

/**
 * A stable conversation id for clients that send none: a keyed hash of who is calling and the first
 * messages of the conversation, which every later turn re-sends unchanged.
 */
export function deriveConversationId(key: Buffer | string, principalId: string, firstMessages: readonly string[]): string {
  const h = createHmac('sha256', key);
  h.update(`${principalId}\0`);
  for (const m of firstMessages) h.update(sha256(m, 'buffer'));
  return `conv_${h.digest('base64url').slice(0, 32)}`;
}
