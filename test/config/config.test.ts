import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { renderConfig } from '../../src/config/init.js';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { builtinGuards } from '../../src/guards/index.js';

const registry = builtinGuards();
const parse = (text: string) => parseConfigText(text, 'test.yaml', registry);

describe('config validation', () => {
  it('accepts the config that init writes, with secure defaults', () => {
    const { config, issues } = parse(renderConfig({ port: 8080, adminPort: 8081 }));
    expect(issues).toEqual([]);
    expect(config!.server.host).toBe('127.0.0.1');
    expect(config!.auth.enabled).toBe(true);
    expect(config!.policy.defaultAction).toBe('block');
    expect(Object.values(config!.guards as Record<string, { failOpen: boolean; enabled: boolean }>).every((g) => g.enabled && !g.failOpen)).toBe(true);
  });

  it('resolves relative file: secret references against the config file\'s folder, and leaves the rest alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-config-'));
    const file = join(dir, 'clawguard.yaml');
    writeFileSync(
      file,
      [
        'upstreams:',
        '  - { name: a, provider: openai, url: "http://127.0.0.1:9/v1", apiKey: "file:keys/openai" }',
        '  - { name: b, provider: anthropic, url: "http://127.0.0.1:9", apiKey: "file:/run/secrets/anthropic" }',
        '  - { name: c, provider: openai, url: "http://127.0.0.1:9/v1", apiKey: "env:C_KEY" }',
        'routes:',
        '  - { model: "claude-*", upstream: b }',
        '  - { model: "c-*", upstream: c }',
        '  - { model: "*", upstream: a }',
        'pseudonymization: { vaultKey: "file:../vault.key" }',
        'storage: { backend: postgres, postgres: { url: "file:pg.url" } }',
        // Not a secret reference: a pattern that happens to start with "file:" stays as written.
        'guards: { patterns: { deny: [{ id: file-urls, pattern: "file:[^ ]+" }] } }',
      ].join('\n'),
    );
    const { config } = loadConfigFile(file, registry);
    expect(config.upstreams.map((u) => u.apiKey)).toEqual([`file:${join(dir, 'keys/openai')}`, 'file:/run/secrets/anthropic', 'env:C_KEY']);
    expect((config as { pseudonymization?: { vaultKey: string } }).pseudonymization!.vaultKey).toBe(`file:${join(dir, '..', 'vault.key')}`);
    expect(config.storage.postgres!.url).toBe(`file:${join(dir, 'pg.url')}`);
    expect((config.guards as { patterns: { deny: { pattern: string }[] } }).patterns.deny[0]!.pattern).toBe('file:[^ ]+');
    // Validation alone accepts the relative form and keeps it as written.
    expect(parse('pseudonymization: { vaultKey: "file:vault.key" }').issues).toEqual([]);
    expect(parse('pseudonymization: { vaultKey: "file:~/vault.key" }').issues[0]!.message).toContain('~ is not expanded');
  });

  it('fills every default for an empty file', () => {
    const { config } = parse('');
    expect(config!.server.port).toBe(8080);
    expect((config!.guards as Record<string, { enabled: boolean }>).limits!.enabled).toBe(true);
  });

  it('reports a YAML syntax error with its line', () => {
    const { issues } = parse('server:\n  port: 8080\n   host: x\n');
    expect(issues[0]!.line).toBe(2);
    expect(issues[0]!.message).toMatch(/^YAML: /);
    // The line and column are in the issue (and printed before it), not repeated in the message.
    expect(issues[0]!.message).not.toMatch(/at line \d+, column \d+/);
    expect(issues[0]!.message).not.toMatch(/:$/);
  });

  it('reports every schema error with its path and line', () => {
    const text = [
      'server:',
      '  port: 99999', // 2
      '  hots: 127.0.0.1', // 3
      'upstreams:',
      '  - name: openai',
      '    provider: openia', // 6
      '    url: ftp://x', // 7
      '    apiKey: sk-live-123', // 8
      'routes:',
      '  - model: "*"',
      '    upstream: nowhere', // 11
      'guards:',
      '  patterns:',
      '    deny:',
      '      - id: bad',
      '        pattern: "(a+)+\\\\1"', // 16
      'policy:',
      '  defaultAction: maybe', // 18
    ].join('\n');
    const { config, issues } = parse(text);
    expect(config).toBeUndefined();
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    expect(byPath['server.port']).toMatchObject({ line: 2, message: expect.stringContaining('65535') });
    expect(byPath['server.hots']).toMatchObject({ line: 3, message: 'unknown field (check its spelling)' });
    expect(byPath['upstreams[0].provider']).toMatchObject({ line: 6, message: expect.stringContaining('"openai"') });
    expect(byPath['upstreams[0].url']).toMatchObject({ line: 7, message: 'must be an http:// or https:// URL' });
    expect(byPath['upstreams[0].apiKey']).toMatchObject({ line: 8, message: expect.stringContaining('secret reference') });
    expect(byPath['guards.patterns.deny[0].pattern']).toMatchObject({ line: 16, message: expect.stringContaining('RE2') });
    expect(byPath['policy.defaultAction']).toMatchObject({ line: 18 });
    expect(issues.every((i) => !JSON.stringify(i).includes('sk-live-123'))).toBe(true);
  });

  it('reports a route to an unknown upstream, and upstreams nobody routes to', () => {
    const routeIssue = parse('upstreams:\n  - {name: a, provider: openai, url: "https://x/v1"}\nroutes:\n  - {model: "*", upstream: b}\n').issues;
    expect(routeIssue).toEqual([expect.objectContaining({ path: 'routes[0].upstream', line: 4, message: 'no upstream named "b"' })]);
    const unrouted = parse('upstreams:\n  - {name: a, provider: openai, url: "https://x/v1"}\n').issues;
    expect(unrouted[0]!.path).toBe('routes');
  });

  it('refuses an admin surface on the proxy port', () => {
    const { issues } = parse('server: {port: 9000}\nadmin: {port: 9000}\n');
    expect(issues).toEqual([expect.objectContaining({ path: 'admin.port', message: 'the admin surface must listen apart from the proxy surface' })]);
  });

  it('requires a url for real providers but not for the demo', () => {
    expect(parse('upstreams:\n  - {name: a, provider: anthropic}\nroutes: [{model: "*", upstream: a}]\n').issues[0]).toMatchObject({ path: 'upstreams[0].url', message: 'is required for provider "anthropic"' });
    // The adapter adds /v1/messages: a base URL ending in /v1 would reach /v1/v1/messages (found by QA).
    expect(parse('upstreams:\n  - {name: a, provider: anthropic, url: "https://api.anthropic.com/v1/"}\nroutes: [{model: "*", upstream: a}]\n').issues[0]).toMatchObject({
      path: 'upstreams[0].url',
      message: 'for provider "anthropic" is the base URL without /v1 (ClawGuard adds /v1/messages): use https://api.anthropic.com',
    });
    expect(parse('upstreams:\n  - {name: a, provider: anthropic, url: "https://gw.example.com/anthropic", apiKey: "env:K"}\nroutes: [{model: "*", upstream: a}]\n').issues).toEqual([]);
    expect(parse('upstreams:\n  - {name: d, provider: demo}\nroutes: [{model: "*", upstream: d}]\n').issues).toEqual([]);
  });

  it('rejects a mapping that is not one', () => {
    expect(parse('- a\n- b\n').issues[0]!.message).toBe('the config must be a YAML mapping');
  });

  it('publishes a JSON Schema that includes every guard family', () => {
    const schema = configJsonSchema(registry) as any;
    expect(schema.$schema).toContain('json-schema.org');
    expect(Object.keys(schema.properties.guards.properties)).toEqual(expect.arrayContaining(['limits', 'patterns', 'invisible-text']));
    expect(schema.properties.guards.properties.limits.properties.failOpen.default).toBe(false);
    expect(schema.additionalProperties).toBe(false);
  });
});
