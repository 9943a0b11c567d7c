/** One server-sent event. `event` is absent for unnamed events (OpenAI sends only those). */
export interface SseEvent {
  readonly event?: string;
  readonly data: string;
}

/**
 * Incremental SSE parser (WHATWG event-stream rules): bytes may be split anywhere, lines end in
 * LF, CRLF or CR, `data:` lines join with LF, comment lines are dropped. The only SSE parser in
 * the code base.
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  /** Pieces of the line not yet ended: kept apart so a line arriving in many chunks costs O(n), not O(n²). */
  private partial: string[] = [];
  private event: string | undefined;
  private data: string[] = [];
  private pendingCR = false;

  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (text === '') return []; // an empty chunk (or half a character) must not forget a CR waiting for its LF
    if (this.pendingCR && text.startsWith('\n')) text = text.slice(1);
    this.pendingCR = false;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      let line = text.slice(start, i);
      if (this.partial.length > 0) {
        line = this.partial.join('') + line;
        this.partial = [];
      }
      if (ch === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCR = true;
        }
      }
      start = i + 1;
      this.line(line, events);
    }
    if (start < text.length) this.partial.push(start === 0 ? text : text.slice(start));
    return events;
  }

  /** Ends the stream; a final event without its blank line is still delivered. */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    const rest = this.partial.join('') + this.decoder.decode();
    this.partial = [];
    if (rest) this.line(rest, events);
    this.line('', events);
    return events;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0) {
        events.push(this.event === undefined ? { data: this.data.join('\n') } : { event: this.event, data: this.data.join('\n') });
      }
      this.event = undefined;
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
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
