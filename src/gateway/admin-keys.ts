import { z } from 'zod';
import type { ApiKeyRecord, KeyStore } from '../auth/api-keys.js';
import type { RoleSet } from '../auth/roles.js';

/** The body of "create a key", shared by the admin API (`POST /v1/keys`) and the dashboard. */
const createKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  kind: z.enum(['client', 'admin']).default('client'),
  role: z.string().min(1).max(200).optional(),
  tenant: z.string().trim().min(1).max(200).optional(),
  expiresInDays: z.number().int().positive().max(3650).optional(),
});

export type CreateKeyOutcome = { readonly ok: true; readonly key: string; readonly record: ApiKeyRecord } | { readonly ok: false; readonly message: string };

/** Validates a create-key body (errors name the field) and creates the key; the key is in this answer only. */
export async function createKeyFromBody(keys: KeyStore, roles: Pick<RoleSet, 'has'>, body: unknown): Promise<CreateKeyOutcome> {
  const parsed = createKeyBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, message: `${issue.path.join('.') || 'body'}: ${issue.message}` };
  }
  const { name, kind, role, tenant, expiresInDays } = parsed.data;
  if (role && !roles.has(role)) return { ok: false, message: `role: no role named "${role}"` };
  const created = await keys.create({
    kind,
    name,
    ...(role ? { role } : {}),
    ...(tenant ? { tenant } : {}),
    ...(expiresInDays ? { expiresAt: new Date(Date.now() + expiresInDays * 86_400_000) } : {}),
  });
  return { ok: true, ...created };
}
