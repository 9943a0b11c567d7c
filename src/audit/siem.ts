import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { parseBody, type StoredRecord } from './record.js';

/**
 * Live forwarding of committed audit records to a SIEM. The audit store is the source of truth:
 * a forwarder never blocks the log; when the collector is away it keeps a bounded queue, retries,
 * and drops the oldest beyond it (counted).
 */
export interface SiemForwarder {
  send(records: readonly StoredRecord[]): void;
  /** Waits until the queue is sent (or `timeoutMs` passes). */
  flush(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
  readonly stats: { sent: number; dropped: number; failures: number };
}

/** One JSON object per record: chain fields plus the body (payload bytes are never forwarded). */
export function recordToJson(record: StoredRecord): Record<string, unknown> {
  const { payload, ...body } = parseBody(record.body) as unknown as Record<string, unknown> & { payload?: unknown };
  return { seq: record.seq, hash: record.hash, ...body, ...(payload ? { payload } : {}) };
}

const FACILITY_LOG_AUDIT = 13;

/** Syslog severity from the event: errors and blocks stand out in the SIEM. */
function severityOf(json: Record<string, unknown>): number {
  const data = (json.data ?? {}) as Record<string, unknown>;
  switch (json.type) {
    case 'error':
    case 'guard.failure':
      return 3;
    case 'auth':
      return data.outcome === 'failure' ? 4 : 6;
    case 'decision':
    case 'finding':
    case 'tool.call':
      return data.action === 'block' || data.verdict === 'block' ? 4 : 6;
    case 'admin':
      return 5;
    default:
      return 6;
  }
}

function sdValue(v: string): string {
  return v.replace(/[\\\]"]/g, (c) => `\\${c}`);
}

/** RFC 5424 message: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] BOM JSON`. */
export function toSyslog5424(record: StoredRecord, options: { appName?: string; host?: string } = {}): string {
  const json = recordToJson(record);
  const pri = FACILITY_LOG_AUDIT * 8 + severityOf(json);
  const ts = new Date(Number(json.ts)).toISOString();
  const host = (options.host ?? hostname()).replace(/[^!-~]/g, '').slice(0, 255) || '-';
  const msgId = String(json.type).replace(/[^!-~]/g, '').slice(0, 32) || '-';
  const sd: string[] = [`seq="${record.seq}"`, `hash="${sdValue(record.hash)}"`];
  for (const key of ['principal', 'tenant', 'requestId'] as const) {
    if (typeof json[key] === 'string') sd.push(`${key}="${sdValue(json[key] as string)}"`);
  }
  return `<${pri}>1 ${ts} ${host} ${options.appName ?? 'clawguard'} ${process.pid} ${msgId} [clawguard@32473 ${sd.join(' ')}] \uFEFF${JSON.stringify(json)}`;
}

abstract class QueueForwarder implements SiemForwarder {
  protected queue: StoredRecord[] = [];
  readonly stats = { sent: 0, dropped: 0, failures: 0 };
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  protected closed = false;
  private backoffMs = 0;

  constructor(
    private readonly maxQueue: number,
    private readonly batchSize: number,
    private readonly intervalMs: number,
  ) {}

  send(records: readonly StoredRecord[]): void {
    if (this.closed) return;
    this.queue.push(...records);
    const over = this.queue.length - this.maxQueue;
    if (over > 0) {
      this.queue.splice(0, over);
      this.stats.dropped += over;
    }
    this.schedule(this.queue.length >= this.batchSize ? 0 : this.intervalMs);
  }

  private schedule(delay: number): void {
    if (this.timer || this.running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, delay);
    this.timer.unref();
  }

  private run(): Promise<void> {
    if (!this.running) {
      this.running = (async () => {
        while (this.queue.length > 0) {
          const batch = this.queue.slice(0, this.batchSize);
          try {
            await this.deliver(batch);
            this.queue.splice(0, batch.length);
            this.stats.sent += batch.length;
            this.backoffMs = 0;
          } catch {
            this.stats.failures++;
            this.backoffMs = Math.min(30_000, Math.max(200, this.backoffMs * 2));
            return;
          }
        }
      })().finally(() => {
        this.running = undefined;
        if (this.queue.length > 0 && !this.closed) this.schedule(this.backoffMs);
      });
    }
    return this.running;
  }

  protected abstract deliver(batch: readonly StoredRecord[]): Promise<void>;

  async flush(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length > 0 && Date.now() < deadline) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      await this.run();
      if (this.queue.length > 0) await new Promise((r) => setTimeout(r, Math.min(this.backoffMs || 50, Math.max(0, deadline - Date.now()))));
    }
  }

  async close(): Promise<void> {
    await this.flush(2000);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.shutdown();
  }

  protected async shutdown(): Promise<void> {}
}

/** JSON lines over HTTP(S): one POST per batch, `application/x-ndjson`. */
export class HttpJsonLinesForwarder extends QueueForwarder {
  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string> = {},
    options: { batchSize?: number; flushIntervalMs?: number; maxQueue?: number } = {},
  ) {
    super(options.maxQueue ?? 10_000, options.batchSize ?? 500, options.flushIntervalMs ?? 1000);
  }

  protected async deliver(batch: readonly StoredRecord[]): Promise<void> {
    const body = batch.map((r) => JSON.stringify(recordToJson(r))).join('\n') + '\n';
    const res = await fetch(this.url, { method: 'POST', headers: { ...this.headers, 'content-type': 'application/x-ndjson' }, body, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`SIEM HTTP ${res.status}`);
  }
}

/** RFC 5424 syslog over TCP or TLS (RFC 5425), octet-counting framing (RFC 6587). */
export class SyslogForwarder extends QueueForwarder {
  private socket: Socket | undefined;

  constructor(
    private readonly target: { host: string; port: number; tls?: boolean; caFile?: string; rejectUnauthorized?: boolean; appName?: string; maxQueue?: number },
  ) {
    super(target.maxQueue ?? 10_000, 200, 100);
  }

  private connect(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    return new Promise((resolve, reject) => {
      const t = this.target;
      const socket: Socket = t.tls
        ? connectTls({ host: t.host, port: t.port, servername: t.host, rejectUnauthorized: t.rejectUnauthorized ?? true, ...(t.caFile ? { ca: readFileSync(t.caFile) } : {}) })
        : connectTcp({ host: t.host, port: t.port });
      const onError = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.once('error', onError);
      socket.once(t.tls ? 'secureConnect' : 'connect', () => {
        socket.off('error', onError);
        socket.on('error', () => socket.destroy());
        socket.setKeepAlive(true);
        this.socket = socket;
        resolve(socket);
      });
    });
  }

  protected async deliver(batch: readonly StoredRecord[]): Promise<void> {
    const socket = await this.connect();
    let frames = '';
    for (const r of batch) {
      const msg = toSyslog5424(r, { appName: this.target.appName ?? 'clawguard' });
      frames += `${Buffer.byteLength(msg, 'utf8')} ${msg}`;
    }
    await new Promise<void>((resolve, reject) => {
      socket.write(frames, 'utf8', (error) => (error ? reject(error) : resolve()));
    });
  }

  protected override async shutdown(): Promise<void> {
    const s = this.socket;
    if (!s || s.destroyed) return;
    await new Promise<void>((resolve) => s.end(resolve));
  }
}
