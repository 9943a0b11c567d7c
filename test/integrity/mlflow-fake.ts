import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake MLflow tracking server on 127.0.0.1, answering the documented model-registry REST
 * endpoints the gateway uses: `GET model-versions/get`, `GET registered-models/alias`,
 * `POST registered-models/get-latest-versions`; errors as `{error_code, message}`.
 */
export interface FakeVersion {
  stage: string;
  status?: string;
  tags: Record<string, string>;
}

export interface FakeMlflow {
  url: string;
  /** name → version → state */
  readonly models: Map<string, Map<string, FakeVersion>>;
  /** `name@alias` → version */
  readonly aliases: Map<string, string>;
  readonly requests: { method: string; url: string; authorization?: string | undefined; body: string }[];
  /** Answer every request with this raw status and body instead. */
  override: { status: number; body: string } | undefined;
  stop(): Promise<void>;
  /** Listens again on the same port after stop(). */
  restart(): Promise<void>;
}

export async function startFakeMlflow(token: string | undefined): Promise<FakeMlflow> {
  let server: Server;
  let port = 0;
  const fake: FakeMlflow = {
    url: '',
    models: new Map(),
    aliases: new Map(),
    requests: [],
    override: undefined,
    stop: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    restart: () => (server.listening ? Promise.resolve() : listen()),
  };
  const versionJson = (name: string, version: string, v: FakeVersion) => ({
    name,
    version,
    creation_timestamp: 1_700_000_000_000,
    current_stage: v.stage,
    source: `mlflow-artifacts:/1/abc/artifacts/${name}`,
    run_id: 'abc',
    status: v.status ?? 'READY',
    tags: Object.entries(v.tags).map(([key, value]) => ({ key, value })),
    aliases: [...fake.aliases].filter(([k, ver]) => k.startsWith(`${name}@`) && ver === version).map(([k]) => k.split('@')[1]),
  });
  const handler = (req: IncomingMessage, body: string, send: (status: number, json: unknown) => void) => {
    if (token && req.headers.authorization !== `Bearer ${token}`) return send(403, { error_code: 'PERMISSION_DENIED', message: 'Permission denied' });
    const url = new URL(req.url ?? '/', 'http://x');
    const notFound = (what: string) => send(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `${what} not found` });
    if (req.method === 'GET' && url.pathname === '/api/2.0/mlflow/model-versions/get') {
      const name = url.searchParams.get('name') ?? '';
      const version = url.searchParams.get('version') ?? '';
      const v = fake.models.get(name)?.get(version);
      return v ? send(200, { model_version: versionJson(name, version, v) }) : notFound(`Model Version (name=${name}, version=${version})`);
    }
    if (req.method === 'GET' && url.pathname === '/api/2.0/mlflow/registered-models/alias') {
      const name = url.searchParams.get('name') ?? '';
      const version = fake.aliases.get(`${name}@${url.searchParams.get('alias')}`);
      const v = version ? fake.models.get(name)?.get(version) : undefined;
      return v ? send(200, { model_version: versionJson(name, version!, v) }) : notFound(`Registered model alias ${url.searchParams.get('alias')}`);
    }
    if (req.method === 'POST' && url.pathname === '/api/2.0/mlflow/registered-models/get-latest-versions') {
      const { name, stages } = JSON.parse(body || '{}') as { name: string; stages?: string[] };
      const versions = fake.models.get(name);
      if (!versions) return notFound(`Registered Model with name=${name}`);
      const wanted = stages?.map((s) => s.toLowerCase());
      // Latest version per stage, as MLflow answers.
      const latest = new Map<string, string>();
      for (const [version, v] of versions) {
        if (wanted && !wanted.includes(v.stage.toLowerCase())) continue;
        const best = latest.get(v.stage);
        if (!best || Number(version) > Number(best)) latest.set(v.stage, version);
      }
      return send(200, [...latest.values()].length ? { model_versions: [...latest.values()].map((ver) => versionJson(name, ver, versions.get(ver)!)) } : {});
    }
    return send(404, { error_code: 'ENDPOINT_NOT_FOUND', message: 'no such endpoint' });
  };
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          fake.requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
          if (fake.override) {
            res.writeHead(fake.override.status, { 'content-type': 'application/json' });
            return res.end(fake.override.body);
          }
          handler(req, body, (status, json) => {
            res.writeHead(status, { 'content-type': 'application/json' });
            res.end(JSON.stringify(json));
          });
        });
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        fake.url = `http://127.0.0.1:${port}`;
        resolve();
      });
    });
  await listen();
  return fake;
}
