import type { z } from 'zod';
import type { RequestCheck } from './adapter.js';

function formatParam(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out;
}

/** Validates a request body against an adapter's schema; the first issue names its field. */
export function checkRequest(schema: z.ZodType<{ model: string; stream?: boolean | null | undefined }>, body: unknown): RequestCheck {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, param: '', message: 'the request body must be a JSON object' };
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const param = formatParam(issue.path);
    return { ok: false, param, message: `${param || 'body'}: ${issue.message}` };
  }
  return { ok: true, model: result.data.model, stream: result.data.stream === true };
}
