import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/gateway/server.js';
import { logRequest, writeRequestLinesOf } from '../../src/gateway/request-log.js';
import { rng } from '../helpers/rng.js';

const KEYS = ['requestId', 'api', 'route', 'principal', 'role', 'model', 'stream', 'upstream', 'conversation', 'upstreamStatus', 'upstreamMs', 'status', 'decision', 'guardMs', 'totalMs', 'findings', 'outputFindings', 'guardFailures', 'error', 'internalError', 'authFailure', 'lockdown', 'rateLimited', 'review', 'refusedToolCalls', 'streamError', 'streamIntervened', 'upstreamFirstByteMs'];
const circular: Record<string, unknown> = { a: 1 };
circular.self = circular;
const VALUES: unknown[] = [
  'allow', '', 'openai-chat', '/v1/chat/completions?x="1"', 'back\\slash', 'tab\there', 'line\nbreak', 'é ü 中文 🦀', 'lone \ud800 surrogate', 'x'.repeat(100), 'y'.repeat(101), '\u2028',
  0, 1, -1, 0.1 + 0.2, 1e21, 2 ** 53, -0, NaN, Infinity, 200, 0.123, 1795716967994,
  true, false, null, undefined, () => 1, ['pii.email', 'secrets.aws'], [], [{ guard: 'g', error: 'E: "x"', failOpen: false }], { nested: { a: [1, 'b'] } }, circular,
];

function randomLine(random: () => number): Record<string, unknown> {
  const line: Record<string, unknown> = {};
  const n = 1 + Math.floor(random() * 18);
  for (let i = 0; i < n; i++) {
    const key = random() < 0.03 ? (random() < 0.5 ? 'key' : 'surprise') : KEYS[Math.floor(random() * KEYS.length)]!;
    line[key] = VALUES[Math.floor(random() * VALUES.length)];
  }
  return line;
}

function capturing(level: 'info' | 'warn' = 'info') {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, log: createLogger(level, sink) };
}

describe('the request log line', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is what pino writes for the same fields, byte for byte', () => {
    vi.spyOn(Date, 'now').mockReturnValue(1795716967994);
    const { lines, log } = capturing();
    let written = 0;
    writeRequestLinesOf(log, (line, length) => {
      written++;
      lines.push(line.toString('utf8', 0, length));
    });
    const random = rng(11);
    for (let i = 0; i < 5000; i++) {
      const line = randomLine(random);
      logRequest(log, line);
      log.info(line, 'request');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toBe(lines[1]);
      lines.length = 0;
    }
    // Most lines were written here, the rest (unknown fields, lone surrogates, circular objects) by pino.
    expect(written).toBeGreaterThan(1500);
    expect(written).toBeLessThan(4500);
  });

  it('goes to a byte sink as the same bytes, redacts through pino, and respects the level', () => {
    vi.spyOn(Date, 'now').mockReturnValue(1700000000000);
    const { lines, log } = capturing();
    const bytes: Buffer[] = [];
    writeRequestLinesOf(log, (line, length) => bytes.push(Buffer.from(line.subarray(0, length))));
    const line = { requestId: 'r1', route: '/v1/chat/completions', model: 'é', status: 200, totalMs: 0.291, decision: 'allow' };
    logRequest(log, line);
    log.info(line, 'request');
    expect(bytes).toHaveLength(1);
    expect(bytes[0]!.equals(Buffer.from(lines[0]!))).toBe(true);
    logRequest(log, { requestId: 'r2', key: 'cg_secret' });
    expect(lines[1]).toContain('"key":"[REDACTED]"');
    expect(bytes).toHaveLength(1);

    const quiet = capturing('warn');
    logRequest(quiet.log, line);
    expect(quiet.lines).toEqual([]);
  });
});
