import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '../../src/providers/sse.js';
import { rng } from '../helpers/rng.js';

/**
 * The parser reads ASCII reads as Latin-1 and splits lines with indexOf. It must give exactly the
 * events of the straightforward parser it replaced (kept here as the reference: one streaming
 * TextDecoder from the first byte, a character-by-character line loop), whatever the bytes and
 * however they are split.
 */
class ReferenceParser {
  private readonly decoder = new TextDecoder('utf-8');
  private partial: string[] = [];
  private event: string | undefined;
  private data: string[] = [];
  private pendingCR = false;

  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (text === '') return [];
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
      if (this.data.length > 0) events.push(this.event === undefined ? { data: this.data.join('\n') } : { event: this.event, data: this.data.join('\n') });
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

const PIECES = ['{"a":1}', 'hello', ' spaced', 'data', 'event', ':', 'ü', 'línea ✓', '😀', '\u{feff}', '[DONE]', '', 'x:y', '"quoted"'];
const EOLS = ['\n', '\r\n', '\r'];

function randomStream(r: () => number): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const parts: Buffer[] = [];
  if (r() < 0.1) parts.push(Buffer.from([0xef, 0xbb, 0xbf])); // a byte order mark where the stream begins
  const events = 1 + Math.floor(r() * 8);
  for (let e = 0; e < events; e++) {
    const lines = 1 + Math.floor(r() * 4);
    for (let l = 0; l < lines; l++) {
      const kind = r();
      let line: string;
      if (kind < 0.55) line = `data:${r() < 0.8 ? ' ' : ''}${pick(PIECES)}${pick(PIECES)}`;
      else if (kind < 0.7) line = `event: ${pick(PIECES)}`;
      else if (kind < 0.8) line = `: comment ${pick(PIECES)}`;
      else if (kind < 0.9) line = `${pick(['id', 'retry', 'data', 'event', 'other'])}${r() < 0.5 ? ':' : ''}${pick(PIECES)}`;
      else line = pick(PIECES);
      parts.push(Buffer.from(line + pick(EOLS)));
      if (r() < 0.05) parts.push(Buffer.from([pick([0x80, 0xc3, 0xe2, 0xf0, 0xff])])); // stray or cut-off UTF-8
    }
    if (r() < 0.9) parts.push(Buffer.from(pick(EOLS)));
  }
  return Buffer.concat(parts);
}

function parse(parser: { push(c: Uint8Array | string): SseEvent[]; end(): SseEvent[] }, chunks: readonly Uint8Array[]): SseEvent[] {
  const out: SseEvent[] = [];
  for (const c of chunks) out.push(...parser.push(c));
  out.push(...parser.end());
  return out;
}

function split(bytes: Buffer, r: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const len = r() < 0.1 ? 0 : 1 + Math.floor(r() * (r() < 0.5 ? 4 : 64));
    const piece = bytes.subarray(at, at + len);
    // Some reads as plain Uint8Arrays (not Buffers), as a fetch body gives them.
    chunks.push(r() < 0.3 ? new Uint8Array(piece) : piece);
    at += len;
  }
  return chunks;
}

describe('SseParser against the reference parser', () => {
  it('gives the same events for 3,000 random streams, each split at random (LF, CRLF, CR, comments, fields, multi-byte, BOMs, bad bytes)', () => {
    const r = rng(20261126);
    for (let i = 0; i < 3000; i++) {
      const bytes = randomStream(r);
      const chunks = split(bytes, r);
      expect(parse(new SseParser(), chunks), `stream ${i}: ${JSON.stringify(bytes.toString('latin1'))}`).toEqual(parse(new ReferenceParser(), chunks));
    }
  });

  it('treats a byte order mark as text unless the stream begins with it, also after ASCII reads', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const cases: Uint8Array[][] = [
      [bom, Buffer.from('data: a\n\n')],
      [Buffer.from('data: a\n\n'), bom, Buffer.from('data: b\n\n')],
      [Buffer.from(''), bom, Buffer.from('data: c\n\n')],
      [Buffer.from('da'), Buffer.concat([Buffer.from('ta: '), bom, Buffer.from('d\n\n')])],
      [bom.subarray(0, 1), bom.subarray(1), Buffer.from('data: e\n\n')],
    ];
    for (const chunks of cases) expect(parse(new SseParser(), chunks)).toEqual(parse(new ReferenceParser(), chunks));
  });

  it('gives the same events for every two-way split of an OpenAI-shaped stream with non-ASCII text', () => {
    const bytes = Buffer.from(['data: {"choices":[{"delta":{"content":"Grüße"}}]}', '', 'data: {"choices":[{"delta":{"content":" 😀 ok"}}]}', '', 'data: [DONE]', '', ''].join('\n'));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const chunks = [bytes.subarray(0, cut), bytes.subarray(cut)];
      expect(parse(new SseParser(), chunks), `split at ${cut}`).toEqual(parse(new ReferenceParser(), chunks));
    }
  });
});
