import net from 'node:net';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isStoreUnavailable } from '../../src/storage/errors.js';

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('isStoreUnavailable', () => {
  it('recognizes a real PostgreSQL client that cannot connect', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: await closedPort(), user: 'postgres', database: 'test', connectionTimeoutMillis: 2000 });
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(isStoreUnavailable(error)).toBe(true);
  });

  it('recognizes a connection the server ended (SQLSTATE 57P01) from a real PostgreSQL', async () => {
    const victim = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await victim.connect();
    await admin.connect();
    const errors: unknown[] = [];
    victim.on('error', (e) => errors.push(e));
    try {
      const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      const failed = await victim.query('SELECT 1').then(
        () => undefined,
        (e: unknown) => e,
      );
      const seen = [failed, ...errors].filter((e) => e !== undefined);
      expect(seen.length).toBeGreaterThan(0);
      for (const e of seen) expect(isStoreUnavailable(e)).toBe(true);
    } finally {
      await admin.end();
      await victim.end().catch(() => undefined);
    }
  });

  it('recognizes a SQLite file locked by another writer, and a full one, from real better-sqlite3 errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-store-err-'));
    try {
      const file = join(dir, 'state.db');
      const holder = new Database(file);
      holder.pragma('journal_mode = WAL');
      holder.exec('CREATE TABLE t (v TEXT)');
      const other = new Database(file, { timeout: 0 });
      holder.prepare('BEGIN IMMEDIATE').run();
      let busy: unknown;
      try {
        other.prepare('INSERT INTO t VALUES (?)').run('x');
      } catch (e) {
        busy = e;
      }
      holder.prepare('ROLLBACK').run();
      expect((busy as { code?: string }).code).toMatch(/^SQLITE_BUSY/);
      expect(isStoreUnavailable(busy)).toBe(true);

      // A database that may not grow past its pages: what a full disk looks like to SQLite.
      holder.pragma(`max_page_count = ${holder.pragma('page_count', { simple: true }) as number}`);
      let full: unknown;
      try {
        for (let i = 0; i < 10_000; i++) holder.prepare('INSERT INTO t VALUES (?)').run('y'.repeat(1000));
      } catch (e) {
        full = e;
      }
      expect((full as { code?: string }).code).toBe('SQLITE_FULL');
      expect(isStoreUnavailable(full)).toBe(true);

      // A broken query is ClawGuard's fault, not an outage.
      let syntax: unknown;
      try {
        holder.prepare('SELEC 1');
      } catch (e) {
        syntax = e;
      }
      expect(isStoreUnavailable(syntax)).toBe(false);
      other.close();
      holder.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not take faults of ClawGuard or bad queries for an outage', async () => {
    expect(isStoreUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isStoreUnavailable('ECONNREFUSED')).toBe(false);
    const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await client.connect();
    try {
      const syntax = await client.query('SELEC 1').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isStoreUnavailable(syntax)).toBe(false);
    } finally {
      await client.end();
    }
  });
});
