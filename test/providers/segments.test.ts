import { describe, expect, it } from 'vitest';
import { segmentAt, type SegmentProvenance } from '../../src/providers/adapter.js';
import { openAiChatAdapter } from '../../src/providers/openai-chat.js';
import { anthropicMessagesAdapter } from '../../src/providers/anthropic-messages.js';

describe('segmentAt', () => {
  const protos: SegmentProvenance[] = [
    { direction: 'input', role: 'user', kind: 'message', trusted: false },
    { direction: 'input', role: 'tool', kind: 'tool_result', trusted: false, toolName: 'exec' },
    { direction: 'input', role: 'tool', kind: 'tool_result', trusted: false, toolCallId: 'call_1' },
    { direction: 'output', role: 'assistant', kind: 'tool_call', trusted: false, toolName: 'exec', toolCallId: 'call_1' },
  ];

  it('gives the fields, in the order, of { ...proto, id, path, text }', () => {
    for (const proto of protos) {
      const path = ['messages', 2, 'content', 0, 'text'];
      const made = segmentAt(proto, path, 'hello');
      const spread = { ...proto, id: 'messages[2].content[0].text', path, text: 'hello' };
      expect(made).toEqual(spread);
      expect(Object.keys(made)).toEqual(Object.keys(spread));
      expect(made.path).toBe(path);
    }
  });

  it('is what the adapters build', () => {
    const openai = openAiChatAdapter.requestSegments({
      model: 'm',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'exec', arguments: '{"cmd":"ls"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: 'a.txt' }] },
      ],
    }).segments;
    expect(openai.map((s) => Object.keys(s))).toEqual([
      ['direction', 'role', 'kind', 'trusted', 'id', 'path', 'text'],
      ['id', 'path', 'direction', 'role', 'kind', 'trusted', 'toolName', 'toolCallId', 'text'],
      ['direction', 'role', 'kind', 'trusted', 'toolName', 'toolCallId', 'id', 'path', 'text'],
    ]);
    const anthropic = anthropicMessagesAdapter.requestSegments({
      model: 'm',
      max_tokens: 10,
      messages: [{ role: 'assistant', content: [{ type: 'text', text: 'ok' }, { type: 'tool_use', id: 'tu_1', name: 'exec', input: { cmd: 'ls' } }] }],
    }).segments;
    expect(anthropic.map((s) => Object.keys(s))).toEqual([
      ['direction', 'role', 'kind', 'trusted', 'id', 'path', 'text'],
      ['direction', 'role', 'kind', 'trusted', 'toolName', 'toolCallId', 'id', 'path', 'text'],
    ]);
    expect(anthropic[1]).toMatchObject({ kind: 'tool_call', toolName: 'exec', toolCallId: 'tu_1', text: '{"cmd":"ls"}' });
  });
});
