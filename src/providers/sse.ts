import { isAscii } from 'node:buffer';

/** One server-sent event. `event` is absent for unnamed events (OpenAI sends only those). */
export interface SseEvent {
  readonly event?: string;
  readonly data: string;
}

/**
 * Incremental SSE parser (WHATWG event-stream rules): bytes may be split anywhere, lines end in
 * LF, CRLF or CR, `data:` lines join with LF, comment lines are dropped. The only SSE parser in
 * the code base.
 *
 * Per read it costs two `indexOf` scans and a slice per line: bytes that are all ASCII (what the
 * providers send, their JSON escaping or not escaping what it holds) are read as Latin-1, which
 * gives the same text as UTF-8 for them without a streaming decoder's per-call set-up (that and a
 * character-by-character line loop were most of a stream's parsing). The first read that is not all
 * ASCII switches the stream to a streaming `TextDecoder` for good (a character may be split across
 * reads); it drops a byte order mark only where the stream begins, as one decoder from the first
 * byte would.
 */
export class SseParser {
  private decoder: InstanceType<typeof TextDecoder> | undefined;
  /** Bytes were read before the decoder was made: a byte order mark after them is text. */
  private readBytes = false;
  /** Pieces of the line not yet ended: kept apart so a line arriving in many chunks costs O(n), not O(n²). */
  private partial: string[] = [];
  private event: string | undefined;
  /** The event's `data:` lines so far, joined with LF; undefined before its first. */
  private data: string | undefined;
  private pendingCR = false;

  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decode(chunk);
    if (text === '') return []; // an empty chunk (or half a character) must not forget a CR waiting for its LF
    if (this.pendingCR && text.charCodeAt(0) === 10) text = text.slice(1);
    this.pendingCR = false;
    const events: SseEvent[] = [];
    const n = text.length;
    let start = 0;
    let cr = text.indexOf('\r');
    for (;;) {
      const lf = text.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = text.indexOf('\r', start);
      let end = cr !== -1 && (lf === -1 || cr < lf) ? cr : lf;
      if (end === -1) break;
      let line = text.slice(start, end);
      if (this.partial.length > 0) {
        line = this.partial.join('') + line;
        this.partial = [];
      }
      if (end === cr) {
        if (end + 1 < n) {
          if (text.charCodeAt(end + 1) === 10) end++;
        } else {
          this.pendingCR = true;
        }
      }
      start = end + 1;
      this.line(line, events);
    }
    if (start < n) this.partial.push(start === 0 ? text : text.slice(start));
    return events;
  }

  /** Ends the stream; a final event without its blank line is still delivered. */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    const rest = this.partial.join('') + (this.decoder ? this.decoder.decode() : '');
    this.partial = [];
    if (rest) this.line(rest, events);
    this.line('', events);
    return events;
  }

  private decode(chunk: Uint8Array): string {
    if (this.decoder === undefined) {
      if (chunk.length === 0) return '';
      if (isAscii(chunk)) {
        this.readBytes = true;
        return (Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)).toString('latin1');
      }
      this.decoder = new TextDecoder('utf-8', { ignoreBOM: this.readBytes });
    }
    return this.decoder.decode(chunk, { stream: true });
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === '') {
      const data = this.data;
      if (data !== undefined) events.push(this.event === undefined ? { data } : { event: this.event, data });
      this.event = undefined;
      this.data = undefined;
      return;
    }
    // `data: ` first: nearly every line is one.
    if (line.charCodeAt(0) === 100 && line.charCodeAt(4) === 58 && line.startsWith('data')) {
      const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
      this.data = this.data === undefined ? value : `${this.data}\n${value}`;
      return;
    }
    if (line.charCodeAt(0) === 58) return; // a comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.data = this.data === undefined ? value : `${this.data}\n${value}`;
    else if (field === 'event') this.event = value;
  }
}

export function formatSse(event: SseEvent): string {
  return event.event === undefined ? formatSseData(event.data) : `event: ${event.event}\n${formatSseData(event.data)}`;
}

/** An unnamed event carrying `data` (one `data:` line per line of it). */
export function formatSseData(data: string): string {
  // JSON text never holds a raw line break: the common case needs no regex.
  if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) return `data: ${data}\n\n`;
  return `data: ${data.replace(/\r\n|\r|\n/g, '\ndata: ')}\n\n`;
}
