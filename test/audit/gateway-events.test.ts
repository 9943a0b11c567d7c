import { describe, expect, it } from 'vitest';
import { decisionEvents, requestReceived } from '../../src/audit/gateway-events.js';
import type { AuditEvent } from '../../src/audit/events.js';
import type { Decision, Segment } from '../../src/core/index.js';

const principal = { id: 'key_abc', name: 'ci bot', kind: 'client' as const, role: 'default', tenant: 'acme' };
const segments: Segment[] = [
  { id: 'm0', direction: 'input', role: 'system', kind: 'message', text: 'You are helpful.', trusted: true, path: ['messages', 0] },
  { id: 'm1', direction: 'input', role: 'user', kind: 'message', text: 'mail me at bob@example.com', trusted: false, path: ['messages', 1] },
];

describe('gateway event builders', () => {
  it('request.received carries provenance without text in metadata, text only as payload', () => {
    const e = requestReceived({ requestId: 'req_1', principal, endUser: 'user-9' }, { route: '/v1/chat/completions', api: 'openai-chat', model: 'gpt-4o', stream: true }, segments);
    const { payload, ...meta } = e;
    expect(meta).toEqual({
      type: 'request.received',
      requestId: 'req_1',
      principal: 'key_abc',
      tenant: 'acme',
      subject: 'user-9',
      route: '/v1/chat/completions',
      api: 'openai-chat',
      model: 'gpt-4o',
      stream: true,
      segments: [
        { id: 'm0', direction: 'input', role: 'system', kind: 'message', trusted: true, chars: 16 },
        { id: 'm1', direction: 'input', role: 'user', kind: 'message', trusted: false, chars: 26 },
      ],
    });
    expect(JSON.stringify(meta)).not.toContain('bob@example.com');
    expect(payload).toContain('[user] mail me at bob@example.com');
  });

  it('a decision becomes finding, guard.failure and decision events, subject defaulting to the principal', () => {
    const decision: Decision = {
      action: 'block',
      verdicts: [{ finding: { guard: 'pii', type: 'pii.email', score: 0.98, segmentId: 'm1', span: { start: 11, end: 26 }, reason: 'email address' }, action: 'redact', rule: 0 }],
      failures: [{ guard: 'remote', error: 'timed out', timedOut: true, failOpen: false }],
    };
    const events: AuditEvent[] = decisionEvents({ requestId: 'req_2', principal }, 'input', decision);
    expect(events.map((e) => e.type)).toEqual(['finding', 'guard.failure', 'decision']);
    expect(events[0]).toMatchObject({ principal: 'key_abc', subject: 'key_abc', guard: 'pii', findingType: 'pii.email', span: { start: 11, end: 26 }, action: 'redact', rule: 0 });
    expect(events[2]).toMatchObject({ type: 'decision', action: 'block', findings: 1, failures: 1, guards: ['remote'], findingTypes: ['guard.timeout'] });
  });
});
