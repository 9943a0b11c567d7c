import { SecretError } from '../secret-error.js';
import { providerSettings } from './config.js';
import { networkCode, pickField } from './field.js';

/**
 * AWS Secrets Manager through `@aws-sdk/client-secrets-manager` (loaded on first use). Credentials
 * come from the SDK's default chain (environment, shared profile, SSO, web identity, container and
 * instance roles); the region from `secrets.aws.region`, else `AWS_REGION`/`AWS_DEFAULT_REGION`, else
 * the profile — and an ARN's own region wins.
 */
export const AWS_REF = /^aws-sm:([A-Za-z0-9/_+=.@:-]+?)(?:#([A-Za-z0-9_.-]+))?$/;

type Sdk = typeof import('@aws-sdk/client-secrets-manager');
let sdk: Promise<Sdk> | undefined;
const clients = new Map<string, InstanceType<Sdk['SecretsManagerClient']>>();

function regionOf(id: string, env: NodeJS.ProcessEnv): string | undefined {
  const arn = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(id);
  return arn?.[1] ?? providerSettings().config.aws.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? undefined;
}

async function client(region: string | undefined): Promise<InstanceType<Sdk['SecretsManagerClient']>> {
  const { config, generation } = providerSettings();
  const key = `${generation}\0${region ?? ''}`;
  let found = clients.get(key);
  if (!found) {
    const { SecretsManagerClient } = await (sdk ??= import('@aws-sdk/client-secrets-manager'));
    found = new SecretsManagerClient({
      ...(region ? { region } : {}),
      ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}),
      maxAttempts: config.aws.maxAttempts,
      requestHandler: { connectionTimeout: config.timeoutMs, requestTimeout: config.timeoutMs },
    });
    for (const [k, c] of clients) if (!k.startsWith(`${generation}\0`)) (c.destroy(), clients.delete(k));
    clients.set(key, found);
  }
  return found;
}

function explain(error: unknown): string {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  switch (e?.name) {
    case 'ResourceNotFoundException':
      return 'no such secret in AWS Secrets Manager (ResourceNotFoundException)';
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'SignatureDoesNotMatch':
    case 'ExpiredTokenException':
    case 'CredentialsProviderError':
      return `AWS Secrets Manager refused the credentials (${e.name})`;
    case 'DecryptionFailure':
      return 'AWS Secrets Manager could not decrypt the secret with its KMS key (DecryptionFailure)';
    case 'InvalidRequestException':
      return 'the secret cannot be read now, e.g. it is scheduled for deletion (InvalidRequestException)';
  }
  const code = networkCode(error);
  if (code) return `AWS Secrets Manager could not be reached (${code})`;
  if (e?.name === 'SyntaxError' || /Deserialization|JSON/i.test(String((error as Error)?.message))) return 'AWS Secrets Manager sent an answer that could not be read';
  const status = e?.$metadata?.httpStatusCode;
  if (status === 401 || status === 403) return `AWS Secrets Manager refused the credentials (${status})`;
  return `AWS Secrets Manager failed${e?.name && e.name !== 'Error' ? ` (${e.name})` : ''}${status ? ` with status ${status}` : ''}`;
}

export async function readAwsSecret(ref: string, env: NodeJS.ProcessEnv): Promise<string> {
  const m = AWS_REF.exec(ref);
  if (!m) throw new SecretError(ref, 'use aws-sm:NAME or aws-sm:NAME#JSON_FIELD');
  const [, id, field] = m;
  const c = await client(regionOf(id!, env));
  const { GetSecretValueCommand } = await sdk!;
  let answer: { SecretString?: string; SecretBinary?: Uint8Array };
  try {
    answer = await c.send(new GetSecretValueCommand({ SecretId: id! }));
  } catch (error) {
    throw new SecretError(ref, explain(error));
  }
  const text = typeof answer?.SecretString === 'string' ? answer.SecretString : answer?.SecretBinary instanceof Uint8Array ? Buffer.from(answer.SecretBinary).toString('utf8') : undefined;
  if (text === undefined) throw new SecretError(ref, 'AWS Secrets Manager answered without SecretString or SecretBinary');
  return pickField(ref, text, field);
}
