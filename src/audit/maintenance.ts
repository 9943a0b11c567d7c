import { decryptPayload, type Keyring, type WrappedDataKey } from './encryption.js';
import { boundMetaText, parseBody, type RecordBody, type StoredRecord } from './record.js';
import type { CheckpointSigner, CheckpointVerifier } from './signing.js';
import type { AuditQuery, AuditStore } from './store.js';
import { verifyAuditLog, type VerifyBreak } from './verify.js';

export interface PurgeResult {
  /** Records older than the cutoff (deleted unless dry run). */
  readonly records: number;
  /** The last record cut; the signed anchor checkpoint holds its hash. */
  readonly cutSeq: number | undefined;
  readonly dryRun: boolean;
  /** Set when the part to be cut does not verify: nothing is deleted then. */
  readonly refused?: VerifyBreak;
}

/**
 * Retention: deletes records older than `before` (ms). First it verifies what it is about to cut,
 * then signs an anchor checkpoint at the last cut record, then deletes, in one transaction: the rest
 * of the chain still verifies from the anchor.
 */
export async function purgeAuditLog(
  store: AuditStore,
  options: { before: number; signer: CheckpointSigner; verifier?: CheckpointVerifier; dryRun?: boolean; onProgress?: (done: number, total: number) => void },
): Promise<PurgeResult> {
  const dryRun = options.dryRun ?? false;
  const cut = await store.lastBefore(options.before);
  if (!cut) return { records: 0, cutSeq: undefined, dryRun };
  const extent = await store.extent();
  const records = cut.seq - (extent.first ?? cut.seq) + 1;
  const check = await verifyAuditLog(store, { throughSeq: cut.seq, ...(options.verifier ? { verifier: options.verifier } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  if (check.problem && check.problem.seq <= cut.seq) return { records, cutSeq: cut.seq, dryRun, refused: check.problem };
  if (dryRun) return { records, cutSeq: cut.seq, dryRun };
  const deleted = await store.purgeThrough(options.signer.sign(cut.seq, cut.hash, 'anchor'));
  return { records: deleted, cutSeq: cut.seq, dryRun };
}

export interface EraseResult {
  readonly subject: string;
  /** Data keys destroyed (or that would be). */
  readonly keys: number;
  /** Stored payloads made undecryptable. */
  readonly payloads: number;
  readonly dryRun: boolean;
}

/** Crypto-shredding: destroys every data key of a subject. Records and chain stay; the payloads become noise. */
export async function eraseSubject(store: AuditStore, fullSubject: string, options: { dryRun?: boolean; now?: number } = {}): Promise<EraseResult> {
  // The gateway's log stores an over-long subject bounded (record.ts, MAX_META_CHARS): both forms are erased.
  const bounded = boundMetaText(fullSubject);
  const dryRun = options.dryRun ?? false;
  let keys = 0;
  let payloads = 0;
  for (const subject of bounded === fullSubject ? [fullSubject] : [fullSubject, bounded]) {
    const live = (await store.subjectKeys(subject)).filter((k) => k.wrapped !== null);
    payloads += await store.countSubjectPayloads(subject);
    keys += dryRun ? live.length : await store.eraseSubject(subject, options.now ?? Date.now());
  }
  return { subject: fullSubject, keys, payloads, dryRun };
}

/** Re-wraps every data key under the keyring's active master key; no audit record changes. */
export async function rewrapDataKeys(store: AuditStore, keyring: Keyring): Promise<number> {
  const old = await store.keysNotWrappedBy(keyring.activeId);
  const rewrapped = old.map((k) => keyring.rewrap(k));
  await store.replaceWrappedKeys(rewrapped);
  return rewrapped.length;
}

/** One exported record: chain fields, the body's fields, and the payload as far as it can be read. */
export interface ExportedRecord extends Omit<RecordBody, 'payload'> {
  readonly seq: number;
  readonly hash: string;
  readonly prev: string;
  readonly payload?:
    | { readonly mode: 'redacted'; readonly text: string }
    | { readonly mode: 'encrypted'; readonly kid: string; readonly text?: string; readonly erased?: true; readonly error?: string };
}

export interface ExportOptions {
  readonly filter?: AuditQuery;
  /** Decrypts encrypted payloads (needs the keyring); otherwise they are exported as key ids only. */
  readonly keyring?: Keyring;
  readonly pageSize?: number;
}

/** Reads matching records in chain order, decrypting payloads when a keyring is given. */
export async function* exportRecords(store: AuditStore, options: ExportOptions = {}): AsyncGenerator<ExportedRecord> {
  const pageSize = options.pageSize ?? 5000;
  const keys = new Map<string, WrappedDataKey | null>();
  const dataKeys = new Map<string, Buffer>();
  let after = 0;
  for (;;) {
    const rows: StoredRecord[] = await store.query(options.filter ?? {}, after, pageSize);
    if (rows.length === 0) return;
    if (options.keyring) {
      const missing = new Set<string>();
      for (const r of rows) {
        const kid = parseBody(r.body).payload?.kid;
        if (kid && !keys.has(kid)) missing.add(kid);
      }
      if (missing.size) {
        for (const id of missing) keys.set(id, null);
        for (const k of await store.dataKeys([...missing])) keys.set(k.id, k);
      }
    }
    for (const r of rows) {
      const body = parseBody(r.body);
      const { payload: meta, ...rest } = body;
      let payload: ExportedRecord['payload'];
      if (meta && r.payload) {
        if (meta.mode === 'redacted') payload = { mode: 'redacted', text: r.payload.toString('utf8') };
        else {
          const kid = meta.kid ?? '';
          payload = { mode: 'encrypted', kid };
          if (options.keyring) {
            const stored = keys.get(kid);
            if (!stored || stored.wrapped === null) payload = { mode: 'encrypted', kid, erased: true };
            else {
              try {
                let dek = dataKeys.get(kid);
                if (!dek) {
                  dek = options.keyring.unwrap(stored);
                  dataKeys.set(kid, dek);
                }
                payload = { mode: 'encrypted', kid, text: decryptPayload(dek, body.id, r.payload) };
              } catch (error) {
                payload = { mode: 'encrypted', kid, error: error instanceof Error ? error.message : 'cannot decrypt' };
              }
            }
          }
        }
      }
      yield { seq: r.seq, hash: r.hash, prev: r.prev, ...rest, ...(payload ? { payload } : {}) };
    }
    after = rows[rows.length - 1]!.seq;
  }
}
