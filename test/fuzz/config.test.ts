import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { builtinGuards } from '../../src/guards/index.js';
import { checkProperty, nastyString } from './harness.js';

/**
 * Config files: arbitrary text, arbitrary YAML documents, and mutations of a valid config (a value
 * replaced, a key dropped, an unknown key added). The loader never throws; it returns a config or
 * issues, each with a message and, when it has a line, one inside the file.
 */
const registry = builtinGuards();
const VALID = {
  server: { port: 8080 },
  upstreams: [{ name: 'openai', provider: 'openai', url: 'https://api.openai.com/v1', apiKey: 'env:OPENAI_API_KEY', timeoutMs: 1000 }],
  routes: [{ model: 'gpt-*', upstream: 'openai' }],
  guards: { limits: { maxBodyBytes: 1024 }, patterns: { deny: [{ id: 'x', pattern: 'secret-[0-9]+' }] } },
  policy: { rules: [{ type: 'pii.*', action: 'redact' }] },
  rateLimits: { store: 'memory', perIp: { requestsPerMinute: 10 } },
  roles: [{ name: 'default' }],
};

function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const out: (string | number)[][] = [prefix];
  for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, Array.isArray(value) ? Number(k) : k]));
  return out;
}
const ALL_PATHS = paths(VALID).filter((p) => p.length > 0);

const mutation = fc.record({ at: fc.nat(ALL_PATHS.length - 1), op: fc.constantFrom('replace', 'drop', 'unknown'), value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), nastyString(10), fc.constantFrom(-1, 0, 1e308, '', 'env:', 'file:/nonexistent', 'http://x', '[', '*')) });

function mutate(muts: readonly { at: number; op: string; value: unknown }[]): unknown {
  const doc: any = structuredClone(VALID);
  for (const m of muts) {
    const path = ALL_PATHS[m.at]!;
    let node = doc;
    for (const step of path.slice(0, -1)) {
      if (node === null || typeof node !== 'object') break;
      node = node[step];
    }
    if (node === null || typeof node !== 'object') continue;
    const last = path[path.length - 1]!;
    if (m.op === 'replace') node[last] = m.value;
    else if (m.op === 'drop') delete node[last];
    else node[`x_${String(last)}`] = m.value;
  }
  return doc;
}

function checkResult(text: string): void {
  const result = parseConfigText(text, 'fuzz.yaml', registry);
  expect(result.config !== undefined || result.issues.length > 0).toBe(true);
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const issue of result.issues) {
    expect(typeof issue.message).toBe('string');
    expect(issue.message.length).toBeGreaterThan(0);
    if (issue.line !== undefined) expect(issue.line).toBeLessThanOrEqual(lines + 1);
  }
}

describe('fuzz: config files', () => {
  it('the valid base config loads (the mutations start from something real)', () => {
    expect(parseConfigText(stringify(VALID), 'fuzz.yaml', registry).issues).toEqual([]);
  });

  it('never throws on arbitrary text', () => {
    checkProperty('config: arbitrary text', fc.oneof(fc.string({ maxLength: 200 }), nastyString(60), fc.array(fc.constantFrom('a: ', '- ', '  ', '\n', '{', '}', '[', ']', ': ', '&x ', '*x', '!!binary ', '? ', '|', '>', '#', '"', "'", '%YAML 1.2\n', '---\n', '...\n', 'server:', 'port: 1')).map((a) => a.join(''))), checkResult, { base: 60 });
  });

  it('reports an alias without its anchor and an alias bomb as issues', () => {
    expect(parseConfigText('*x', 'fuzz.yaml', registry).issues[0]?.message).toMatch(/^YAML: /);
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    expect(parseConfigText(bomb, 'fuzz.yaml', registry).issues[0]?.message).toMatch(/^YAML: /);
  });

  it('never throws on arbitrary YAML documents', () => {
    checkProperty('config: arbitrary YAML', fc.jsonValue({ maxDepth: 4 }).map((v) => stringify(v)), checkResult, { base: 30, cap: 15000 });
  });

  it('never throws on mutations of a valid config, and a dropped-to-valid config still loads', () => {
    checkProperty('config: mutated valid config', fc.array(mutation, { minLength: 1, maxLength: 4 }).map((m) => stringify(mutate(m))), checkResult, { base: 30, cap: 15000 });
  });
});
