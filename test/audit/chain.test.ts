import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/log.js';
import { recordHash } from '../../src/audit/record.js';
import { CheckpointSigner, CheckpointVerifier, generateAuditSigningKey, parsePublicKey, parseSigningKey } from '../../src/audit/signing.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { STORES, type StoreUnderTest } from './helpers.js';

const keys = generateAuditSigningKey();
const signer = new CheckpointSigner(parseSigningKey(keys.privateKey));
const verifier = new CheckpointVerifier([parsePublicKey(keys.publicKey)]);

async function fill(sut: StoreUnderTest, n: number, checkpointEvery = 10): Promise<void> {
  const log = await AuditLog.open({ store: sut.store, signer, checkpointEvery, batchSize: 5 });
  for (let i = 1; i <= n; i++) {
    log.record({ type: 'request.received', requestId: `r${i}`, principal: `key_${i % 3}`, route: '/v1/chat/completions', model: 'gpt-4o', segments: [{ id: 's1', direction: 'input', role: 'user', kind: 'message', chars: i }] });
  }
  await log.close();
}

describe.each(STORES)('tamper evidence on %s', (_name, open) => {
  let sut: StoreUnderTest;
  beforeEach(async () => {
    sut = await open();
  });
  afterEach(async () => {
    await sut.dispose();
  });

  it('an untouched log verifies, with its checkpoints', async () => {
    await fill(sut, 45);
    const result = await verifyAuditLog(sut.store, { verifier, pageSize: 8 });
    expect(result.problem).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.records).toBe(45);
    expect(result.fastPathRecords).toBe(45);
    expect(result.lastSeq).toBe(45);
    expect(result.checkpoints).toBeGreaterThanOrEqual(4);
    expect(result.unsignedTail).toBe(0);
  });

  it('records holding non-ASCII text verify page by page on the fast path, and an edit on a later page is named', async () => {
    const log = await AuditLog.open({ store: sut.store, signer, checkpointEvery: 10, batchSize: 5 });
    for (let i = 1; i <= 45; i++) {
      log.record({ type: 'admin', action: 'key.create', actor: `Grüße-東京-🎉-${i}`, requestId: `r${i}`, detail: { note: 'ñ'.repeat(i) } });
    }
    await log.close();
    const intact = await verifyAuditLog(sut.store, { verifier, pageSize: 8 });
    expect(intact).toMatchObject({ ok: true, records: 45, fastPathRecords: 45 });
    await sut.sql(`UPDATE $T SET body = replace(body, '東京', '大阪') WHERE seq = 27`);
    const edited = await verifyAuditLog(sut.store, { verifier, pageSize: 8 });
    expect(edited.ok).toBe(false);
    expect(edited.problem).toMatchObject({ seq: 27, kind: 'edited' });
    expect(edited.records).toBe(26);
    expect(edited.fastPathRecords).toBe(24);
  });

  it('an edited record is named', async () => {
    await fill(sut, 30);
    await sut.sql(`UPDATE $T SET body = replace(body, '"key_1"', '"key_2"') WHERE seq = 13`);
    const result = await verifyAuditLog(sut.store, { verifier });
    expect(result.ok).toBe(false);
    expect(result.problem).toMatchObject({ seq: 13, kind: 'edited' });
  });

  it('an edited record whose hash was recomputed is named (its successor no longer links)', async () => {
    await fill(sut, 30);
    const { seq, prev, body } = (await sut.store.record(12))!;
    const forged = body.replace('"key_0"', '"key_1"').replace('"key_2"', '"key_0"');
    await sut.sql(`UPDATE $T SET body = $1, hash = $2 WHERE seq = $3`, [forged, recordHash(prev, seq, forged, null), seq]);
    const result = await verifyAuditLog(sut.store, { verifier });
    expect(result.problem).toMatchObject({ seq: 12, kind: 'edited' });
  });

  it('an edit that plants separator characters is still located exactly', async () => {
    await fill(sut, 30);
    const { hash } = (await sut.store.record(9))!;
    await sut.sql(`UPDATE $T SET hash = $1 WHERE seq = 9`, [`${hash}\u001e\u001f`]);
    const result = await verifyAuditLog(sut.store, { verifier, pageSize: 8 });
    expect(result.problem).toMatchObject({ seq: 9, kind: 'edited' });
  });

  it('a deleted record is named', async () => {
    await fill(sut, 30);
    await sut.sql(`DELETE FROM $T WHERE seq = 17`);
    const result = await verifyAuditLog(sut.store, { verifier });
    expect(result.problem).toMatchObject({ seq: 17, kind: 'deleted' });
  });

  it('two swapped records are named as reordered', async () => {
    await fill(sut, 30);
    const a = (await sut.store.record(8))!;
    const b = (await sut.store.record(11))!;
    await sut.sql(`UPDATE $T SET body = $1 WHERE seq = 11`, ['{"id":"moving"}']);
    await sut.sql(`UPDATE $T SET prev = $1, hash = $2, body = $3 WHERE seq = 8`, [b.prev, b.hash, b.body]);
    await sut.sql(`UPDATE $T SET prev = $1, hash = $2, body = $3 WHERE seq = 11`, [a.prev, a.hash, a.body]);
    const result = await verifyAuditLog(sut.store, { verifier });
    expect(result.problem).toMatchObject({ seq: 8, kind: 'reordered' });
  });

  it('a truncated log is detected against the last signed checkpoint', async () => {
    await fill(sut, 30, 10);
    await sut.sql(`DELETE FROM $T WHERE seq > 24`);
    const result = await verifyAuditLog(sut.store, { verifier });
    expect(result.problem).toMatchObject({ seq: 25, kind: 'truncated' });
  });

  it('a chain rewritten from some record on, with every hash recomputed, breaks at the next signed checkpoint', async () => {
    await fill(sut, 30, 10);
    const rows = await sut.store.page(0, 100);
    let prev = rows[13]![1];
    for (const [seq, , body] of rows.slice(14)) {
      const edited = seq === 15 ? body.replace('"r15"', '"r15-forged"') : body;
      const hash = recordHash(prev, seq, edited, null);
      await sut.sql(`UPDATE $T SET prev = $1, hash = $2, body = $3 WHERE seq = $4`, [prev, hash, edited, seq]);
      prev = hash;
    }
    const result = await verifyAuditLog(sut.store, { verifier });
    expect(result.problem?.kind).toBe('edited');
    expect(result.problem?.seq).toBe(20);
    expect(result.problem?.message).toContain('11..20');
  });

  it('a forged checkpoint signature is reported', async () => {
    await fill(sut, 20, 10);
    await sut.sql(`UPDATE $C SET ts = ts + 1 WHERE seq = 10`);
    const result = await verifyAuditLog(sut.store, { verifier });
    expect(result.problem).toMatchObject({ seq: 10, kind: 'checkpoint' });
    const other = generateAuditSigningKey();
    const wrongKey = await verifyAuditLog(sut.store, { verifier: new CheckpointVerifier([parsePublicKey(other.publicKey)]) });
    expect(wrongKey.ok).toBe(false);
    expect(wrongKey.problem?.message).toContain('unknown key');
  });
});
