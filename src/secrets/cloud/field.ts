import { SecretError } from '../secret-error.js';

/** `#field` of a JSON secret, or the whole value. Errors name the reference and the field, never the value. */
export function pickField(ref: string, value: string, field: string | undefined): string {
  if (field === undefined) {
    if (value === '') throw new SecretError(ref, 'the secret is empty');
    return value;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new SecretError(ref, `the secret is not JSON, so it has no field "${field}"`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SecretError(ref, `the secret is not a JSON object, so it has no field "${field}"`);
  const picked = (parsed as Record<string, unknown>)[field];
  if (picked === undefined) throw new SecretError(ref, `the secret's JSON has no field "${field}"`);
  if (typeof picked !== 'string' || picked === '') throw new SecretError(ref, `field "${field}" is not a non-empty string`);
  return picked;
}

/** A network error's code (`ECONNREFUSED`, `ETIMEDOUT`, …), looked for on the error and its causes. */
export function networkCode(error: unknown): string | undefined {
  let e = error as { code?: unknown; cause?: unknown; name?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(e.code)) return e.code;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
    e = e.cause as typeof e;
  }
  return undefined;
}
