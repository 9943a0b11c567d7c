import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { modelPinningViolation } from './model-pinning.js';
import { type IntegrityResult, verifyIntegrity } from './signature.js';

/**
 * The `integrity` section of ClawGuard's config. `manifest` and `root` resolve against the config
 * file's folder; `publicKey` is a path, `file:/path`, `env:NAME` or PEM text.
 */
export const integrityConfigSchema = z.strictObject({
  manifest: z.string().min(1).optional(),
  publicKey: z.string().min(1).optional(),
  root: z.string().min(1).optional(),
  /** Refuse model aliases: only exact, versioned ids (or those in `allowModels`) are routed. */
  pinModels: z.boolean().default(false),
  allowModels: z.array(z.string().min(1)).default([]),
}).superRefine((c, ctx) => {
  if (c.manifest && !c.publicKey) ctx.addIssue({ code: 'custom', path: ['publicKey'], message: 'is required when a manifest is set' });
});

export type IntegrityConfig = z.infer<typeof integrityConfigSchema>;

/**
 * Start-up check for the gateway: with a manifest configured, resolves only when the signature
 * and every file check out, and throws `IntegrityError` otherwise, so the gateway does not start.
 * Without a manifest it does nothing.
 */
export async function checkIntegrityAtStartup(config: IntegrityConfig | undefined, baseDir: string): Promise<IntegrityResult | undefined> {
  if (!config?.manifest || !config.publicKey) return undefined;
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const keyRef = /^(env:|file:|-----BEGIN)/.test(config.publicKey) ? config.publicKey : at(config.publicKey);
  return verifyIntegrity(at(config.manifest), keyRef, config.root ? { root: at(config.root) } : {});
}

/** For the router: why a requested model must be refused under pinning, or undefined. */
export function pinnedModelViolation(config: IntegrityConfig | undefined, model: string): string | undefined {
  if (!config?.pinModels) return undefined;
  return modelPinningViolation(model, config.allowModels);
}
