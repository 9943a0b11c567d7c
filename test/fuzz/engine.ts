import type { GuardContext } from '../../src/core/index.js';
import { parseConfigText } from '../../src/config/load.js';
import { createGuards, GuardEngine } from '../../src/gateway/guard-engine.js';
import { builtinGuards } from '../../src/guards/index.js';

/** The guard engine the gateway builds from a config text (default guards and policy when empty), in process. */
export async function engineFromConfig(yaml = ''): Promise<GuardEngine> {
  const registry = builtinGuards();
  const { config, issues } = parseConfigText(yaml, 'fuzz.yaml', registry);
  if (!config) throw new Error(issues.map((i) => i.message).join('; '));
  const guards = createGuards(config, registry);
  await Promise.all(guards.map((g) => g.ready?.()));
  const policy = { ...config.policy, rules: [...config.policy.rules, ...config.policy.defaultRules] };
  return new GuardEngine(guards, policy, config.cache.maxEntries);
}

export const outputCtx = (id: string): GuardContext => ({ requestId: id, direction: 'output', principal: { id: 'fuzz', name: 'fuzz', kind: 'client', role: 'default' } });
export const inputCtx = (id: string): GuardContext => ({ requestId: id, direction: 'input', principal: { id: 'fuzz', name: 'fuzz', kind: 'client', role: 'default' } });
