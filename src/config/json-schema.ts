import { z } from 'zod';
import type { GuardRegistry } from '../core/index.js';
import { configSchema } from './schema.js';

/** JSON Schema (draft 2020-12) of the config file, for editors; what a file may contain, defaults included. */
export function configJsonSchema(registry: GuardRegistry): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema(registry), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://clawguard.dev/schema/clawguard.json', title: 'ClawGuard configuration' };
}
