import { readFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { eventToSyslog5424, type SiemEvent } from './format.js';
import { QueueForwarder, RetryableSiemError } from './forwarder.js';
import { MemoryQueue, type ForwardQueue } from './queue.js';

export interface SyslogTarget {
  readonly host: string;
  readonly port: number;
  readonly tls?: boolean;
  readonly caFile?: string;
  readonly rejectUnauthorized?: boolean;
  readonly appName?: string;
  readonly maxQueue?: number;
}

/** RFC 5424 syslog over TCP or TLS (RFC 5425), octet-counting framing (RFC 6587). */
export class SyslogForwarder extends QueueForwarder {
  private socket: Socket | undefined;

  constructor(
    private readonly target: SyslogTarget,
    options: { queue?: ForwardQueue; log?: (message: string) => void; name?: string } = {},
  ) {
    super({ batchSize: 200, flushIntervalMs: 100, queue: options.queue ?? new MemoryQueue(target.maxQueue ?? 10_000), ...(options.log ? { log: options.log } : {}), name: options.name ?? 'syslog' });
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
        reject(new RetryableSiemError(`cannot reach ${t.host}:${t.port}: ${error.message}`));
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

  protected async deliver(batch: readonly SiemEvent[]): Promise<{ consumed: number }> {
    const socket = await this.connect();
    let frames = '';
    for (const e of batch) {
      const msg = eventToSyslog5424(e, { appName: this.target.appName ?? 'clawguard' });
      frames += `${Buffer.byteLength(msg, 'utf8')} ${msg}`;
    }
    await new Promise<void>((resolve, reject) => {
      socket.write(frames, 'utf8', (error) => (error ? reject(new RetryableSiemError(`write to ${this.target.host}:${this.target.port} failed: ${error.message}`)) : resolve()));
    });
    return { consumed: batch.length };
  }

  protected override async shutdown(): Promise<void> {
    const s = this.socket;
    if (!s || s.destroyed) return;
    await new Promise<void>((resolve) => s.end(resolve));
  }
}
