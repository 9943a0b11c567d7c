import { z } from 'zod';
import { globMatch } from '../core/index.js';

export const limitRuleSchema = z.strictObject({
  requestsPerMinute: z.number().int().positive().optional(),
  tokensPerMinute: z.number().int().positive().optional(),
  tokensPerDay: z.number().int().positive().optional(),
  tokensPerMonth: z.number().int().positive().optional(),
});

export const roleSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, ".", "-" and "_"'),
  /** Model names (globs) this role may ask for. */
  models: z.array(z.string().min(1)).default(['*']),
  /** Upstream names this role may reach; absent: every upstream. */
  upstreams: z.array(z.string().min(1)).optional(),
  /** Tool names (globs) the model may call on behalf of this role; other tool calls are refused. */
  tools: z.array(z.string().min(1)).default(['*']),
  limits: limitRuleSchema.prefault({}),
  /** Provider APIs this role may call; absent: both. */
  apis: z.array(z.enum(['openai-chat', 'anthropic-messages'])).min(1).optional(),
  /** A named policy from `policyProfiles` that judges this role's traffic instead of `policy`. */
  policyProfile: z.string().min(1).optional(),
});
export type RoleConfig = z.infer<typeof roleSchema>;

export const DEFAULT_ROLES: RoleConfig[] = [{ name: 'default', models: ['*'], tools: ['*'], limits: {} }];

/** What a principal's role grants: least privilege, checked on every request. */
export class RoleSet {
  private readonly byName: Map<string, RoleConfig>;

  constructor(roles: readonly RoleConfig[]) {
    this.byName = new Map(roles.map((r) => [r.name, r]));
  }

  get(name: string | undefined): RoleConfig | undefined {
    return name === undefined ? undefined : this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  static allowsModel(role: RoleConfig, model: string): boolean {
    return role.models.some((g) => globMatch(g, model));
  }

  static allowsUpstream(role: RoleConfig, upstream: string): boolean {
    return role.upstreams === undefined || role.upstreams.includes(upstream);
  }

  static allowsApi(role: RoleConfig, api: string): boolean {
    return role.apis === undefined || (role.apis as readonly string[]).includes(api);
  }

  static allowsTool(role: RoleConfig, tool: string): boolean {
    return role.tools.some((g) => globMatch(g, tool));
  }
}
