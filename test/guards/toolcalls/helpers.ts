import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Segment } from '../../../src/core/index.js';
import { compileToolPolicy, evaluateToolCall, type ToolCallsConfig, toolCallsConfigSchema, type ToolCallVerdict } from '../../../src/guards/toolcalls/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface DangerousCase {
  readonly cmd: string;
  /** The family the command belongs to; `obfuscation` cases hide another family's command. */
  readonly category: string;
}

export function ordinaryCommands(): string[] {
  return readFileSync(join(HERE, 'fixtures/ordinary.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

export function dangerousCommands(): DangerousCase[] {
  return readFileSync(join(HERE, 'fixtures/dangerous.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as DangerousCase);
}

export function policyOf(config: Partial<ToolCallsConfig> | Record<string, unknown> = {}) {
  return compileToolPolicy(toolCallsConfigSchema.parse(config));
}

export function judge(tool: string, args: unknown, config: Partial<ToolCallsConfig> | Record<string, unknown> = { profile: 'openclaw' }): ToolCallVerdict {
  return evaluateToolCall(policyOf(config), tool, typeof args === 'string' ? args : JSON.stringify(args));
}

export function exec(command: string, config: Record<string, unknown> = { profile: 'openclaw' }): ToolCallVerdict {
  return judge('exec', { command }, config);
}

export function toolCall(toolName: string, args: unknown, direction: 'input' | 'output' = 'output', id = 'choices[0].tool_calls[0]'): Segment {
  return { id, direction, role: 'assistant', kind: 'tool_call', text: typeof args === 'string' ? args : JSON.stringify(args), toolName, trusted: false, path: [] };
}
