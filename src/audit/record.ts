import { sha256Base64 } from '../core/hash.js';

/**
 * A stored audit record. `body` is the canonical text of the event (JSON, written once, never
 * re-serialized): the hash covers exactly these characters, and the stores derive their queryable
 * columns (time, type, principal, …) from it, so metadata cannot be edited without breaking the chain.
 */
export interface StoredRecord {
  readonly seq: number;
  /** Hash of the previous record (base64 SHA-256), GENESIS_HASH for the first. */
  readonly prev: string;
  readonly hash: string;
  readonly body: string;
  /** Stored payload bytes (ciphertext in `encrypted` mode, UTF-8 text in `redacted` mode). */
  readonly payload: Buffer | null;
  /** SHA-256 (base64) of the payload, as chained; set on append, kept by stores that index it. */
  readonly payloadSha?: string | null;
}

/** The parsed `body` of a record. */
export interface RecordBody {
  readonly v: 1;
  /** Unique event id (UUID), used to replay a spool without duplicates. */
  readonly id: string;
  readonly ts: number;
  readonly type: string;
  readonly principal?: string;
  readonly tenant?: string;
  readonly subject?: string;
  readonly requestId?: string;
  /** Event metadata: every field of the event except the common ones and the payload. */
  readonly data: Record<string, unknown>;
  /** Present when a payload is stored: how, and under which data key. */
  readonly payload?: { readonly mode: 'redacted' | 'encrypted'; readonly kid?: string };
}

/** A record before it has a place in the chain (what the writer spools and the store appends). */
export interface RecordDraft {
  readonly body: string;
  readonly payload: Buffer | null;
}

export const GENESIS_HASH = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export { sha256Base64 };

/**
 * The chain hash of one record: SHA-256 over the previous hash, the sequence number, the body and,
 * when there is one, the SHA-256 of the stored payload bytes (ciphertext in `encrypted` mode).
 */
export function recordHash(prev: string, seq: number, body: string, payload: Buffer | null): string {
  return recordHashWithDigest(prev, seq, body, payload === null ? null : sha256Base64(payload));
}

/** The same hash from the payload's digest instead of its bytes. */
export function recordHashWithDigest(prev: string, seq: number, body: string, payloadSha: string | null): string {
  return sha256Base64(payloadSha === null ? `${prev}\n${seq}\n${body}` : `${prev}\n${seq}\n${body}\n${payloadSha}`);
}

/** Assigns sequence numbers and hashes to drafts, continuing from `head`. */
export function chainDrafts(head: { seq: number; hash: string } | undefined, drafts: readonly RecordDraft[]): StoredRecord[] {
  let seq = head?.seq ?? 0;
  let prev = head?.hash ?? GENESIS_HASH;
  const out: StoredRecord[] = new Array(drafts.length);
  for (let i = 0; i < drafts.length; i++) {
    const d = drafts[i]!;
    seq++;
    const payloadSha = d.payload === null ? null : sha256Base64(d.payload);
    const hash = recordHashWithDigest(prev, seq, d.body, payloadSha);
    out[i] = { seq, prev, hash, body: d.body, payload: d.payload, payloadSha };
    prev = hash;
  }
  return out;
}

export function parseBody(body: string): RecordBody {
  return JSON.parse(body) as RecordBody;
}

/**
 * Longest string kept as is in a record's metadata (principal, tenant, subject and every string in
 * `data`). Several of them are chosen by the client (OpenAI `user`, the model name, tool names): a
 * longer one becomes its start and a digest, so one request cannot write megabytes into every record
 * of its chain. Deterministic, so a long subject still maps to one data key (`audit erase` bounds its
 * argument the same way).
 */
export const MAX_META_CHARS = 1024;
const META_PREFIX_CHARS = 64;

export function boundMetaText(value: string): string {
  if (value.length <= MAX_META_CHARS) return value;
  return `${value.slice(0, META_PREFIX_CHARS)}…[${value.length} chars, sha256:${sha256Base64(value)}]`;
}

/** `value` with every over-long string bounded (boundMetaText); the same reference when none was. */
export function boundMetaValue<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return (value.length <= MAX_META_CHARS ? value : boundMetaText(value)) as T;
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const b = boundMetaValue(v, depth + 1);
      if (b !== v) (out ??= value.slice())[i] = b;
    }
    return (out ?? value) as T;
  }
  let out: Record<string, unknown> | undefined;
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    const b = boundMetaValue(v, depth + 1);
    if (b !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = b;
  }
  return (out ?? value) as T;
}
