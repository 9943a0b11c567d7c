import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/events.js';
import { maskSecrets, UiEventFeed } from '../../src/ui/event-feed.js';

describe('UiEventFeed', () => {
  it('keeps security events as metadata only: no payload, no unlisted field, secrets masked in free text', () => {
    const feed = new UiEventFeed();
    const events: AuditEvent[] = [
      { type: 'request.received', requestId: 'r1', route: '/v1/chat/completions', payload: 'PROMPT TEXT', clientIp: '10.0.0.1' },
      { type: 'finding', requestId: 'r1', principal: 'p1', direction: 'input', guard: 'secrets', findingType: 'secret.openai', score: 1, segmentId: 's', span: { start: 0, end: 4 }, action: 'block', reason: 'an OpenAI key sk-abcdefghijklmnopqrstu was found', payload: 'PROMPT TEXT' },
      { type: 'decision', requestId: 'r1', principal: 'p1', direction: 'input', action: 'block', findings: 1, failures: 0, guards: ['secrets'], findingTypes: ['secret.openai'] },
      { type: 'decision', requestId: 'r2', direction: 'input', action: 'allow', findings: 0, failures: 0 },
      { type: 'tool.call', tool: 'exec', verdict: 'allow', payload: '{"command":"ls"}' },
      { type: 'auth', outcome: 'success', surface: 'proxy', keyId: 'k' },
      { type: 'auth', outcome: 'failure', surface: 'proxy', reason: 'invalid_key', clientIp: '10.0.0.9' },
      { type: 'admin', action: 'key.revoke', actor: 'admin:ops', target: 'k2', outcome: 'success', detail: { secret: 'x' } },
    ];
    for (const e of events) feed.observe(e);
    const kept = feed.events();
    expect(kept.map((e) => [e.type, e.category])).toEqual([
      ['finding', 'finding'],
      ['decision', 'blocked'],
      ['auth', 'auth'],
      ['admin', 'admin'],
    ]);
    const text = JSON.stringify(kept);
    expect(text).not.toContain('PROMPT TEXT');
    expect(text).not.toContain('sk-abcdefghijklmnopqrstu');
    expect(text).not.toContain('span');
    expect(text).not.toContain('detail');
    expect(kept[0]!.fields.reason).toBe('an OpenAI key [SECRET] was found');
    expect(feed.events({ category: 'blocked' })).toHaveLength(1);
    expect(feed.events({ guard: 'secrets' }).map((e) => e.type)).toEqual(['finding', 'decision']);
    expect(feed.events({ after: 2 }).map((e) => e.id)).toEqual([3, 4]);
  });

  it('is a bounded ring: the oldest events go first', () => {
    const feed = new UiEventFeed({ capacity: 3 });
    for (let i = 0; i < 10; i++) feed.observe({ type: 'admin', action: `a${i}`, actor: 'x' });
    expect(feed.lastId).toBe(10);
    expect(feed.events().map((e) => e.fields.action)).toEqual(['a7', 'a8', 'a9']);
    expect(feed.events({ limit: 2 }).map((e) => e.id)).toEqual([9, 10]);
    expect(feed.events({ after: 9 }).map((e) => e.id)).toEqual([10]);
  });

  it('counts requests, blocks by guard and tokens per bucket, with empty buckets filled in', () => {
    let now = 100_000;
    const feed = new UiEventFeed({ bucketMs: 10_000, buckets: 6, now: () => now });
    feed.observe({ type: 'request.received', route: '/', time: 61_000 });
    feed.observe({ type: 'request.received', route: '/', time: 95_000 });
    feed.observe({ type: 'decision', direction: 'input', action: 'block', findings: 2, failures: 0, guards: ['injection', 'pii'], time: 95_500 });
    feed.observe({ type: 'decision', direction: 'input', action: 'block', findings: 0, failures: 1, time: 96_000 });
    feed.observe({ type: 'upstream.response', upstream: 'u', status: 200, latencyMs: 5, tokensIn: 30, tokensOut: 12, time: 97_000 });
    feed.observe({ type: 'request.received', route: '/', time: 10_000 }); // older than the window: dropped from the view
    const { bucketMs, buckets } = feed.series();
    expect(bucketMs).toBe(10_000);
    expect(buckets.map((b) => b.t)).toEqual([50_000, 60_000, 70_000, 80_000, 90_000, 100_000]);
    expect(buckets.map((b) => b.requests)).toEqual([0, 1, 0, 0, 1, 0]);
    expect(buckets[4]).toMatchObject({ blocked: 2, tokensIn: 30, tokensOut: 12, byGuard: { injection: 1, pii: 1, failure: 1 } });
    now = 200_000;
    expect(feed.series().buckets.every((b) => b.requests === 0)).toBe(true);
  });

  it('taps a sink: events go to the sink first, then to the feed', () => {
    const stored: AuditEvent[] = [];
    const feed = new UiEventFeed();
    const sink = feed.tap({ record: (e) => void stored.push(e), recordMany: (es) => void stored.push(...es), flush: async () => {}, close: async () => {} });
    sink.record({ type: 'admin', action: 'x', actor: 'y' });
    sink.recordMany([{ type: 'approval', approvalId: 'a', status: 'requested' }]);
    expect(stored).toHaveLength(2);
    expect(feed.events().map((e) => e.type)).toEqual(['admin', 'approval']);
  });

  it('masks credentials but leaves what an approver needs', () => {
    expect(maskSecrets('{"to":"jane@example.org","token":"ghp_abcdefghijklmnopqrstuvwxyz012345","n":"4111 1111"}')).toBe('{"to":"jane@example.org","token":"[SECRET]","n":"4111 1111"}');
    expect(maskSecrets('key cg_' + 'Z'.repeat(43))).toBe('key [CLAWGUARD_KEY]');
    expect(maskSecrets('-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----')).toBe('[PRIVATE_KEY]');
  });
});
