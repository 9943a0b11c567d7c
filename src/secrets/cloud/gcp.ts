import { SecretError } from '../secret-error.js';
import { providerSettings } from './config.js';
import { networkCode, pickField } from './field.js';

/**
 * Google Cloud Secret Manager through `@google-cloud/secret-manager` (loaded on first use), over its
 * HTTP/JSON API (`fallback` mode: no gRPC stack is loaded). Credentials are Application Default
 * Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, workload identity, the metadata server, gcloud).
 */
export const GCP_REF = /^gcp-sm:(projects\/([a-z0-9][a-z0-9-]{0,62})\/secrets\/([A-Za-z0-9_-]{1,255})\/versions\/(latest|[0-9]+))(?:#([A-Za-z0-9_.-]+))?$/;

type Client = {
  accessSecretVersion(request: { name: string }, options?: { timeout?: number; maxRetries?: number }): Promise<[{ payload?: { data?: Uint8Array | string | null } | null }, ...unknown[]]>;
  close(): Promise<void>;
};
let cached: { generation: number; client: Client } | undefined;

async function client(): Promise<Client> {
  const { config, hooks, generation } = providerSettings();
  if (cached?.generation === generation) return cached.client;
  const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
  const endpoint = config.gcp.endpoint ? new URL(config.gcp.endpoint) : undefined;
  const options: Record<string, unknown> = { fallback: true };
  if (endpoint) {
    options.apiEndpoint = endpoint.hostname.replace(/^\[|\]$/g, '');
    options.protocol = endpoint.protocol.slice(0, -1);
    options.port = endpoint.port ? Number(endpoint.port) : endpoint.protocol === 'http:' ? 80 : 443;
  }
  if (hooks.gcpAuthClient) options.authClient = hooks.gcpAuthClient;
  const old = cached?.client;
  cached = { generation, client: new SecretManagerServiceClient(options as ConstructorParameters<typeof SecretManagerServiceClient>[0]) as unknown as Client };
  void old?.close().catch(() => undefined);
  return cached.client;
}

function explain(error: unknown): string {
  const e = error as { code?: number | string; name?: string };
  // The REST transport reports HTTP statuses; gRPC codes are handled too (5 NOT_FOUND, 7 PERMISSION_DENIED, 16 UNAUTHENTICATED).
  if (e?.code === 404 || e?.code === 5) return 'no such secret or version in Google Secret Manager (NOT_FOUND)';
  if (e?.code === 403 || e?.code === 7) return 'Google Secret Manager refused the credentials (PERMISSION_DENIED)';
  if (e?.code === 401 || e?.code === 16) return 'Google Secret Manager refused the credentials (UNAUTHENTICATED)';
  if (e?.code === 400 || e?.code === 9 || e?.code === 3) return 'the secret version cannot be read, e.g. it is disabled or destroyed (FAILED_PRECONDITION)';
  const code = networkCode(error);
  if (code) return `Google Secret Manager could not be reached (${code})`;
  if (e?.code === 14 || e?.code === 4 || e?.code === 503 || e?.code === 504) return 'Google Secret Manager could not be reached (UNAVAILABLE)';
  if (e?.name === 'SyntaxError' || /JSON/.test(String((error as Error)?.message))) return 'Google Secret Manager sent an answer that could not be read';
  if (/could not load the default credentials|metadata/i.test(String((error as Error)?.message))) return 'no Google credentials were found (Application Default Credentials)';
  return `Google Secret Manager failed${typeof e?.code === 'number' ? ` (code ${e.code})` : ''}`;
}

export async function readGcpSecret(ref: string): Promise<string> {
  const m = GCP_REF.exec(ref);
  if (!m) throw new SecretError(ref, 'use gcp-sm:projects/PROJECT/secrets/SECRET/versions/VERSION (a number or latest), optionally #JSON_FIELD');
  const [, name, , , , field] = m;
  const c = await client();
  let answer: { payload?: { data?: Uint8Array | string | null } | null };
  try {
    [answer] = await c.accessSecretVersion({ name: name! }, { timeout: providerSettings().config.timeoutMs, maxRetries: 2 });
  } catch (error) {
    throw new SecretError(ref, explain(error));
  }
  const data = answer?.payload?.data;
  if (data === undefined || data === null || (typeof data !== 'string' && !(data instanceof Uint8Array))) throw new SecretError(ref, 'Google Secret Manager answered without payload.data');
  const text = typeof data === 'string' ? Buffer.from(data, 'base64').toString('utf8') : Buffer.from(data).toString('utf8');
  return pickField(ref, text, field);
}
