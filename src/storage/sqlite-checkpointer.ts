import { closeSync, fsync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type Database from 'better-sqlite3';

/**
 * WAL checkpoints whose disk syncs run on libuv's thread pool instead of the event loop.
 *
 * In WAL mode with `synchronous = NORMAL` a commit never waits for the disk; a checkpoint does: it
 * syncs the WAL, copies its pages into the database file and syncs that. SQLite runs one inside the
 * commit that takes the WAL past 1,000 pages, so under steady load the gateway's event loop stopped
 * for two fsyncs every second or two (10–40 ms each on a VM disk), and the requests in flight waited.
 *
 * Here the connection's automatic checkpoints are off and, every `CHECKPOINT_INTERVAL_MS` when
 * something was written, the same steps run with the syncs moved out: the WAL is synced with an
 * asynchronous `fsync` (any descriptor of a file syncs all of it), the pages are copied by a passive
 * checkpoint with `synchronous = OFF` (the copy alone, ~1 ms for a second of audit writes), and the
 * database file is synced asynchronously. The writer waits (`idle()`) from the first sync to the
 * last: no frame reaches the WAL between its sync and the copy, and the WAL cannot start over (its
 * frames are the only durable copy) before the database file is on disk. That is SQLite's own order,
 * so a power loss at any point recovers as it would from SQLite's checkpoint. A checkpoint that
 * fails hands the checkpoints back to SQLite (a process warning says so).
 *
 * Only for writers that can wait: the audit log's batches are journaled before they are stored.
 * What is left on the event loop: the page copy, and SQLite's sync of a new WAL header when the
 * next commit starts the WAL over (~0.5 ms), once per interval.
 */
export const CHECKPOINT_INTERVAL_MS = 1000;

/** SQLite's default `wal_autocheckpoint`, restored when this checkpointer stops. */
const AUTOCHECKPOINT_PAGES = 1000;

export interface BackgroundCheckpoints {
  /** A promise while a checkpoint runs (a writer must await it before writing), else undefined. */
  idle(): Promise<void> | undefined;
  /** Tells the checkpointer that something was written (a checkpoint is due at the next tick). */
  wrote(): void;
  /** Runs a checkpoint now (tests, maintenance); resolves when its syncs are done. */
  checkpoint(): Promise<void>;
  /** Stops, handing the checkpoints back to SQLite; call it before closing the connection. */
  release(): void;
  /** Closes the checkpointer's own descriptor of the database file; call it after closing the connection. */
  closeFile(): void;
}

const NONE: BackgroundCheckpoints = { idle: () => undefined, wrote: () => {}, checkpoint: async () => {}, release: () => {}, closeFile: () => {} };

/**
 * The WAL is synced through a descriptor opened for the purpose: SQLite holds no POSIX lock on the
 * WAL file (its WAL locks are on the -shm file), so closing it releases nothing of SQLite's.
 */
async function fsyncWal(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r+');
  } catch (error) {
    // No WAL yet (nothing written since it was last removed): nothing to sync.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Takes over `db`'s WAL checkpoints as described above. In-memory and read-only connections, and
 * connections not in WAL mode, keep SQLite's own.
 */
export function checkpointInBackground(db: Database.Database): BackgroundCheckpoints {
  if (db.memory || db.readonly || String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return NONE;
  const path = db.name;
  // The database file is synced through one descriptor kept open until the connection has closed:
  // closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's too
  // (sqlite.org/howtocorrupt.html, 2.2), and another process could then take the file from under it.
  const dbFd = openSync(path, 'r+');
  const fsyncDb = (): Promise<void> => new Promise((resolve, reject) => fsync(dbFd, (error) => (error ? reject(error) : resolve())));
  db.pragma('wal_autocheckpoint = 0');
  let dirty = false;
  let running: Promise<void> | undefined;
  let stopped = false;
  let fileClosed = false;

  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  };

  const run = async (): Promise<void> => {
    dirty = false;
    await fsyncWal(`${path}-wal`);
    if (stopped || !db.open) return;
    // The copy alone: its syncs are the two around it. The connection's own level comes back after.
    const level = Number(db.pragma('synchronous', { simple: true }));
    db.pragma('synchronous = OFF');
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } finally {
      db.pragma(`synchronous = ${level}`);
    }
    await fsyncDb();
  };

  const checkpoint = (): Promise<void> => {
    if (running) return running;
    if (stopped) return Promise.resolve();
    running = run()
      .catch((error: unknown) => {
        stop();
        process.emitWarning(`SQLite checkpoints for ${path} run on the event loop again: ${error instanceof Error ? error.message : String(error)}`, { code: 'CLAWGUARD_CHECKPOINTER' });
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const timer = setInterval(() => {
    if (dirty) void checkpoint();
  }, CHECKPOINT_INTERVAL_MS);
  timer.unref();

  return {
    idle: () => running,
    wrote: () => {
      dirty = true;
    },
    checkpoint,
    release: stop,
    closeFile: () => {
      if (fileClosed) return;
      if (db.open) throw new Error('close the SQLite connection before the checkpointer’s descriptor of its file');
      fileClosed = true;
      closeSync(dbFd);
    },
  };
}
