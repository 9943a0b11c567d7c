import { SecretError } from '../secret-error.js';
import { providerSettings } from './config.js';
import { networkCode, pickField } from './field.js';

/**
 * Azure Key Vault through `@azure/keyvault-secrets` with `DefaultAzureCredential` from
 * `@azure/identity` (environment service principal, workload identity, managed identity, Azure CLI…),
 * both loaded on first use. `azure-kv:VAULT/NAME[/VERSION][#field]` reads from
 * `https://VAULT.vault.azure.net` unless `secrets.azure.endpoint` says otherwise.
 */
export const AZURE_REF = /^azure-kv:([A-Za-z0-9-]{3,24})\/([A-Za-z0-9-]{1,127})(?:\/([A-Za-z0-9]{32}))?(?:#([A-Za-z0-9_.-]+))?$/;

type Client = { getSecret(name: string, options?: { version?: string; abortSignal?: AbortSignal }): Promise<{ value?: string }> };
const clients = new Map<string, Client>();
let credential: { generation: number; value: unknown } | undefined;

export function azureVaultUrl(vault: string): string {
  const template = providerSettings().config.azure.endpoint;
  if (!template) return `https://${vault}.vault.azure.net`;
  return template.includes('{vault}') ? template.replaceAll('{vault}', vault) : template;
}

async function client(vaultUrl: string): Promise<Client> {
  const { config, hooks, generation, azureCa } = providerSettings();
  const key = `${generation}\0${vaultUrl}`;
  let found = clients.get(key);
  if (!found) {
    const { SecretClient } = await import('@azure/keyvault-secrets');
    if (credential?.generation !== generation) {
      const value = hooks.azureCredential ?? new (await import('@azure/identity')).DefaultAzureCredential();
      credential = { generation, value };
    }
    found = new SecretClient(vaultUrl, credential.value as ConstructorParameters<typeof SecretClient>[1], {
      retryOptions: { maxRetries: 2, maxRetryDelayInMs: 2000 },
      disableChallengeResourceVerification: config.azure.disableChallengeResourceVerification,
      ...(azureCa ? { tlsOptions: { ca: azureCa } } : {}),
    }) as unknown as Client;
    for (const k of clients.keys()) if (!k.startsWith(`${generation}\0`)) clients.delete(k);
    clients.set(key, found);
  }
  return found;
}

function explain(error: unknown): string {
  const e = error as { name?: string; statusCode?: number; code?: string };
  if (e?.statusCode === 404) return `no such secret in Azure Key Vault (404${e.code ? ` ${e.code}` : ''})`;
  if (e?.statusCode === 401 || e?.statusCode === 403) return `Azure Key Vault refused the credential (${e.statusCode}${e.code ? ` ${e.code}` : ''})`;
  if (e?.name === 'CredentialUnavailableError' || e?.name === 'AuthenticationError' || e?.name === 'AggregateAuthenticationError') return `no Azure credential could get a token (${e.name})`;
  const code = networkCode(error);
  if (code) return `Azure Key Vault could not be reached (${code})`;
  if (e?.code === 'PARSE_ERROR' || e?.name === 'SyntaxError') return 'Azure Key Vault sent an answer that could not be read';
  if (e?.statusCode) return `Azure Key Vault answered ${e.statusCode}${e.code ? ` ${e.code}` : ''}`;
  return `Azure Key Vault failed${e?.name && e.name !== 'Error' ? ` (${e.name})` : ''}`;
}

export async function readAzureSecret(ref: string): Promise<string> {
  const m = AZURE_REF.exec(ref);
  if (!m) throw new SecretError(ref, 'use azure-kv:VAULT/NAME, azure-kv:VAULT/NAME/VERSION, optionally #JSON_FIELD');
  const [, vault, name, version, field] = m;
  const c = await client(azureVaultUrl(vault!));
  let answer: { value?: string };
  try {
    answer = await c.getSecret(name!, { ...(version ? { version } : {}), abortSignal: AbortSignal.timeout(providerSettings().config.timeoutMs * 3) });
  } catch (error) {
    throw new SecretError(ref, explain(error));
  }
  if (typeof answer?.value !== 'string') throw new SecretError(ref, 'Azure Key Vault answered without a value');
  return pickField(ref, answer.value, field);
}
