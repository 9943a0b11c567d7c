import { SecretError } from '../secret-error.js';
import { readAwsSecret } from './aws.js';
import { readAzureSecret } from './azure.js';
import { cachedSecret } from './cache.js';
import { readGcpSecret } from './gcp.js';

export { configureSecretProviders, secretProvidersSchema, type SecretProviderHooks, type SecretProvidersConfig } from './config.js';
export { clearCloudSecretCache, cloudSecretRefreshError } from './cache.js';

/** The cloud schemes, as they appear in `SECRET_REF`. */
export const CLOUD_REF_SOURCE = String.raw`aws-sm:[A-Za-z0-9/_+=.@:-]+(#[A-Za-z0-9_.-]+)?|azure-kv:[A-Za-z0-9-]{3,24}\/[A-Za-z0-9-]{1,127}(\/[A-Za-z0-9]{32})?(#[A-Za-z0-9_.-]+)?|gcp-sm:projects\/[a-z0-9][a-z0-9-]{0,62}\/secrets\/[A-Za-z0-9_-]{1,255}\/versions\/(latest|[0-9]+)(#[A-Za-z0-9_.-]+)?`;

export function isCloudRef(ref: string): boolean {
  return ref.startsWith('aws-sm:') || ref.startsWith('azure-kv:') || ref.startsWith('gcp-sm:');
}

/** Reads a cloud secret through the TTL cache; the SDK of its service loads on the first such read. */
export function resolveCloudSecret(ref: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (ref.startsWith('aws-sm:')) return cachedSecret(ref, () => readAwsSecret(ref, env));
  if (ref.startsWith('azure-kv:')) return cachedSecret(ref, () => readAzureSecret(ref));
  if (ref.startsWith('gcp-sm:')) return cachedSecret(ref, () => readGcpSecret(ref));
  return Promise.reject(new SecretError(ref, 'not a cloud secret reference'));
}
