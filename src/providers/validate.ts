import type { z } from 'zod';
import type { RequestCheck } from './adapter.js';

function formatParam(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out;
}

/** A JSON object (not null, not an array): what zod's object schemas accept. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether every element of `value`, an array, is an object with a string `type` (zod: `z.array(z.looseObject({ type: z.string() }))`). */
export function isTypedBlockArray(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) {
    const block: unknown = value[i];
    if (!isRecord(block) || typeof block.type !== 'string') return false;
  }
  return true;
}

/**
 * Validates a request body against an adapter's schema; the first issue names its field.
 * `accepts`, when given, must accept only bodies the schema accepts: they are answered without zod,
 * which copies the whole body as it parses it (~1.8 KB for a two-message chat, far more for an agent's
 * conversation). Everything it does not accept goes to the schema, for the same answer and messages.
 */
export function checkRequest(
  schema: z.ZodType<{ model: string; stream?: boolean | null | undefined }>,
  body: unknown,
  accepts?: (body: Record<string, unknown>) => boolean,
): RequestCheck {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, param: '', message: 'the request body must be a JSON object' };
  }
  if (accepts?.(body as Record<string, unknown>)) {
    const { model, stream } = body as { model: string; stream?: unknown };
    return { ok: true, model, stream: stream === true };
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const param = formatParam(issue.path);
    return { ok: false, param, message: `${param || 'body'}: ${issue.message}` };
  }
  return { ok: true, model: result.data.model, stream: result.data.stream === true };
}
