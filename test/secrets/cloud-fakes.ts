import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Local fakes of the cloud secret managers' documented wire APIs, on 127.0.0.1. Each keeps the
 * secrets it serves in `secrets` (tests change them to simulate rotation) and counts reads.
 */
export interface FakeService {
  readonly url: string;
  readonly secrets: Map<string, string>;
  readonly requests: { url: string; headers: IncomingMessage['headers']; body: string }[];
  /** Answer every request with this instead (status, body, content type). */
  override: { status: number; body: string } | undefined;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, body: string, res: ServerResponse, fake: FakeService) => void;

async function serve(server: Server, handler: Handler, scheme: 'http' | 'https'): Promise<FakeService> {
  const fake: FakeService = {
    url: '',
    secrets: new Map(),
    requests: [],
    override: undefined,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      fake.requests.push({ url: req.url ?? '', headers: req.headers, body });
      if (fake.override) {
        res.writeHead(fake.override.status, { 'content-type': 'application/json' });
        res.end(fake.override.body);
        return;
      }
      handler(req, body, res, fake);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (fake as { url: string }).url = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

function json(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/**
 * AWS Secrets Manager, JSON 1.1 protocol: `POST /` with `X-Amz-Target: secretsmanager.GetSecretValue`
 * and a SigV4 `Authorization` header; errors as `{"__type": …}`. Secret ids starting `binary:` are
 * served as SecretBinary; `malformed` answers broken JSON; `empty-answer` answers without a value.
 */
export function fakeAwsSecretsManager(accessKeyId: string): Promise<FakeService> {
  const type = 'application/x-amz-json-1.1';
  return serve(createServer(), (req, body, res, fake) => {
    if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue' || req.headers['content-type'] !== type) {
      return json(res, 400, { __type: 'UnknownOperationException' }, type);
    }
    const auth = String(req.headers.authorization ?? '');
    if (!auth.startsWith(`AWS4-HMAC-SHA256 Credential=${accessKeyId}/`)) {
      return json(res, 400, { __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' }, type);
    }
    const id = JSON.parse(body).SecretId as string;
    if (id === 'denied') return json(res, 403, { __type: 'AccessDeniedException', Message: 'User is not authorized to perform secretsmanager:GetSecretValue' }, type);
    if (id === 'malformed') return json(res, 200, '{"ARN": "arn:aws:secretsmanager:x", "SecretString": "sk-half', type);
    if (id === 'empty-answer') return json(res, 200, { ARN: 'arn', Name: id, VersionId: 'v1' }, type);
    const name = id.replace(/^arn:aws:secretsmanager:[a-z0-9-]+:\d+:secret:/, '');
    const value = fake.secrets.get(name);
    if (value === undefined) return json(res, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." }, type);
    if (name.startsWith('binary-')) return json(res, 200, { ARN: `arn:${name}`, Name: name, SecretBinary: Buffer.from(value).toString('base64'), VersionId: 'v1' }, type);
    return json(res, 200, { ARN: `arn:${name}`, Name: name, SecretString: value, VersionId: 'v1', VersionStages: ['AWSCURRENT'], CreatedDate: 1.7e9 }, type);
  }, 'http');
}

/** A self-signed certificate for 127.0.0.1 (openssl), PEM. */
export function selfSignedCert(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'clawguard-kv-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
}

/**
 * Azure Key Vault REST: `GET /secrets/{name}[/{version}]?api-version=…`, HTTPS only. A request
 * without a bearer token gets the documented 401 challenge (`WWW-Authenticate: Bearer authorization=…,
 * resource=…`); a wrong token 403 Forbidden; an unknown secret 404 SecretNotFound. Secrets are keyed
 * `VAULT/NAME`, the vault being the first path segment (the endpoint template `https://host/{vault}`).
 */
export function fakeAzureKeyVault(tls: { cert: string; key: string }, token: string): Promise<FakeService> {
  return serve(createHttpsServer(tls), (req, _body, res, fake) => {
    const url = new URL(req.url ?? '/', 'https://x');
    const m = /^\/([^/]+)\/secrets\/([^/]+)\/?([^/]*)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m || !url.searchParams.get('api-version')) return json(res, 400, { error: { code: 'BadParameter', message: 'bad request' } });
    if (!req.headers.authorization) {
      res.writeHead(401, { 'www-authenticate': 'Bearer authorization="https://login.microsoftonline.com/tenant-1", resource="https://vault.azure.net"' });
      return res.end();
    }
    if (req.headers.authorization !== `Bearer ${token}`) return json(res, 403, { error: { code: 'Forbidden', message: 'The user, group or application does not have secrets get permission.' } });
    const [, vault, name, version] = m;
    if (name === 'malformed') return json(res, 200, '{"value": "half');
    if (name === 'novalue') return json(res, 200, { id: `https://${vault}.vault.azure.net/secrets/novalue/0123456789abcdef0123456789abcdef`, attributes: { enabled: true } });
    const value = fake.secrets.get(`${vault}/${name}${version ? `/${version}` : ''}`);
    if (value === undefined) return json(res, 404, { error: { code: 'SecretNotFound', message: `A secret with (name/id) ${name} was not found in this key vault.` } });
    return json(res, 200, { value, id: `https://${vault}.vault.azure.net/secrets/${name}/0123456789abcdef0123456789abcdef`, attributes: { enabled: true, created: 1.7e9, updated: 1.7e9 } });
  }, 'https');
}

/**
 * Google Secret Manager REST (v1): `GET /v1/projects/P/secrets/S/versions/V:access` with a bearer
 * token, answering `{name, payload: {data: base64}}`; errors in Google's JSON error shape.
 */
export function fakeGcpSecretManager(token: string): Promise<FakeService> {
  return serve(createServer(), (req, _body, res, fake) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/v1\/(projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/:]+):access$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) return json(res, 404, { error: { code: 404, message: 'no such method', status: 'NOT_FOUND' } });
    if (req.headers.authorization !== `Bearer ${token}`) {
      return json(res, 403, { error: { code: 403, message: "Permission 'secretmanager.versions.access' denied for resource", status: 'PERMISSION_DENIED' } });
    }
    const name = m[1]!;
    if (name.includes('/secrets/malformed/')) return json(res, 200, '{"name": "x", "payload": {"data": "c2stZ');
    if (name.includes('/secrets/nopayload/')) return json(res, 200, { name });
    const value = fake.secrets.get(name);
    if (value === undefined) return json(res, 404, { error: { code: 404, message: `Secret [${name}] not found or has no versions.`, status: 'NOT_FOUND' } });
    return json(res, 200, { name, payload: { data: Buffer.from(value).toString('base64'), dataCrc32c: '0' } });
  }, 'http');
}
