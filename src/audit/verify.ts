import { GENESIS_HASH, recordHash } from './record.js';
import type { Checkpoint, CheckpointVerifier } from './signing.js';
import type { AuditStore, RecordRow } from './store.js';

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
  const storedPrev = (await store.record(seq))?.prev ?? '';
  if (storedPrev === prev) return { seq, kind: 'edited', message: `record ${seq} was modified (its content does not match its hash)` };
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

/**
 * Checks the whole chain: sequence numbers without gaps, each record linked to and hashed after its
 * predecessor, every checkpoint's signature and hash, and that the log reaches the last checkpoint.
 * Reports the first broken record.
 */
export async function verifyAuditLog(store: AuditStore, options: VerifyOptions = {}): Promise<VerifyResult> {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const pageSize = options.pageSize ?? 20_000;
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
  let expected = (anchor?.seq ?? 0) + 1;
  let prev = anchor?.hash ?? GENESIS_HASH;
  let checked = 0;
  let lastSeq: number | undefined;
  let previousCheckpoint = anchor?.seq ?? 0;
  let chainBreak: VerifyBreak | undefined;
  let after = 0;
  outer: for (;;) {
    const rows = await store.page(after, pageSize);
    if (rows.length === 0) break;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const seq = row[0];
      if (seq > through) break outer;
      if (seq !== expected || recordHash(prev, seq, row[2], row[3]) !== row[1]) {
        chainBreak = await classify(store, row, expected, prev, pageSize);
        break outer;
      }
      prev = row[1];
      if (bySeq.size !== 0) {
        const signed = bySeq.get(seq);
        if (signed !== undefined) {
          if (signed !== prev) {
            chainBreak = { seq, kind: 'edited', message: `records ${previousCheckpoint + 1}..${seq} were rewritten: the signed checkpoint at ${seq} does not match the chain` };
            break outer;
          }
          previousCheckpoint = seq;
        }
      }
      expected++;
      checked++;
      lastSeq = seq;
    }
    after = rows[rows.length - 1]![0];
    options.onProgress?.(checked, total);
  }
  if (chainBreak) problems.push(chainBreak);
  else if (through === Number.MAX_SAFE_INTEGER && lastCheckpoint > (lastSeq ?? anchor?.seq ?? 0)) {
    const end = lastSeq ?? anchor?.seq ?? 0;
    problems.push({ seq: end + 1, kind: 'truncated', message: `the log ends at ${end} but a signed checkpoint covers ${lastCheckpoint}: records ${end + 1}..${lastCheckpoint} were removed` });
  }
  problems.sort((a, b) => a.seq - b.seq);
  const problem = problems[0];
  return {
    ok: problem === undefined,
    records: checked,
    firstSeq: extent.first,
    lastSeq: lastSeq ?? extent.last,
    checkpoints: valid.length,
    signaturesChecked: verifier !== undefined,
    anchoredAt: anchor?.seq ?? 0,
    unsignedTail: Math.max(0, (lastSeq ?? 0) - lastCheckpoint),
    ...(problem ? { problem } : {}),
    elapsedMs: performance.now() - started,
    cpuMs: ((cpu) => (cpu.user + cpu.system) / 1000)(process.cpuUsage(cpuStart)),
  };
}
