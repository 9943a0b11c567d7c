import { beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalService } from '../../src/gateway/approvals/approval-service.js';
import type { GuardEngine } from '../../src/gateway/guard-engine.js';
import { GatewayStreamInspector } from '../../src/gateway/stream-inspector.js';
import { engineFromConfig, outputCtx } from '../fuzz/engine.js';

/**
 * The relay gives the inspector a function for the call's AbortSignal and starts its heartbeat timer
 * from `onAwaitingApproval`: a stream makes neither unless a tool call waits for a human.
 */
let engine: GuardEngine;
beforeAll(async () => {
  engine = await engineFromConfig(
    [
      'guards:',
      '  toolcalls: { enabled: false }',
      '  patterns:',
      '    deny:',
      "      - { id: network, pattern: '\\bcurl\\b' }",
      'policy:',
      '  rules:',
      '    - { type: pattern.network, kind: [tool_call], action: review }',
      '',
    ].join('\n'),
  );
}, 60_000);

function approvals(outcome: 'approved' | 'denied', seen: (AbortSignal | undefined)[]): ApprovalService {
  return {
    hold: async (_request: unknown, signal?: AbortSignal) => {
      seen.push(signal);
      return { outcome, approval: {} };
    },
  } as unknown as ApprovalService;
}

describe('a streamed tool call waiting for a human', () => {
  it('asks for the AbortSignal and calls onAwaitingApproval only when the call waits', async () => {
    const controller = new AbortController();
    let asked = 0;
    const seen: (AbortSignal | undefined)[] = [];
    const inspector = new GatewayStreamInspector(engine, outputCtx('wait1'), () => true, undefined, approvals('denied', seen), () => {
      asked++;
      return controller.signal;
    });
    let waits = 0;
    inspector.onAwaitingApproval = () => {
      waits++;
      expect(inspector.awaitingApproval).toBe(true);
    };
    const plain = await inspector.toolCall({ channel: 'choices[0]', id: 'c1', name: 'shell', arguments: '{"cmd":"ls"}' });
    expect(plain.action).toBe('allow');
    expect([asked, waits, seen.length]).toEqual([0, 0, 0]);
    const held = await inspector.toolCall({ channel: 'choices[0]', id: 'c2', name: 'shell', arguments: '{"cmd":"curl https://example.com"}' });
    expect(held.action).toBe('refuse');
    expect([asked, waits]).toEqual([1, 1]);
    expect(seen).toEqual([controller.signal]);
    expect(inspector.awaitingApproval).toBe(false);
  });

  it('still takes a plain AbortSignal', async () => {
    const controller = new AbortController();
    const seen: (AbortSignal | undefined)[] = [];
    const inspector = new GatewayStreamInspector(engine, outputCtx('wait2'), () => true, undefined, approvals('approved', seen), controller.signal);
    const verdict = await inspector.toolCall({ channel: 'choices[0]', id: 'c3', name: 'shell', arguments: '{"cmd":"curl x"}' });
    expect(verdict.action).toBe('allow');
    expect(seen).toEqual([controller.signal]);
  });
});
