import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRecords } from '../../src/audit/maintenance.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { json, type ScriptedUpstream, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * Disk full for the SQLite stores. The store, the audit database and the audit spool live on a
 * 4 MiB tmpfs mounted for the test (this suite runs as root in CI; mounting needs CAP_SYS_ADMIN —
 * the test says so plainly when it cannot). The disk is filled to the last byte under load, then
 * freed: the gateway refuses what it cannot record (fail closed, 503), loses no record of a request
 * it answered, and serves again without a restart.
 */
const MOUNT = mkdtempSync(join(tmpdir(), 'cg-diskfull-'));
const OK = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] };
let upstream: ScriptedUpstream;
let gw: TestGateway;
const DATA = join(MOUNT, 'data');

function fill(): string {
  const file = join(MOUNT, 'filler');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  // Then the last bytes, so not even a small write fits.
  try {
    for (;;) writeSync(fd, Buffer.alloc(512, 1));
  } catch {
    /* full */
  }
  closeSync(fd);
  return file;
}

beforeAll(async () => {
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', MOUNT], { encoding: 'utf8' });
  if (mounted.status !== 0) throw new Error(`this test mounts a 4 MiB tmpfs (needs root or CAP_SYS_ADMIN): ${mounted.stderr}`);
  mkdirSync(DATA);
  upstream = await startScriptedUpstream((_req, res) => json(res, 200, OK));
  gw = await startTestGateway({
    upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }],
    routes: [{ model: '*', upstream: 'u' }],
    storage: { sqlite: { path: join(DATA, 'clawguard.db') } },
    audit: { store: { path: join(DATA, 'audit.db') }, spool: { path: join(DATA, 'audit.spool') }, writer: { flushIntervalMs: 10 }, onFull: 'fail-closed' },
  });
}, 30_000);

afterAll(async () => {
  await gw?.close().catch(() => undefined);
  await upstream?.close();
  spawnSync('umount', ['-l', MOUNT]);
  rmSync(MOUNT, { recursive: true, force: true });
});

const chat = async () => {
  const res = await fetch(`${gw.proxyUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: `hi ${'x'.repeat(2000)}` }] }) });
  const body = await res.text();
  return { status: res.status, body, requestId: res.headers.get('x-request-id') ?? '' };
};

describe('disk full under the SQLite store and the audit log', () => {
  it('fails closed while full, loses no answered request, and recovers without a restart', async () => {
    const answered: string[] = [];
    const statuses: number[] = [];
    const note = (r: { status: number; body: string; requestId: string }) => {
      statuses.push(r.status);
      if (r.status === 200) answered.push(r.requestId);
      else expect(r.status, `${r.body} ${gw.logs.filter((l) => l.includes("internalError")).slice(-1)[0] ?? ""}`).toBe(503);
    };
    for (let i = 0; i < 10; i++) note(await chat());
    expect(answered).toHaveLength(10);

    const filler = fill();
    // Keep the traffic going until the full disk shows: the audit log cannot take more, so requests are refused.
    let refused = 0;
    for (let i = 0; i < 300 && refused < 5; i++) {
      const r = await chat();
      note(r);
      if (r.status === 503) {
        refused++;
        expect(JSON.parse(r.body).error).toMatchObject({ code: 'audit_unavailable' });
      }
    }
    expect(refused, `statuses while full: ${statuses.slice(10).join(',')}`).toBe(5);

    rmSync(filler);
    const started = Date.now();
    let back = false;
    while (!back && Date.now() - started < 20_000) {
      const r = await chat();
      note(r);
      back = r.status === 200;
      if (!back) await new Promise((res) => setTimeout(res, 200));
    }
    expect(back).toBe(true);
    for (let i = 0; i < 5; i++) note(await chat());
    expect(statuses.slice(-5)).toEqual([200, 200, 200, 200, 200]);

    // Every answered request is in the audit chain, and the chain verifies.
    await gw.close();
    const store = new SqliteAuditStore({ database: join(DATA, 'audit.db') });
    try {
      const seen = new Set<string>();
      for await (const r of exportRecords(store)) if (r.type === 'upstream.response' && r.requestId) seen.add(r.requestId);
      for (const id of answered) expect(seen.has(id), id).toBe(true);
      expect((await verifyAuditLog(store)).ok).toBe(true);
    } finally {
      await store.close();
    }
  }, 90_000);
});
