import { GENESIS_HASH, recordHash, recordHashWithDigest, sha256Base64 } from './record.js';
import type { Checkpoint, CheckpointVerifier } from './signing.js';
import type { AuditStore, RecordPageText, RecordRow } from './store.js';

export type BreakKind = 'edited' | 'deleted' | 'reordered' | 'truncated' | 'checkpoint';

/** The first place where the log is not what was written. */
export interface VerifyBreak {
  /** The first broken record's sequence number. */
  readonly seq: number;
  readonly kind: BreakKind;
  readonly message: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  /** Records checked. */
  readonly records: number;
  readonly firstSeq: number | undefined;
  readonly lastSeq: number | undefined;
  /** Signed checkpoints whose signature verified. */
  readonly checkpoints: number;
  /** Whether checkpoint signatures were checked (a public key was given). */
  readonly signaturesChecked: boolean;
  /** The sequence number the log starts after (a retention purge's signed anchor), 0 if never purged. */
  readonly anchoredAt: number;
  /** Records proven by the page fast path (the rest went record by record). */
  readonly fastPathRecords: number;
  /** Records after the last signed checkpoint: their truncation could not be detected. */
  readonly unsignedTail: number;
  readonly problem?: VerifyBreak;
  readonly elapsedMs: number;
  /** CPU time this process spent (user + system): records/cpuMs is the one-core rate on a busy machine. */
  readonly cpuMs: number;
}

export interface VerifyOptions {
  /** Public keys for the checkpoints; without them signatures are not checked (and `ok` says so). */
  readonly verifier?: CheckpointVerifier;
  readonly pageSize?: number;
  /** Called after each page: records checked so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Check only records up to this sequence number (a purge checks what it is about to cut). */
  readonly throughSeq?: number;
}

/** Finds the row whose hash is `hash` (failure path only: one more pass over the log). */
async function findByHash(store: AuditStore, hash: string, pageSize: number): Promise<number | undefined> {
  let after = 0;
  for (;;) {
    const rows = await store.page(after, pageSize);
    if (rows.length === 0) return undefined;
    for (const r of rows) if (r[1] === hash) return r[0];
    after = rows[rows.length - 1]![0];
  }
}

/** Says what is wrong with `row`, which does not follow `prev` at position `expected`. */
async function classify(store: AuditStore, row: RecordRow, expected: number, prev: string, pageSize: number): Promise<VerifyBreak> {
  const [seq, hash, body, payload] = row;
  if (seq > expected) {
    const missing = seq - expected === 1 ? `record ${expected} is missing` : `records ${expected}..${seq - 1} are missing`;
    return { seq: expected, kind: 'deleted', message: `${missing} (the log jumps to ${seq})` };
  }
  if (seq < expected) return { seq, kind: 'reordered', message: `record ${seq} appears again after ${expected - 1}` };
  const stored = await store.record(seq);
  const storedPrev = stored?.prev ?? '';
  if (storedPrev === prev) {
    const digest = stored?.payloadSha;
    if (digest && recordHashWithDigest(prev, seq, body, digest) === hash) {
      return { seq, kind: 'edited', message: `the payload of record ${seq} was modified or removed (its metadata is intact)` };
    }
    return { seq, kind: 'edited', message: `record ${seq} was modified (its content does not match its hash)` };
  }
  if (recordHash(storedPrev, seq, body, payload) === hash) {
    // Intact itself, but its predecessor no longer hashes to what it links to: the predecessor was
    // rewritten (and re-hashed to hide it).
    return seq === expected && expected > 1
      ? { seq: seq - 1, kind: 'edited', message: `record ${seq - 1} was modified and re-hashed (record ${seq} no longer links to it)` }
      : { seq, kind: 'deleted', message: `record ${seq} does not follow the start of the log: records before it were removed` };
  }
  const origin = await findByHash(store, storedPrev, pageSize);
  if (origin !== undefined && origin !== seq - 1) {
    return { seq, kind: 'reordered', message: `record ${seq} holds the record that followed ${origin}: records were moved` };
  }
  if (origin === undefined) return { seq, kind: 'deleted', message: `the record that ${seq} follows is missing: records were removed before ${seq}` };
  return { seq, kind: 'edited', message: `record ${seq} was modified` };
}

interface ChainState {
  /** Sequence number the next record must have. */
  expected: number;
  /** Hash the next record must link to. */
  prev: string;
  checked: number;
  lastSeq: number | undefined;
  /** Last signed checkpoint passed (for the message when a rewritten stretch is found). */
  previousCheckpoint: number;
}

/** Fast path over one page: the state after it when every record in it verifies, else undefined. */
function checkText(page: RecordPageText, st: ChainState, signed: ReadonlyMap<number, string>): ChainState | undefined {
  if (page.firstSeq !== st.expected || page.lastSeq - page.firstSeq + 1 !== page.count) return undefined;
  const buf = page.bytes;
  let pos = 0;
  let prev = st.prev;
  let seq = page.firstSeq;
  let previousCheckpoint = st.previousCheckpoint;
  const inline = page.inlinePayloads === true;
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  for (let i = 0; i < page.count; i++, seq++) {
    let end = buf.indexOf(inline ? 0x1d : 0x1e, pos);
    if (end < 0) end = buf.length;
    // hash(44) \x1f prev(44) \n seq \n body …
    if (end - pos < 92 || buf[pos + 44] !== 0x1f || buf[pos + 89] !== 0x0a || !holdsAscii(buf, pos + 45, prev)) return undefined;
    let n = 0;
    let j = pos + 90;
    for (let c = buf[j]!; c !== 0x0a; c = buf[++j]!) {
      if (c < 0x30 || c > 0x39 || j >= end) return undefined;
      n = n * 10 + (c - 0x30);
    }
    if (n !== seq) return undefined;
    // A view rather than buf.subarray (no Buffer construction), and the digest compared with the
    // stored hash's bytes in place: the SHA-256 call is then most of the per-record cost.
    const digest = sha256Base64(bytes.subarray(pos + 45, end));
    if (!holdsAscii(buf, pos, digest)) return undefined;
    prev = digest;
    if (signed.size !== 0) {
      const cp = signed.get(seq);
      if (cp !== undefined) {
        if (cp !== prev) return undefined;
        previousCheckpoint = seq;
      }
    }
    pos = inline ? skipInlinePayload(buf, end) : end + 1;
    if (pos < 0) return undefined;
  }
  if (pos !== buf.length + 1) return undefined;
  return { expected: seq, prev, checked: st.checked + page.count, lastSeq: page.lastSeq, previousCheckpoint };
}

/** Whether `buf` holds the ASCII text `text` at `at` (no string built from the buffer). */
function holdsAscii(buf: Buffer, at: number, text: string): boolean {
  for (let k = 0; k < text.length; k++) if (buf[at + k] !== text.charCodeAt(k)) return false;
  return true;
}

/**
 * Checks the inline payload after a hash input that ends at `at` (see RecordPageText.inlinePayloads)
 * against the digest the hash input ends with; returns where the next record starts, -1 when the
 * payload is missing, unchained or does not match (the row path then names what is wrong).
 */
function skipInlinePayload(buf: Buffer, at: number): number {
  const flag = buf[at + 1];
  let j = at + 2;
  let length = 0;
  if (buf[j] === 0x2d) {
    // -1: no payload; a chained digest without one means the payload was removed.
    if (flag !== 0x6e || buf[j + 1] !== 0x31 || buf[j + 2] !== 0x1d) return -1;
    j += 3;
  } else {
    for (let c = buf[j]; c !== 0x1d; c = buf[++j]) {
      if (c === undefined || c < 0x30 || c > 0x39) return -1;
      length = length * 10 + (c - 0x30);
    }
    j++;
    if (flag !== 0x73 || j + length > buf.length || at < 44) return -1;
    if (!holdsAscii(buf, at - 44, sha256Base64(new Uint8Array(buf.buffer, buf.byteOffset + j, length)))) return -1;
    j += length;
  }
  if (j !== buf.length && buf[j] !== 0x1e) return -1;
  return j + 1;
}

/** The payload bytes of a page match the digests its chain covers (a removed payload does not). */
function payloadsMatch(page: RecordPageText): boolean {
  if (!page.payloads) return true;
  for (const [, payload, sha] of page.payloads) {
    if (payload === null || sha === null || sha256Base64(payload) !== sha) return false;
  }
  return true;
}

/** Row path: checks rows one by one; returns the first break, `done` past `through`, else `continue`. */
async function checkRows(store: AuditStore, rows: readonly RecordRow[], st: ChainState, signed: ReadonlyMap<number, string>, through: number, pageSize: number): Promise<VerifyBreak | 'done' | 'continue'> {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const seq = row[0];
    if (seq > through) return 'done';
    if (seq !== st.expected || recordHash(st.prev, seq, row[2], row[3]) !== row[1]) return classify(store, row, st.expected, st.prev, pageSize);
    st.prev = row[1];
    if (signed.size !== 0) {
      const cp = signed.get(seq);
      if (cp !== undefined) {
        if (cp !== st.prev) {
          return { seq, kind: 'edited', message: `records ${st.previousCheckpoint + 1}..${seq} were rewritten: the signed checkpoint at ${seq} does not match the chain` };
        }
        st.previousCheckpoint = seq;
      }
    }
    st.expected++;
    st.checked++;
    st.lastSeq = seq;
  }
  return 'continue';
}

/**
 * Checks the whole chain: sequence numbers without gaps, each record linked to and hashed after its
 * predecessor, every checkpoint's signature and hash, and that the log reaches the last checkpoint.
 * Reports the first broken record.
 */
export async function verifyAuditLog(store: AuditStore, options: VerifyOptions = {}): Promise<VerifyResult> {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const pageSize = options.pageSize ?? store.verifyPageSize ?? 20_000;
  const verifier = options.verifier;
  const all = await store.checkpoints();
  const problems: VerifyBreak[] = [];
  const valid: Checkpoint[] = [];
  for (const cp of all) {
    const why = verifier ? verifier.check(cp) : undefined;
    if (why) problems.push({ seq: cp.seq, kind: 'checkpoint', message: `checkpoint at ${cp.seq}: ${why}` });
    else valid.push(cp);
  }
  let anchor: Checkpoint | undefined;
  for (const cp of valid) if (cp.kind === 'anchor' && (!anchor || cp.seq > anchor.seq)) anchor = cp;
  const bySeq = new Map<number, string>();
  let lastCheckpoint = anchor?.seq ?? 0;
  for (const cp of valid) {
    if (cp.kind === 'anchor') continue;
    bySeq.set(cp.seq, cp.hash);
    if (cp.seq > lastCheckpoint) lastCheckpoint = cp.seq;
  }

  const extent = await store.extent();
  const through = options.throughSeq ?? Number.MAX_SAFE_INTEGER;
  const total = Math.min(extent.count, Math.max(0, through - (anchor?.seq ?? 0)));
  const st: ChainState = { expected: (anchor?.seq ?? 0) + 1, prev: anchor?.hash ?? GENESIS_HASH, checked: 0, lastSeq: undefined, previousCheckpoint: anchor?.seq ?? 0 };
  let chainBreak: VerifyBreak | undefined;
  let after = 0;
  let fastPathRecords = 0;
  // The next page is asked for before this one is checked, so that a database server (PostgreSQL)
  // builds it while this process hashes; an unused prefetch is only waited for and dropped.
  let prefetched: Promise<RecordPageText | undefined> | undefined;
  for (;;) {
    if (store.pageText) {
      const text = await (prefetched ?? store.pageText(after, pageSize));
      prefetched = undefined;
      if (!text) break;
      if (text.lastSeq < through) prefetched = store.pageText(text.lastSeq, pageSize);
      const next = text.lastSeq <= through ? checkText(text, st, bySeq) : undefined;
      if (next && payloadsMatch(text)) {
        Object.assign(st, next);
        fastPathRecords += text.count;
        after = text.lastSeq;
        options.onProgress?.(st.checked, total);
        continue;
      }
      await prefetched?.catch(() => undefined);
      prefetched = undefined;
    }
    // The row path: stores without the fast path, pages past `throughSeq`, and any page the fast
    // path did not accept (it only proves intact pages; this names what is broken).
    const rows = await store.page(after, pageSize);
    if (rows.length === 0) break;
    const result = await checkRows(store, rows, st, bySeq, through, pageSize);
    if (result === 'done') break;
    if (result !== 'continue') {
      chainBreak = result;
      break;
    }
    after = rows[rows.length - 1]![0];
    options.onProgress?.(st.checked, total);
  }
  const lastSeq = st.lastSeq;
  if (chainBreak) problems.push(chainBreak);
  else if (through === Number.MAX_SAFE_INTEGER && lastCheckpoint > (lastSeq ?? anchor?.seq ?? 0)) {
    const end = lastSeq ?? anchor?.seq ?? 0;
    problems.push({ seq: end + 1, kind: 'truncated', message: `the log ends at ${end} but a signed checkpoint covers ${lastCheckpoint}: records ${end + 1}..${lastCheckpoint} were removed` });
  }
  problems.sort((a, b) => a.seq - b.seq);
  const problem = problems[0];
  return {
    ok: problem === undefined,
    records: st.checked,
    firstSeq: extent.first,
    lastSeq: lastSeq ?? extent.last,
    checkpoints: valid.length,
    signaturesChecked: verifier !== undefined,
    anchoredAt: anchor?.seq ?? 0,
    fastPathRecords,
    unsignedTail: Math.max(0, (lastSeq ?? 0) - lastCheckpoint),
    ...(problem ? { problem } : {}),
    elapsedMs: performance.now() - started,
    cpuMs: ((cpu) => (cpu.user + cpu.system) / 1000)(process.cpuUsage(cpuStart)),
  };
}
