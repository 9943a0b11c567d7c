import type { WrappedDataKey } from './encryption.js';
import type { RecordDraft, StoredRecord } from './record.js';
import type { Checkpoint } from './signing.js';

/**
 * One record as read for verification: [seq, hash, body, payload]. Tuples, not objects, and without
 * the stored `prev` (the recomputed hash already proves the link): verify reads millions.
 */
export type RecordRow = [seq: number, hash: string, body: string, payload: Buffer | null];

export interface RecordPageText {
  readonly count: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly bytes: Buffer;
  /**
   * When the page's hash inputs use a stored payload digest rather than hashing the bytes in the
   * query: [seq, payload bytes or null, stored digest or null] for every record with either, which
   * verify must check.
   */
  readonly payloads?: readonly (readonly [seq: number, payload: Buffer | null, sha: string | null])[];
  /**
   * Each record's hash input is followed by `\x1d`, `s`|`n` (a payload digest ends the hash input or
   * not), the payload's byte length (-1: none), `\x1d` and the payload bytes (SQLite: no SHA-256 in
   * SQL, so verify hashes the bytes it is handed in the same buffer).
   */
  readonly inlinePayloads?: boolean;
}

export interface AuditQuery {
  /** Inclusive lower bound, ms since the epoch. */
  readonly since?: number;
  /** Exclusive upper bound, ms since the epoch. */
  readonly until?: number;
  readonly principal?: string;
  readonly subject?: string;
  readonly types?: readonly string[];
}

/** An event's id and time (`id` and `ts` of its body): what spool replay looks up. */
export interface EventKey {
  readonly id: string;
  readonly ts: number;
}

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * Where audit records live. Appends are serialized by the store (a transaction in SQLite, an advisory
 * lock in PostgreSQL), so several gateway replicas can share one chain.
 */
export interface AuditStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Stores data keys, then chains the drafts after the current head and stores them, atomically. */
  append(drafts: readonly RecordDraft[], keys: readonly WrappedDataKey[]): Promise<StoredRecord[]>;
  head(): Promise<ChainHead | undefined>;
  /** First and last sequence numbers and the number of records. */
  extent(): Promise<{ first: number | undefined; last: number | undefined; count: number }>;
  /** Records with `seq > after` in order, at most `limit`. */
  page(after: number, limit: number): Promise<RecordRow[]>;
  /**
   * Optional fast path for verify: `count` records with `seq > after` as one UTF-8 buffer, each record
   * `hash \x1f prev \n seq \n body [\n sha256(payload)]` (the hash input after the \x1f), records
   * separated by \x1e. One buffer per page instead of one JavaScript row per record: far less
   * marshalling. The order inside is only a hint; verify checks it.
   */
  pageText?(after: number, limit: number): Promise<RecordPageText | undefined>;
  /** Records per `pageText` page that suit this store (verify's default; 20 000 when unset). */
  readonly verifyPageSize?: number;
  /** One record by sequence number. */
  record(seq: number): Promise<StoredRecord | undefined>;
  /** Records matching a filter with `seq > after` in order, at most `limit`. */
  query(filter: AuditQuery, after: number, limit: number): Promise<StoredRecord[]>;
  /** Which of these events are stored, by id (spool replay skips them). */
  existingEventIds(events: readonly EventKey[]): Promise<Set<string>>;
  /** The last record strictly older than `ts`. */
  lastBefore(ts: number): Promise<ChainHead | undefined>;
  addCheckpoint(cp: Checkpoint): Promise<void>;
  /** All checkpoints, ascending by seq. */
  checkpoints(): Promise<Checkpoint[]>;
  /** Deletes records with `seq <= anchor.seq` and older checkpoints, and stores the anchor, atomically. Returns records deleted. */
  purgeThrough(anchor: Checkpoint): Promise<number>;
  dataKeys(ids: readonly string[]): Promise<WrappedDataKey[]>;
  subjectKeys(subject: string): Promise<WrappedDataKey[]>;
  /** Records whose payload is under one of the subject's keys. */
  countSubjectPayloads(subject: string): Promise<number>;
  /** Deletes the wrapped keys of a subject (crypto-shredding). Returns keys erased. */
  eraseSubject(subject: string, now: number): Promise<number>;
  /** Every live data key wrapped by a master key other than `kekId`. */
  keysNotWrappedBy(kekId: string): Promise<WrappedDataKey[]>;
  replaceWrappedKeys(keys: readonly WrappedDataKey[]): Promise<void>;
  close(): Promise<void>;
}
