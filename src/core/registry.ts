import type { z } from 'zod';
import type { Guard } from './guard.js';

export interface GuardInstanceOptions {
  /** Instance id; the family name unless the operator runs several instances. */
  readonly id: string;
  readonly failOpen: boolean;
  readonly timeoutMs: number;
}

/**
 * A guard family. Its zod schema (a `z.strictObject`, so the config loader can add the common
 * `enabled` / `failOpen` / `timeoutMs` fields to it) validates the family's own configuration, so a bad config fails
 * at load (with the path of the bad field), never at run time.
 */
export interface GuardFactory<C = unknown> {
  readonly name: string;
  readonly description: string;
  readonly schema: z.ZodType<C>;
  create(config: C, options: GuardInstanceOptions): Guard;
}

export class GuardRegistry {
  private readonly factories = new Map<string, GuardFactory<any>>();

  register<C>(factory: GuardFactory<C>): this {
    if (this.factories.has(factory.name)) throw new Error(`guard family "${factory.name}" is already registered`);
    this.factories.set(factory.name, factory);
    return this;
  }

  get(name: string): GuardFactory<unknown> | undefined {
    return this.factories.get(name);
  }

  all(): GuardFactory<unknown>[] {
    return [...this.factories.values()];
  }
}
