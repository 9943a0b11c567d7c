import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * WAL checkpoints on a background thread instead of the event loop.
 *
 * In WAL mode with `synchronous = NORMAL` a commit never waits for the disk; a checkpoint does: it
 * syncs the WAL, copies its pages into the database file and syncs that. SQLite runs one
 * automatically inside the commit that takes the WAL past 1,000 pages, so under steady load the
 * gateway's event loop stopped for two fsyncs every second or two (10–40 ms each on a VM disk), and
 * the request in flight waited for them: most of the c=1 p99.
 *
 * Here the connection's automatic checkpoints are off, and every `CHECKPOINT_INTERVAL_MS` the event
 * loop asks one worker thread (its own connection to each registered file) for a passive
 * checkpoint, which never blocks a writer. The WAL starts over at the first write after a checkpoint
 * that copied all of it, so a writer that can wait (the audit log's batches, which are journaled
 * already) awaits `idle()` and lets each checkpoint finish; the WAL then stays around one interval of
 * writes. Writers that cannot wait (keys, vault, approvals) write rarely enough to leave gaps.
 * A WAL that still passes `WAL_LIMIT_PAGES`, a file the worker cannot open, or a worker that fails
 * gives the connections their automatic checkpoints back: the WAL never grows without bound.
 */
export const CHECKPOINT_INTERVAL_MS = 1000;

/** SQLite's default `wal_autocheckpoint`, restored when the background thread cannot keep the WAL short. */
const AUTOCHECKPOINT_PAGES = 1000;
/** Pages (4 KiB by default) past which the WAL is taken as not starting over. */
export const WAL_LIMIT_PAGES = 16_000;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const open = new Map();
parentPort.on('message', (m) => {
  if (m.add !== undefined && !open.has(m.add)) {
    try {
      const db = new Database(m.add, { fileMustExist: true });
      db.pragma('busy_timeout = 0');
      open.set(m.add, db);
    } catch (error) {
      parentPort.postMessage({ failed: m.add, message: String((error && error.message) || error) });
    }
  }
  if (m.remove !== undefined) {
    const db = open.get(m.remove);
    open.delete(m.remove);
    if (db) try { db.close(); } catch {}
  }
  if (m.checkpoint !== undefined) {
    let log = -1;
    const db = open.get(m.checkpoint);
    if (db) {
      try {
        log = db.pragma('wal_checkpoint(PASSIVE)')[0].log;
      } catch {
        // Busy or briefly unreadable: the next round tries again.
      }
    }
    parentPort.postMessage({ done: m.checkpoint, log });
  }
});
`;

interface FileState {
  readonly path: string;
  readonly connections: Set<Database.Database>;
  /** The checkpoint in flight and its end. */
  running?: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined;
}

export interface BackgroundCheckpoints {
  /** A promise while a checkpoint of the file runs (awaiting it lets the WAL start over), else undefined. */
  idle(): Promise<void> | undefined;
  /** Hands the checkpoints back to the connection; call it before closing the connection. */
  release(): void;
}

const NONE: BackgroundCheckpoints = { idle: () => undefined, release: () => {} };

let worker: Worker | undefined;
let timer: NodeJS.Timeout | undefined;
const files = new Map<string, FileState>();
/** Set once the worker has failed: later connections keep SQLite's own checkpoints. */
let unavailable = false;

function restoreAutocheckpoint(db: Database.Database): void {
  if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
}

/** Stops managing a file: its connections checkpoint for themselves again. */
function dropFile(file: FileState, reason?: string): void {
  if (files.get(file.path) !== file) return;
  files.delete(file.path);
  for (const db of file.connections) restoreAutocheckpoint(db);
  file.running?.resolve();
  worker?.postMessage({ remove: file.path });
  if (reason) process.emitWarning(`SQLite checkpoints for ${file.path} run on the event loop again: ${reason}`, { code: 'CLAWGUARD_CHECKPOINTER' });
  if (files.size === 0) stopWorker();
}

function stopWorker(): void {
  if (timer) clearInterval(timer);
  timer = undefined;
  const w = worker;
  worker = undefined;
  if (w) {
    w.removeAllListeners();
    void w.terminate();
  }
}

function giveUp(reason: string): void {
  unavailable = true;
  for (const file of [...files.values()]) dropFile(file, reason);
  stopWorker();
}

function onMessage(m: { failed?: string; message?: string; done?: string; log?: number }): void {
  if (m.failed !== undefined) {
    const file = files.get(m.failed);
    if (file) dropFile(file, m.message ?? 'the checkpoint thread cannot open it');
    return;
  }
  if (m.done === undefined) return;
  const file = files.get(m.done);
  if (!file) return;
  const running = file.running;
  file.running = undefined;
  running?.resolve();
  if ((m.log ?? 0) > WAL_LIMIT_PAGES) dropFile(file, `its WAL passed ${WAL_LIMIT_PAGES} pages (${m.log})`);
}

/** How long a writer waits for a checkpoint at most: a stuck thread must not hold the audit log up. */
const MAX_WAIT_MS = 2000;

function checkpointRound(): void {
  for (const file of files.values()) {
    if (file.running) continue;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    const running = { promise, resolve };
    file.running = running;
    worker?.postMessage({ checkpoint: file.path });
    setTimeout(() => {
      if (file.running !== running) return;
      file.running = undefined;
      resolve();
    }, MAX_WAIT_MS).unref();
  }
}

function ensureWorker(): Worker | undefined {
  if (unavailable) return undefined;
  if (worker) return worker;
  try {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module } });
    w.unref();
    w.on('message', onMessage);
    w.on('error', (error) => giveUp(error.message));
    w.on('exit', (code) => giveUp(`the checkpoint thread exited (${code})`));
    worker = w;
    timer = setInterval(checkpointRound, CHECKPOINT_INTERVAL_MS);
    timer.unref();
    return w;
  } catch (error) {
    giveUp(error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

/**
 * Moves `db`'s WAL checkpoints to the background thread. In-memory and read-only connections, and
 * connections not in WAL mode, are left as they are.
 */
export function checkpointInBackground(db: Database.Database): BackgroundCheckpoints {
  if (db.memory || db.readonly || String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return NONE;
  const w = ensureWorker();
  if (!w) return NONE;
  let file = files.get(db.name);
  if (!file) {
    file = { path: db.name, connections: new Set() };
    files.set(db.name, file);
    w.postMessage({ add: db.name });
  }
  const state = file;
  db.pragma('wal_autocheckpoint = 0');
  state.connections.add(db);
  return {
    idle: () => (files.get(state.path) === state ? state.running?.promise : undefined),
    release: () => {
      if (!state.connections.delete(db)) return;
      restoreAutocheckpoint(db);
      if (state.connections.size === 0) dropFile(state);
    },
  };
}

/** Runs a checkpoint round now and resolves when every file's is done (tests). */
export async function checkpointNow(): Promise<void> {
  checkpointRound();
  await Promise.all([...files.values()].map((f) => f.running?.promise));
}
