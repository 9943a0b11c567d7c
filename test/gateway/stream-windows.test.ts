import { beforeAll, describe, expect, it } from 'vitest';
import type { Finding, Guard, Segment } from '../../src/core/index.js';
import { GuardEngine } from '../../src/gateway/guard-engine.js';
import { GatewayStreamInspector } from '../../src/gateway/stream-inspector.js';
import { engineFromConfig, outputCtx } from '../fuzz/engine.js';

/**
 * Streamed text is judged window by window, and each streaming guard sees only the released text its
 * findings can reach back into (`maxSpan - 1`) plus what is held: a long answer must not make every
 * delta rescan the widest guard's window with every guard, and nothing may slip through because of it.
 */

async function relay(inspector: GatewayStreamInspector, deltas: readonly string[]): Promise<string> {
  let out = '';
  for (const d of deltas) {
    const r = await inspector.text('c0', d);
    if (r.blocked) throw new Error(`blocked: ${r.reason}`);
    out += r.text;
  }
  const end = await inspector.endText('c0');
  if (end.blocked) throw new Error(`blocked: ${end.reason}`);
  return out + end.text;
}

/** Cuts text into deltas of 1–7 characters (a model's tokens). */
function tokens(text: string): string[] {
  const out: string[] = [];
  for (let i = 0, n = 0; i < text.length; n++) {
    const len = 1 + ((n * 5) % 7);
    out.push(text.slice(i, i + len));
    i += len;
  }
  return out;
}

const FILLER = 'The report covers the second quarter. Revenue grew in every region, costs stayed flat, and the team shipped two releases. '.repeat(40);

describe('stream windows', () => {
  let engine: GuardEngine;
  beforeAll(async () => {
    // Defaults, plus personal data redacted in answers (by default the answer may carry it).
    engine = await engineFromConfig('policy:\n  rules:\n    - { type: "pii.*", direction: output, action: redact }\n');
  }, 60_000);

  it('redacts values split across deltas deep into a long answer (default guards)', async () => {
    const token = `ghp_${'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'}`;
    const answer = `${FILLER}Write to jane.doe@example.org about it. The deploy token is ${token} for now. ![chart](http://10.20.30.40/internal/chart.png) ${FILLER}`;
    expect(answer.length).toBeGreaterThan(9000);
    const out = await relay(new GatewayStreamInspector(engine, outputCtx('long')), tokens(answer));
    expect(out).not.toContain('jane.doe@example.org');
    // Short plain words go out at once (src/core/suffix.ts), so at most the `g` of `ghp_` precedes the
    // redaction; the token itself never leaves.
    expect(out).not.toContain(token.slice(1));
    expect(out).toContain('[REDACTED:secret.github_token]');
    expect(out).not.toContain('10.20.30.40');
    // Everything else arrives intact, in order.
    expect(out.startsWith(FILLER)).toBe(true);
    expect(out.endsWith(FILLER)).toBe(true);
  });

  it('gives each guard only the released text it can reach back into', async () => {
    const seen = new Map<string, number>();
    const recorder = (id: string, maxSpan: number): Guard => ({
      id,
      fingerprint: id,
      failOpen: false,
      timeoutMs: 1000,
      maxSpan,
      pendingSuffix: () => 0,
      inspect(segment: Segment): Finding[] {
        seen.set(id, Math.max(seen.get(id) ?? 0, segment.text.length));
        return [];
      },
    });
    const narrow = new GuardEngine([recorder('narrow', 17), recorder('wide', 1025)], { rules: [], defaultRules: [], thresholds: { message: 0.5, tool_call: 0.5, tool_result: 0.5 } } as never, 0);
    const deltas = tokens(FILLER); // deltas of at most 7 characters
    const out = await relay(new GatewayStreamInspector(narrow, outputCtx('rec')), deltas);
    expect(out).toBe(FILLER);
    // Released context (maxSpan - 1) plus one delta at most.
    expect(seen.get('narrow')).toBeLessThanOrEqual(16 + 7);
    expect(seen.get('wide')).toBeGreaterThan(1000);
    expect(seen.get('wide')).toBeLessThanOrEqual(1024 + 7);
  });

  it('reports findings at their place in the whole text, whatever window found them', async () => {
    const marker = (id: string, maxSpan: number): Guard => ({
      id,
      fingerprint: id,
      failOpen: false,
      timeoutMs: 1000,
      maxSpan,
      pendingSuffix: (text: string) => (text.endsWith('SECRE') || text.endsWith('SECR') || text.endsWith('SEC') || text.endsWith('SE') || text.endsWith('S') ? 5 : 0),
      inspect(segment: Segment): Finding[] {
        const found: Finding[] = [];
        for (let i = segment.text.indexOf('SECRET'); i >= 0; i = segment.text.indexOf('SECRET', i + 1)) {
          found.push({ guard: id, type: 'test.secret', score: 1, segmentId: segment.id, span: { start: i, end: i + 6 }, reason: 'marker' });
        }
        return found;
      },
    });
    const policy = { rules: [{ match: { type: 'test.*' }, action: 'redact' }], defaultRules: [], thresholds: { message: 0.5, tool_call: 0.5, tool_result: 0.5 } };
    const two = new GuardEngine([marker('narrow', 8), { ...marker('wide', 600), inspect: () => [] }], policy as never, 0);
    const text = `${FILLER.slice(0, 700)}SECRET${FILLER.slice(0, 300)}SECRET end`;
    const out = await relay(new GatewayStreamInspector(two, outputCtx('spans')), tokens(text));
    expect(out).toBe(`${FILLER.slice(0, 700)}[REDACTED:test.secret]${FILLER.slice(0, 300)}[REDACTED:test.secret] end`);
  });
});
