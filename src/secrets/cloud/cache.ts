import { onProvidersChanged, providerSettings } from './config.js';

interface Entry {
  value?: string;
  fetchedAt: number;
  /** The read in flight, shared by every caller (one request per reference at a time). */
  pending?: Promise<string> | undefined;
  /** Why the last background refresh failed (names the reference, never a value). */
  lastError?: string | undefined;
}

/**
 * Values of cloud secrets, in memory only. Fresh for `ttlSeconds`; after that the cached value is
 * still served while one background read replaces it, for at most `maxStaleSeconds` more (a secret
 * manager outage does not take the gateway's keys away at once). Past that, or before the first
 * value, the caller waits for the read and gets its error.
 */
const entries = new Map<string, Entry>();
onProvidersChanged(() => entries.clear());

/** Forget every cached cloud secret (tests, rotation runbooks). */
export function clearCloudSecretCache(): void {
  entries.clear();
}

/** Why the last background refresh of `ref` failed, if it did. */
export function cloudSecretRefreshError(ref: string): string | undefined {
  return entries.get(ref)?.lastError;
}

export async function cachedSecret(ref: string, read: () => Promise<string>, now = Date.now()): Promise<string> {
  const { ttlSeconds, maxStaleSeconds } = providerSettings().config;
  let entry = entries.get(ref);
  if (!entry) {
    entry = { fetchedAt: 0 };
    entries.set(ref, entry);
  }
  const start = (): Promise<string> => {
    const e = entry!;
    e.pending ??= read()
      .then((value) => {
        e.value = value;
        e.fetchedAt = Date.now();
        e.lastError = undefined;
        return value;
      })
      .catch((error: unknown) => {
        e.lastError = error instanceof Error ? error.message : String(error);
        throw error;
      })
      .finally(() => {
        e.pending = undefined;
      });
    return e.pending;
  };
  const age = now - entry.fetchedAt;
  if (entry.value !== undefined && age < ttlSeconds * 1000) return entry.value;
  if (entry.value !== undefined && age < (ttlSeconds + maxStaleSeconds) * 1000) {
    start().catch(() => undefined);
    return entry.value;
  }
  return start();
}
