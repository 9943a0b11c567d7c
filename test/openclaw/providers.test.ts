import { describe, expect, it } from 'vitest';
import { diffLines, formatDiff, maskSecrets } from '../../src/openclaw/diff.js';
import { envReference, parseDotenv, scanProviders, upstreamName } from '../../src/openclaw/providers.js';

const PROXY = 'http://127.0.0.1:8080';
const noEnv = () => undefined;

describe('scanProviders', () => {
  it('maps OpenAI- and Anthropic-speaking providers, with built-in URLs when baseUrl is absent', () => {
    const scan = scanProviders(
      {
        models: {
          providers: {
            openai: { apiKey: 'sk-openai' },
            anthropic: { apiKey: 'sk-ant' },
            local: { baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'x-local', models: ['llama'] },
          },
        },
      },
      PROXY,
      noEnv,
    );
    expect(scan.plans.map((p) => [p.id, p.provider, p.api, p.url])).toEqual([
      ['openai', 'openai', 'openai-completions', 'https://api.openai.com/v1'],
      ['anthropic', 'anthropic', 'anthropic-messages', 'https://api.anthropic.com'],
      ['local', 'openai', 'openai-completions', 'http://127.0.0.1:11434/v1'],
    ]);
    expect(scan.plans[2]!.models).toEqual(['llama']);
  });

  it('rewrites openai-responses to chat completions, and says so', () => {
    const scan = scanProviders({ models: { providers: { o: { baseUrl: 'https://api.openai.com/v1', api: 'openai-responses', apiKey: 'k' } } } }, PROXY, noEnv);
    expect(scan.plans[0]!.api).toBe('openai-completions');
    expect(scan.plans[0]!.notes.join()).toContain('openai-responses');
  });

  it('skips what ClawGuard cannot proxy or cannot key, with a reason', () => {
    const scan = scanProviders(
      {
        models: {
          providers: {
            g: { baseUrl: 'https://generativelanguage.googleapis.com/v1beta', api: 'google-generative-ai', apiKey: 'k' },
            nourl: { api: 'openai-completions', apiKey: 'k' },
            vault: { baseUrl: 'https://x.example/v1', apiKey: { source: 'file', provider: 'filemain', id: '/k' } },
            odd: 'not an object',
            sub: { api: 'anthropic-messages', baseUrl: 'https://api.anthropic.com', auth: 'oauth' },
          },
        },
      },
      PROXY,
      noEnv,
    );
    expect(scan.plans).toEqual([]);
    expect(Object.fromEntries(scan.skipped.map((s) => [s.id, s.reason]))).toMatchObject({
      g: expect.stringContaining('google-generative-ai'),
      nourl: expect.stringContaining('no baseUrl'),
      vault: expect.stringContaining('SecretRef'),
      odd: 'not an object',
      sub: expect.stringContaining('"oauth" auth'),
    });
  });

  it('resolves env references (${NAME}, $NAME, env SecretRef, missing key of a built-in) and keeps unresolved ones as names', () => {
    const env: Record<string, string> = { A_KEY: 'value-a', OPENAI_API_KEY: 'sk-from-env' };
    const scan = scanProviders(
      {
        models: {
          providers: {
            a: { baseUrl: 'https://a.example/v1', apiKey: '${A_KEY}' },
            b: { baseUrl: 'https://b.example/v1', apiKey: '$B_KEY' },
            c: { baseUrl: 'https://c.example/v1', apiKey: { source: 'env', provider: 'default', id: 'A_KEY' } },
            openai: {},
          },
        },
      },
      PROXY,
      (name) => env[name],
    );
    expect(scan.plans.map((p) => p.key)).toEqual([
      { kind: 'value', value: 'value-a', from: '$A_KEY' },
      { kind: 'env', name: 'B_KEY' },
      { kind: 'value', value: 'value-a', from: '$A_KEY' },
      { kind: 'value', value: 'sk-from-env', from: '$OPENAI_API_KEY' },
    ]);
  });

  it('recognises a provider that already points at ClawGuard', () => {
    const scan = scanProviders({ models: { providers: { p: { baseUrl: `${PROXY}/v1`, apiKey: 'cg_x' } } } }, PROXY, noEnv);
    expect(scan.connected).toEqual(['p']);
    expect(scan.plans).toEqual([]);
  });
});

describe('helpers', () => {
  it('envReference, upstreamName, parseDotenv', () => {
    expect(envReference('${OPENAI_API_KEY}')).toBe('OPENAI_API_KEY');
    expect(envReference('$X')).toBe('X');
    expect(envReference('sk-literal')).toBeUndefined();
    expect(envReference('prefix-${X}')).toBeUndefined();
    expect(upstreamName('my provider/1')).toBe('openclaw-my-provider-1');
    expect(parseDotenv('# c\nexport A="x y"\nB=\'q\'\nC=plain # note\nbad line\n')).toEqual(
      new Map([
        ['A', 'x y'],
        ['B', 'q'],
        ['C', 'plain'],
      ]),
    );
  });
});

describe('diff', () => {
  it('finds the smallest line changes and prints hunks with context', () => {
    expect(diffLines('a\nb\nc\n', 'a\nx\nc\n').map((l) => `${l.op}${l.text}`)).toEqual([' a', '-b', '+x', ' c']);
    const text = formatDiff(Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n'), Array.from({ length: 20 }, (_, i) => (i === 10 ? 'changed' : `l${i}`)).join('\n'), { before: 'a', after: 'b' }, 1);
    expect(text).toBe('--- a\n+++ b\n@@\n l9\n-l10\n+changed\n l11\n');
    expect(formatDiff('same\n', 'same\n', { before: 'a', after: 'b' })).toBe('');
  });

  it('masks every secret, longest first', () => {
    expect(maskSecrets('key=sk-abcdef and cg_123456 and sk-abcdef-longer', ['sk-abcdef', 'sk-abcdef-longer', 'cg_123456'])).toBe('key=…(secret) and cg_…(client key) and …(secret)');
  });
});
