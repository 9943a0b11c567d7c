import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WrappedDataKey } from '../../src/audit/encryption.js';
import { AuditUnavailableError } from '../../src/audit/events.js';
import { AuditLog } from '../../src/audit/log.js';
import { exportRecords } from '../../src/audit/maintenance.js';
import type { RecordDraft, StoredRecord } from '../../src/audit/record.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import type { AuditStore } from '../../src/audit/store.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { STORES, tempDir, testKeyring } from './helpers.js';

/** A store whose appends fail while `down` is set, like a database that went away. */
function flaky(inner: AuditStore): AuditStore & { down: boolean } {
  const wrapper = Object.create(inner) as AuditStore & { down: boolean };
  wrapper.down = false;
  wrapper.append = async (drafts: readonly RecordDraft[], keys: readonly WrappedDataKey[]): Promise<StoredRecord[]> => {
    if (wrapper.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    return inner.append(drafts, keys);
  };
  wrapper.head = () => inner.head();
  wrapper.checkpoints = () => inner.checkpoints();
  return wrapper;
}

function writeAt(path: string, at: number, data: string | Buffer): void {
  const fd = openSync(path, existsSync(path) ? 'r+' : 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data, 0, Buffer.byteLength(data), at);
  } finally {
    closeSync(fd);
  }
}

async function requestIds(store: AuditStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const r of exportRecords(store)) ids.push(r.requestId ?? '');
  return ids;
}

describe('spool: store outages, replay and crashes (SQLite)', () => {
  let dir: string;
  let cleanup: () => void;
  let store: SqliteAuditStore;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    store = new SqliteAuditStore({ database: join(dir, 'audit.db') });
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  it('spools while the store is down and replays in order when it is back', async () => {
    const s = flaky(store);
    const spooling: boolean[] = [];
    const log = await AuditLog.open({ store: s, spool: { path: join(dir, 'spool.jsonl') }, flushIntervalMs: 1, hooks: { spooling: (active) => spooling.push(active) } });
    log.record({ type: 'request.received', requestId: 'r0', route: '/r' });
    await log.flush();
    s.down = true;
    for (let i = 1; i <= 50; i++) log.record({ type: 'request.received', requestId: `r${i}`, route: '/r' });
    await expect(log.flush(300)).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(log.stats()).toMatchObject({ storeDown: true });
    expect(log.stats().spoolBytes).toBeGreaterThan(0);
    expect(spooling).toEqual([true]);
    s.down = false;
    await log.flush();
    expect(spooling).toEqual([true, false]);
    expect(await requestIds(store)).toEqual(Array.from({ length: 51 }, (_, i) => `r${i}`));
    // Drained: nothing left in it (zeroed for reuse in place), and an empty file once closed.
    expect(readFileSync(join(dir, 'spool.jsonl')).every((b) => b === 0)).toBe(true);
    await log.close();
    expect(statSync(join(dir, 'spool.jsonl')).size).toBe(0);
    expect((await verifyAuditLog(store)).ok).toBe(true);
  });

  it('a backlog drains batch by batch, giving the event loop back in between', async () => {
    const log = await AuditLog.open({ store, spool: { path: join(dir, 'spool.jsonl') }, batchSize: 10, flushIntervalMs: 60_000 });
    for (let i = 0; i < 100; i++) log.record({ type: 'request.received', requestId: `r${i}`, route: '/r' });
    // What a request arriving during the drain would see: its callback runs before the backlog is stored.
    const seenMidway = new Promise<number>((resolve) => setImmediate(() => resolve(log.stats().committed)));
    const flushed = log.flush();
    const midway = await seenMidway;
    await flushed;
    expect(midway).toBeGreaterThan(0);
    expect(midway).toBeLessThan(100);
    expect(log.stats().committed).toBe(100);
    expect(await requestIds(store)).toEqual(Array.from({ length: 100 }, (_, i) => `r${i}`));
    await log.close();
  });

  it('events beyond the in-memory queue wait in the spool file and keep their order', async () => {
    const s = flaky(store);
    s.down = true;
    const log = await AuditLog.open({ store: s, spool: { path: join(dir, 'spool.jsonl') }, maxQueue: 10, batchSize: 4, flushIntervalMs: 1 });
    for (let i = 0; i < 95; i++) log.record({ type: 'request.received', requestId: `r${i}`, route: '/r' });
    s.down = false;
    await log.close();
    expect(await requestIds(store)).toEqual(Array.from({ length: 95 }, (_, i) => `r${i}`));
  });

  it('a spool left by a stopped process is replayed on open, without duplicating what was already stored', async () => {
    const spool = join(dir, 'spool.jsonl');
    const s = flaky(store);
    s.down = true;
    const first = await AuditLog.open({ store: s, spool: { path: spool }, flushIntervalMs: 1 });
    for (let i = 0; i < 5; i++) first.record({ type: 'request.received', requestId: `a${i}`, route: '/r' });
    copyFileSync(spool, join(dir, 'copy.jsonl'));
    s.down = false;
    await first.close();
    // The copy holds five events that are already stored (a crash between commit and spool truncation).
    const second = await AuditLog.open({ store, spool: { path: join(dir, 'copy.jsonl') } });
    second.record({ type: 'request.received', requestId: 'b0', route: '/r' });
    await second.close();
    expect(await requestIds(store)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0']);
    expect((await verifyAuditLog(store)).ok).toBe(true);
  });

  it('a torn last line (a process killed mid-write) is skipped; the complete events before it are replayed', async () => {
    const spool = join(dir, 'torn.jsonl');
    const s = flaky(store);
    s.down = true;
    const first = await AuditLog.open({ store: s, spool: { path: spool }, flushIntervalMs: 1 });
    for (let i = 0; i < 3; i++) first.record({ type: 'request.received', requestId: `t${i}`, route: '/r' });
    // The entries end where the zero fill starts; a write cut short leaves part of a line there.
    const whole = readFileSync(spool);
    const end = whole.indexOf(0);
    expect(end).toBeGreaterThan(0);
    const lastLine = whole.subarray(0, end).toString('utf8').trimEnd().split('\n').pop()!;
    writeAt(spool, end, lastLine.slice(0, lastLine.length - 10));
    const second = await AuditLog.open({ store, spool: { path: spool } });
    second.record({ type: 'request.received', requestId: 'after', route: '/r' });
    await second.close();
    expect(await requestIds(store)).toEqual(['t0', 't1', 't2', 'after']);
    expect((await verifyAuditLog(store)).ok).toBe(true);
  });

  it('the spool is reused in place: zeroed once drained, written again from the start, replayed up to its zero fill', async () => {
    const spool = join(dir, 'reuse.jsonl');
    const s = flaky(store);
    const log = await AuditLog.open({ store: s, spool: { path: spool }, flushIntervalMs: 1 });
    for (let i = 0; i < 20; i++) log.record({ type: 'request.received', requestId: `a${i}`, route: '/r' });
    await log.flush();
    const size = statSync(spool).size;
    expect(size).toBeGreaterThan(0);
    expect(readFileSync(spool).every((b) => b === 0)).toBe(true);
    // Store down: the next entries go from offset 0, over the zeros, and the file does not grow.
    s.down = true;
    for (let i = 0; i < 3; i++) log.record({ type: 'request.received', requestId: `b${i}`, route: '/r' });
    const held = readFileSync(spool);
    expect(held.length).toBe(size);
    expect(held.subarray(0, 2).toString()).toBe('r\t');
    const end = held.indexOf(0);
    expect(held.subarray(end).every((b) => b === 0)).toBe(true);
    expect(held.subarray(0, end).toString().trimEnd().split('\n')).toHaveLength(3);
    // What a process killed now leaves: its entries, then zeros. A restart replays exactly those.
    copyFileSync(spool, join(dir, 'killed.jsonl'));
    s.down = false;
    await log.close();
    const again = await AuditLog.open({ store, spool: { path: join(dir, 'killed.jsonl') } });
    await again.close();
    expect(statSync(join(dir, 'killed.jsonl')).size).toBe(0);
    expect(await requestIds(store)).toEqual([...Array.from({ length: 20 }, (_, i) => `a${i}`), 'b0', 'b1', 'b2']);
    expect((await verifyAuditLog(store)).ok).toBe(true);
  });

  it('a spool killed while it was being zeroed (zeros, then entries already stored) replays nothing', async () => {
    const spool = join(dir, 'zeroing.jsonl');
    const log = await AuditLog.open({ store, spool: { path: join(dir, 'live.jsonl') } });
    for (let i = 0; i < 10; i++) log.record({ type: 'request.received', requestId: `z${i}`, route: '/r' });
    const lines = readFileSync(join(dir, 'live.jsonl'));
    await log.close();
    const end = lines.indexOf(0);
    const half = Buffer.from(lines.subarray(0, end));
    half.fill(0, 0, Math.floor(end / 2));
    writeAt(spool, 0, half);
    // The journal ends at the first zero byte: the entries after the zeros are not even looked up.
    let lookups = 0;
    const counting = flaky(store);
    counting.existingEventIds = async (events) => {
      lookups++;
      return store.existingEventIds(events);
    };
    const again = await AuditLog.open({ store: counting, spool: { path: spool } });
    expect(lookups).toBe(0);
    expect(statSync(spool).size).toBe(0);
    again.record({ type: 'request.received', requestId: 'next', route: '/r' });
    await again.close();
    expect(await requestIds(store)).toEqual([...Array.from({ length: 10 }, (_, i) => `z${i}`), 'next']);
  });

  it('a spool that grew past 4 MiB in an outage is truncated once drained, then reused in place again', async () => {
    const spool = join(dir, 'big.jsonl');
    const s = flaky(store);
    s.down = true;
    const log = await AuditLog.open({ store: s, spool: { path: spool }, flushIntervalMs: 1, maxQueue: 100_000 });
    const text = 'x'.repeat(2000);
    for (let i = 0; i < 2500; i++) log.record({ type: 'error', requestId: `g${i}`, where: 'test', message: text });
    expect(log.stats().spoolBytes).toBeGreaterThan(4 * 1024 * 1024);
    s.down = false;
    await log.flush();
    expect(statSync(spool).size).toBe(0);
    log.record({ type: 'error', requestId: 'after', where: 'test', message: 'small' });
    await log.flush();
    expect(statSync(spool).size).toBeGreaterThan(0);
    expect(readFileSync(spool).every((b) => b === 0)).toBe(true);
    await log.close();
    expect(statSync(spool).size).toBe(0);
    expect((await requestIds(store)).length).toBe(2501);
  });

  it('journals large and non-ASCII events byte for byte (the journal buffer grows for them)', async () => {
    const spool = join(dir, 'text.jsonl');
    const s = flaky(store);
    s.down = true;
    const log = await AuditLog.open({ store: s, spool: { path: spool }, flushIntervalMs: 1 });
    const messages = ['grüße, 日本語, emoji 🦀 and a lone surrogate \ud800', 'x'.repeat(100_000), `${'é'.repeat(700_000)}🦀`, 'small again'];
    log.recordMany(messages.slice(0, 2).map((message, i) => ({ type: 'error', requestId: `u${i}`, where: 'test', message })));
    log.recordMany(messages.slice(2).map((message, i) => ({ type: 'error', requestId: `u${i + 2}`, where: 'test', message })));
    copyFileSync(spool, join(dir, 'text-copy.jsonl'));
    s.down = false;
    await log.close();
    const stored: string[] = [];
    for await (const r of exportRecords(store)) stored.push(String(r.data.message));
    expect(stored).toEqual(messages);
    // The journal alone (a restart after a kill, into an empty store) gives the same events.
    const fresh = new SqliteAuditStore({ database: join(dir, 'fresh.db') });
    try {
      const again = await AuditLog.open({ store: fresh, spool: { path: join(dir, 'text-copy.jsonl') } });
      await again.close();
      const replayed: string[] = [];
      for await (const r of exportRecords(fresh)) replayed.push(String(r.data.message));
      expect(replayed).toEqual(messages);
      expect((await verifyAuditLog(fresh)).ok).toBe(true);
    } finally {
      await fresh.close();
    }
  });

  it('fails closed when the spool is full, or drops and counts when configured to', async () => {
    const s = flaky(store);
    s.down = true;
    const closed = await AuditLog.open({ store: s, spool: { path: join(dir, 'a.jsonl'), maxBytes: 2000 }, onFull: 'fail-closed' });
    let thrown: unknown;
    for (let i = 0; i < 100 && !thrown; i++) {
      try {
        closed.record({ type: 'request.received', requestId: `r${i}`, route: '/r' });
      } catch (error) {
        thrown = error;
      }
    }
    expect(thrown).toBeInstanceOf(AuditUnavailableError);
    expect(closed.accepting).toBe(false);

    const dropped: number[] = [];
    const dropping = await AuditLog.open({ store: s, spool: { path: join(dir, 'b.jsonl'), maxBytes: 2000 }, onFull: 'drop', hooks: { dropped: (n) => dropped.push(n) } });
    for (let i = 0; i < 100; i++) dropping.record({ type: 'request.received', requestId: `r${i}`, route: '/r' });
    expect(dropping.stats().dropped).toBeGreaterThan(0);
    expect(dropped.length).toBe(dropping.stats().dropped);
    s.down = false;
    await closed.close();
    await dropping.close();
  });

  it('a process killed with SIGKILL under load loses no acknowledged event', async () => {
    const dbPath = join(dir, 'audit.db');
    const spool = join(dir, 'kill-spool.jsonl');
    const child = spawn(process.execPath, [join('node_modules', 'vite-node', 'vite-node.mjs'), join('test', 'audit', 'fixtures', 'writer-child.ts'), dbPath, spool], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let buffer = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.on('exit', () => reject(new Error(`child exited early: ${stderr}`)));
      child.stdout.on('data', (d: Buffer) => {
        buffer += d.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const l of lines) acked.push(l.slice(4));
        if (acked.length >= 3000 && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    expect(await exited).toBe('SIGKILL');
    for (const l of (buffer.split('\n'))) if (l.startsWith('ack ') && l.length > 4) acked.push(l.slice(4));
    expect(existsSync(spool)).toBe(true);

    const log = await AuditLog.open({ store, spool: { path: spool } });
    await log.close();
    const stored = new Set(await requestIds(store));
    const missing = acked.filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
    expect(acked.length).toBeGreaterThanOrEqual(3000);
    const v = await verifyAuditLog(store);
    expect(v.ok).toBe(true);
    expect(v.records).toBe(stored.size);
  });
});

describe('encrypted payloads across a full queue', () => {
  it('an event refused for lack of room does not leave behind a data key that was never stored', async () => {
    const { dir, cleanup } = tempDir();
    const store = new SqliteAuditStore({ database: join(dir, 'a.db') });
    const keyring = testKeyring();
    const s = flaky(store);
    s.down = true;
    const log = await AuditLog.open({ store: s, payloads: 'encrypted', keyring, maxQueue: 1, onFull: 'drop' });
    log.record({ type: 'request.received', subject: 'alice', route: '/r', payload: 'first' });
    log.record({ type: 'request.received', subject: 'bob', route: '/r', payload: 'dropped' });
    s.down = false;
    await log.flush();
    log.record({ type: 'request.received', subject: 'bob', route: '/r', payload: 'kept' });
    await log.close();
    const texts: string[] = [];
    for await (const r of exportRecords(store, { keyring })) texts.push(r.payload && 'text' in r.payload ? String(r.payload.text) : 'unreadable');
    expect(texts).toEqual(['first', 'kept']);
    await store.close();
    cleanup();
  });
});

describe.each(STORES)('store outage on %s', (_name, open) => {
  it('events spool while appends fail and are replayed in order, with the chain intact', async () => {
    const sut = await open();
    const { dir, cleanup } = tempDir();
    try {
      const s = flaky(sut.store);
      const log = await AuditLog.open({ store: s, spool: { path: join(dir, 'spool') }, flushIntervalMs: 1, batchSize: 7 });
      for (let i = 0; i < 10; i++) log.record({ type: 'request.received', requestId: `a${i}`, route: '/r' });
      await log.flush();
      s.down = true;
      for (let i = 0; i < 30; i++) log.record({ type: 'request.received', requestId: `b${i}`, route: '/r' });
      await expect(log.flush(200)).rejects.toBeInstanceOf(AuditUnavailableError);
      s.down = false;
      await log.close();
      expect(await requestIds(sut.store)).toEqual([...Array.from({ length: 10 }, (_, i) => `a${i}`), ...Array.from({ length: 30 }, (_, i) => `b${i}`)]);
      expect((await verifyAuditLog(sut.store)).ok).toBe(true);
    } finally {
      await sut.dispose();
      cleanup();
    }
  });
});

describe('recordMany', () => {
  it('journals several events at once, keeps their order and their data keys, and refuses them together', async () => {
    const { dir, cleanup } = tempDir();
    const store = new SqliteAuditStore({ database: join(dir, 'a.db') });
    const keyring = testKeyring();
    const s = flaky(store);
    s.down = true;
    const log = await AuditLog.open({ store: s, payloads: 'encrypted', keyring, spool: { path: join(dir, 'spool'), maxBytes: 6000 }, onFull: 'fail-closed' });
    log.recordMany([
      { type: 'request.received', subject: 'carol', requestId: 'm1', route: '/r', payload: 'one' },
      { type: 'decision', subject: 'carol', requestId: 'm2', direction: 'input', action: 'allow', findings: 0, failures: 0 },
      { type: 'upstream.response', subject: 'dave', requestId: 'm3', upstream: 'u', status: 200, latencyMs: 1, payload: 'three' },
    ]);
    const big = Array.from({ length: 40 }, (_, i) => ({ type: 'request.received' as const, subject: 'erin', requestId: `x${i}`, route: '/r', payload: 'x'.repeat(100) }));
    expect(() => log.recordMany(big)).toThrow(AuditUnavailableError);
    s.down = false;
    log.record({ type: 'request.received', subject: 'erin', requestId: 'm4', route: '/r', payload: 'four' });
    await log.close();
    const rows: string[] = [];
    for await (const r of exportRecords(store, { keyring })) rows.push(`${r.requestId}:${r.payload && 'text' in r.payload ? r.payload.text : '-'}`);
    expect(rows).toEqual(['m1:one', 'm2:-', 'm3:three', 'm4:four']);
    await store.close();
    cleanup();
  });
});
