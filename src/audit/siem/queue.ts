import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SiemEvent } from './format.js';

export interface Dropped {
  readonly count: number;
  readonly firstSeq?: number;
}

/** Events waiting for a collector, oldest first. */
export interface ForwardQueue {
  /** Queues events; says how many had to be dropped and the first seq among them. */
  push(events: readonly SiemEvent[]): Dropped;
  /** Up to `max` events from the head, without removing them. */
  peek(max: number): SiemEvent[];
  /** Removes the first `count` events (delivered or dead-lettered). */
  ack(count: number): void;
  readonly length: number;
  close(): void;
}

/** In memory, bounded by count: beyond `max` the oldest are dropped (the audit store keeps them). */
export class MemoryQueue implements ForwardQueue {
  private items: SiemEvent[] = [];

  constructor(private readonly max: number) {}

  get length(): number {
    return this.items.length;
  }

  push(events: readonly SiemEvent[]): Dropped {
    this.items.push(...events);
    const over = this.items.length - this.max;
    if (over <= 0) return { count: 0 };
    const gone = this.items.splice(0, over);
    return { count: over, firstSeq: gone[0]!.seq };
  }

  peek(max: number): SiemEvent[] {
    return this.items.slice(0, max);
  }

  ack(count: number): void {
    this.items.splice(0, count);
  }

  close(): void {}
}

const READ_CHUNK = 1024 * 1024;

/**
 * A journal of events not yet accepted by the collector, one JSON line per event, in the audit
 * spool's manner: appended before delivery is tried, read back in order, truncated once drained,
 * a torn last line ignored, mode 0600. It survives restarts: `PATH.pos` holds the seq of the last
 * event the collector accepted, and replay starts after it, so nothing is sent twice or lost across
 * a restart. Bounded by `maxBytes` of waiting events: when full, new events are dropped and counted
 * (they stay in the audit store; `clawguard audit export --since` backfills the gap).
 */
export class FileSpool implements ForwardQueue {
  private readonly fd: number;
  /** Offset of the first waiting event, and the end of the file. */
  private head = 0;
  private end = 0;
  /** Events between head and end, and the byte lengths of the ones already read into `cache`. */
  private count = 0;
  private cache: { event: SiemEvent; bytes: number }[] = [];
  private cacheEnd = 0;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly onCorrupt: (message: string) => void = () => {},
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, existsSync(path) ? 'r+' : 'w+', 0o600);
    let size = fstatSync(this.fd).size;
    const lastAcked = this.readPos();
    // Find the torn tail (a line without its newline) and the first event after the acknowledged one.
    let offset = 0;
    let complete = 0;
    let start: number | undefined;
    let carry = Buffer.alloc(0);
    while (offset < size) {
      const chunk = Buffer.alloc(Math.min(READ_CHUNK, size - offset));
      readSync(this.fd, chunk, 0, chunk.length, offset);
      const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const base = offset - carry.length;
      let lineStart = 0;
      for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, lineStart)) {
        if (start === undefined) {
          const seq = seqOf(data.subarray(lineStart, nl));
          if (seq === undefined || seq > lastAcked) start = base + lineStart;
        }
        if (start !== undefined) this.count++;
        lineStart = nl + 1;
        complete = base + lineStart;
      }
      carry = data.subarray(lineStart);
      offset += chunk.length;
    }
    if (complete < size) {
      ftruncateSync(this.fd, complete);
      size = complete;
    }
    this.end = size;
    this.head = start ?? size;
    this.cacheEnd = this.head;
    if (this.count === 0) this.truncate();
  }

  get length(): number {
    return this.count;
  }

  private readPos(): number {
    try {
      const n = Number(readFileSync(`${this.path}.pos`, 'utf8').trim());
      return Number.isSafeInteger(n) ? n : 0;
    } catch {
      return 0;
    }
  }

  private writePos(seq: number): void {
    const tmp = `${this.path}.pos.tmp`;
    writeFileSync(tmp, `${seq}\n`, { mode: 0o600 });
    renameSync(tmp, `${this.path}.pos`);
  }

  push(events: readonly SiemEvent[]): Dropped {
    let text = '';
    let bytes = 0;
    let kept = 0;
    for (const e of events) {
      const line = `${JSON.stringify(e)}\n`;
      const n = Buffer.byteLength(line, 'utf8');
      if (this.end - this.head + bytes + n > this.maxBytes) break;
      text += line;
      bytes += n;
      kept++;
    }
    if (kept < events.length && this.head > 0) {
      this.compact();
      return this.push(events);
    }
    if (kept > 0) {
      this.end += writeSync(this.fd, text, this.end, 'utf8');
      this.count += kept;
    }
    return kept === events.length ? { count: 0 } : { count: events.length - kept, firstSeq: events[kept]!.seq };
  }

  /** Moves the waiting events to the start of the file. Crash-safe: replay keys on seq, not offsets. */
  private compact(): void {
    const live = this.end - this.head;
    const buffer = Buffer.alloc(Math.min(READ_CHUNK, Math.max(1, live)));
    let from = this.head;
    let to = 0;
    while (from < this.end) {
      const n = readSync(this.fd, buffer, 0, Math.min(buffer.length, this.end - from), from);
      writeSync(this.fd, buffer, 0, n, to);
      from += n;
      to += n;
    }
    ftruncateSync(this.fd, live);
    this.cacheEnd -= this.head;
    this.head = 0;
    this.end = live;
  }

  peek(max: number): SiemEvent[] {
    while (this.cache.length < Math.min(max, this.count) && this.cacheEnd < this.end) {
      const chunk = Buffer.alloc(Math.min(READ_CHUNK, this.end - this.cacheEnd));
      readSync(this.fd, chunk, 0, chunk.length, this.cacheEnd);
      let lineStart = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1 && this.cache.length < max; nl = chunk.indexOf(0x0a, lineStart)) {
        const line = chunk.subarray(lineStart, nl);
        const bytes = nl + 1 - lineStart;
        lineStart = nl + 1;
        this.cache.push({ event: this.parseLine(line, this.cacheEnd + lineStart - bytes), bytes });
      }
      if (lineStart === 0) {
        // One line longer than a read chunk: read it whole.
        const whole = Buffer.alloc(this.end - this.cacheEnd);
        readSync(this.fd, whole, 0, whole.length, this.cacheEnd);
        const nl = whole.indexOf(0x0a);
        lineStart = nl + 1;
        this.cache.push({ event: this.parseLine(whole.subarray(0, nl), this.cacheEnd), bytes: lineStart });
      }
      this.cacheEnd += lineStart;
    }
    return this.cache.slice(0, max).map((c) => c.event);
  }

  /** An unreadable line (disk damage) becomes a `seq: -1` placeholder the forwarder skips, said once. */
  private parseLine(line: Buffer, at: number): SiemEvent {
    try {
      return JSON.parse(line.toString('utf8')) as SiemEvent;
    } catch {
      this.onCorrupt(`unreadable line in ${this.path} at byte ${at} skipped`);
      return { seq: -1 };
    }
  }

  ack(count: number): void {
    if (count <= 0) return;
    const done = this.cache.splice(0, count);
    for (const d of done) this.head += d.bytes;
    this.count -= done.length;
    const last = [...done].reverse().find((d) => d.event.seq >= 0);
    if (last) this.writePos(last.event.seq);
    if (this.count === 0) this.truncate();
  }

  private truncate(): void {
    ftruncateSync(this.fd, 0);
    this.head = this.end = this.cacheEnd = 0;
    this.cache = [];
    this.count = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function seqOf(line: Buffer): number | undefined {
  // Lines start with {"seq":N — read it without parsing the whole event.
  const m = /^\{"seq":(\d+)/.exec(line.subarray(0, 32).toString('latin1'));
  return m ? Number(m[1]) : undefined;
}
