import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decide, type Finding, type PolicyConfig, ScanCache, scanSegments, type Segment } from '../../../src/core/index.js';
import {
  harmfulScore,
  HARMFUL_DEFAULT_THRESHOLD,
  moderationConfigSchema,
  moderationGuardFactory,
  parseLlamaGuard,
} from '../../../src/guards/moderation/index.js';
import { applySpanRewrites } from '../../../src/transform/spans.js';
import { classifierFeatures, classifierTokens } from '../../../src/guards/moderation/features.js';
import harmfulModel from '../../../src/guards/moderation/harmful-model.json' with { type: 'json' };

function output(text: string): Segment {
  return { id: 'out', direction: 'output', role: 'assistant', kind: 'message', text, trusted: false, path: ['choices', 0] };
}

function guardWith(config: unknown, timeoutMs = 1000) {
  return moderationGuardFactory.create(moderationConfigSchema.parse(config), { id: 'moderation', failOpen: false, timeoutMs });
}

const ctx = { requestId: 'r1', direction: 'output' as const };

describe('term lists and patterns', () => {
  it('matches whole words and phrases case-insensitively, also in full-width letters', () => {
    const guard = guardWith({ classifier: { enabled: false }, terms: { competitors: ['Acme Corp', 'globex'] } });
    const text = 'Try ACME corp or ＧＬＯＢＥＸ, not globexes.';
    const findings = guard.inspect(output(text), ctx) as Finding[];
    expect(findings.map((f) => [f.type, text.slice(f.span!.start, f.span!.end)])).toEqual([
      ['moderation.term.competitors', 'ACME corp'],
      ['moderation.term.competitors', 'ＧＬＯＢＥＸ'],
    ]);
  });

  it('matches RE2 patterns and rejects patterns RE2 cannot run in linear time', () => {
    const guard = guardWith({ classifier: { enabled: false }, patterns: [{ id: 'ticket', pattern: 'TICKET-[0-9]{4}' }] });
    const findings = guard.inspect(output('see ticket-1234 and TICKET-9'), ctx) as Finding[];
    expect(findings.map((f) => f.type)).toEqual(['moderation.pattern.ticket']);
    expect(moderationConfigSchema.safeParse({ patterns: [{ id: 'bad', pattern: '(a+)\\1' }] }).success).toBe(false);
  });

  it('streams when only terms and patterns are on, judges whole segments with the classifier', () => {
    expect(guardWith({ classifier: { enabled: false }, terms: { x: ['abc'] } }).maxSpan).toBeGreaterThan(0);
    expect(guardWith({}).maxSpan).toBeUndefined();
  });

  it('looks at output by default and at input only when asked', () => {
    const guard = guardWith({});
    expect(guard.appliesTo!(output('x'))).toBe(true);
    expect(guard.appliesTo!({ ...output('x'), direction: 'input' })).toBe(false);
    expect(guardWith({ directions: ['input', 'output'] }).appliesTo!({ ...output('x'), direction: 'input' })).toBe(true);
  });
});

describe('length limit', () => {
  it('reports the excess as a span that a redact rule turns into a truncation', () => {
    const guard = guardWith({ classifier: { enabled: false }, maxChars: 10 });
    const text = 'abcdefghijKLMNOP';
    const [finding] = guard.inspect(output(text), ctx) as Finding[];
    expect(finding!.type).toBe('moderation.length');
    expect(applySpanRewrites(text, [{ ...finding!.span!, replacement: ' [truncated]' }])).toBe('abcdefghij [truncated]');
    expect(guard.inspect(output('short'), ctx)).toEqual([]);
  });
});

describe('harmful-content classifier', () => {
  it('scores toxic and harmful text high and ordinary answers low', () => {
    expect(harmfulScore('You are a worthless idiot and everyone hates you, go kill yourself')).toBeGreaterThan(HARMFUL_DEFAULT_THRESHOLD);
    expect(harmfulScore('To bake bread, mix flour, water, salt and yeast, then let the dough rise for an hour.')).toBeLessThan(HARMFUL_DEFAULT_THRESHOLD);
  });

  it('scores exactly the weights of the distinct feature ids that training sees', () => {
    // The model's own weights, summed over classifierFeatures (the ids training uses): the reference.
    const weights = new Map(Object.entries(harmfulModel.weights));
    const reference = (text: string): number => {
      let z = harmfulModel.bias;
      for (const f of classifierFeatures(text)) z += weights.get(f) ?? 0;
      return 1 / (1 + Math.exp(-z));
    };
    const texts = [
      'You are a worthless idiot and everyone hates you, go kill yourself',
      'you idiot you idiot you idiot: repeated features count once',
      'To bake bread, mix flour, water, salt and yeast, then let the dough rise for an hour.',
      'How do I kill a Python process that hangs? I tried kill -9 and it is still there!!',
      'Fuuuuck this, I will destroy you and burn your house, you pathetic loser?!',
      '',
      'the of and',
      'Ça va très bien, merci. Schön, dich zu sehen! Привет, как дела?',
      'word '.repeat(2500),
    ];
    for (const text of texts) expect(harmfulScore(text), text.slice(0, 40)).toBe(reference(text));
    // Every feature of the model, alone (words, pairs, classes): the compact tables hold each weight.
    for (const [id, weight] of Object.entries(harmfulModel.weights).filter((_, i) => i % 97 === 0)) {
      const text = id.startsWith('c:') ? { insult: 'idiot', threat: 'kill', you_insult: 'you idiot', you_threat: 'you kill', threat_you: 'kill you' }[id.slice(2)]! : id.slice(2);
      expect(harmfulScore(text), id).toBe(reference(text));
      expect(classifierFeatures(text), id).toContain(id);
      expect(weight).toBe(weights.get(id));
    }
  });

  it('reads the default threshold from the model file', () => {
    expect(HARMFUL_DEFAULT_THRESHOLD).toBe(harmfulModel.threshold);
  });

  it('turns a high score into a whole-segment finding', () => {
    const guard = guardWith({});
    const findings = guard.inspect(output('You are a worthless idiot and everyone hates you, go kill yourself'), ctx) as Finding[];
    expect(findings.map((f) => f.type)).toEqual(['moderation.harmful']);
    expect(findings[0]!.span).toBeUndefined();
    expect(guard.inspect(output('The capital of France is Paris.'), ctx)).toEqual([]);
  });
});

describe('external moderation services', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function fake(handler: (body: any, req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => handler(raw ? JSON.parse(raw) : undefined, req, res));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  }
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  it('reports the categories an OpenAI-compatible /v1/moderations endpoint flags', async () => {
    let seen: any;
    let auth: string | undefined;
    const base = await fake((body, req, res) => {
      seen = body;
      auth = req.headers.authorization;
      json(res, 200, { id: 'modr-1', model: 'omni-moderation-latest', results: [{ flagged: true, categories: { harassment: true, violence: false }, category_scores: { harassment: 0.91, violence: 0.02 } }] });
    });
    process.env.CG_TEST_MODERATION_KEY = 'test-key';
    const guard = guardWith({ classifier: { enabled: false }, external: { kind: 'openai', url: `${base}/v1/moderations`, apiKey: 'env:CG_TEST_MODERATION_KEY', model: 'omni-moderation-latest' } });
    expect(guard.fingerprint).not.toContain('test-key');
    const findings = await guard.inspect(output('some answer'), ctx);
    expect(seen).toEqual({ input: 'some answer', model: 'omni-moderation-latest' });
    expect(auth).toBe('Bearer test-key');
    expect(findings.map((f) => [f.type, f.score])).toEqual([['moderation.external.harassment', 0.91]]);
  });

  it('takes the API key only as a secret reference, and fails closed, naming it, when it cannot be read', async () => {
    const literal = moderationConfigSchema.safeParse({ external: { kind: 'openai', url: 'http://127.0.0.1:9/v1/moderations', apiKey: 'sk-live-123' } });
    expect(literal.success).toBe(false);
    expect(literal.error!.issues[0]!.path).toEqual(['external', 'apiKey']);
    expect(literal.error!.issues[0]!.message).toMatch(/secret reference.*never the secret itself/);
    expect(JSON.stringify(literal.error!.issues)).not.toContain('sk-live-123');

    let calls = 0;
    const base = await fake((_body, req, res) => {
      calls++;
      json(res, 200, { results: [{ flagged: false, categories: {} }], auth: req.headers.authorization });
    });
    delete process.env.CG_TEST_MODERATION_MISSING;
    const guard = guardWith({ classifier: { enabled: false }, external: { kind: 'openai', url: `${base}/v1/moderations`, apiKey: 'env:CG_TEST_MODERATION_MISSING' } });
    await expect(guard.inspect(output('some answer'), ctx)).rejects.toThrow(/env:CG_TEST_MODERATION_MISSING/);
    expect(calls).toBe(0);
    // A failed read is not kept: once the secret is there, the next check uses it.
    process.env.CG_TEST_MODERATION_MISSING = 'late-key';
    await expect(guard.inspect(output('some answer'), ctx)).resolves.toEqual([]);
    expect(calls).toBe(1);
    delete process.env.CG_TEST_MODERATION_MISSING;
  });

  it('sends Llama Guard the conversation turn and parses unsafe categories', async () => {
    let seen: any;
    const base = await fake((body, _req, res) => {
      seen = body;
      json(res, 200, { choices: [{ message: { role: 'assistant', content: 'unsafe\nS1,S10' } }] });
    });
    const guard = guardWith({ classifier: { enabled: false }, external: { kind: 'llama_guard', url: `${base}/v1/chat/completions`, model: 'llama-guard-3-8b' } });
    const findings = await guard.inspect(output('answer text'), ctx);
    expect(seen.model).toBe('llama-guard-3-8b');
    expect(seen.messages.at(-1)).toEqual({ role: 'assistant', content: 'answer text' });
    expect(findings.map((f) => f.type)).toEqual(['moderation.external.violent_crimes', 'moderation.external.hate']);
  });

  it('can send the Llama Guard task prompt itself', async () => {
    let seen: any;
    const base = await fake((body, _req, res) => {
      seen = body;
      json(res, 200, { choices: [{ message: { role: 'assistant', content: 'safe' } }] });
    });
    const guard = guardWith({ directions: ['input'], classifier: { enabled: false }, external: { kind: 'llama_guard', url: `${base}/v1/chat/completions`, prompt: 'inline' } });
    const findings = await guard.inspect({ ...output('how do I bake bread?'), direction: 'input', role: 'user' }, { ...ctx, direction: 'input' });
    expect(findings).toEqual([]);
    expect(seen.messages).toHaveLength(1);
    const prompt: string = seen.messages[0].content;
    expect(prompt).toContain("unsafe content in 'User' messages");
    expect(prompt).toContain('S14: Code Interpreter Abuse.');
    expect(prompt).toContain('User: how do I bake bread?');
    expect(prompt).toContain('ONLY THE LAST User message');
  });

  it('parses safe and rejects anything else', () => {
    expect(parseLlamaGuard('safe')).toEqual({ flagged: false, categories: {} });
    expect(parseLlamaGuard(' unsafe\nS11 ').categories).toEqual({ suicide_self_harm: 1 });
    expect(() => parseLlamaGuard('I cannot help with that')).toThrow(/neither/);
  });

  it('fails closed: an HTTP error, a malformed answer or a timeout is a guard failure that blocks', async () => {
    let mode: 'error' | 'garbage' | 'slow' = 'error';
    const base = await fake((_body, _req, res) => {
      if (mode === 'error') json(res, 500, { error: 'boom' });
      else if (mode === 'garbage') json(res, 200, { results: 'nope' });
      else setTimeout(() => json(res, 200, { results: [{ flagged: false, categories: {} }] }), 500);
    });
    const guard = guardWith({ classifier: { enabled: false }, external: { kind: 'openai', url: `${base}/v1/moderations`, timeoutMs: 100 } }, 1000);
    const policy: PolicyConfig = { rules: [], defaultAction: 'allow', thresholds: { message: 0.5, tool_call: 0.5, tool_result: 0.5 } };
    for (const m of ['error', 'garbage', 'slow'] as const) {
      mode = m;
      const seg = output(`answer ${m}`);
      const result = await scanSegments([seg], [guard], ctx, new ScanCache(0));
      expect(result.failures).toHaveLength(1);
      expect(result.failures[0]!.failOpen).toBe(false);
      expect(decide(policy, 'output', result.findings, result.failures, new Map([[seg.id, seg]])).action).toBe('block');
    }
  });
});

describe('classifier tokens', () => {
  /** The Unicode definition, which the ASCII fast path must equal on ASCII text. */
  const reference = (text: string): string[] =>
    text
      .normalize('NFKC')
      .toLowerCase()
      .replace(/(\p{L})\1{2,}/gu, '$1$1')
      .replace(/[@$0-9]/g, (c) => ({ '@': 'a', $: 's', '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't' })[c] ?? c)
      .match(/[\p{L}\p{M}']+|[!?]/gu) ?? [];

  it('reads ASCII text exactly as the Unicode definition does', () => {
    let seed = 11;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const pieces = ['a', 'A', 'e', 'E', 'z', 'Z', 'ooo', 'OOOO', 'xXx', '0', '1', '3', '4', '5', '7', '2', '9', '@', '$', "'", '!', '?', ' ', '\n', '.', '-', '_', '"', 'You', 'idiot', 'k1ll', 'fuuuuck', 's0 stup1d', '#', '~'];
    for (let k = 0; k < 3000; k++) {
      let text = '';
      const n = 1 + rnd(25);
      for (let i = 0; i < n; i++) text += pieces[rnd(pieces.length)];
      expect(classifierTokens(text), JSON.stringify(text)).toEqual(reference(text));
    }
    for (const text of ['', 'Hello!!! WORLD???', "don't you dare", 'ＡＢＣ ｆｕｌｌ', 'naïve café', 'ﬁne'])
      expect(classifierTokens(text), text).toEqual(reference(text));
  });
});
