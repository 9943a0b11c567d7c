import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/log.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { checkpointInBackground } from '../../src/storage/sqlite-checkpointer.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cg-ckpt-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Frames in the WAL, read without copying anything. */
function walFrames(db: Database.Database): number {
  return (db.pragma('wal_checkpoint(NOOP)') as { log: number }[])[0]!.log;
}

function walDb(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}

describe('WAL checkpoints with their syncs off the event loop', () => {
  it('turns SQLite’s own checkpoints off, copies the WAL when asked, and the next commit starts it over', async () => {
    const path = join(dir, 'a.db');
    const db = walDb(path);
    const checkpoints = checkpointInBackground(db);
    try {
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      db.exec('CREATE TABLE blobs (b BLOB)');
      const insert = db.prepare('INSERT INTO blobs (b) VALUES (?)');
      // ~6 MiB: far past the 1,000 pages at which SQLite would have checkpointed inside a commit.
      for (let i = 0; i < 1500; i++) insert.run(Buffer.alloc(4096, i & 0xff));
      checkpoints.wrote();
      const before = statSync(path).size;
      expect(walFrames(db)).toBeGreaterThan(1000);
      const done = checkpoints.checkpoint();
      expect(checkpoints.idle()).toBe(done);
      await done;
      expect(checkpoints.idle()).toBeUndefined();
      expect(statSync(path).size).toBeGreaterThan(before + 5 * 1024 * 1024);
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // the connection's NORMAL again after the copy
      insert.run(Buffer.alloc(16));
      expect(walFrames(db)).toBeLessThan(10);
      checkpoints.release();
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      expect(() => checkpoints.closeFile()).toThrow(/close the SQLite connection before/);
    } finally {
      db.close();
    }
    checkpoints.closeFile();
    checkpoints.closeFile(); // once is enough; twice is harmless
    const again = new Database(path);
    try {
      expect((again.prepare('SELECT count(*) AS n FROM blobs').get() as { n: number }).n).toBe(1501);
    } finally {
      again.close();
    }
  });

  it('never closes a descriptor of the database file while the connection is open (that would drop SQLite’s POSIX locks)', async () => {
    const path = join(dir, 'locks.db');
    const db = walDb(path);
    const checkpoints = checkpointInBackground(db);
    const reader = new Database(path);
    const locksOnFile = (): string[] => readFileSync('/proc/locks', 'utf8').split('\n').filter((l) => l.includes(` ${process.pid} `) && l.includes(`:${statSync(path).ino} `));
    try {
      db.exec('CREATE TABLE t (x)');
      db.prepare('INSERT INTO t (x) VALUES (1), (2)').run();
      checkpoints.wrote();
      // A read transaction on another connection of this process holds SQLite's SHARED lock on the file.
      const rows = reader.prepare('SELECT x FROM t').iterate();
      rows.next();
      expect(locksOnFile().length).toBeGreaterThan(0);
      for (let i = 0; i < 3; i++) await checkpoints.checkpoint();
      expect(locksOnFile().length).toBeGreaterThan(0);
      rows.return?.();
    } finally {
      reader.close();
      checkpoints.release();
      db.close();
      checkpoints.closeFile();
    }
  });

  it('gives a connection its own synchronous level back, and leaves connections not in WAL mode alone', async () => {
    const full = walDb(join(dir, 'full.db'));
    const checkpoints = checkpointInBackground(full);
    try {
      full.pragma('synchronous = FULL');
      full.exec('CREATE TABLE t (x)');
      checkpoints.wrote();
      await checkpoints.checkpoint();
      expect(full.pragma('synchronous', { simple: true })).toBe(2);
    } finally {
      checkpoints.release();
      full.close();
      checkpoints.closeFile();
    }
    const rollback = new Database(join(dir, 'rollback.db'));
    try {
      const none = checkpointInBackground(rollback);
      expect(rollback.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      await none.checkpoint();
      expect(none.idle()).toBeUndefined();
    } finally {
      rollback.close();
    }
  });

  it('leaves in-memory databases alone', async () => {
    const db = new Database(':memory:');
    try {
      const checkpoints = checkpointInBackground(db);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      await checkpoints.checkpoint();
      expect(checkpoints.idle()).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it('keeps the audit log’s WAL short: batches wait for a running checkpoint and none is lost', async () => {
    const store = new SqliteAuditStore({ database: join(dir, 'audit.db') });
    const log = await AuditLog.open({ store, flushIntervalMs: 1, batchSize: 50 });
    try {
      expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      const big = 'x'.repeat(2000);
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < 400; i++) log.record({ type: 'system', action: 'test', detail: { round, i, big } });
        // A checkpoint runs while the writer drains: the batches after it wait for it.
        await Promise.all([store.checkpointWal(), log.flush()]);
      }
      await log.flush();
      await store.checkpointWal();
      log.record({ type: 'system', action: 'test', detail: { last: true } });
      await log.flush();
      expect(log.stats().committed).toBe(6 * 400 + 1);
      expect(walFrames(store.db)).toBeLessThan(50);
    } finally {
      await log.close();
      await store.close();
    }
  });
});
