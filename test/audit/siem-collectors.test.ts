import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditConfigSchema } from '../../src/audit/config.js';
import { type AuditRuntime, startAudit } from '../../src/audit/setup.js';
import { datadogIntakeUrl, FileSpool } from '../../src/audit/siem.js';
import { tempDir } from './helpers.js';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** Body as sent (gunzipped when the request said gzip). */
  readonly body: string;
}

type Answer = { status: number; body?: unknown };

/** A collector on 127.0.0.1 that records every request and answers with `answer(request, n)`. */
class Receiver {
  readonly requests: Received[] = [];
  port = 0;
  private server: Server;

  constructor(
    private answer: (req: Received, n: number) => Answer = () => ({ status: 200, body: { text: 'Success', code: 0 } }),
    tls?: { key: Buffer; cert: Buffer },
  ) {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
        const received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        this.requests.push(received);
        const a = this.answer(received, this.requests.length);
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(a.body === undefined ? '' : JSON.stringify(a.body));
      });
    };
    this.server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  }

  setAnswer(answer: (req: Received, n: number) => Answer): void {
    this.answer = answer;
  }

  listen(port = 0): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve(this.port);
      }),
    );
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** HEC bodies are JSON objects one after another (we put a newline between them). */
function hecEvents(body: string): Record<string, any>[] {
  return body.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function until(check: () => boolean, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

/** A private CA and a certificate it signed for 127.0.0.1 / localhost. */
function makeCa(dir: string): { caFile: string; key: Buffer; cert: Buffer } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=ClawGuard test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  run(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '1', '-extfile', 'leaf.ext']);
  return { caFile: join(dir, 'ca.pem'), key: readFileSync(join(dir, 'leaf.key')), cert: readFileSync(join(dir, 'leaf.pem')) };
}

const TOKEN = 'hec-token-5f1e0c2a-9d6b-4f0e-b1a2-c3d4e5f60718';
const DD_KEY = 'dd0123456789abcdef0123456789abcd';
const FAST = { flushIntervalMs: 20, initialBackoffMs: 30, maxBackoffMs: 150 };

describe('Splunk HEC and Datadog forwarders', () => {
  let dir: string;
  let cleanup: () => void;
  let logs: string[];
  const receivers: Receiver[] = [];
  const runtimes: AuditRuntime[] = [];

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    logs = [];
  });
  afterEach(async () => {
    for (const r of runtimes.splice(0)) await r.close().catch(() => undefined);
    for (const r of receivers.splice(0)) await r.close().catch(() => undefined);
    cleanup();
  });

  async function receiver(answer?: (req: Received, n: number) => Answer, tls?: { key: Buffer; cert: Buffer }): Promise<Receiver> {
    const r = new Receiver(answer, tls);
    receivers.push(r);
    await r.listen();
    return r;
  }

  async function start(siem: unknown[], env: Record<string, string> = { SPLUNK_TOKEN: TOKEN, DD_API_KEY: DD_KEY }): Promise<AuditRuntime> {
    const config = auditConfigSchema.parse({ payloads: 'redacted', siem });
    const audit = await startAudit(config, { baseDir: dir, env, hooks: { error: (m) => logs.push(m) } });
    runtimes.push(audit);
    return audit;
  }

  async function stop(audit: AuditRuntime): Promise<void> {
    runtimes.splice(runtimes.indexOf(audit), 1);
    await audit.close();
  }

  function recordDecisions(audit: AuditRuntime, n: number, from = 0): void {
    for (let i = 0; i < n; i++) audit.log.record({ type: 'decision', direction: 'input', action: i % 2 ? 'allow' : 'block', findings: 0, failures: 0, requestId: `req-${from + i}`, payload: `secret prompt ${from + i}` });
  }

  it('Splunk: several events per POST in the HEC envelope, with the token header, never the payload', async () => {
    const hec = await receiver();
    const audit = await start([{ type: 'splunk', url: `http://127.0.0.1:${hec.port}`, token: 'env:SPLUNK_TOKEN', index: 'clawguard', host: 'gw-1', batchSize: 5, flushIntervalMs: 5000 }]);
    recordDecisions(audit, 5);
    await audit.log.flush();
    await until(() => hec.requests.length >= 1);
    await stop(audit);
    expect(hec.requests).toHaveLength(1);
    const [req] = hec.requests;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/services/collector/event');
    expect(req!.headers.authorization).toBe(`Splunk ${TOKEN}`);
    expect(req!.headers['content-type']).toBe('application/json');
    const events = hecEvents(req!.body);
    expect(events).toHaveLength(5);
    for (const e of events) {
      expect(Object.keys(e)).toEqual(['time', 'host', 'source', 'sourcetype', 'index', 'event']);
      expect(e).toMatchObject({ host: 'gw-1', source: 'clawguard', sourcetype: 'clawguard:audit', index: 'clawguard' });
      expect(e.time).toBeCloseTo(e.event.ts / 1000, 3);
    }
    expect(events.map((e) => [e.event.seq, e.event.type, e.event.requestId])).toEqual([0, 1, 2, 3, 4].map((i) => [i + 1, 'decision', `req-${i}`]));
    expect(events[0]!.event.data).toMatchObject({ action: 'block' });
    expect(req!.body).not.toContain('secret prompt');
    // Delivered and drained: the spool file is empty.
    expect(readFileSync(join(dir, 'clawguard-siem-splunk.spool'), 'utf8')).toBe('');
  });

  it('Splunk over HTTPS with a private CA: retries after 503 busy, delivers each event once, in order', async () => {
    const ca = makeCa(dir);
    const hec = await receiver((_req, n) => (n <= 2 ? { status: 503, body: { text: 'Server is busy', code: 9 } } : { status: 200, body: { text: 'Success', code: 0 } }), ca);
    const audit = await start([{ type: 'splunk', url: `https://localhost:${hec.port}`, token: 'env:SPLUNK_TOKEN', caFile: ca.caFile, batchSize: 4, ...FAST }]);
    recordDecisions(audit, 10);
    await audit.log.flush();
    await until(() => hec.requests.slice(2).flatMap((r) => hecEvents(r.body)).length >= 10);
    const forwarder = audit.forwarders[0]!;
    await stop(audit);
    const delivered = hec.requests.slice(2).flatMap((r) => hecEvents(r.body)).map((e) => e.event.seq);
    expect(delivered).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(hec.requests.slice(2).every((r) => hecEvents(r.body).length <= 4)).toBe(true);
    expect(forwarder.stats).toMatchObject({ sent: 10, dropped: 0, deadLettered: 0 });
    expect(forwarder.stats.failures).toBeGreaterThanOrEqual(2);
    expect(logs.some((l) => l.includes('Splunk HEC HTTP 503: Server is busy (code 9); retrying'))).toBe(true);
    expect(logs[logs.length - 1]).toMatch(/splunk: delivering again$/);
  });

  it('Splunk verifies TLS by default: a collector whose CA it does not know gets nothing, and the events wait', async () => {
    const ca = makeCa(dir);
    const hec = await receiver(undefined, ca);
    const audit = await start([{ type: 'splunk', url: `https://localhost:${hec.port}`, token: 'env:SPLUNK_TOKEN', ...FAST }]);
    recordDecisions(audit, 3);
    await audit.log.flush();
    await until(() => logs.length > 0);
    const forwarder = audit.forwarders[0]!;
    await stop(audit);
    expect(hec.requests).toHaveLength(0);
    expect(forwarder.stats.sent).toBe(0);
    expect(logs[0]).toMatch(/cannot reach https:\/\/localhost:\d+: .*(certificate|CERT|self.signed)/i);
    // Still spooled for the next start.
    expect(readFileSync(join(dir, 'clawguard-siem-splunk.spool'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('Splunk 400 invalid data: the refused event is dead-lettered with a log line, the rest go on, nothing retried forever', async () => {
    const hec = await receiver((_req, n) => (n === 1 ? { status: 400, body: { text: 'Invalid data format', code: 6, 'invalid-event-number': 1 } } : { status: 200, body: { text: 'Success', code: 0 } }));
    const audit = await start([{ type: 'splunk', url: `http://127.0.0.1:${hec.port}`, token: 'env:SPLUNK_TOKEN', batchSize: 3, flushIntervalMs: 5000 }]);
    recordDecisions(audit, 3);
    await audit.log.flush();
    await until(() => hec.requests.length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    const forwarder = audit.forwarders[0]!;
    await stop(audit);
    // HEC indexed event 0 of the first POST, refused event 1; only event 2 is sent again.
    expect(hec.requests.map((r) => hecEvents(r.body).map((e) => e.event.seq))).toEqual([[1, 2, 3], [3]]);
    expect(forwarder.stats).toMatchObject({ sent: 2, deadLettered: 1 });
    expect(logs).toContainEqual(expect.stringMatching(/splunk: collector refused 1 event\(s\) \(seq 2\) as invalid, not retried: Splunk HEC HTTP 400: Invalid data format \(code 6\)/));
  });

  it('Splunk bad token: a clear error without the token, events kept; after a restart with the right token nothing is lost', async () => {
    const hec = await receiver((req) => (req.headers.authorization === 'Splunk good-token' ? { status: 200, body: { text: 'Success', code: 0 } } : { status: 403, body: { text: 'Invalid token', code: 4 } }));
    const target = { type: 'splunk', url: `http://127.0.0.1:${hec.port}`, token: 'env:SPLUNK_TOKEN', ...FAST };
    const first = await start([target]);
    recordDecisions(first, 4);
    await first.log.flush();
    await until(() => hec.requests.length >= 2);
    const stats = first.forwarders[0]!.stats;
    await stop(first);
    expect(stats.sent).toBe(0);
    expect(stats.lastError).toMatch(/Splunk HEC refused the token \(HTTP 403: Invalid token \(code 4\)\); check the token's secret reference/);
    for (const text of [...logs, stats.lastError!]) expect(text).not.toContain(TOKEN);
    expect(logs.join('\n')).toContain('refused the token');

    const second = await start([target], { SPLUNK_TOKEN: 'good-token' });
    recordDecisions(second, 2, 4);
    await second.log.flush();
    const accepted = () => hec.requests.filter((r) => r.headers.authorization === 'Splunk good-token').flatMap((r) => hecEvents(r.body).map((e) => e.event.seq));
    await until(() => accepted().length >= 6);
    await stop(second);
    expect(accepted()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('Splunk collector down, then back: nothing lost, order kept, across a gateway restart too', async () => {
    const hec = await receiver();
    const port = hec.port;
    await hec.close();
    receivers.splice(receivers.indexOf(hec), 1);
    const target = { type: 'splunk', url: `http://127.0.0.1:${port}`, token: 'env:SPLUNK_TOKEN', batchSize: 7, ...FAST };
    const first = await start([target]);
    recordDecisions(first, 20);
    await first.log.flush();
    await until(() => first.forwarders[0]!.stats.failures >= 2);
    expect(logs.some((l) => l.includes(`cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED`))).toBe(true);
    await stop(first);

    // Back up, and the gateway restarted: the spool is replayed first, then new events follow.
    const back = new Receiver();
    receivers.push(back);
    await back.listen(port);
    const second = await start([target]);
    recordDecisions(second, 5, 20);
    await second.log.flush();
    const seqs = () => back.requests.flatMap((r) => hecEvents(r.body).map((e) => e.event.seq));
    await until(() => seqs().length >= 25);
    await stop(second);
    expect(seqs()).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(back.requests.every((r) => hecEvents(r.body).length <= 7)).toBe(true);
  });

  it('a full spool drops new events, counts them and says from which seq (the audit store keeps them)', async () => {
    const hec = await receiver();
    const port = hec.port;
    await hec.close();
    receivers.splice(receivers.indexOf(hec), 1);
    const audit = await start([{ type: 'splunk', url: `http://127.0.0.1:${port}`, token: 'env:SPLUNK_TOKEN', spool: { maxBytes: 3000 }, ...FAST }]);
    recordDecisions(audit, 30);
    await audit.log.flush();
    const forwarder = audit.forwarders[0]!;
    await until(() => forwarder.stats.dropped > 0);
    const lines = readFileSync(join(dir, 'clawguard-siem-splunk.spool'), 'utf8').trim().split('\n');
    const kept = lines.map((l) => JSON.parse(l).seq as number);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => i + 1));
    expect(forwarder.stats.dropped).toBe(30 - kept.length);
    expect(logs).toContainEqual(expect.stringContaining(`splunk: queue full, dropping events from seq ${kept.length + 1} (they stay in the audit store`));
    await stop(audit);
  });

  it('Datadog: gzipped JSON array with DD-API-KEY and the reserved attributes, the event under `clawguard`', async () => {
    const dd = await receiver(() => ({ status: 202, body: {} }));
    const audit = await start([{ type: 'datadog', url: `http://127.0.0.1:${dd.port}/api/v2/logs`, apiKey: 'env:DD_API_KEY', tags: ['env:test', 'team:sec'], hostname: 'gw-1', batchSize: 4, flushIntervalMs: 5000 }]);
    recordDecisions(audit, 4);
    await audit.log.flush();
    await until(() => dd.requests.length >= 1);
    await stop(audit);
    expect(dd.requests).toHaveLength(1);
    const [req] = dd.requests;
    expect(req!.url).toBe('/api/v2/logs');
    expect(req!.headers['dd-api-key']).toBe(DD_KEY);
    expect(req!.headers['content-encoding']).toBe('gzip');
    expect(req!.headers['content-type']).toBe('application/json');
    const entries = JSON.parse(req!.body) as Record<string, any>[];
    expect(entries).toHaveLength(4);
    expect(entries[0]).toMatchObject({ ddsource: 'clawguard', ddtags: 'env:test,team:sec', hostname: 'gw-1', service: 'clawguard', status: 'warn', message: 'clawguard audit decision block seq 1' });
    expect(entries[1]).toMatchObject({ status: 'info', message: 'clawguard audit decision allow seq 2' });
    expect(entries.map((e) => e.clawguard.seq)).toEqual([1, 2, 3, 4]);
    expect(entries[0]!.timestamp).toBe(entries[0]!.clawguard.ts);
    expect(req!.body).not.toContain('secret prompt');
  });

  it('Datadog: plain JSON when compression is off, 400 dead-lettered once, 403 a clear error without the key', async () => {
    let mode: 'bad-request' | 'forbidden' | 'ok' = 'bad-request';
    const dd = await receiver(() => (mode === 'bad-request' ? { status: 400, body: { errors: ['Bad Request'] } } : mode === 'forbidden' ? { status: 403, body: { errors: ['Forbidden'] } } : { status: 202, body: {} }));
    const audit = await start([{ type: 'datadog', url: `http://127.0.0.1:${dd.port}/api/v2/logs`, apiKey: 'env:DD_API_KEY', compress: false, batchSize: 2, ...FAST }]);
    recordDecisions(audit, 2);
    await audit.log.flush();
    await until(() => dd.requests.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(dd.requests).toHaveLength(1);
    expect(dd.requests[0]!.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(dd.requests[0]!.body)).toHaveLength(2);
    expect(logs).toContainEqual(expect.stringMatching(/datadog: collector refused 2 event\(s\) \(seq 1\.\.2\) as invalid, not retried: Datadog HTTP 400: Bad Request/));

    mode = 'forbidden';
    recordDecisions(audit, 2, 2);
    await audit.log.flush();
    await until(() => dd.requests.length >= 3);
    expect(audit.forwarders[0]!.stats.lastError).toMatch(/^Datadog refused the API key \(HTTP 403: Forbidden\)/);
    mode = 'ok';
    await audit.forwarders[0]!.flush(5000);
    const forwarder = audit.forwarders[0]!;
    await stop(audit);
    const last = JSON.parse(dd.requests[dd.requests.length - 1]!.body) as { clawguard: { seq: number } }[];
    expect(last.map((e) => e.clawguard.seq)).toEqual([3, 4]);
    expect(forwarder.stats).toMatchObject({ sent: 2, deadLettered: 2 });
    for (const text of logs) expect(text).not.toContain(DD_KEY);
  });

  it('config: Datadog site URL, limits, unique names, secret references only', () => {
    expect(datadogIntakeUrl('datadoghq.eu')).toBe('https://http-intake.logs.datadoghq.eu/api/v2/logs');
    const parsed = auditConfigSchema.parse({ siem: [{ type: 'datadog', apiKey: 'env:DD_API_KEY' }, { type: 'splunk', url: 'https://splunk.example:8088', token: 'file:/run/secrets/hec' }] });
    expect(parsed.siem[0]).toMatchObject({ site: 'datadoghq.com', compress: true, batchSize: 500, tlsVerify: true, spool: { maxBytes: 64 * 1024 * 1024 } });
    expect(parsed.siem[1]).toMatchObject({ sourcetype: 'clawguard:audit', batchSize: 500, batchBytes: 1024 * 1024, tlsVerify: true });
    const fails = (siem: unknown[]) => auditConfigSchema.safeParse({ siem }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(fails([{ type: 'datadog', apiKey: 'env:K', batchSize: 2000 }])).toEqual(['siem.0.batchSize: Datadog accepts at most 1000 entries per request']);
    expect(fails([{ type: 'splunk', url: 'https://a', token: 'env:T' }, { type: 'splunk', url: 'https://b', token: 'env:T' }])[0]).toMatch(/^siem\.1\.name: "splunk" is already the name of siem\[0\]/);
    expect(fails([{ type: 'splunk', url: 'https://a', token: 'plain-token-value' }])).toHaveLength(1);
  });
});

describe('SIEM spool file', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const ev = (seq: number) => ({ seq, ts: 1_700_000_000_000 + seq, type: 'decision', pad: 'x'.repeat(60) });

  it('is bounded: beyond maxBytes new events are dropped and counted; space freed by delivery is reused', () => {
    const path = join(dir, 's.spool');
    const spool = new FileSpool(path, 1000);
    const lineBytes = `${JSON.stringify(ev(10))}\n`.length;
    const fit = Math.floor(1000 / lineBytes);
    const all = Array.from({ length: fit + 3 }, (_, i) => ev(10 + i));
    expect(spool.push(all)).toEqual({ count: 3, firstSeq: 10 + fit });
    expect(spool.length).toBe(fit);
    expect(spool.peek(2).map((e) => e.seq)).toEqual([10, 11]);
    spool.ack(2);
    // Compaction moves the waiting events to the front; two fit again.
    expect(spool.push([ev(100), ev(101), ev(102)])).toEqual({ count: 1, firstSeq: 102 });
    expect(spool.peek(100).map((e) => e.seq)).toEqual([...all.slice(2, fit).map((e) => e.seq), 100, 101]);
    spool.close();
  });

  it('survives a restart: replays after the last accepted seq, ignores a torn last line, truncates when drained', () => {
    const path = join(dir, 's.spool');
    const a = new FileSpool(path, 1 << 20);
    a.push([ev(1), ev(2), ev(3), ev(4)]);
    a.peek(2);
    a.ack(2);
    a.close();
    // A crash mid-write leaves half a line.
    writeFileSync(path, `${readFileSync(path, 'utf8')}{"seq":5,"ts":1`);
    const b = new FileSpool(path, 1 << 20);
    expect(b.length).toBe(2);
    expect(b.peek(10).map((e) => e.seq)).toEqual([3, 4]);
    b.ack(2);
    expect(b.length).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe('');
    expect(readFileSync(`${path}.pos`, 'utf8').trim()).toBe('4');
    b.close();
    expect(existsSync(path)).toBe(true);
  });
});
