import type { AuditEvent, AuditSink } from '../audit/events.js';
import { recordAll } from '../audit/gateway-events.js';

/**
 * The audit events of one proxied request, written in as few journal writes as its steps allow.
 * Events are held until the request is about to act on them — contact the upstream, wait for a
 * human, answer the client — and then written together: one `recordMany`, one journal write
 * (an ordinary request: 2 writes instead of 5; each synchronous write is a system call).
 *
 * Every event still reaches the log before the action it accounts for, in order, so an audit log
 * that refuses events (full, failing closed) still stops the request before it is forwarded or
 * answered. An event's time is when it is written: at most one step (the guards' run) after it.
 */
export class RequestAudit {
  private pending: AuditEvent[] = [];

  constructor(private readonly sink: AuditSink & { recordMany?(events: readonly AuditEvent[]): void }) {}

  record(event: AuditEvent): void {
    this.pending.push(event);
  }

  recordAll(events: readonly AuditEvent[]): void {
    for (const e of events) this.pending.push(e);
  }

  /** Writes the held events. Throws what the sink throws (AuditUnavailableError); the events are then dropped. */
  flush(): void {
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    recordAll(this.sink, events);
  }
}
