import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OAuth2Client } from 'google-auth-library';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureSecretProviders, cloudSecretRefreshError } from '../../src/secrets/cloud/index.js';
import { azureVaultUrl } from '../../src/secrets/cloud/azure.js';
import { LiveSecret } from '../../src/secrets/live-secret.js';
import { resolveSecret, SECRET_REF, SecretError, secretRefSchema } from '../../src/secrets/secret-ref.js';
import { startTestGateway } from '../helpers/gateway.js';
import { startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { type FakeService, fakeAwsSecretsManager, fakeAzureKeyVault, fakeGcpSecretManager, selfSignedCert } from './cloud-fakes.js';

/**
 * Cloud secret references against local fakes of each service's documented wire API (no cloud is
 * reachable from the test machines). The official SDKs do the talking; only their endpoints and
 * credentials are pointed at the fakes.
 */

/** Resolves to the SecretError, failing the test when the reference resolved. */
async function failure(ref: string): Promise<SecretError> {
  try {
    await resolveSecret(ref);
  } catch (error) {
    expect(error).toBeInstanceOf(SecretError);
    return error as SecretError;
  }
  throw new Error(`${ref} resolved`);
}

const SECRET_VALUES = ['sk-aws-123', 'sk-azure-456', 'sk-gcp-789', 'sk-half', 'c2stZ'];
function expectNoValue(message: string): void {
  for (const v of SECRET_VALUES) expect(message).not.toContain(v);
}

/** Each reference fails with a message that names it, says why, and holds no secret value. */
async function expectFailures(cases: readonly (readonly [string, RegExp])[]): Promise<void> {
  for (const [ref, why] of cases) {
    const error = await failure(ref);
    expect(error.ref).toBe(ref);
    expect(error.message.startsWith(`secret ${ref}: `), error.message).toBe(true);
    expect(error.message).toMatch(why);
    expectNoValue(error.message);
  }
}

async function eventually(check: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('secret reference syntax', () => {
  it('accepts the cloud schemes and refuses malformed ones', () => {
    for (const ok of [
      'aws-sm:prod/openai',
      'aws-sm:prod/openai#api_key',
      'aws-sm:arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/openai-AbCdEf#api_key',
      'azure-kv:acme-vault/openai-key',
      'azure-kv:acme-vault/openai-key/0123456789abcdef0123456789abcdef',
      'azure-kv:acme-vault/openai#key',
      'gcp-sm:projects/acme-prod/secrets/openai-key/versions/latest',
      'gcp-sm:projects/1234567/secrets/openai_key/versions/3#api_key',
    ]) {
      expect(SECRET_REF.test(ok), ok).toBe(true);
      expect(secretRefSchema.safeParse(ok).success, ok).toBe(true);
    }
    for (const bad of ['aws-sm:', 'aws-sm:a b', 'azure-kv:acme-vault', 'azure-kv:ab/name', 'azure-kv:acme/na_me', 'gcp-sm:projects/p/secrets/s', 'gcp-sm:projects/p/secrets/s/versions/v1', 'gcp-sm:secrets/s/versions/1', 'sk-literal-key']) {
      expect(SECRET_REF.test(bad), bad).toBe(false);
    }
  });
});

describe('aws-sm: AWS Secrets Manager (JSON 1.1 protocol fake)', () => {
  let aws: FakeService;
  const saved = { ...process.env };
  beforeAll(async () => {
    aws = await fakeAwsSecretsManager('AKIDCLAWGUARDTEST');
    process.env.AWS_ACCESS_KEY_ID = 'AKIDCLAWGUARDTEST';
    process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret-access-key';
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
  });
  afterAll(async () => {
    await aws.close();
    process.env = saved;
  });
  beforeEach(() => {
    aws.secrets.clear();
    aws.secrets.set('prod/openai', JSON.stringify({ api_key: 'sk-aws-123', org: 'acme' }));
    aws.secrets.set('plain', 'sk-aws-123');
    aws.secrets.set('binary-key', 'sk-aws-123');
    aws.requests.length = 0;
    aws.override = undefined;
    configureSecretProviders({ aws: { region: 'eu-west-1', endpoint: aws.url, maxAttempts: 1 }, timeoutMs: 2000 });
  });

  it('reads a plain secret, a JSON field and a binary secret, signed for the configured region', async () => {
    expect(await resolveSecret('aws-sm:plain')).toBe('sk-aws-123');
    expect(await resolveSecret('aws-sm:prod/openai#api_key')).toBe('sk-aws-123');
    expect(await resolveSecret('aws-sm:prod/openai#org')).toBe('acme');
    expect(await resolveSecret('aws-sm:binary-key')).toBe('sk-aws-123');
    const first = aws.requests[0]!;
    expect(first.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
    expect(JSON.parse(first.body)).toEqual({ SecretId: 'plain' });
    expect(first.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDCLAWGUARDTEST\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request/);
  });

  it("takes the region from an ARN, then config, then AWS_REGION", async () => {
    expect(await resolveSecret('aws-sm:arn:aws:secretsmanager:ap-south-1:123456789012:secret:plain#x'.replace('#x', ''))).toBe('sk-aws-123');
    expect(aws.requests.at(-1)!.headers.authorization).toContain('/ap-south-1/secretsmanager/');
    configureSecretProviders({ aws: { endpoint: aws.url, maxAttempts: 1 } });
    process.env.AWS_REGION = 'us-east-2';
    try {
      expect(await resolveSecret('aws-sm:plain')).toBe('sk-aws-123');
      expect(aws.requests.at(-1)!.headers.authorization).toContain('/us-east-2/secretsmanager/');
    } finally {
      delete process.env.AWS_REGION;
    }
  });

  it('caches for the TTL: one read serves many resolutions', async () => {
    for (let i = 0; i < 5; i++) expect(await resolveSecret('aws-sm:prod/openai#api_key')).toBe('sk-aws-123');
    await Promise.all(Array.from({ length: 5 }, () => resolveSecret('aws-sm:plain')));
    expect(aws.requests.length).toBe(2);
  });

  it('names the reference, never a value, for every failure', async () => {
    const cases: [string, RegExp][] = [
      ['aws-sm:missing', /no such secret in AWS Secrets Manager \(ResourceNotFoundException\)/],
      ['aws-sm:denied', /refused the credentials \(AccessDeniedException\)/],
      ['aws-sm:malformed', /answer that could not be read/],
      ['aws-sm:empty-answer', /without SecretString or SecretBinary/],
      ['aws-sm:prod/openai#nope', /the secret's JSON has no field "nope"/],
      ['aws-sm:plain#api_key', /the secret is not JSON, so it has no field "api_key"/],
    ];
    await expectFailures(cases);
  });

  it('bad credentials: the service refuses the signature', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDWRONG';
    configureSecretProviders({ aws: { region: 'eu-west-1', endpoint: aws.url, maxAttempts: 1 } });
    try {
      expect((await failure('aws-sm:plain')).message).toMatch(/refused the credentials \(UnrecognizedClientException\)/);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = 'AKIDCLAWGUARDTEST';
    }
  });

  it('service down: a clear error, quickly', async () => {
    const down = await fakeAwsSecretsManager('AKIDCLAWGUARDTEST');
    const url = down.url;
    await down.close();
    configureSecretProviders({ aws: { region: 'eu-west-1', endpoint: url, maxAttempts: 1 }, timeoutMs: 1000 });
    const started = Date.now();
    expect((await failure('aws-sm:plain')).message).toMatch(/^secret aws-sm:plain: AWS Secrets Manager could not be reached \(ECONNREFUSED\)$/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('refreshes in the background after the TTL, keeps the last value through an outage, then gives up', async () => {
    configureSecretProviders({ aws: { region: 'eu-west-1', endpoint: aws.url, maxAttempts: 1 }, ttlSeconds: 1, maxStaleSeconds: 2 });
    expect(await resolveSecret('aws-sm:plain')).toBe('sk-aws-123');
    aws.secrets.set('plain', 'sk-aws-rotated');
    await new Promise((r) => setTimeout(r, 1100));
    // Past the TTL the cached value is served at once while one background read replaces it.
    expect(await resolveSecret('aws-sm:plain')).toBe('sk-aws-123');
    await eventually(async () => (await resolveSecret('aws-sm:plain')) === 'sk-aws-rotated');
    expect(aws.requests.length).toBe(2);

    aws.override = { status: 500, body: '{"__type":"InternalServiceError"}' };
    await new Promise((r) => setTimeout(r, 1100));
    expect(await resolveSecret('aws-sm:plain')).toBe('sk-aws-rotated');
    await eventually(() => cloudSecretRefreshError('aws-sm:plain') !== undefined);
    expect(cloudSecretRefreshError('aws-sm:plain')).toMatch(/^secret aws-sm:plain: AWS Secrets Manager failed/);
    // Past TTL + maxStaleSeconds the stale value is no longer served: the caller gets the error.
    await new Promise((r) => setTimeout(r, 2100));
    expect((await failure('aws-sm:plain')).message).toMatch(/AWS Secrets Manager failed/);
    aws.override = undefined;
    expect(await resolveSecret('aws-sm:plain')).toBe('sk-aws-rotated');
  }, 15_000);

  it('LiveSecret follows a rotated cloud secret', async () => {
    configureSecretProviders({ aws: { region: 'eu-west-1', endpoint: aws.url, maxAttempts: 1 }, ttlSeconds: 1 });
    const live = await LiveSecret.open('aws-sm:prod/openai#api_key', process.env, 50);
    try {
      expect(live.value).toBe('sk-aws-123');
      aws.secrets.set('prod/openai', JSON.stringify({ api_key: 'sk-aws-next' }));
      await eventually(() => live.value === 'sk-aws-next');
    } finally {
      live.close();
    }
  }, 10_000);
});

describe('azure-kv: Azure Key Vault (REST fake over HTTPS, challenge auth)', () => {
  let kv: FakeService;
  let tls: { cert: string; key: string };
  let caDir: string;
  const credential = (token: string) => ({
    scopes: [] as string[][],
    async getToken(scopes: string | string[]) {
      this.scopes.push([scopes].flat());
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  });
  /** Points azure-kv: at a fake (the vault name is the first path segment), trusting the test CA through a relative caFile. */
  const configureAzure = (token = 'good-token', url = kv.url) => {
    const cred = credential(token);
    configureSecretProviders({ azure: { endpoint: `${url}/{vault}`, caFile: 'ca.pem', disableChallengeResourceVerification: true }, timeoutMs: 2000 }, { baseDir: caDir, azureCredential: cred });
    return cred;
  };
  beforeAll(async () => {
    tls = selfSignedCert();
    kv = await fakeAzureKeyVault(tls, 'good-token');
    caDir = mkdtempSync(join(tmpdir(), 'clawguard-ca-'));
    writeFileSync(join(caDir, 'ca.pem'), tls.cert);
  });
  afterAll(() => kv.close());
  beforeEach(() => {
    kv.secrets.clear();
    kv.secrets.set('acme-vault/openai-key', 'sk-azure-456');
    kv.secrets.set('acme-vault/json-key', JSON.stringify({ api_key: 'sk-azure-456' }));
    kv.secrets.set('acme-vault/openai-key/0123456789abcdef0123456789abcdef', 'sk-azure-old');
    kv.requests.length = 0;
  });

  it('reads a secret, a version and a JSON field; the vault name fills the endpoint template; the token is scoped to Key Vault', async () => {
    const cred = configureAzure();
    expect(await resolveSecret('azure-kv:acme-vault/openai-key')).toBe('sk-azure-456');
    expect(await resolveSecret('azure-kv:acme-vault/openai-key/0123456789abcdef0123456789abcdef')).toBe('sk-azure-old');
    expect(await resolveSecret('azure-kv:acme-vault/json-key#api_key')).toBe('sk-azure-456');
    expect(kv.requests[0]!.url).toMatch(/^\/acme-vault\/secrets\/openai-key\/?\?api(-|%2D)version=/);
    expect(kv.requests[0]!.headers.authorization).toBeUndefined(); // the challenge round trip
    expect(kv.requests[1]!.headers.authorization).toBe('Bearer good-token');
    expect(cred.scopes[0]).toEqual(['https://vault.azure.net/.default']);
  });

  it('defaults to https://VAULT.vault.azure.net', () => {
    configureSecretProviders({});
    expect(azureVaultUrl('acme-vault')).toBe('https://acme-vault.vault.azure.net');
    configureSecretProviders({ azure: { endpoint: 'https://{vault}.vault.azure.cn' } });
    expect(azureVaultUrl('acme-vault')).toBe('https://acme-vault.vault.azure.cn');
  });

  it('names the reference, never a value, for every failure', async () => {
    configureAzure();
    const cases: [string, RegExp][] = [
      ['azure-kv:acme-vault/missing', /: no such secret in Azure Key Vault \(404 SecretNotFound\)$/],
      ['azure-kv:acme-vault/malformed', /: Azure Key Vault sent an answer that could not be read$/],
      ['azure-kv:acme-vault/novalue', /: Azure Key Vault answered without a value$/],
      ['azure-kv:acme-vault/json-key#nope', /: the secret's JSON has no field "nope"$/],
    ];
    await expectFailures(cases);
  });

  it('bad credentials: 403 from the vault', async () => {
    configureAzure('stolen-token');
    expect((await failure('azure-kv:acme-vault/openai-key')).message).toBe('secret azure-kv:acme-vault/openai-key: Azure Key Vault refused the credential (403 Forbidden)');
  });

  it('refuses a server whose certificate is not trusted (without caFile only public CAs count)', async () => {
    configureSecretProviders({ azure: { endpoint: `${kv.url}/{vault}`, disableChallengeResourceVerification: true } }, { azureCredential: credential('good-token') });
    const error = await failure('azure-kv:acme-vault/openai-key');
    expect(error.message).toMatch(/^secret azure-kv:acme-vault\/openai-key: Azure Key Vault (could not be reached|failed)/);
    expect(kv.requests.length).toBe(0);
  });

  it('service down: a clear error', async () => {
    const other = await fakeAzureKeyVault(tls, 'good-token');
    await other.close();
    configureAzure('good-token', other.url);
    expect((await failure('azure-kv:acme-vault/openai-key')).message).toBe('secret azure-kv:acme-vault/openai-key: Azure Key Vault could not be reached (ECONNREFUSED)');
  }, 15_000);
});

describe('gcp-sm: Google Secret Manager (REST fake)', () => {
  let gcp: FakeService;
  const auth = (token: string) => {
    const client = new OAuth2Client();
    client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
    return client;
  };
  beforeAll(async () => {
    gcp = await fakeGcpSecretManager('good-token');
  });
  afterAll(() => gcp.close());
  beforeEach(() => {
    gcp.secrets.clear();
    gcp.secrets.set('projects/acme-prod/secrets/openai-key/versions/latest', 'sk-gcp-789');
    gcp.secrets.set('projects/acme-prod/secrets/openai-json/versions/2', JSON.stringify({ api_key: 'sk-gcp-789' }));
    gcp.requests.length = 0;
    configureSecretProviders({ gcp: { endpoint: gcp.url }, timeoutMs: 2000 }, { gcpAuthClient: auth('good-token') });
  });

  it('reads a version and a JSON field over HTTP/JSON, with the bearer token', async () => {
    expect(await resolveSecret('gcp-sm:projects/acme-prod/secrets/openai-key/versions/latest')).toBe('sk-gcp-789');
    expect(await resolveSecret('gcp-sm:projects/acme-prod/secrets/openai-json/versions/2#api_key')).toBe('sk-gcp-789');
    expect(gcp.requests[0]!.url).toMatch(/^\/v1\/projects\/acme-prod\/secrets\/openai-key\/versions\/latest:access(\?|$)/);
    expect(gcp.requests[0]!.headers.authorization).toBe('Bearer good-token');
  });

  it('names the reference, never a value, for every failure', async () => {
    const cases: [string, RegExp][] = [
      ['gcp-sm:projects/acme-prod/secrets/missing/versions/1', /: no such secret or version in Google Secret Manager \(NOT_FOUND\)$/],
      ['gcp-sm:projects/acme-prod/secrets/malformed/versions/1', /: Google Secret Manager sent an answer that could not be read$/],
      ['gcp-sm:projects/acme-prod/secrets/nopayload/versions/1', /: Google Secret Manager answered without payload.data$/],
      ['gcp-sm:projects/acme-prod/secrets/openai-json/versions/2#nope', /: the secret's JSON has no field "nope"$/],
    ];
    await expectFailures(cases);
  });

  it('bad credentials: PERMISSION_DENIED', async () => {
    configureSecretProviders({ gcp: { endpoint: gcp.url } }, { gcpAuthClient: auth('stolen-token') });
    expect((await failure('gcp-sm:projects/acme-prod/secrets/openai-key/versions/latest')).message).toBe(
      'secret gcp-sm:projects/acme-prod/secrets/openai-key/versions/latest: Google Secret Manager refused the credentials (PERMISSION_DENIED)',
    );
  });

  it('service down: a clear error', async () => {
    const other = await fakeGcpSecretManager('good-token');
    await other.close();
    configureSecretProviders({ gcp: { endpoint: other.url }, timeoutMs: 1000 }, { gcpAuthClient: auth('good-token') });
    expect((await failure('gcp-sm:projects/acme-prod/secrets/openai-key/versions/latest')).message).toMatch(
      /^secret gcp-sm:projects\/acme-prod\/secrets\/openai-key\/versions\/latest: Google Secret Manager could not be reached \((ECONNREFUSED|ECONNRESET|UNAVAILABLE)\)$/,
    );
  }, 15_000);
});

describe('lazy loading', () => {
  it('loads no cloud SDK until a cloud reference is read, then only that one (built dist)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawguard-lazy-'));
    // A module resolve hook that reports every cloud SDK module the process loads.
    writeFileSync(
      join(dir, 'hook.mjs'),
      `import { register } from 'node:module';\nregister('data:text/javascript,' + encodeURIComponent(${JSON.stringify(
        "export async function resolve(s, c, next) { const r = await next(s, c); const m = /node_modules\\/(@aws-sdk\\/client-secrets-manager|@azure\\/keyvault-secrets|@azure\\/identity|@google-cloud\\/secret-manager)\\//.exec(r.url); if (m) process.stderr.write('LOADED ' + m[1] + '\\n'); return r; }",
      )}));\n`,
    );
    const root = join(import.meta.dirname, '../..');
    const script = `
      const { resolveSecret } = await import(${JSON.stringify(join(root, 'dist/secrets/secret-ref.js'))});
      await import(${JSON.stringify(join(root, 'dist/gateway/server.js'))});
      await import(${JSON.stringify(join(root, 'dist/config/schema.js'))});
      await resolveSecret('env:HOME');
      process.stderr.write('MARK\\n');
      const { configureSecretProviders } = await import(${JSON.stringify(join(root, 'dist/secrets/cloud/config.js'))});
      configureSecretProviders({ aws: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }, timeoutMs: 500 });
      await resolveSecret('aws-sm:anything').catch(() => undefined);
    `;
    const run = spawnSync(process.execPath, ['--import', join(dir, 'hook.mjs'), '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDX', AWS_SECRET_ACCESS_KEY: 'x' },
      timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const [before, after] = run.stderr.split('MARK\n');
    expect(after, run.stderr).toBeDefined();
    expect(before).not.toMatch(/LOADED/);
    expect(after).toMatch(/LOADED @aws-sdk\/client-secrets-manager/);
    expect(after).not.toMatch(/LOADED @(azure|google-cloud)/);
  });
});

describe('in the gateway', () => {
  let aws: FakeService;
  const saved = { ...process.env };
  beforeAll(async () => {
    aws = await fakeAwsSecretsManager('AKIDGATEWAY');
    aws.secrets.set('prod/openai', JSON.stringify({ api_key: 'sk-aws-123' }));
    process.env.AWS_ACCESS_KEY_ID = 'AKIDGATEWAY';
    process.env.AWS_SECRET_ACCESS_KEY = 'fake';
  });
  afterAll(async () => {
    await aws.close();
    process.env = saved;
  });

  it('an upstream key from aws-sm: reaches the provider, with secrets.aws from the config file', async () => {
    const upstream = await startScriptedUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'gpt-4o-2024-08-06', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] }));
    });
    const gw = await startTestGateway({
      secrets: { aws: { region: 'eu-west-1', endpoint: aws.url, maxAttempts: 1 } },
      upstreams: [{ name: 'openai', provider: 'openai', url: `${upstream.url}/v1`, apiKey: 'aws-sm:prod/openai#api_key' }],
      routes: [{ model: '*', upstream: 'openai' }],
    });
    try {
      const res = await fetch(`${gw.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-2024-08-06', messages: [{ role: 'user', content: 'Hello' }] }),
      });
      expect(res.status).toBe(200);
      expect(upstream.requests[0]!.headers.authorization).toBe('Bearer sk-aws-123');
      expect(gw.logs.join('')).not.toContain('sk-aws-123');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  it('a cloud secret that cannot be read keeps the gateway from starting, naming the reference only', async () => {
    await expect(
      startTestGateway({
        secrets: { aws: { region: 'eu-west-1', endpoint: aws.url, maxAttempts: 1 } },
        upstreams: [{ name: 'openai', provider: 'openai', url: 'http://127.0.0.1:9/v1', apiKey: 'aws-sm:prod/openai#missing_field' }],
        routes: [{ model: '*', upstream: 'openai' }],
      }),
    ).rejects.toThrow(/^secret aws-sm:prod\/openai#missing_field: the secret's JSON has no field "missing_field"$/);
  });
});
