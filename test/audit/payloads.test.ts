import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Keyring, parseMasterKey } from '../../src/audit/encryption.js';
import { AuditLog } from '../../src/audit/log.js';
import { eraseSubject, type ExportedRecord, exportRecords, purgeAuditLog, rewrapDataKeys } from '../../src/audit/maintenance.js';
import { CheckpointSigner, CheckpointVerifier, generateAuditSigningKey, parsePublicKey, parseSigningKey } from '../../src/audit/signing.js';
import type { AuditStore } from '../../src/audit/store.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { STORES, type StoreUnderTest, testKeyring } from './helpers.js';

const pair = generateAuditSigningKey();
const signer = new CheckpointSigner(parseSigningKey(pair.privateKey));
const verifier = new CheckpointVerifier([parsePublicKey(pair.publicKey)]);

async function all(store: AuditStore, keyring?: Keyring, filter = {}): Promise<ExportedRecord[]> {
  const out: ExportedRecord[] = [];
  for await (const r of exportRecords(store, { filter, ...(keyring ? { keyring } : {}) })) out.push(r);
  return out;
}

describe.each(STORES)('payloads, retention and erasure on %s', (_name, open) => {
  let sut: StoreUnderTest;
  beforeEach(async () => {
    sut = await open();
  });
  afterEach(async () => {
    await sut.dispose();
  });

  it('encrypted payloads decrypt with the keyring, are opaque without it, and metadata stays queryable', async () => {
    const keyring = testKeyring();
    const log = await AuditLog.open({ store: sut.store, payloads: 'encrypted', keyring, signer });
    log.record({ type: 'request.received', principal: 'key_a', subject: 'alice', route: '/v1/messages', payload: 'hello from alice' });
    log.record({ type: 'request.received', principal: 'key_b', subject: 'bob', route: '/v1/messages', payload: 'hello from bob' });
    log.record({ type: 'decision', principal: 'key_a', direction: 'input', action: 'allow', findings: 0, failures: 0 });
    await log.close();

    const raw = await sut.store.page(0, 10);
    for (const row of raw) expect(row[2]).not.toContain('hello');
    for (const row of raw) if (row[3]) expect(row[3].toString('utf8')).not.toContain('hello');

    const decrypted = await all(sut.store, keyring);
    expect(decrypted.map((r) => r.payload && 'text' in r.payload ? r.payload.text : undefined)).toEqual(['hello from alice', 'hello from bob', undefined]);
    const opaque = await all(sut.store);
    expect(opaque[0]!.payload).toMatchObject({ mode: 'encrypted' });
    expect(opaque[0]!.payload).not.toHaveProperty('text');

    const onlyA = await all(sut.store, undefined, { principal: 'key_a' });
    expect(onlyA.map((r) => r.type)).toEqual(['request.received', 'decision']);
    const onlyDecisions = await all(sut.store, undefined, { types: ['decision'] });
    expect(onlyDecisions).toHaveLength(1);
  });

  it('a modified or removed payload is named by verify', async () => {
    const log = await AuditLog.open({ store: sut.store, payloads: 'redacted', signer });
    for (let i = 0; i < 4; i++) log.record({ type: 'request.received', principal: 'k', route: '/r', payload: `text ${i}` });
    await log.close();
    await sut.sql(`UPDATE $T SET payload = $1 WHERE seq = 2`, [Buffer.from('text X')]);
    expect((await verifyAuditLog(sut.store, { verifier })).problem).toMatchObject({ seq: 2, kind: 'edited' });
    await sut.sql(`UPDATE $T SET payload = $1 WHERE seq = 2`, [Buffer.from('text 1')]);
    expect((await verifyAuditLog(sut.store, { verifier })).ok).toBe(true);
    await sut.sql(`UPDATE $T SET payload = NULL WHERE seq = 3`);
    const removed = await verifyAuditLog(sut.store, { verifier });
    expect(removed.problem).toMatchObject({ seq: 3, kind: 'edited' });
  });

  it('redacted mode stores the redacted text, never the secret', async () => {
    const log = await AuditLog.open({ store: sut.store, payloads: 'redacted', redactor: (t) => t.replace('Alice', '[NAME]') });
    log.record({ type: 'request.received', principal: 'k', route: '/v1/chat/completions', payload: 'Alice: my key is sk-proj-abcdefghijklmnopqrstuvwx and mail alice@example.com' });
    await log.close();
    const [r] = await all(sut.store);
    expect(r!.payload).toEqual({ mode: 'redacted', text: '[NAME]: my key is [SECRET] and mail [EMAIL]' });
  });

  it('none mode stores metadata only', async () => {
    const log = await AuditLog.open({ store: sut.store, payloads: 'none' });
    log.record({ type: 'tool.call', principal: 'k', tool: 'exec', verdict: 'block', payload: '{"cmd":"rm -rf /"}' });
    await log.close();
    const rows = await sut.store.page(0, 10);
    expect(rows[0]![3]).toBeNull();
    expect(rows[0]![2]).not.toContain('rm -rf');
    expect((await all(sut.store))[0]).toMatchObject({ type: 'tool.call', data: { tool: 'exec', verdict: 'block' } });
  });

  it('erasing a subject makes only its payloads undecryptable while the chain still verifies', async () => {
    const keyring = testKeyring();
    const log = await AuditLog.open({ store: sut.store, payloads: 'encrypted', keyring, signer });
    for (let i = 0; i < 5; i++) {
      log.record({ type: 'request.received', principal: 'key_a', subject: 'alice', route: '/r', payload: `alice ${i}` });
      log.record({ type: 'request.received', principal: 'key_a', subject: 'bob', route: '/r', payload: `bob ${i}` });
    }
    await log.close();

    const dry = await eraseSubject(sut.store, 'alice', { dryRun: true });
    expect(dry).toMatchObject({ keys: 1, payloads: 5, dryRun: true });
    expect((await all(sut.store, keyring)).filter((r) => r.payload && 'text' in r.payload)).toHaveLength(10);

    const done = await eraseSubject(sut.store, 'alice');
    expect(done).toMatchObject({ keys: 1, payloads: 5, dryRun: false });
    const after = await all(sut.store, keyring);
    const alice = after.filter((r) => r.subject === 'alice');
    const bob = after.filter((r) => r.subject === 'bob');
    expect(alice.every((r) => r.payload && 'erased' in r.payload && r.payload.erased)).toBe(true);
    expect(bob.map((r) => (r.payload && 'text' in r.payload ? r.payload.text : ''))).toEqual(['bob 0', 'bob 1', 'bob 2', 'bob 3', 'bob 4']);
    const v = await verifyAuditLog(sut.store, { verifier, pageSize: 3 });
    expect(v.ok).toBe(true);
    expect(v.records).toBe(10);
    expect(v.fastPathRecords).toBe(10);
  });

  it('rotating the master key keeps old payloads readable and re-wrapping retires the old key without touching records', async () => {
    const k1 = parseMasterKey('k1', 'a'.repeat(64));
    const k2 = parseMasterKey('k2', Buffer.alloc(32, 7).toString('base64'));
    const one = new Keyring([k1], 'k1');
    const log1 = await AuditLog.open({ store: sut.store, payloads: 'encrypted', keyring: one, signer });
    log1.record({ type: 'request.received', subject: 's', route: '/r', payload: 'before rotation' });
    await log1.close();

    const both = new Keyring([k1, k2], 'k2');
    const log2 = await AuditLog.open({ store: sut.store, payloads: 'encrypted', keyring: both, signer });
    log2.record({ type: 'request.received', subject: 's', route: '/r', payload: 'after rotation' });
    await log2.close();
    const texts = (await all(sut.store, both)).map((r) => (r.payload && 'text' in r.payload ? r.payload.text : r.payload));
    expect(texts).toEqual(['before rotation', 'after rotation']);

    const before = await sut.store.page(0, 10);
    expect(await rewrapDataKeys(sut.store, both)).toBe(1);
    expect(await sut.store.page(0, 10)).toEqual(before);
    const onlyK2 = new Keyring([k2], 'k2');
    const afterRewrap = (await all(sut.store, onlyK2)).map((r) => (r.payload && 'text' in r.payload ? r.payload.text : r.payload));
    expect(afterRewrap).toEqual(['before rotation', 'after rotation']);
    expect((await verifyAuditLog(sut.store, { verifier })).ok).toBe(true);
  });

  it('purge cuts old records behind a signed anchor; the rest still verifies; dry run deletes nothing', async () => {
    const day = 86_400_000;
    const now = Date.UTC(2026, 0, 31);
    const log = await AuditLog.open({ store: sut.store, signer, checkpointEvery: 4, batchSize: 4 });
    for (let i = 0; i < 20; i++) log.record({ type: 'auth', outcome: 'success', surface: 'proxy', time: now - (20 - i) * day });
    await log.close();

    const dry = await purgeAuditLog(sut.store, { before: now - 10 * day, signer, verifier, dryRun: true });
    expect(dry).toMatchObject({ records: 10, cutSeq: 10, dryRun: true });
    expect((await sut.store.extent()).count).toBe(20);

    const done = await purgeAuditLog(sut.store, { before: now - 10 * day, signer, verifier });
    expect(done).toMatchObject({ records: 10, cutSeq: 10, dryRun: false });
    expect(await sut.store.extent()).toEqual({ first: 11, last: 20, count: 10 });
    const v = await verifyAuditLog(sut.store, { verifier });
    expect(v).toMatchObject({ ok: true, records: 10, anchoredAt: 10 });

    // Deleting the first kept record is still caught after a purge.
    await sut.sql(`DELETE FROM $T WHERE seq = 11`);
    expect((await verifyAuditLog(sut.store, { verifier })).problem).toMatchObject({ seq: 11, kind: 'deleted' });
  });

  it('purge refuses to cut records that do not verify', async () => {
    const log = await AuditLog.open({ store: sut.store, signer });
    for (let i = 0; i < 6; i++) log.record({ type: 'auth', outcome: 'failure', surface: 'admin', time: 1000 + i });
    await log.close();
    await sut.sql(`UPDATE $T SET body = replace(body, '"failure"', '"success"') WHERE seq = 2`);
    const r = await purgeAuditLog(sut.store, { before: 1004, signer, verifier });
    expect(r.refused).toMatchObject({ seq: 2, kind: 'edited' });
    expect((await sut.store.extent()).count).toBe(6);
  });
});
