/**
 * The audit trail's CPU per gateway request: the events one proxied request records, written through
 * the real AuditLog (spool journal on, the gateway's default writer settings) into a fresh SQLite file
 * (or PostgreSQL), split into
 *
 *   record: the synchronous part the request pays (serialize, encrypt, journal write): two
 *           `recordMany` calls per request, as src/gateway/request-audit.ts writes them;
 *   drain:  the background part (chain, store, spool bookkeeping), of which `append` is the store.
 *
 * The events come from the gateway's own builders (src/audit/gateway-events.ts) in the shape an
 * ordinary non-streamed request leaves: auth, request.received (system + user segment), the input
 * decision, then upstream.response and the output decision. BENCH_AUDIT_WRITE_FINDINGS=1 adds two
 * findings and a redact decision, and a payload.transformed event.
 *
 * Requests are recorded in rounds of `writer.batchSize / events per request` (one batch each), then the
 * round is drained (`flush`); CPU is process.cpuUsage (all threads) around each part.
 *
 * Run: npm run bench:audit-write   (or node dist/bench/audit-write.js after a build)
 * Env: BENCH_AUDIT_WRITE_REQUESTS (default 20000), BENCH_AUDIT_WRITE_PRINCIPALS (API keys, default 4), BENCH_AUDIT_WRITE_PAYLOADS (none|redacted|encrypted,
 * default none, as `init` configures), BENCH_AUDIT_WRITE_FINDINGS=1, BENCH_AUDIT_WRITE_PG (a postgres://
 * URL: PostgreSQL instead of SQLite), BENCH_AUDIT_WRITE_REPEAT (runs, default 3; the median is printed),
 * BENCH_AUDIT_WRITE_JSON=1.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring, parseMasterKey } from '../audit/encryption.js';
import type { AuditEvent } from '../audit/events.js';
import { type AuditRequestContext, decisionEvents, eventBase, requestReceived } from '../audit/gateway-events.js';
import { AuditLog, type PayloadMode } from '../audit/log.js';
import { PostgresAuditStore } from '../audit/postgres-store.js';
import { SqliteAuditStore } from '../audit/sqlite-store.js';
import type { AuditStore } from '../audit/store.js';
import { verifyAuditLog } from '../audit/verify.js';
import type { Decision, Segment } from '../core/index.js';

const env = process.env;
/** A whole number of at least 1 from the environment, or a clear error (a typo must not run a meaningless benchmark). */
function count(name: string, fallback: number): number {
  const raw = env[name];
  const value = raw === undefined || raw.trim() === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1, got "${raw}"`);
  return value;
}

const REQUESTS = count('BENCH_AUDIT_WRITE_REQUESTS', 20_000);
const MODE = (env.BENCH_AUDIT_WRITE_PAYLOADS ?? 'none') as PayloadMode;
const FINDINGS = Boolean(env.BENCH_AUDIT_WRITE_FINDINGS);
const REPEAT = count('BENCH_AUDIT_WRITE_REPEAT', 3);
/** Distinct API keys (principals) the requests come from: each one's index entries land on their own pages. */
const PRINCIPALS = count('BENCH_AUDIT_WRITE_PRINCIPALS', 4);
const BATCH = count('BENCH_AUDIT_WRITE_BATCH', 200);

const SYSTEM = 'You are a helpful assistant. Answer briefly and cite the documents you were given. '.repeat(2);
const USER = 'Summarize the attached quarterly report and list three risks for the next quarter, please. '.repeat(6);
const segments: Segment[] = [
  { id: 'messages[0].content', direction: 'input', role: 'system', kind: 'message', text: SYSTEM, trusted: true, path: ['messages', 0, 'content'] },
  { id: 'messages[1].content', direction: 'input', role: 'user', kind: 'message', text: USER, trusted: false, path: ['messages', 1, 'content'] },
];
const ALLOW: Decision = { action: 'allow', verdicts: [], failures: [] };
const REDACT: Decision = {
  action: 'redact',
  verdicts: [
    { finding: { guard: 'pii', type: 'pii.email', score: 0.99, segmentId: 'messages[1].content', span: { start: 10, end: 30 }, reason: 'email address' }, action: 'redact', rule: 2 },
    { finding: { guard: 'secrets', type: 'secret.openai_key', score: 1, segmentId: 'messages[1].content', span: { start: 40, end: 91 }, reason: 'OpenAI API key' }, action: 'redact', rule: 3 },
  ],
  failures: [],
};

/** The two journal writes of one request: before the upstream is contacted, and before the client is answered. */
function requestWrites(i: number): [AuditEvent[], AuditEvent[]] {
  const principal = { id: `key_${(i % PRINCIPALS).toString(36).padStart(8, '0')}`, name: 'agent', kind: 'client' as const, role: 'agent' };
  const ctx: AuditRequestContext = { requestId: randomUUIDish(i), principal };
  const before: AuditEvent[] = [
    { type: 'auth', ...eventBase(ctx), outcome: 'success', surface: 'proxy', keyId: principal.id, clientIp: '127.0.0.1' },
    requestReceived(ctx, { route: '/v1/chat/completions', api: 'openai-chat', model: 'gpt-4o-mini', stream: false, bytes: 705, clientIp: '127.0.0.1' }, segments, { includePayload: MODE !== 'none' }),
    ...decisionEvents(ctx, 'input', FINDINGS ? REDACT : ALLOW),
  ];
  if (FINDINGS) before.push({ type: 'payload.transformed', ...eventBase(ctx), direction: 'input', transform: 'redact', spans: 2 });
  const after: AuditEvent[] = [
    { type: 'upstream.response', ...eventBase(ctx), upstream: 'openai', model: 'gpt-4o-mini', status: 200, latencyMs: 1.734 + (i % 7) / 10, tokensIn: 180, tokensOut: 24 },
    ...decisionEvents(ctx, 'output', ALLOW),
  ];
  return [before, after];
}

const HEX = '0123456789abcdef';
function randomUUIDish(i: number): string {
  let s = '';
  for (let k = 0; k < 32; k++) s += HEX[(i * 2654435761 + k * 40503) % 16 & 15];
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-a${s.slice(17, 20)}-${s.slice(20)}`;
}

const cpuMicros = (u: NodeJS.CpuUsage): number => u.user + u.system;

interface Figures {
  store: string;
  payloads: PayloadMode;
  findings: boolean;
  requests: number;
  eventsPerRequest: number;
  recordUs: number;
  drainUs: number;
  appendUs: number;
  totalUs: number;
  /** The main thread's CPU (record and drain), from /proc (10 ms ticks; undefined elsewhere). */
  mainUs: number | undefined;
  verified: boolean;
}

/** CPU time of the main thread, µs (Linux: /proc/self/task/<pid>/stat, in clock ticks of 10 ms). */
function mainThreadMicros(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/** Times the store's appends inside the drain. */
function timedStore(store: AuditStore, spent: { us: number }): AuditStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'append') {
        return async (...args: Parameters<AuditStore['append']>) => {
          const t0 = process.cpuUsage();
          try {
            return await target.append(...args);
          } finally {
            spent.us += cpuMicros(process.cpuUsage(t0));
          }
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function runOnce(openStore: (dir: string) => Promise<AuditStore>, name: string): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'cg-audit-write-'));
  const store = await openStore(dir);
  try {
    const spentAppend = { us: 0 };
    const keyring = MODE === 'encrypted' ? new Keyring([parseMasterKey('k1', randomBytes(32).toString('base64'))], 'k1') : undefined;
    const log = await AuditLog.open({
      store: timedStore(store, spentAppend),
      payloads: MODE,
      ...(keyring ? { keyring } : {}),
      spool: { path: join(dir, 'audit.spool') },
      batchSize: BATCH,
      flushIntervalMs: 20,
    });
    const perRequest = requestWrites(0)[0].length + requestWrites(0)[1].length;
    const round = Math.max(1, Math.floor(BATCH / perRequest));
    const warm = Math.min(2000, Math.ceil(REQUESTS / 5));
    let recordUs = 0;
    let drainUs = 0;
    let measured = 0;
    let main0: number | undefined;
    for (let done = -warm; done < REQUESTS; done += round) {
      const writes = Array.from({ length: round }, (_, k) => requestWrites(done + k + warm));
      if (done === 0) {
        spentAppend.us = 0;
        main0 = mainThreadMicros();
      }
      const t0 = process.cpuUsage();
      for (const [before, after] of writes) {
        log.recordMany(before);
        log.recordMany(after);
      }
      const t1 = process.cpuUsage();
      await log.flush();
      const t2 = process.cpuUsage();
      if (done >= 0) {
        recordUs += cpuMicros(t1) - cpuMicros(t0);
        drainUs += cpuMicros(t2) - cpuMicros(t1);
        measured += round;
      }
    }
    const main1 = mainThreadMicros();
    await log.close();
    const result = await verifyAuditLog(store, {});
    return {
      store: name,
      payloads: MODE,
      findings: FINDINGS,
      requests: measured,
      eventsPerRequest: perRequest,
      recordUs: recordUs / measured,
      drainUs: drainUs / measured,
      appendUs: spentAppend.us / measured,
      totalUs: (recordUs + drainUs) / measured,
      mainUs: main0 !== undefined && main1 !== undefined ? (main1 - main0) / measured : undefined,
      verified: result.ok,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const runs: Figures[] = [];
  for (let r = 0; r < REPEAT; r++) {
    const url = env.BENCH_AUDIT_WRITE_PG;
    if (url) {
      const schema = `cg_audit_write_${process.pid}_${r}`;
      try {
        runs.push(await runOnce(() => PostgresAuditStore.open({ connectionString: url, schema }), 'postgres'));
      } finally {
        const again = await PostgresAuditStore.open({ connectionString: url, schema });
        await again.dropSchema();
        await again.close();
      }
    } else {
      runs.push(await runOnce(async (dir) => new SqliteAuditStore({ database: join(dir, 'audit.db') }), 'sqlite'));
    }
  }
  const pick = (k: 'recordUs' | 'drainUs' | 'appendUs' | 'totalUs'): number => median(runs.map((f) => f[k]));
  const f = runs[0]!;
  const mains = runs.map((x) => x.mainUs).filter((x): x is number => x !== undefined);
  const summary = { ...f, recordUs: pick('recordUs'), drainUs: pick('drainUs'), appendUs: pick('appendUs'), totalUs: pick('totalUs'), mainUs: mains.length ? median(mains) : undefined, verified: runs.every((x) => x.verified), runs: runs.map((x) => Number(x.totalUs.toFixed(1))) };
  if (env.BENCH_AUDIT_WRITE_JSON) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const us = (n: number): string => n.toFixed(1);
  process.stdout.write(
    `${summary.store}, payloads ${summary.payloads}${summary.findings ? ', with findings' : ''}, ${PRINCIPALS} principal(s): ${summary.requests} requests x ${summary.eventsPerRequest} events, median of ${runs.length} runs\n` +
      `  record (2 journal writes, on the request): ${us(summary.recordUs)} µs CPU per request (${us(summary.recordUs / summary.eventsPerRequest)} per event)\n` +
      `  drain (chain + store, background):       ${us(summary.drainUs)} µs CPU per request, of which store append ${us(summary.appendUs)}\n` +
      `  total:                                     ${us(summary.totalUs)} µs CPU per request (runs: ${summary.runs.join(', ')}); chain ${summary.verified ? 'verifies' : 'BROKEN'}\n` +
      (summary.mainUs !== undefined ? `  of which the main thread (event loop):     ${us(summary.mainUs)} µs per request\n` : ''),
  );
}

await main();
