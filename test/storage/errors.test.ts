import net from 'node:net';
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
