/**
 * Audit log throughput: appends N events through the real writer (hash chain, AES-256-GCM payloads,
 * signed checkpoints, spool journal) into a fresh SQLite file (or PostgreSQL), then verifies the chain.
 *
 *   append: events/s from the first `record` until `flush` resolves (everything committed).
 *   record: the synchronous cost per event that a request pays (serialize, encrypt, journal write).
 *   per request: the `record` calls of one typical request (received, 2 findings, decision,
 *                upstream response with payload, decision), measured together.
 *   verify: records/s of `verifyAuditLog` on one core.
 *
 * Run: npx vite-node src/bench/audit-verify.ts  (or node dist/bench/audit-verify.js after a build)
 * Env: BENCH_AUDIT_RECORDS (default 1000000), BENCH_AUDIT_PAYLOADS (none|redacted|encrypted, default
 * encrypted), BENCH_AUDIT_PG (a postgres:// URL: also run against PostgreSQL), BENCH_AUDIT_BATCHED=1,
 * BENCH_AUDIT_JSON=1.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring, parseMasterKey } from '../audit/encryption.js';
import type { AuditEvent } from '../audit/events.js';
import { AuditLog, type PayloadMode } from '../audit/log.js';
import { PostgresAuditStore } from '../audit/postgres-store.js';
import { CheckpointSigner, CheckpointVerifier, generateAuditSigningKey, parsePublicKey, parseSigningKey } from '../audit/signing.js';
import { SqliteAuditStore } from '../audit/sqlite-store.js';
import type { AuditStore } from '../audit/store.js';
import { verifyAuditLog } from '../audit/verify.js';

const N = Number(process.env.BENCH_AUDIT_RECORDS ?? 1_000_000);
const MODE = (process.env.BENCH_AUDIT_PAYLOADS ?? 'encrypted') as PayloadMode;
/** BENCH_AUDIT_BATCHED=1: record a request's events in three groups (recordMany) instead of one by one. */
const BATCHED = Boolean(process.env.BENCH_AUDIT_BATCHED);
const PROMPT = 'Summarize the attached quarterly report and list three risks. '.repeat(8);

function requestEvents(i: number): AuditEvent[] {
  const base = { requestId: `req-${i}`, principal: `key_${i % 50}`, tenant: 'acme', subject: `user-${i % 1000}` };
  return [
    { ...base, type: 'request.received', route: '/v1/chat/completions', api: 'openai-chat', model: 'gpt-4o', stream: true, bytes: 4200, segments: [{ id: 's0', direction: 'input', role: 'system', kind: 'message', chars: 2000, trusted: true }, { id: 's1', direction: 'input', role: 'user', kind: 'message', chars: 480 }], payload: PROMPT },
    { ...base, type: 'finding', direction: 'input', guard: 'pii', findingType: 'pii.email', score: 0.99, segmentId: 's1', span: { start: 10, end: 30 }, action: 'redact', rule: 2, reason: 'email address' },
    { ...base, type: 'finding', direction: 'input', guard: 'secrets', findingType: 'secret.openai_key', score: 1, segmentId: 's1', span: { start: 40, end: 91 }, action: 'redact', rule: 3, reason: 'OpenAI API key' },
    { ...base, type: 'decision', direction: 'input', action: 'redact', findings: 2, failures: 0, guards: ['pii', 'secrets'], findingTypes: ['pii.email', 'secret.openai_key'] },
    { ...base, type: 'upstream.response', upstream: 'openai', model: 'gpt-4o', status: 200, latencyMs: 812, stream: true, timeToFirstTokenMs: 240, tokensIn: 1200, tokensOut: 310, payload: PROMPT },
    { ...base, type: 'decision', direction: 'output', action: 'allow', findings: 0, failures: 0 },
  ];
}

interface Figures {
  store: string;
  records: number;
  payloads: PayloadMode;
  appendPerSec: number;
  appendPerCpuSec: number;
  recordMicros: number;
  perRequestMicros: number;
  verifyPerSec: number;
  verifyPerCpuSec: number;
  verifyOk: boolean;
}

async function run(name: string, store: AuditStore, dir: string): Promise<Figures> {
  const pair = generateAuditSigningKey();
  const signer = new CheckpointSigner(parseSigningKey(pair.privateKey));
  const keyring = new Keyring([parseMasterKey('k1', randomBytes(32).toString('base64'))], 'k1');
  const log = await AuditLog.open({ store, payloads: MODE, keyring, signer, spool: { path: join(dir, `${name}.spool`), maxBytes: 2 ** 40 }, maxQueue: 200_000, batchSize: 2000, checkpointEvery: 10_000 });
  const requests = Math.ceil(N / 6);
  let recordNs = 0n;
  let recorded = 0;
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < requests; i++) {
    const events = requestEvents(i);
    const t0 = process.hrtime.bigint();
    if (BATCHED) {
      // The gateway's grouping: the request, then the input decision with its findings, then the answer.
      log.record(events[0]!);
      log.recordMany(events.slice(1, 4));
      log.recordMany(events.slice(4));
    } else for (const e of events) log.record(e);
    recordNs += process.hrtime.bigint() - t0;
    recorded += events.length;
    // Let the writer run as it would between requests.
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
  }
  await log.close();
  const appendSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const appendCpu = process.cpuUsage(cpuStart);
  const verifier = new CheckpointVerifier([parsePublicKey(pair.publicKey)]);
  const result = await verifyAuditLog(store, { verifier });
  return {
    store: name,
    records: recorded,
    payloads: MODE,
    appendPerSec: Math.round(recorded / appendSeconds),
    appendPerCpuSec: Math.round(recorded / ((appendCpu.user + appendCpu.system) / 1e6)),
    recordMicros: Number(recordNs) / 1000 / recorded,
    perRequestMicros: Number(recordNs) / 1000 / requests,
    verifyPerSec: Math.round(result.records / (result.elapsedMs / 1000)),
    verifyPerCpuSec: Math.round(result.records / (result.cpuMs / 1000)),
    verifyOk: result.ok,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cg-audit-bench-'));
  const figures: Figures[] = [];
  try {
    const sqlite = new SqliteAuditStore({ database: join(dir, 'audit.db') });
    figures.push(await run('sqlite', sqlite, dir));
    await sqlite.close();
    if (process.env.BENCH_AUDIT_PG) {
      const schema = `cg_audit_bench_${process.pid}`;
      const pg = await PostgresAuditStore.open({ connectionString: process.env.BENCH_AUDIT_PG, schema });
      try {
        figures.push(await run('postgres', pg, dir));
      } finally {
        await pg.dropSchema();
        await pg.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (process.env.BENCH_AUDIT_JSON) {
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return;
  }
  for (const f of figures) {
    process.stdout.write(
      `${f.store}: ${f.records} events, payloads ${f.payloads}\n` +
        `  append (chain + ${f.payloads} payloads + spool + checkpoints): ${f.appendPerSec} events/s wall, ${f.appendPerCpuSec} per CPU-second\n` +
        `  ${BATCHED ? 'record()/recordMany()' : 'record()'} on the request path: ${f.recordMicros.toFixed(2)} µs/event, ${f.perRequestMicros.toFixed(1)} µs per request (6 events)\n` +
        `  verify: ${f.verifyPerSec} records/s wall, ${f.verifyPerCpuSec} records per CPU-second (${f.verifyOk ? 'intact' : 'BROKEN'})\n`,
    );
  }
}

await main();
