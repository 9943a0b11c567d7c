import { describe, expect, it } from 'vitest';
import { checkRequest } from '../../src/providers/validate.js';
import { openAiChatAdapter, requestSchema as openAiSchema } from '../../src/providers/openai-chat.js';
import { anthropicMessagesAdapter, requestSchema as anthropicSchema } from '../../src/providers/anthropic-messages.js';
import { rng } from '../helpers/rng.js';

const VALUES: unknown[] = [
  undefined, null, true, false, 0, 1, -1, 1.5, 128, 129, 2 ** 53, '', 'x', 'user', 'assistant', 'system', 'developer', 'tool', 'function', 'bogus',
  [], [{}], [{ type: 'text', text: 'hi' }], [{ type: 1 }], [null], ['text'], {}, { type: 'text' }, { name: 'f', arguments: '{}' },
  [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }], [{ id: 'c1', function: { name: 'f' } }], [{ id: 1, function: { name: 'f', arguments: '' } }],
];

/** Replaces, deletes or adds one field somewhere in a copy of `seed` (the body, a message, a block, a tool call). */
function mutate(seed: unknown, random: () => number): unknown {
  const body = structuredClone(seed) as Record<string, any>;
  const holders: Record<string, any>[] = [body];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      holders.push(v as Record<string, any>);
      Object.values(v).forEach(walk);
    }
  };
  walk(body);
  const times = 1 + Math.floor(random() * 3);
  for (let i = 0; i < times; i++) {
    const holder = holders[Math.floor(random() * holders.length)]!;
    const keys = [...Object.keys(holder), 'model', 'messages', 'stream', 'n', 'max_tokens', 'system', 'role', 'content', 'tool_calls', 'tool_call_id', 'type', 'id', 'function', 'name', 'arguments'];
    const key = keys[Math.floor(random() * keys.length)]!;
    const value = VALUES[Math.floor(random() * VALUES.length)];
    if (value === undefined) delete holder[key];
    else holder[key] = structuredClone(value);
  }
  return body;
}

const OPENAI_SEEDS = [
  { model: 'gpt-4o-mini', stream: false, messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello' }] },
  {
    model: 'gpt-4o',
    n: 2,
    stream: null,
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'x' } }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'exec', arguments: '{"cmd":"ls"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'a.txt' },
      { role: 'function', name: 'f', content: 'r' },
    ],
  },
];

const ANTHROPIC_SEEDS = [
  { model: 'claude-sonnet-4', max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] },
  {
    model: 'claude-sonnet-4',
    max_tokens: 1024,
    stream: true,
    system: [{ type: 'text', text: 'be brief' }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'tu_1', name: 'exec', input: { cmd: 'ls' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: 'a.txt' }] },
    ],
  },
];

describe('request validation without zod', () => {
  for (const [name, adapter, schema, seeds] of [
    ['openai-chat', openAiChatAdapter, openAiSchema, OPENAI_SEEDS],
    ['anthropic-messages', anthropicMessagesAdapter, anthropicSchema, ANTHROPIC_SEEDS],
  ] as const) {
    it(`${name}: answers as the schema alone does, valid or not`, () => {
      const random = rng(7);
      let accepted = 0;
      for (const seed of seeds) expect(adapter.validateRequest(seed)).toEqual({ ok: true, model: seed.model, stream: seed.stream === true });
      for (let i = 0; i < 20_000; i++) {
        const body = mutate(seeds[i % seeds.length], random);
        const fast = adapter.validateRequest(body);
        expect(fast).toEqual(checkRequest(schema, body));
        if (fast.ok) accepted++;
      }
      // Both outcomes are exercised.
      expect(accepted).toBeGreaterThan(1000);
      expect(accepted).toBeLessThan(19_000);
    });
  }
});
