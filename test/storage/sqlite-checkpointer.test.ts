import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { AuditLog } from '../../src/audit/log.js';
import { checkpointNow } from '../../src/storage/sqlite-checkpointer.js';
import { openSqlite } from '../../src/storage/sqlite.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cg-ckpt-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Frames in the WAL, read without copying anything (a checkpoint of nothing: NOOP reports the log). */
function walFrames(db: ReturnType<typeof openSqlite>): number {
  return (db.pragma('wal_checkpoint(NOOP)') as { log: number }[])[0]!.log;
}

describe('WAL checkpoints on a background thread', () => {
  it('turns the connection’s own checkpoints off and copies the WAL from the other thread', async () => {
    const path = join(dir, 'state.db');
    const db = openSqlite(path);
    try {
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      db.exec('CREATE TABLE blobs (b BLOB)');
      const insert = db.prepare('INSERT INTO blobs (b) VALUES (?)');
      // ~6 MiB: far past the 1,000 pages at which SQLite would have checkpointed inside a commit.
      for (let i = 0; i < 1500; i++) insert.run(Buffer.alloc(4096, i & 0xff));
      const before = statSync(path).size;
      expect(walFrames(db)).toBeGreaterThan(1000);
      await checkpointNow();
      expect(statSync(path).size).toBeGreaterThan(before + 5 * 1024 * 1024);
      // Everything was copied, so the next commit starts the WAL over.
      insert.run(Buffer.alloc(16));
      expect(walFrames(db)).toBeLessThan(10);
      expect((db.prepare('SELECT count(*) AS n FROM blobs').get() as { n: number }).n).toBe(1501);
    } finally {
      db.close();
    }
    // Closed: the file opens again with its data (the WAL is recovered or already copied).
    const again = openSqlite(path);
    try {
      expect((again.prepare('SELECT count(*) AS n FROM blobs').get() as { n: number }).n).toBe(1501);
    } finally {
      again.close();
    }
  });

  it('leaves in-memory databases alone', () => {
    const db = openSqlite(':memory:');
    try {
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    } finally {
      db.close();
    }
  });

  it('keeps the audit log’s WAL bounded: batches wait for a running checkpoint, none is lost', async () => {
    const store = new SqliteAuditStore({ database: join(dir, 'audit.db') });
    const log = await AuditLog.open({ store, flushIntervalMs: 1, batchSize: 50 });
    try {
      const big = 'x'.repeat(2000);
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < 400; i++) log.record({ type: 'system', action: 'test', detail: { round, i, big } });
        // A checkpoint runs while the writer drains: the batches after it wait, then restart the WAL.
        await Promise.all([checkpointNow(), log.flush()]);
      }
      await log.flush();
      await checkpointNow();
      log.record({ type: 'system', action: 'test', detail: { last: true } });
      await log.flush();
      expect(log.stats().committed).toBe(6 * 400 + 1);
      expect(walFrames(store.db)).toBeLessThan(50);
      expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    } finally {
      await log.close();
      await store.close();
    }
  });
});
