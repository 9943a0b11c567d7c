import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Action, ACTIONS, decide, type Finding, globMatch, type PolicyConfig, type PolicyRule, ScanCache, scanSegments, type Guard, type Segment } from '../../src/core/index.js';
import { sha256Base64 } from '../../src/core/hash.js';

const segment = (id: string, kind: Segment['kind'], text = 'x'): Segment => ({ id, path: [], direction: 'input', role: kind === 'tool_result' ? 'tool' : 'user', kind, trusted: false, text });
const finding = (segmentId: string, type: string, score: number): Finding => ({ guard: 'g', type, score, segmentId, reason: 'r' });

describe('policy', () => {
  const policy: PolicyConfig = {
    defaultAction: 'block',
    thresholds: { message: 0.5, tool_call: 0.5, tool_result: 0.3 },
    rules: [
      { type: 'pii.*', action: 'redact' },
      { type: 'injection.*', kind: ['message'], minScore: 0.9, action: 'review' },
    ],
  };
  const segments = new Map([
    ['m', segment('m', 'message')],
    ['t', segment('t', 'tool_result')],
  ]);

  it('applies the first matching rule and takes the most severe action', () => {
    const d = decide(policy, 'input', [finding('m', 'pii.email', 0.9), finding('m', 'injection.override', 0.95)], [], segments);
    expect(d.verdicts.map((v) => v.action)).toEqual(['redact', 'review']);
    expect(d.action).toBe('review');
    expect(d.verdicts[0]!.replacement).toBe('[REDACTED:pii.email]');
  });

  it('uses per-kind thresholds: the same score is allowed in a message and blocked in a tool result', () => {
    expect(decide(policy, 'input', [finding('m', 'injection.override', 0.4)], [], segments).action).toBe('allow');
    expect(decide(policy, 'input', [finding('t', 'injection.override', 0.4)], [], segments).action).toBe('block');
  });

  it('blocks on a failure unless the guard may fail open', () => {
    expect(decide(policy, 'input', [], [{ guard: 'g', error: 'boom', timedOut: false, failOpen: false }], segments).action).toBe('block');
    expect(decide(policy, 'input', [], [{ guard: 'g', error: 'boom', timedOut: false, failOpen: true }], segments).action).toBe('allow');
  });
});

/** The policy as written: every rule in order, the first whose conditions all hold wins (decide indexes rules by type and guard). */
function decideByEveryRule(policy: PolicyConfig, direction: 'input' | 'output', findings: readonly Finding[], segments: ReadonlyMap<string, Segment>): { action: Action; rule: number; replacement?: string }[] {
  return findings.map((f) => {
    const segment = segments.get(f.segmentId);
    const threshold = segment ? policy.thresholds[segment.kind] : 0.5;
    const i = policy.rules.findIndex(
      (r) =>
        f.score >= (r.minScore ?? threshold) &&
        (!r.direction || r.direction === direction) &&
        (!r.type || globMatch(r.type, f.type)) &&
        (!r.guard || globMatch(r.guard, f.guard)) &&
        (!r.kind || (segment !== undefined && r.kind.includes(segment.kind))) &&
        (!r.role || (segment !== undefined && r.role.includes(segment.role))),
    );
    const action: Action = i >= 0 ? policy.rules[i]!.action : f.score >= threshold ? policy.defaultAction : 'allow';
    const template = i >= 0 ? (policy.rules[i]!.replacement ?? '[REDACTED:{type}]') : '[REDACTED:{type}]';
    return action === 'redact' ? { action, rule: i, replacement: template.replaceAll('{type}', f.type) } : { action, rule: i };
  });
}

describe('policy rules indexed by finding type and guard', () => {
  const types = ['pii.email', 'pii.phone', 'secret.aws', 'injection.override', 'toolcall.review_exec', 'toolcall.exec', 'invisible.tag', 'a?b', 'x'];
  const globs = ['*', 'pii.*', 'secret.*', '*.email', 'toolcall.review*', 'toolcall.*', 'injection.override', 'p?i.*', '?', 'a?b', 'a\\?b', 'x', 'nothing'];
  const guards = ['pii', 'secrets', 'injection', 'toolcalls', 'g'];
  const rule = fc.record(
    {
      type: fc.constantFrom(...globs),
      guard: fc.constantFrom('*', 'pii', 'secret*', 'inj?ction', 'g'),
      direction: fc.constantFrom<'input' | 'output'>('input', 'output'),
      kind: fc.subarray<Segment['kind']>(['message', 'tool_call', 'tool_result']),
      role: fc.subarray<Segment['role']>(['user', 'assistant', 'tool', 'system']),
      minScore: fc.double({ min: 0, max: 1, noNaN: true }),
      action: fc.constantFrom(...ACTIONS),
      replacement: fc.constantFrom('[{type}]', 'X'),
    },
    { requiredKeys: ['action'] },
  );
  const found = fc.record({ guard: fc.constantFrom(...guards), type: fc.constantFrom(...types), score: fc.double({ min: 0, max: 1, noNaN: true }), segmentId: fc.constantFrom('m', 't', 'c', 'missing'), reason: fc.constant('r') });
  const segments = new Map([
    ['m', segment('m', 'message')],
    ['t', segment('t', 'tool_result')],
    ['c', { ...segment('c', 'tool_call'), role: 'assistant' as const }],
  ]);

  it('chooses the rule that trying every rule in order chooses', () => {
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 12 }), fc.array(found, { maxLength: 30 }), fc.constantFrom<'input' | 'output'>('input', 'output'), fc.constantFrom<Action>(...ACTIONS), (rules, findings, direction, defaultAction) => {
        const policy: PolicyConfig = { rules: rules as PolicyRule[], defaultAction, thresholds: { message: 0.5, tool_call: 0.4, tool_result: 0.3 } };
        // Twice: the second decision reads the index the first one built.
        for (let k = 0; k < 2; k++) {
          const d = decide(policy, direction, findings, [], segments);
          expect(d.verdicts.map((v) => ({ action: v.action, rule: v.rule, ...(v.replacement === undefined ? {} : { replacement: v.replacement }) }))).toEqual(decideByEveryRule(policy, direction, findings, segments));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('follows rules changed in place after a decision', () => {
    const rules: { type?: string; guard?: string; action: Action }[] = [{ type: 'pii.*', action: 'redact' }, { action: 'allow' }];
    const policy = { rules, defaultAction: 'block', thresholds: { message: 0.5, tool_call: 0.5, tool_result: 0.5 } } as PolicyConfig;
    const segs = new Map([['m', segment('m', 'message')]]);
    const f = [finding('m', 'pii.email', 0.9)];
    expect(decide(policy, 'input', f, [], segs).verdicts[0]!.rule).toBe(0);
    rules[0]!.type = 'secret.*';
    expect(decide(policy, 'input', f, [], segs).verdicts[0]!.rule).toBe(1);
    rules.unshift({ guard: 'g', action: 'review' });
    expect(decide(policy, 'input', f, [], segs).verdicts[0]!.action).toBe('review');
    rules[0] = { guard: 'h', action: 'review' };
    expect(decide(policy, 'input', f, [], segs).verdicts[0]!.rule).toBe(2);
  });
});

describe('scan cache', () => {
  it('scans a repeated segment once and re-targets cached findings to the new segment id', async () => {
    let calls = 0;
    const guard: Guard = {
      id: 'count',
      fingerprint: 'count:v1',
      failOpen: false,
      timeoutMs: 100,
      inspect(s) {
        calls++;
        return s.text.includes('bad') ? [{ guard: 'count', type: 'x.bad', score: 1, segmentId: s.id, reason: 'bad' }] : [];
      },
    };
    const cache = new ScanCache(100);
    const ctx = { requestId: 'r', direction: 'input' as const };
    await scanSegments([segment('a', 'message', 'bad words'), segment('b', 'message', 'fine')], [guard], ctx, cache);
    const second = await scanSegments([segment('a2', 'message', 'bad words'), segment('b2', 'message', 'fine'), segment('c', 'message', 'new bad')], [guard], ctx, cache);
    expect(calls).toBe(3);
    expect(second.findings.map((f) => f.segmentId)).toEqual(['a2', 'c']);
    expect(cache.hits).toBe(2);
  });

  it('evicts the least recently used entry', () => {
    const cache = new ScanCache(2);
    cache.set('g', 'k1', []);
    cache.set('g', 'k2', []);
    cache.get('g', 'k1', 's');
    cache.set('g', 'k3', []);
    expect(cache.get('g', 'k2', 's')).toBeUndefined();
    expect(cache.get('g', 'k1', 's')).toEqual([]);
  });

  it('hashes a long text in two parts to the digest of its joined provenance and text', () => {
    for (const text of ['short', 'x'.repeat(1023), 'long text é✓ '.repeat(200)]) {
      const seg = { id: 's', path: [], direction: 'input', role: 'user', kind: 'tool_result', toolName: 'read', trusted: false, text } as const;
      expect(ScanCache.contentKey(seg)).toBe(sha256Base64(['input', 'user', 'tool_result', 'read', '0', '', text].join('\0')));
    }
    // A tool's definition and a message of the same text and role are judged apart.
    const message = { id: 's', path: [], direction: 'input', role: 'tool', kind: 'message', trusted: false, text: 'Adds two numbers.' } as const;
    expect(ScanCache.contentKey({ ...message, origin: 'tool_definition' })).not.toBe(ScanCache.contentKey(message));
  });

  it('keeps a record written while it is the oldest, and evicts others', () => {
    const cache = new ScanCache(2);
    cache.set('g1', 'k1', []);
    cache.set('g1', 'k2', []);
    // A second guard's result for the oldest content: k2 leaves, k1 keeps both results.
    cache.set('g2', 'k1', []);
    expect(cache.get('g1', 'k2', 's')).toBeUndefined();
    expect(cache.get('g1', 'k1', 's')).toEqual([]);
    expect(cache.get('g2', 'k1', 's')).toEqual([]);
    expect(cache.size).toBe(2);
  });

  it('keeps each guard’s results of one content apart and bounds the results held, whole contents leaving', () => {
    const cache = new ScanCache(3);
    const finding = (segmentId: string): Finding => ({ guard: 'g1', type: 't', score: 1, segmentId, reason: 'r' });
    cache.set('g1', 'k1', [finding('s1')]);
    cache.set('g2', 'k1', []);
    expect(cache.get('g1', 'k1', 's9')).toEqual([{ ...finding('s1'), segmentId: 's9' }]);
    expect(cache.get('g2', 'k1', 's9')).toEqual([]);
    expect(cache.get('g3', 'k1', 's9')).toBeUndefined();
    cache.set('g1', 'k2', []);
    expect(cache.size).toBe(3);
    // A fourth result evicts the least recently used content with both its results.
    cache.set('g2', 'k2', []);
    expect(cache.size).toBe(2);
    expect(cache.get('g1', 'k1', 's')).toBeUndefined();
    expect(cache.get('g2', 'k2', 's')).toEqual([]);
    // A content with more results than the bound is still kept (the newest record never evicts itself).
    const small = new ScanCache(1);
    small.set('g1', 'k', []);
    small.set('g2', 'k', []);
    expect(small.get('g1', 'k', 's')).toEqual([]);
    expect(small.get('g2', 'k', 's')).toEqual([]);
  });
});

describe('scan context', () => {
  it('guards see the request, direction and principal; an async guard over its budget fails closed and its signal aborts', async () => {
    const seen: { requestId: string; direction: string; principal?: string; aborted?: boolean }[] = [];
    let slowSignal: AbortSignal | undefined;
    const quick: Guard = {
      id: 'quick',
      fingerprint: 'quick:v1',
      failOpen: false,
      timeoutMs: 1000,
      inspect(s, ctx) {
        seen.push({ requestId: ctx.requestId, direction: ctx.direction, ...(ctx.principal ? { principal: ctx.principal.name } : {}) });
        return [{ guard: 'quick', type: 'x.seen', score: 1, segmentId: s.id, reason: 'seen' }];
      },
    };
    const slow: Guard = {
      id: 'slow',
      fingerprint: 'slow:v1',
      failOpen: false,
      timeoutMs: 20,
      inspect(_s, ctx) {
        slowSignal = ctx.signal;
        return new Promise((resolve) => ctx.signal!.addEventListener('abort', () => resolve([])));
      },
    };
    const ctx = { requestId: 'req-1', direction: 'output' as const, principal: { id: 'p1', name: 'agent', kind: 'client' as const } };
    const result = await scanSegments([segment('a', 'message', 'text')], [quick, slow], ctx, new ScanCache(0));
    expect(seen).toEqual([{ requestId: 'req-1', direction: 'output', principal: 'agent' }]);
    expect(result.findings.map((f) => f.type)).toEqual(['x.seen']);
    expect(result.failures).toEqual([expect.objectContaining({ guard: 'slow', timedOut: true, failOpen: false })]);
    expect(slowSignal?.aborted).toBe(true);
    const policy: PolicyConfig = { defaultAction: 'block', thresholds: { message: 2, tool_call: 2, tool_result: 2 }, rules: [] };
    expect(decide(policy, 'output', result.findings, result.failures, new Map([['a', segment('a', 'message', 'text')]])).action).toBe('block');
  });
});
