import type { StoredRecord } from '../record.js';
import { recordToJson, type SiemEvent } from './format.js';
import { type ForwardQueue, MemoryQueue } from './queue.js';

/**
 * Live forwarding of committed audit records to a SIEM. The audit store is the source of truth:
 * a forwarder never blocks the log; while the collector is away it keeps a bounded queue (in memory,
 * or a spool file that survives restarts), retries with backoff, and counts what it had to drop.
 */
export interface SiemForwarder {
  send(records: readonly StoredRecord[]): void;
  /** Waits until the queue is sent (or `timeoutMs` passes). */
  flush(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
  readonly stats: SiemStats;
}

export interface SiemStats {
  sent: number;
  /** Not queued: the queue or spool was full. */
  dropped: number;
  /** Refused by the collector as invalid (never retried): logged by seq; they stay in the audit store. */
  deadLettered: number;
  /** Failed delivery attempts (each is retried). */
  failures: number;
  /** The last delivery error, as logged (never contains a credential). */
  lastError?: string;
}

/** A delivery that failed but may succeed later (collector away, busy, or refusing the credential). */
export class RetryableSiemError extends Error {}

export interface ForwarderOptions {
  /** Events per delivery at most. */
  readonly batchSize: number;
  /** How long a partial batch waits for more events. */
  readonly flushIntervalMs: number;
  /** The queue; default: in memory, 10 000 events. */
  readonly queue?: ForwardQueue;
  /** First retry delay; doubles up to `maxBackoffMs`, with jitter. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Where errors and dead letters are reported (one line each; never a credential). */
  readonly log?: (message: string) => void;
  /** Name in log lines, e.g. `splunk` or `audit.siem[1]`. */
  readonly name?: string;
}

/** Repeats of the same error are logged at most this often. */
const REPEAT_LOG_MS = 60_000;

export abstract class QueueForwarder implements SiemForwarder {
  readonly stats: SiemStats = { sent: 0, dropped: 0, deadLettered: 0, failures: 0 };
  protected readonly queue: ForwardQueue;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  protected closed = false;
  private backoffMs = 0;
  private readonly batchSize: number;
  private readonly intervalMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  protected readonly log: (message: string) => void;
  protected readonly name: string;
  private lastLogged: { message: string; at: number } | undefined;
  private dropping = false;

  constructor(options: ForwarderOptions) {
    this.batchSize = options.batchSize;
    this.intervalMs = options.flushIntervalMs;
    this.queue = options.queue ?? new MemoryQueue(10_000);
    this.initialBackoffMs = options.initialBackoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.log = options.log ?? ((m) => void process.stderr.write(`${m}\n`));
    this.name = options.name ?? 'siem';
    // Events spooled by an earlier run go out first.
    if (this.queue.length > 0) this.schedule(0);
  }

  send(records: readonly StoredRecord[]): void {
    if (this.closed || records.length === 0) return;
    const dropped = this.queue.push(records.map(recordToJson));
    if (dropped.count > 0) {
      this.stats.dropped += dropped.count;
      if (!this.dropping) this.log(`${this.name}: queue full, dropping events from seq ${dropped.firstSeq} (they stay in the audit store; backfill with clawguard audit export)`);
      this.dropping = true;
    } else {
      this.dropping = false;
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

  private report(message: string): void {
    this.stats.lastError = message;
    const now = Date.now();
    if (this.lastLogged?.message === message && now - this.lastLogged.at < REPEAT_LOG_MS) return;
    this.lastLogged = { message, at: now };
    this.log(`${this.name}: ${message}`);
  }

  private run(): Promise<void> {
    if (!this.running) {
      this.running = (async () => {
        while (this.queue.length > 0) {
          let batch = this.queue.peek(this.batchSize);
          const bad = batch.findIndex((e) => e.seq < 0);
          if (bad === 0) {
            this.queue.ack(1);
            this.stats.dropped++;
            continue;
          }
          if (bad > 0) batch = batch.slice(0, bad);
          try {
            const done = await this.deliver(batch);
            this.queue.ack(done.consumed);
            this.stats.sent += done.consumed - (done.deadLettered ?? 0);
            this.backoffMs = 0;
            if (this.lastLogged && this.stats.lastError) {
              this.log(`${this.name}: delivering again`);
              this.lastLogged = undefined;
              delete this.stats.lastError;
            }
          } catch (error) {
            this.stats.failures++;
            this.report(error instanceof Error ? error.message : String(error));
            const next = Math.min(this.maxBackoffMs, Math.max(this.initialBackoffMs, this.backoffMs * 2));
            this.backoffMs = next;
            return;
          }
        }
      })().finally(() => {
        this.running = undefined;
        // Jitter keeps replicas that lost the same collector from retrying in step.
        if (this.queue.length > 0 && !this.closed) this.schedule(this.backoffMs ? Math.round(this.backoffMs * (0.8 + Math.random() * 0.4)) : 0);
      });
    }
    return this.running;
  }

  /** Sends events from the head of `batch`; says how many are done (sent or dead-lettered). Throws `RetryableSiemError` to retry later. */
  protected abstract deliver(batch: readonly SiemEvent[]): Promise<{ consumed: number; deadLettered?: number }>;

  /** Reports events the collector refused as invalid: counted and logged by seq, never retried. */
  protected deadLetter(events: readonly SiemEvent[], reason: string): void {
    this.stats.deadLettered += events.length;
    const seqs = events.length === 1 ? `seq ${events[0]!.seq}` : `seq ${events[0]!.seq}..${events[events.length - 1]!.seq}`;
    this.log(`${this.name}: collector refused ${events.length} event(s) (${seqs}) as invalid, not retried: ${reason}; they stay in the audit store (clawguard audit export)`);
  }

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
    await this.running;
    this.queue.close();
    await this.shutdown();
  }

  protected async shutdown(): Promise<void> {}
}
