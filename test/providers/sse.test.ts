import { describe, expect, it } from 'vitest';
import { formatSse, SseParser } from '../../src/providers/sse.js';

const stream = 'event: message_start\ndata: {"a":1}\n\n: comment\r\ndata: line1\r\ndata: línea2 ✓\r\n\r\ndata: [DONE]\n\n';
const expected = [{ event: 'message_start', data: '{"a":1}' }, { data: 'line1\nlínea2 ✓' }, { data: '[DONE]' }];

describe('SseParser', () => {
  it('parses events with LF and CRLF line ends, comments and multi-line data', () => {
    const p = new SseParser();
    expect([...p.push(Buffer.from(stream)), ...p.end()]).toEqual(expected);
  });

  it('gives the same events however the bytes are split, including inside a UTF-8 character', () => {
    const bytes = Buffer.from(stream);
    for (let cut = 1; cut < bytes.length; cut++) {
      const p = new SseParser();
      const events = [...p.push(bytes.subarray(0, cut)), ...p.push(bytes.subarray(cut)), ...p.end()];
      expect(events, `split at byte ${cut}`).toEqual(expected);
    }
  });

  it('handles a bare CR line end split from its event', () => {
    const p = new SseParser();
    expect([...p.push('data: x\r'), ...p.push('\r'), ...p.end()]).toEqual([{ data: 'x' }]);
  });

  it('delivers a last event without its blank line at end()', () => {
    const p = new SseParser();
    expect(p.push('data: tail')).toEqual([]);
    expect(p.end()).toEqual([{ data: 'tail' }]);
  });

  it('formats events that parse back to themselves', () => {
    const p = new SseParser();
    const event = { event: 'x', data: 'a\nb' };
    expect([...p.push(formatSse(event)), ...p.end()]).toEqual([event]);
  });
});
