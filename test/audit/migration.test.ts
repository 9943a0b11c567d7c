import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Keyring, parseMasterKey } from '../../src/audit/encryption.js';
import { AuditLog } from '../../src/audit/log.js';
import { eraseSubject, exportRecords, purgeAuditLog } from '../../src/audit/maintenance.js';
import { chainDrafts, parseBody } from '../../src/audit/record.js';
import { CheckpointSigner, CheckpointVerifier, generateAuditSigningKey, parsePublicKey, parseSigningKey } from '../../src/audit/signing.js';
import { SQLITE_AUDIT_SCHEMA_VERSION, SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import type { AuditQuery } from '../../src/audit/store.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { tempDir } from './helpers.js';

/**
 * test/audit/fixtures/audit-v1.db was written by the audit code before the v2 schema (commit 4217818):
 * 33 events of 8 requests from two principals and two subjects, encrypted payloads, two signed
 * checkpoints. audit-v1.spool is the spool of its last 8 events, copied before they were stored.
 */
const FIXTURES = join('test', 'audit', 'fixtures');
const meta = JSON.parse(readFileSync(join(FIXTURES, 'audit-v1.json'), 'utf8')) as { events: number; t0: number; masterKey: string; signingPublicKey: string };
const keyring = new Keyring([parseMasterKey('k1', meta.masterKey)], 'k1');
const verifier = new CheckpointVerifier([parsePublicKey(meta.signingPublicKey)]);

const indexes = (db: Database.Database): string[] =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_records' AND sql IS NOT NULL ORDER BY name").pluck().all() as string[]);

async function bodies(store: SqliteAuditStore, filter: AuditQuery): Promise<ReturnType<typeof parseBody>[]> {
  const out: ReturnType<typeof parseBody>[] = [];
  for (const r of await store.query(filter, 0, 1000)) out.push(parseBody(r.body));
  return out;
}

describe('SQLite audit schema v2 on a log written by the previous version', () => {
  let dir: string;
  let cleanup: () => void;
  let dbPath: string;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    dbPath = join(dir, 'audit.db');
    copyFileSync(join(FIXTURES, 'audit-v1.db'), dbPath);
  });
  afterEach(() => cleanup());

  it('the fixture is a v1 log with the three v1 indexes', () => {
    const db = new Database(dbPath, { readonly: true });
    try {
      expect(db.prepare('SELECT version FROM audit_schema').pluck().get()).toBe(1);
      expect(indexes(db)).toEqual(['audit_records_event', 'audit_records_principal', 'audit_records_ts']);
      expect(db.prepare('SELECT count(*) FROM audit_records').pluck().get()).toBe(meta.events);
    } finally {
      db.close();
    }
  });

  it('opening it migrates the indexes only: every record, hash and checkpoint verifies as before', async () => {
    const before = new Database(dbPath, { readonly: true });
    const rowsBefore = before.prepare('SELECT seq, prev, hash, body, payload, payload_sha FROM audit_records ORDER BY seq').all();
    before.close();
    const store = new SqliteAuditStore({ database: dbPath });
    try {
      expect(store.db.prepare('SELECT version FROM audit_schema').pluck().get()).toBe(SQLITE_AUDIT_SCHEMA_VERSION);
      expect(SQLITE_AUDIT_SCHEMA_VERSION).toBe(2);
      expect(indexes(store.db)).toEqual(['audit_records_ts']);
      expect(store.db.prepare('SELECT seq, prev, hash, body, payload, payload_sha FROM audit_records ORDER BY seq').all()).toEqual(rowsBefore);
      const v = await verifyAuditLog(store, { verifier });
      expect(v).toMatchObject({ ok: true, records: meta.events, checkpoints: 2, signaturesChecked: true });
      expect(v.fastPathRecords).toBe(meta.events);
    } finally {
      await store.close();
    }
    // Opening it again is a no-op.
    const again = new SqliteAuditStore({ database: dbPath });
    expect(again.db.prepare('SELECT version FROM audit_schema').pluck().get()).toBe(SQLITE_AUDIT_SCHEMA_VERSION);
    expect((await verifyAuditLog(again, { verifier })).ok).toBe(true);
    await again.close();
  });

  it('queries by time, principal, subject and type give what the bodies say; payloads still decrypt', async () => {
    const store = new SqliteAuditStore({ database: dbPath });
    try {
      const all = await bodies(store, {});
      expect(all).toHaveLength(meta.events);
      for (const filter of [
        { principal: 'key_alpha' },
        { principal: 'key_beta', since: meta.t0 + 60_000 },
        { subject: 'bob' },
        { types: ['decision', 'admin'] },
        { since: meta.t0 + 2 * 60_000, until: meta.t0 + 5 * 60_000 },
        { principal: 'key_alpha', types: ['upstream.response'], until: meta.t0 + 6 * 60_000 },
      ] satisfies AuditQuery[]) {
        const expected = all.filter(
          (b) =>
            (filter.principal === undefined || b.principal === filter.principal) &&
            (!('subject' in filter) || b.subject === filter.subject) &&
            (!('types' in filter) || filter.types!.includes(b.type)) &&
            (!('since' in filter) || b.ts >= filter.since!) &&
            (!('until' in filter) || b.ts < filter.until!),
        );
        expect(expected.length).toBeGreaterThan(0);
        expect((await bodies(store, filter)).map((b) => b.id)).toEqual(expected.map((b) => b.id));
      }
      const texts: string[] = [];
      for await (const r of exportRecords(store, { keyring, filter: { types: ['request.received'] } })) texts.push(r.payload && 'text' in r.payload ? String(r.payload.text) : '?');
      expect(texts).toEqual(Array.from({ length: 8 }, (_, i) => `hello ${i} from ${i === 6 || i === 7 || i % 3 ? 'alice' : 'bob'}`));
      expect(await store.lastBefore(meta.t0 + 60_000)).toMatchObject({ seq: 4 });
    } finally {
      await store.close();
    }
  });

  it("replays the old version's spool without duplicating the events it had already stored", async () => {
    copyFileSync(join(FIXTURES, 'audit-v1.spool'), join(dir, 'spool'));
    const store = new SqliteAuditStore({ database: dbPath });
    try {
      const log = await AuditLog.open({ store, payloads: 'encrypted', keyring, spool: { path: join(dir, 'spool') } });
      expect(log.stats().lastSeq).toBe(meta.events);
      log.record({ type: 'request.received', requestId: 'after-upgrade', principal: 'key_alpha', subject: 'alice', route: '/v1/chat/completions', payload: 'new' });
      await log.close();
      const ids = (await bodies(store, {})).map((b) => b.id);
      expect(ids).toHaveLength(meta.events + 1);
      expect(new Set(ids).size).toBe(ids.length);
      const v = await verifyAuditLog(store, { verifier });
      expect(v).toMatchObject({ ok: true, records: meta.events + 1, checkpoints: 2 });
      const last: string[] = [];
      for await (const r of exportRecords(store, { keyring, filter: { principal: 'key_alpha', subject: 'alice', types: ['request.received'] } })) last.push(`${r.requestId}:${r.payload && 'text' in r.payload ? r.payload.text : '?'}`);
      expect(last.slice(-3)).toEqual(['req-6:hello 6 from alice', 'req-7:hello 7 from alice', 'after-upgrade:new']);
    } finally {
      await store.close();
    }
  });

  it('purge and erase work on the migrated log', async () => {
    const store = new SqliteAuditStore({ database: dbPath });
    try {
      const pair = generateAuditSigningKey();
      const both = new CheckpointVerifier([parsePublicKey(meta.signingPublicKey), parsePublicKey(pair.publicKey)]);
      const purged = await purgeAuditLog(store, { before: meta.t0 + 3 * 60_000, signer: new CheckpointSigner(parseSigningKey(pair.privateKey)), verifier: both });
      expect(purged).toMatchObject({ records: 12, cutSeq: 12 });
      expect(await eraseSubject(store, 'bob')).toMatchObject({ keys: 1 });
      const v = await verifyAuditLog(store, { verifier: both });
      expect(v).toMatchObject({ ok: true, anchoredAt: 12, records: meta.events - 12 });
    } finally {
      await store.close();
    }
  });
});

describe('SQLite audit store appends', () => {
  it('a new log starts at schema v2; batches of any size go in with multi-row inserts and verify', async () => {
    const { dir, cleanup } = tempDir();
    const store = new SqliteAuditStore({ database: join(dir, 'audit.db') });
    try {
      expect(store.db.prepare('SELECT version FROM audit_schema').pluck().get()).toBe(SQLITE_AUDIT_SCHEMA_VERSION);
      expect(indexes(store.db)).toEqual(['audit_records_ts']);
      let n = 0;
      const drafts = (count: number) =>
        Array.from({ length: count }, () => {
          n++;
          return { body: JSON.stringify({ v: 1, id: `e${n}`, ts: 1000 + n, type: 'system', data: { n } }), payload: n % 5 === 0 ? Buffer.from(`p${n}`) : null };
        });
      for (const size of [1, 15, 16, 17, 33, 200]) {
        const head = await store.head();
        const batch = drafts(size);
        const stored = await store.append(batch, []);
        expect(stored).toEqual(chainDrafts(head, batch));
      }
      const v = await verifyAuditLog(store);
      expect(v).toMatchObject({ ok: true, records: n });
      expect(await store.existingEventIds([{ id: 'e5', ts: 1005 }, { id: 'e6', ts: 1005 }, { id: 'nope', ts: 1007 }, { id: 'e282', ts: 1282 }])).toEqual(new Set(['e5', 'e282']));
      // A body whose time is not a number is found by its id.
      await store.append([{ body: JSON.stringify({ v: 1, id: 'odd', ts: null, type: 'system', data: {} }), payload: null }], []);
      expect(await store.existingEventIds([{ id: 'odd', ts: Number.NaN }, { id: 'e7', ts: 1007 }])).toEqual(new Set(['odd', 'e7']));
    } finally {
      await store.close();
      cleanup();
    }
  });
});
