import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { openclawProfile, shellParserReady, toolCallsConfigSchema } from '../../../src/guards/toolcalls/index.js';
import { judge } from './helpers.js';

const DOC = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../docs/tool-policy.md'), 'utf8');

describe('the openclaw profile and its documentation', () => {
  beforeAll(async () => {
    await shellParserReady();
  });

  it('documents every tool the profile has a rule for', () => {
    const tools = new Set(openclawProfile.rules.flatMap((r) => (Array.isArray(r.tool) ? r.tool : [r.tool])));
    const undocumented = [...tools].filter((t) => !DOC.includes(`\`${t}\``));
    expect(undocumented).toEqual([]);
  });

  it('parses with the same schema as operator rules', () => {
    expect(toolCallsConfigSchema.safeParse({ rules: openclawProfile.rules }).success).toBe(true);
  });

  it('does what the table says for one call per row', () => {
    const cases: [string, unknown, string][] = [
      ['exec', { command: 'ls', elevated: true }, 'review'],
      ['exec', { command: 'ls', host: 'node' }, 'review'],
      ['exec', { command: 'npm test' }, 'allow'],
      ['process', { action: 'write', data: 'rm -rf /\n' }, 'deny'],
      ['process', { action: 'kill', sessionId: 's' }, 'allow'],
      ['read', { path: '/usr/lib/node_modules/openclaw/skills/github/SKILL.md' }, 'allow'],
      ['write', { path: 'notes/today.md', content: 'x' }, 'allow'],
      ['write', { path: 'SOUL.md', content: 'x' }, 'review'],
      ['web_fetch', { url: 'https://example.com/' }, 'allow'],
      ['browser', { action: 'evaluate', fn: '() => 1' }, 'review'],
      ['browser', { action: 'open', url: 'https://example.com/' }, 'allow'],
      ['message', { action: 'broadcast', message: 'hi' }, 'review'],
      ['message', { action: 'send', message: 'hi' }, 'allow'],
      ['cron', { action: 'list' }, 'allow'],
      ['cron', { action: 'add' }, 'review'],
      ['sessions_spawn', { task: 'x' }, 'allow'],
      ['sessions_send', { message: 'x' }, 'review'],
      ['gateway', { action: 'config.get' }, 'allow'],
      ['gateway', { action: 'update.run' }, 'review'],
      ['secrets', { action: 'request', name: 'X' }, 'allow'],
      ['secrets', { action: 'delete', name: 'X' }, 'review'],
      ['nodes', { action: 'camera_snap' }, 'review'],
      ['tool_search', { query: 'x' }, 'allow'],
      ['some_plugin_tool', {}, 'review'],
    ];
    for (const [tool, args, action] of cases) expect(judge(tool, args).action, `${tool} ${JSON.stringify(args)}`).toBe(action);
  });
});
