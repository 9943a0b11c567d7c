import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSse, SseParser, type SseEvent } from '../../src/providers/sse.js';
import { checkProperty, nastyString } from './harness.js';

/**
 * The SSE parser against a model: generated event blocks (named or not, one or more data lines,
 * comments and unknown fields in between, LF / CRLF / CR line ends, any Unicode), serialized, then
 * fed as bytes split anywhere — every single byte boundary, and random multi-way splits.
 */
const noBreak = (max: number) => nastyString(max).map((s) => s.replace(/[\r\n]/g, ''));
const eol = fc.constantFrom('\n', '\r\n', '\r');
const garbage = fc.oneof(
  noBreak(20).map((s) => `:${s}`),
  fc.constantFrom('id: 7', 'retry: 10', 'retry: x', 'foo: bar', 'DATA: upper', 'data-x: y', 'eventx: z', ': ping'),
  noBreak(12).filter((s) => !/^(data|event)(:|$)/.test(s) && s !== '').map((s) => (s.startsWith(':') ? s : `x${s}`)),
);
const block = fc.record({
  event: fc.option(noBreak(12), { nil: undefined }),
  data: fc.array(noBreak(30), { minLength: 0, maxLength: 3 }),
  junk: fc.array(garbage, { maxLength: 2 }),
  eols: fc.array(eol, { minLength: 8, maxLength: 8 }),
  space: fc.boolean(),
});
type Block = typeof block extends fc.Arbitrary<infer T> ? T : never;

function serialize(blocks: readonly Block[]): { text: string; expected: SseEvent[] } {
  let text = '';
  const expected: SseEvent[] = [];
  for (const b of blocks) {
    let k = 0;
    // A bare CR followed by an LF is one CRLF line end: the model then writes the LF's line end as CRLF.
    const end = () => {
      const e = b.eols[k++ % b.eols.length]!;
      return e === '\n' && text.endsWith('\r') ? '\r\n' : e;
    };
    for (const j of b.junk) text += j + end();
    if (b.event !== undefined) text += `event:${b.space || b.event.startsWith(' ') ? ' ' : ''}${b.event}${end()}`;
    for (const d of b.data) text += `data:${b.space || d.startsWith(' ') ? ' ' : ''}${d}${end()}`;
    text += end();
    if (b.data.length > 0) expected.push(b.event === undefined ? { data: b.data.join('\n') } : { event: b.event, data: b.data.join('\n') });
  }
  return { text, expected };
}

function parseChunks(chunks: readonly Uint8Array[]): SseEvent[] {
  const p = new SseParser();
  const out: SseEvent[] = [];
  for (const c of chunks) out.push(...p.push(c));
  out.push(...p.end());
  return out;
}

/** Lone surrogates do not survive UTF-8; compare against what the bytes really say. */
const wellFormed = (e: SseEvent): SseEvent => ({ ...e, data: Buffer.from(e.data).toString() , ...(e.event === undefined ? {} : { event: Buffer.from(e.event).toString() }) });

describe('fuzz: SSE parser', () => {
  it('parses generated streams to the model, whole and split at every byte boundary', () => {
    checkProperty(
      'sse: every byte boundary',
      fc.array(block, { minLength: 1, maxLength: 4 }),
      (blocks) => {
        const { text, expected } = serialize(blocks);
        const bytes = Buffer.from(text);
        const want = expected.map(wellFormed);
        expect(parseChunks([bytes])).toEqual(want);
        for (let cut = 1; cut < bytes.length; cut++) {
          expect(parseChunks([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(want);
        }
      },
      { base: 60 },
    );
  });

  it('parses the same events under random multi-way splits, and formatSse round-trips', () => {
    checkProperty(
      'sse: random splits + round trip',
      fc.tuple(fc.array(block, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 40 })),
      ([blocks, cuts]) => {
        const { text, expected } = serialize(blocks);
        const bytes = Buffer.from(text);
        // Repeated cut points give empty chunks on purpose.
        const points = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let last = 0;
        for (const p of points) {
          chunks.push(bytes.subarray(last, p));
          last = p;
        }
        chunks.push(bytes.subarray(last));
        const events = parseChunks(chunks);
        expect(events).toEqual(expected.map(wellFormed));
        // What the gateway re-emits parses back to the same events.
        expect(parseChunks([Buffer.from(events.map(formatSse).join(''))])).toEqual(events);
      },
      { base: 400 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    checkProperty(
      'sse: arbitrary bytes',
      fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }),
      (chunks) => {
        const events = parseChunks(chunks);
        for (const e of events) expect(typeof e.data).toBe('string');
      },
      { base: 400 },
    );
  });
});
