import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The `secrets` section of the config: how cloud secret managers are reached and how long their
 * values are cached. Every field is optional; without the section the SDKs' own defaults apply
 * (credential chains, regions from the environment, public endpoints).
 */
export const secretProvidersSchema = z.strictObject({
  /** A value is served from memory this long, then refreshed in the background. */
  ttlSeconds: z.number().int().min(1).max(86_400).default(300),
  /** Past `ttlSeconds + maxStaleSeconds` a value whose refresh keeps failing is no longer served. */
  maxStaleSeconds: z.number().int().min(0).max(7 * 86_400).default(3600),
  /** Budget of one read (connection and answer), per attempt. */
  timeoutMs: z.number().int().min(100).max(60_000).default(5000),
  aws: z
    .strictObject({
      /** Default: `AWS_REGION` / `AWS_DEFAULT_REGION`, then the SDK's chain (profile). An ARN's own region wins. */
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as eu-west-1').optional(),
      /** Endpoint override (VPC endpoint, FIPS endpoint, a local fake). */
      endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
      /** Attempts per read, the first included (the SDK retries throttling and network errors). */
      maxAttempts: z.number().int().min(1).max(10).default(3),
    })
    .prefault({}),
  azure: z
    .strictObject({
      /** Vault URL template; `{vault}` is replaced by the reference's vault name. Default `https://{vault}.vault.azure.net`. */
      endpoint: z.url({ protocol: /^https$/, error: 'must be an https URL (Key Vault needs TLS for its bearer token)' }).optional(),
      /** Extra CA certificate (PEM file) for a private endpoint with a private CA. Replaces the public CAs for Key Vault calls. */
      caFile: z.string().min(1).optional(),
      /** The SDK checks that the vault's auth challenge names a Key Vault domain; private endpoints under another name turn this off. */
      disableChallengeResourceVerification: z.boolean().default(false),
    })
    .prefault({}),
  gcp: z
    .strictObject({
      /** Endpoint override (Private Service Connect, a regional endpoint, a local fake). Default `https://secretmanager.googleapis.com`. */
      endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    })
    .prefault({}),
});

export type SecretProvidersConfig = z.infer<typeof secretProvidersSchema>;

/**
 * Credentials an embedding program may hand over instead of the SDKs' default chains (they cannot
 * be written in YAML): an Azure `TokenCredential` and a google-auth-library `AuthClient`.
 */
export interface SecretProviderHooks {
  /** Relative `caFile` paths resolve against it (the config file's folder). */
  readonly baseDir?: string;
  readonly azureCredential?: unknown;
  readonly gcpAuthClient?: unknown;
}

export interface ProviderSettings {
  readonly config: SecretProvidersConfig;
  readonly hooks: SecretProviderHooks;
  /** Bumped on every configure: cached clients and values of an older generation are dropped. */
  readonly generation: number;
  /** PEM text of `azure.caFile`, read once. */
  readonly azureCa?: string;
}

let current: ProviderSettings = { config: secretProvidersSchema.parse({}), hooks: {}, generation: 0 };
const listeners = new Set<() => void>();

/** Sets how cloud secret managers are reached; drops cached clients and values. */
export function configureSecretProviders(config: Partial<z.input<typeof secretProvidersSchema>> | SecretProvidersConfig | undefined = {}, hooks: SecretProviderHooks = {}): void {
  const parsed = secretProvidersSchema.parse(config ?? {});
  const caFile = parsed.azure.caFile;
  const azureCa = caFile ? readFileSync(isAbsolute(caFile) || !hooks.baseDir ? caFile : resolve(hooks.baseDir, caFile), 'utf8') : undefined;
  current = { config: parsed, hooks, generation: current.generation + 1, ...(azureCa ? { azureCa } : {}) };
  for (const listener of listeners) listener();
}

export function providerSettings(): ProviderSettings {
  return current;
}

/** Called when the settings change (the cache and the client pools clear themselves). */
export function onProvidersChanged(listener: () => void): void {
  listeners.add(listener);
}
