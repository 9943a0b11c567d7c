import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataKeyCache, encryptPayload, type Keyring, type WrappedDataKey } from './encryption.js';
import { type AuditEvent, AuditUnavailableError, type AuditSink } from './events.js';
import { defaultRedactor } from './redact.js';
import { boundMetaValue, type RecordBody, type RecordDraft, type StoredRecord } from './record.js';
import type { CheckpointSigner } from './signing.js';
import type { AuditStore } from './store.js';

export type PayloadMode = 'none' | 'redacted' | 'encrypted';

export interface AuditLogHooks {
  /** The store failed and events are spooling (true), or the spool drained (false). */
  spooling?(active: boolean, spoolBytes: number): void;
  /** Events were dropped because the queue or spool was full and `onFull` is `drop`. */
  dropped?(count: number): void;
  /** A store or checkpoint error (message only; it never contains payloads). */
  error?(message: string): void;
  /** Records just committed, in chain order (SIEM forwarding, metrics). */
  committed?(records: readonly StoredRecord[]): void;
}

export interface AuditLogOptions {
  readonly store: AuditStore;
  readonly payloads?: PayloadMode;
  /** Required for `encrypted`. */
  readonly keyring?: Keyring;
  /** For `redacted`: the gateway's redaction; `defaultRedactor` runs after it either way. */
  readonly redactor?: (text: string) => string;
  /**
   * Bound the strings of each record's metadata (principal, tenant, subject, `data`): the gateway's log
   * sets it, because clients choose some of them (`user`, model and tool names). See MAX_META_CHARS.
   */
  readonly boundMetadata?: boolean;
  /** Signs checkpoints; without it the chain is still hashed but not anchored by signatures. */
  readonly signer?: CheckpointSigner;
  readonly checkpointEvery?: number;
  readonly checkpointIntervalMs?: number;
  readonly batchSize?: number;
  readonly flushIntervalMs?: number;
  /** Events held in memory waiting for the store; beyond it they wait in the spool file only. */
  readonly maxQueue?: number;
  /**
   * Local journal: every event is appended here before `record` returns (a process killed with -9
   * loses nothing that was recorded), and it holds events while the store is down, replayed in order.
   */
  readonly spool?: { readonly path: string; readonly maxBytes?: number };
  /** When the spool (or, without one, the queue) is full: throw from `record` or drop the event. */
  readonly onFull?: 'fail-closed' | 'drop';
  readonly dataKeyMaxAgeMs?: number;
  readonly hooks?: AuditLogHooks;
  readonly now?: () => number;
}

interface Pending {
  readonly draft: RecordDraft;
  readonly keys: readonly WrappedDataKey[];
  /** Spool offset just after this entry (0 without a spool). */
  readonly end: number;
}

/**
 * Spool lines: `r\t<body>\t<payload base64>\t$\n` for a record (the body is JSON, which never holds a
 * raw tab or newline) and `k\t<json>\n` for a new data key, written before the records that use it.
 */
interface SpoolKey {
  id: string;
  subject: string;
  kekId: string;
  wrapped: string;
  createdAt: number;
}

const NO_KEYS: readonly WrappedDataKey[] = Object.freeze([]);

/**
 * The spool is reused in place: once everything in it is stored it is zeroed, not truncated, and the
 * next entries overwrite it from the start. Writing over allocated blocks inside the file costs about
 * half of a write that extends it (no block allocation, no size change), and a drained spool no
 * longer frees its blocks every batch. The file is kept zero-filled ahead of the entries, so the
 * journal ends at its first zero byte (entries are text and never hold one). A spool that grew past
 * SPOOL_REUSE_BYTES (a store outage) is truncated instead.
 */
const SPOOL_CHUNK = 256 * 1024;
/** The journal buffer's usual size; one grown past SPOOL_BUFFER_MAX for a large write is let go after it. */
const SPOOL_BUFFER_BYTES = 64 * 1024;
const SPOOL_BUFFER_MAX = 1024 * 1024;
const SPOOL_REUSE_BYTES = 4 * 1024 * 1024;
let zeros: Buffer | undefined;

/** Writes zero bytes over [from, to); false if any write failed. */
function zeroFill(fd: number, from: number, to: number): boolean {
  zeros ??= Buffer.alloc(SPOOL_CHUNK);
  try {
    for (let at = from; at < to; ) at += writeSync(fd, zeros, 0, Math.min(SPOOL_CHUNK, to - at), at);
    return true;
  } catch {
    return false;
  }
}

/** The offset of the first zero byte in the file, or its size: where a spool reused in place ends. */
function spoolEnd(fd: number, size: number): number {
  const buf = Buffer.allocUnsafe(Math.min(size, 1024 * 1024));
  for (let at = 0; at < size; ) {
    const got = readSync(fd, buf, 0, Math.min(buf.length, size - at), at);
    if (got <= 0) break;
    const zero = buf.subarray(0, got).indexOf(0);
    if (zero >= 0) return at + zero;
    at += got;
  }
  return size;
}

function spoolKeyLine(k: WrappedDataKey): string {
  const line: SpoolKey = { id: k.id, subject: k.subject, kekId: k.kekId, wrapped: k.wrapped!.toString('base64'), createdAt: k.createdAt };
  return `k\t${JSON.stringify(line)}\n`;
}

/**
 * Event ids are UUIDv7-shaped (48-bit millisecond time, version 7, then 74 random bits with the RFC
 * 4122 variant): unique like a v4, in time order (PostgreSQL's unique index on them stays cheap to
 * maintain). Written into one buffer from CSPRNG bytes drawn 128 ids at a time, as request ids are.
 */
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const IDS_PER_DRAW = 128;
const idEntropy = Buffer.alloc(10 * IDS_PER_DRAW);
let idsDrawn = IDS_PER_DRAW;
const idText = Buffer.from('00000000-0000-7000-8000-000000000000', 'latin1');
/** The millisecond whose 12 hex digits are in `idText` (the events of a request share one). */
let idMs = -1;

export function timeOrderedId(now: number): string {
  const ms = Math.max(0, Math.floor(now));
  if (ms !== idMs) {
    idMs = ms;
    const t = ms.toString(16).padStart(12, '0').slice(-12);
    idText.write(t.slice(0, 8), 0, 'latin1');
    idText.write(t.slice(8), 9, 'latin1');
  }
  if (idsDrawn === IDS_PER_DRAW) {
    randomFillSync(idEntropy);
    idsDrawn = 0;
  }
  const r = 10 * idsDrawn++;
  const e = idEntropy;
  // 7xxx: 12 random bits.
  idText[15] = HEX[e[r]! & 0x0f]!;
  idText[16] = HEX[e[r + 1]! >> 4]!;
  idText[17] = HEX[e[r + 1]! & 0x0f]!;
  // yxxx: the variant (10) and 14 random bits.
  idText[19] = HEX[0x08 | (e[r + 2]! & 0x03)]!;
  idText[20] = HEX[e[r + 2]! >> 4]!;
  idText[21] = HEX[e[r + 3]! >> 4]!;
  idText[22] = HEX[e[r + 3]! & 0x0f]!;
  // 48 random bits.
  for (let i = 4, at = 24; i < 10; i++) {
    idText[at++] = HEX[e[r + i]! >> 4]!;
    idText[at++] = HEX[e[r + i]! & 0x0f]!;
  }
  return idText.toString('latin1', 0, 36);
}

export interface AuditLogStats {
  readonly queued: number;
  readonly spoolBytes: number;
  readonly storeDown: boolean;
  readonly committed: number;
  readonly dropped: number;
  readonly lastSeq: number;
}

/**
 * The audit writer: `record` is synchronous and cheap (serialize, encrypt, append to the journal);
 * a background loop chains and stores batches, signs checkpoints, and replays the spool after an outage.
 */
export class AuditLog implements AuditSink {
  private readonly store: AuditStore;
  private readonly mode: PayloadMode;
  private readonly dataKeys: DataKeyCache | undefined;
  private readonly redactor: (text: string) => string;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueue: number;
  private readonly maxSpoolBytes: number;
  private readonly onFull: 'fail-closed' | 'drop';
  private readonly now: () => number;
  private readonly hooks: AuditLogHooks;
  private readonly checkpointEvery: number;
  private readonly checkpointIntervalMs: number;

  private queue: Pending[] = [];
  private spoolFd: number | undefined;
  /** Offsets into the spool: everything before `committed` is stored; `memEnd` is the end of the last entry in memory. */
  private written = 0;
  private committedOffset = 0;
  private memEnd = 0;
  /** Where a write's journal entries are encoded. */
  private spoolBuf = Buffer.allocUnsafe(SPOOL_BUFFER_BYTES);
  /** The spool file's size: beyond `written` it holds zeros only. */
  private spoolSize = 0;
  /** Spool bytes written by an earlier process (may already be stored: replay checks event ids). */
  private replayUntil = 0;
  private spilled = false;
  private storeDown = false;
  private draining: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = 0;
  private closed = false;
  /** Set when an event was refused; cleared once the store takes events again. */
  private refusing = false;
  private committedCount = 0;
  private droppedCount = 0;
  private lastSeq = 0;
  private lastCheckpointSeq = 0;
  private lastCheckpointAt: number;
  private readonly waiters: (() => void)[] = [];

  private constructor(private readonly options: AuditLogOptions) {
    this.store = options.store;
    this.mode = options.payloads ?? 'none';
    if (this.mode === 'encrypted' && !options.keyring) throw new Error('audit payloads: encrypted needs a keyring (audit.encryption)');
    this.dataKeys = options.keyring ? new DataKeyCache(options.keyring, options.dataKeyMaxAgeMs) : undefined;
    const gatewayRedactor = options.redactor;
    this.redactor = gatewayRedactor ? (t) => defaultRedactor(gatewayRedactor(t)) : defaultRedactor;
    this.batchSize = options.batchSize ?? 1000;
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
    this.maxQueue = options.maxQueue ?? 50_000;
    this.maxSpoolBytes = options.spool?.maxBytes ?? 256 * 1024 * 1024;
    this.onFull = options.onFull ?? 'fail-closed';
    this.now = options.now ?? Date.now;
    this.hooks = options.hooks ?? {};
    this.checkpointEvery = options.checkpointEvery ?? 10_000;
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? 60_000;
    this.lastCheckpointAt = this.now();
  }

  /** Opens the log: replays a spool left by an earlier process (in order, without duplicates) before new events. */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const log = new AuditLog(options);
    await log.init();
    return log;
  }

  private async init(): Promise<void> {
    if (this.options.spool) {
      const path = this.options.spool.path;
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const existed = existsSync(path);
      this.spoolFd = openSync(path, existed ? 'r+' : 'w+', 0o600);
      let size = fstatSync(this.spoolFd).size;
      if (size > 0) {
        // A spool reused in place ends at its first zero byte: what follows is zero fill or, after a
        // crash while it was being zeroed, entries that were all stored already.
        const end = spoolEnd(this.spoolFd, size);
        if (end < size) ftruncateSync(this.spoolFd, (size = end));
      }
      if (size > 0) {
        const last = Buffer.alloc(1);
        readSync(this.spoolFd, last, 0, 1, size - 1);
        // End a torn last line so the next entry does not glue onto it.
        if (last[0] !== 0x0a) size += writeSync(this.spoolFd, '\n', size);
      }
      this.written = size;
      this.spoolSize = size;
      this.replayUntil = size;
      if (size > 0) this.spilled = true;
    }
    try {
      const head = await this.store.head();
      this.lastSeq = head?.seq ?? 0;
      const cps = await this.store.checkpoints();
      this.lastCheckpointSeq = cps.length ? cps[cps.length - 1]!.seq : 0;
    } catch (error) {
      this.setStoreDown(true, error);
    }
    if (this.options.signer) {
      this.checkpointTimer = setInterval(() => void this.checkpointIfDue(true), Math.max(1000, this.checkpointIntervalMs));
      this.checkpointTimer.unref();
    }
    if (this.spilled) await this.flush().catch(() => undefined);
  }

  /** Records an event. Synchronous; throws AuditUnavailableError only when full and failing closed. */
  record(event: AuditEvent): void {
    if (this.closed) throw new AuditUnavailableError('the audit log is closed');
    this.enqueue([event]);
  }

  /**
   * Records several events with one journal write (one system call instead of one per event): for the
   * events of one request step, e.g. a decision with its findings. All are accepted or none.
   */
  recordMany(events: readonly AuditEvent[]): void {
    if (this.closed) throw new AuditUnavailableError('the audit log is closed');
    if (events.length === 0) return;
    this.enqueue(events);
  }

  /** Data keys created by `prepare` for the event it just prepared (encrypted payloads only). */
  private readonly created: WrappedDataKey[] = [];

  private prepare(event: AuditEvent): RecordDraft {
    const ts = event.time ?? this.now();
    const id = timeOrderedId(ts);
    // Metadata: every field but the common ones, in the event's own order.
    const { type: _type, time: _time, requestId: _requestId, principal: _principal, tenant: _tenant, subject: _subject, payload: _payload, ...rest } = event as AuditEvent & Record<string, unknown>;
    // Client-chosen strings (end-user id, model, tool names) are bounded: see MAX_META_CHARS.
    const bound = this.options.boundMetadata === true;
    const data = bound ? boundMetaValue(rest) : rest;
    const principal = bound ? boundMetaValue(event.principal) : event.principal;
    const tenant = bound ? boundMetaValue(event.tenant) : event.tenant;
    const subject = event.subject !== undefined ? (bound ? boundMetaValue(event.subject) : event.subject) : (principal ?? 'unknown');
    let payload: Buffer | null = null;
    let payloadMeta: RecordBody['payload'];
    if (event.payload !== undefined && this.mode !== 'none') {
      if (this.mode === 'encrypted') {
        const dk = this.dataKeys!.forSubject(subject, this.now());
        if (dk.created) this.created.push(dk.created);
        payload = encryptPayload(dk, id, event.payload);
        payloadMeta = { mode: 'encrypted', kid: dk.id };
      } else {
        payload = Buffer.from(this.redactor(event.payload), 'utf8');
        payloadMeta = { mode: 'redacted' };
      }
    }
    // Built field by field (the same keys in the same order as a literal with conditional spreads, without their objects).
    const body: { -readonly [K in keyof RecordBody]?: RecordBody[K] } = { v: 1, id, ts, type: event.type };
    if (principal !== undefined) body.principal = principal;
    if (tenant !== undefined) body.tenant = tenant;
    if (event.subject !== undefined || payloadMeta?.mode === 'encrypted') body.subject = subject;
    if (event.requestId !== undefined) body.requestId = event.requestId;
    body.data = data;
    if (payloadMeta) body.payload = payloadMeta;
    return { body: JSON.stringify(body), payload };
  }

  /** Prepares, journals (one write) then queues events; all are accepted or none. */
  private enqueue(events: readonly AuditEvent[]): void {
    const n = events.length;
    const drafts: RecordDraft[] = new Array(n);
    // keys[i]: the data keys draft i needs stored first (almost always none).
    let keys: (readonly WrappedDataKey[])[] | undefined;
    const spooled = this.spoolFd !== undefined;
    // The journal entries are encoded straight into a reused buffer: no string to join, flatten and encode again.
    let size = 0;
    for (let i = 0; i < n; i++) {
      const draft = this.prepare(events[i]!);
      drafts[i] = draft;
      if (this.created.length) {
        const made = this.created.splice(0);
        (keys ??= new Array<readonly WrappedDataKey[]>(n).fill(NO_KEYS))[i] = made;
        if (spooled) for (const k of made) size = this.spoolText(size, spoolKeyLine(k));
      }
      if (spooled) size = this.spoolRecord(size, draft);
    }
    let end = 0;
    if (spooled) {
      if (this.written + size > this.maxSpoolBytes) return this.full('the audit spool is full', keys, n);
      // Zero-fill ahead (one write per SPOOL_CHUNK), so that entries are written inside the file.
      if (this.written + size > this.spoolSize && this.written + size <= SPOOL_REUSE_BYTES) {
        const to = Math.min(SPOOL_REUSE_BYTES, this.written + size + SPOOL_CHUNK);
        if (zeroFill(this.spoolFd!, this.spoolSize, to)) this.spoolSize = to;
      }
      let wrote = 0;
      let failure = 'short write';
      try {
        wrote = writeSync(this.spoolFd!, this.spoolBuf, 0, size, this.written);
      } catch (error) {
        failure = (error as NodeJS.ErrnoException).code ?? 'write error';
      }
      // A full disk (ENOSPC) or an I/O error, or a short write: none of it counts (the next write goes to
      // the same offset, over any torn bytes), and the events are refused as when the spool is full.
      if (this.spoolBuf.length > SPOOL_BUFFER_MAX) this.spoolBuf = Buffer.allocUnsafe(SPOOL_BUFFER_BYTES);
      if (wrote !== size) return this.full(`the audit spool cannot be written (${failure})`, keys, n);
      this.written += wrote;
      if (this.written > this.spoolSize) this.spoolSize = this.written;
      // Entries of one write share its end offset: the spool is only truncated once all are stored.
      end = this.written;
      if (this.spilled || this.queue.length + n > this.maxQueue) {
        this.spilled = true;
        this.schedule();
        return;
      }
      this.memEnd = end;
    } else if (this.queue.length + n > this.maxQueue) {
      return this.full('the audit queue is full', keys, n);
    }
    for (let i = 0; i < n; i++) this.queue.push({ draft: drafts[i]!, keys: keys?.[i] ?? NO_KEYS, end });
    this.schedule();
  }

  /** Room for `more` bytes after the first `used` of the journal buffer (grown, keeping them, if needed). */
  private spoolRoom(used: number, more: number): Buffer {
    if (used + more <= this.spoolBuf.length) return this.spoolBuf;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.spoolBuf.length, used + more));
    this.spoolBuf.copy(grown, 0, 0, used);
    return (this.spoolBuf = grown);
  }

  /** Appends `r<TAB>body<TAB>payload base64<TAB>$<LF>` at `at`; returns the new end. */
  private spoolRecord(at: number, draft: RecordDraft): number {
    const payload = draft.payload ? draft.payload.toString('base64') : '';
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const buf = this.spoolRoom(at, draft.body.length * 3 + payload.length + 6);
    buf[at++] = 0x72; // r
    buf[at++] = 0x09;
    at += buf.write(draft.body, at, 'utf8');
    buf[at++] = 0x09;
    if (payload) at += buf.write(payload, at, 'latin1');
    buf[at++] = 0x09;
    buf[at++] = 0x24; // $
    buf[at++] = 0x0a;
    return at;
  }

  private spoolText(at: number, text: string): number {
    const buf = this.spoolRoom(at, text.length * 3);
    return at + buf.write(text, at, 'utf8');
  }

  private full(reason: string, newKeys: readonly (readonly WrappedDataKey[])[] | undefined, events: number): void {
    // A data key created for these events was never stored: forget it, or later payloads would use it.
    for (const ks of newKeys ?? []) for (const k of ks) this.dataKeys?.forget(k.subject);
    if (this.onFull === 'drop') {
      this.droppedCount += events;
      this.hooks.dropped?.(events);
      return;
    }
    this.refusing = true;
    throw new AuditUnavailableError(`${reason}; refusing the event (audit.onFull: fail-closed)`);
  }

  private schedule(delay = this.queue.length >= this.batchSize ? 0 : this.flushIntervalMs): void {
    if (this.timer || this.draining || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, delay);
    this.timer.unref();
  }

  /** True while events can be accepted (for readiness checks). */
  get accepting(): boolean {
    if (this.closed) return false;
    if (this.onFull === 'drop') return true;
    if (this.refusing) return false;
    return this.spoolFd !== undefined ? this.written < this.maxSpoolBytes : this.queue.length < this.maxQueue;
  }

  stats(): AuditLogStats {
    return {
      queued: this.queue.length + (this.spilled ? 1 : 0),
      spoolBytes: this.written - this.committedOffset,
      storeDown: this.storeDown,
      committed: this.committedCount,
      dropped: this.droppedCount,
      lastSeq: this.lastSeq,
    };
  }

  private drain(): Promise<void> {
    if (!this.draining) {
      this.draining = this.drainLoop().finally(() => {
        this.draining = undefined;
        if (this.pendingCount() > 0 && !this.storeDown) this.schedule();
      });
    }
    return this.draining;
  }

  private pendingCount(): number {
    return this.queue.length + (this.spilled ? 1 : 0);
  }

  private async drainLoop(): Promise<void> {
    while (this.pendingCount() > 0) {
      try {
        if (this.queue.length === 0 && this.spilled) await this.loadFromSpool();
        if (this.queue.length === 0) continue;
        const n = Math.min(this.queue.length, this.batchSize);
        const drafts: RecordDraft[] = new Array(n);
        const keys: WrappedDataKey[] = [];
        for (let i = 0; i < n; i++) {
          const p = this.queue[i]!;
          drafts[i] = p.draft;
          if (p.keys.length) for (const k of p.keys) keys.push(k);
        }
        const batchEnd = this.queue[n - 1]!.end;
        const records = await this.store.append(drafts, keys);
        this.queue.splice(0, n);
        if (this.spoolFd !== undefined) this.committedOffset = this.queue.length === 0 ? this.memEnd : batchEnd;
        this.committedCount += records.length;
        if (records.length) this.lastSeq = records[records.length - 1]!.seq;
        this.retryDelayMs = 0;
        this.refusing = false;
        if (this.storeDown) this.setStoreDown(false);
        try {
          this.hooks.committed?.(records);
        } catch {
          // A failing observer must not stall the log.
        }
        await this.checkpointIfDue(false);
        // An embedded store appends synchronously: give requests the event loop between batches
        // instead of holding it for a whole backlog.
        if (this.pendingCount() > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      } catch (error) {
        this.setStoreDown(true, error);
        this.retryDelayMs = Math.min(5000, Math.max(100, this.retryDelayMs * 2));
        const wait = this.retryDelayMs;
        if (this.closed) throw error;
        this.timer = setTimeout(() => {
          this.timer = undefined;
          void this.drain();
        }, wait);
        this.timer.unref();
        return;
      }
    }
    this.truncateSpoolIfDrained();
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  /** Empties the spool once everything in it is stored: zeroed for reuse in place, or truncated when large. */
  private truncateSpoolIfDrained(): void {
    if (this.spoolFd === undefined || this.pendingCount() > 0 || this.written === 0) return;
    if (this.committedOffset !== this.written) return;
    if (this.written > SPOOL_REUSE_BYTES || !zeroFill(this.spoolFd, 0, this.written)) {
      ftruncateSync(this.spoolFd, 0);
      this.spoolSize = 0;
    }
    this.written = this.committedOffset = this.memEnd = this.replayUntil = 0;
  }

  /** Loads the next entries from the spool file into memory (skipping events a crashed run already stored). */
  private async loadFromSpool(): Promise<void> {
    const fd = this.spoolFd!;
    const start = this.memEnd === this.committedOffset ? this.committedOffset : this.memEnd;
    const want = Math.min(this.written - start, 64 * 1024 * 1024);
    const buf = Buffer.alloc(want);
    const got = want > 0 ? readSync(fd, buf, 0, want, start) : 0;
    const text = buf.subarray(0, got).toString('utf8');
    let offset = start;
    let pos = 0;
    let keys: WrappedDataKey[] = [];
    let recordEnd = start;
    const loaded: Pending[] = [];
    while (loaded.length < this.maxQueue) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break;
      const lineText = text.slice(pos, nl);
      offset += Buffer.byteLength(lineText, 'utf8') + 1;
      pos = nl + 1;
      if (lineText.startsWith('k\t')) {
        let k: SpoolKey;
        try {
          k = JSON.parse(lineText.slice(2)) as SpoolKey;
        } catch {
          // A torn line from a killed process: nothing after it in that run was acknowledged.
          continue;
        }
        keys.push({ id: k.id, subject: k.subject, kekId: k.kekId, wrapped: Buffer.from(k.wrapped, 'base64'), createdAt: k.createdAt });
      } else if (lineText.startsWith('r\t') && lineText.endsWith('\t$')) {
        // Without the closing `\t$` the line is torn (a killed process or a full disk): skipped.
        const tab = lineText.indexOf('\t', 2);
        if (tab < 0 || tab > lineText.length - 2) continue;
        const body = lineText.slice(2, tab);
        const p = lineText.slice(tab + 1, lineText.length - 2);
        loaded.push({ draft: { body, payload: p ? Buffer.from(p, 'base64') : null }, keys, end: offset });
        keys = [];
        recordEnd = offset;
      }
    }
    offset = recordEnd;
    // What is left after the last newline at the end of the file is a torn line from a killed
    // process (this process writes whole lines): nothing in it was acknowledged.
    if (loaded.length < this.maxQueue && start + got === this.written) offset = this.written;
    let fresh = loaded;
    if (start < this.replayUntil && loaded.length) {
      const events = loaded.map((p) => {
        const body = JSON.parse(p.draft.body) as RecordBody;
        return { id: body.id, ts: body.ts };
      });
      const ids = events.map((e) => e.id);
      const existing = await this.store.existingEventIds(events);
      if (existing.size) {
        // Keep the keys of skipped entries: later records may use them.
        const carried: WrappedDataKey[] = [];
        fresh = [];
        loaded.forEach((p, i) => {
          if (existing.has(ids[i]!)) carried.push(...p.keys);
          else {
            fresh.push({ ...p, keys: [...carried.splice(0), ...p.keys] });
          }
        });
        if (carried.length && fresh.length === 0) await this.store.append([], carried);
      }
    }
    this.memEnd = loaded.length ? loaded[loaded.length - 1]!.end : offset;
    if (fresh.length === 0) this.committedOffset = this.memEnd;
    this.queue.push(...fresh);
    if (this.memEnd >= this.written) this.spilled = false;
  }

  private setStoreDown(down: boolean, error?: unknown): void {
    if (down) this.hooks.error?.(`audit store: ${error instanceof Error ? error.message : String(error)}`);
    if (down === this.storeDown) return;
    this.storeDown = down;
    this.hooks.spooling?.(down, this.written - this.committedOffset);
  }

  private async checkpointIfDue(timerTick: boolean): Promise<void> {
    const signer = this.options.signer;
    if (!signer || this.lastSeq <= this.lastCheckpointSeq) return;
    const now = this.now();
    const due = this.lastSeq - this.lastCheckpointSeq >= this.checkpointEvery || now - this.lastCheckpointAt >= this.checkpointIntervalMs;
    if (!due) return;
    if (timerTick && this.draining) return;
    await this.writeCheckpoint('interval');
  }

  private async writeCheckpoint(kind: 'interval' | 'close'): Promise<void> {
    const signer = this.options.signer!;
    try {
      const head = await this.store.head();
      if (!head || head.seq <= this.lastCheckpointSeq) return;
      await this.store.addCheckpoint(signer.sign(head.seq, head.hash, kind, this.now()));
      this.lastCheckpointSeq = head.seq;
      this.lastCheckpointAt = this.now();
    } catch (error) {
      this.hooks.error?.(`audit checkpoint: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Resolves when everything recorded so far is in the store (rejects if the store stays down past `timeoutMs`). */
  async flush(timeoutMs = 30_000): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const deadline = Date.now() + timeoutMs;
    while (this.pendingCount() > 0 || this.draining) {
      await this.drain();
      if (this.pendingCount() === 0) break;
      if (Date.now() > deadline) throw new AuditUnavailableError('audit flush timed out: the store is unavailable and events are spooled');
      if (this.storeDown) {
        if (this.timer) {
          clearTimeout(this.timer);
          this.timer = undefined;
        }
        await new Promise((r) => setTimeout(r, Math.max(50, this.retryDelayMs)));
      }
    }
    this.truncateSpoolIfDrained();
  }

  /**
   * Flushes, writes a final checkpoint, and releases the spool (the store is the caller's to close).
   * With a spool, a store that stays down delays shutdown only briefly: the events wait in the spool
   * for the next start, and `close` rejects to say so.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush(this.spoolFd !== undefined ? 3000 : 30_000);
      if (this.options.signer) await this.writeCheckpoint('close');
    } finally {
      this.closed = true;
      if (this.timer) clearTimeout(this.timer);
      if (this.checkpointTimer) clearInterval(this.checkpointTimer);
      if (this.spoolFd !== undefined) {
        // Left as a plain journal: its entries (none once drained), without the zero fill.
        if (this.spoolSize > this.written) {
          try {
            ftruncateSync(this.spoolFd, this.written);
          } catch {
            // the zero fill stays; the next start ends the journal at it
          }
        }
        closeSync(this.spoolFd);
      }
      this.spoolFd = undefined;
    }
  }

  /** Forgets a subject's cached data key (call after erasing it) so new payloads get a fresh one. */
  forgetSubject(subject: string): void {
    this.dataKeys?.forget(subject);
  }
}
