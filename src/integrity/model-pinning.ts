/**
 * Model pinning: accept only exact, versioned model ids, never aliases that a provider can move
 * (`gpt-4o`, `claude-sonnet-4-5`, `*-latest`). A snapshot id ends with its release date
 * (`gpt-4o-2024-08-06`, `claude-sonnet-4-20250514`); a self-hosted model can be pinned by digest
 * (`llama3@sha256:…`).
 */
const DATE_SNAPSHOT = /(?:^|[-_@])(?:20\d{2}-\d{2}-\d{2}|20\d{6})$/;
const DIGEST = /@sha256:[0-9a-f]{64}$/i;

export function isPinnedModelId(model: string): boolean {
  const id = model.trim();
  if (id === '' || /latest/i.test(id) || /[*?[\]]/.test(id)) return false;
  return DATE_SNAPSHOT.test(id) || DIGEST.test(id);
}

/** Why a model id would be refused under pinning, or undefined when it is acceptable. */
export function modelPinningViolation(model: string, allowed: readonly string[] = []): string | undefined {
  if (allowed.includes(model)) return undefined;
  if (isPinnedModelId(model)) return undefined;
  if (/latest/i.test(model)) return `model "${model}" is a moving alias (latest); pin an exact, dated snapshot`;
  if (/[*?[\]]/.test(model)) return `model "${model}" is a pattern; pinning needs exact ids`;
  return `model "${model}" is not a versioned snapshot id (expected e.g. a -YYYY-MM-DD / -YYYYMMDD suffix or an @sha256 digest)`;
}
