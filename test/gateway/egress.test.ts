import { createServer as createHttpServer, request, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrivateAddress, judgeHost } from '../../src/gateway/egress/destination-policy.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let site: Server;
let sitePort: number;
let echo: TcpServer;
let echoPort: number;
let open: TestGateway;
let strict: TestGateway;

beforeAll(async () => {
  site = createHttpServer((req, res) => res.end(`site saw ${req.method} ${req.url} host=${req.headers.host} auth=${req.headers['proxy-authorization'] ?? 'none'}`));
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  sitePort = (site.address() as AddressInfo).port;
  echo = createTcpServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as AddressInfo).port;
  // "open" may reach loopback (standing in for an allowed internet host); "strict" keeps the defaults.
  open = await startTestGateway({ egress: { enabled: true, allowPrivate: true, allowDomains: ['localhost', '127.0.0.1'], allowPorts: [sitePort, echoPort] } });
  strict = await startTestGateway({ egress: { enabled: true, denyDomains: ['blocked.test'] } });
});
afterAll(async () => {
  await open.close();
  await strict.close();
  site.close();
  echo.close();
});

function viaProxy(proxyUrl: string, target: string, credential?: string): Promise<{ status: number; body: string }> {
  const proxy = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: proxy.hostname, port: proxy.port, method: 'GET', path: target, headers: credential ? { 'proxy-authorization': `Basic ${Buffer.from(`agent:${credential}`).toString('base64')}` } : {} }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('egress proxy', () => {
  it('forwards plain HTTP for an authenticated caller, without passing its credentials on', async () => {
    const res = await viaProxy(open.egressUrl!, `http://localhost:${sitePort}/page?q=1`, open.clientKey);
    expect(res.status).toBe(200);
    expect(res.body).toBe(`site saw GET /page?q=1 host=localhost:${sitePort} auth=none`);
    expect(open.logs.join('')).toMatch(/"egress":true.*"host":"localhost".*"decision":"allow"/);
  });

  it('tunnels CONNECT to an allowed host', async () => {
    const agent = new ProxyAgent({ uri: open.egressUrl!, token: `Basic ${Buffer.from(`agent:${open.clientKey}`).toString('base64')}` });
    const res = await undiciFetch(`http://localhost:${sitePort}/tunnel`, { dispatcher: agent });
    expect(await res.text()).toContain('site saw GET /tunnel');
  });

  it('asks for credentials (407) and refuses a wrong key', async () => {
    expect((await viaProxy(open.egressUrl!, `http://localhost:${sitePort}/`)).status).toBe(407);
    expect((await viaProxy(open.egressUrl!, `http://localhost:${sitePort}/`, `cg_${'z'.repeat(43)}`)).status).toBe(407);
  });

  it('refuses hosts off the allow list, denied hosts, other ports, and private addresses (SSRF)', async () => {
    expect((await viaProxy(open.egressUrl!, `http://example.com:${sitePort}/`, open.clientKey)).body).toContain('not on the allow list');
    expect((await viaProxy(strict.egressUrl!, 'http://blocked.test/', strict.clientKey)).body).toContain('deny list');
    expect((await viaProxy(strict.egressUrl!, 'http://example.com:8080/', strict.clientKey)).body).toContain('port 8080 is not allowed');
    const ssrf = await viaProxy(strict.egressUrl!, 'http://127.0.0.1/', strict.clientKey);
    expect(ssrf.status).toBe(403);
    expect(ssrf.body).toContain('private');
    const metadata = await viaProxy(strict.egressUrl!, 'http://169.254.169.254/latest/meta-data/', strict.clientKey);
    expect(metadata.status).toBe(403);
    const byName = await viaProxy(strict.egressUrl!, 'http://localhost/', strict.clientKey);
    expect(byName.body).toContain('resolves to a private');
  });

  it('refuses a CONNECT tunnel to a private address', async () => {
    const agent = new ProxyAgent({ uri: strict.egressUrl!, token: `Basic ${Buffer.from(`agent:${strict.clientKey}`).toString('base64')}` });
    await expect(undiciFetch(`http://127.0.0.1:${echoPort}/`, { dispatcher: agent })).rejects.toThrow();
    expect(strict.logs.join('')).toMatch(/"method":"CONNECT".*"decision":"block"/);
  });
});

describe('destination policy', () => {
  it('classifies private, loopback, link-local, CGNAT and mapped addresses', () => {
    for (const a of ['10.1.2.3', '172.20.0.1', '192.168.1.1', '127.0.0.1', '169.254.169.254', '100.64.0.1', '::1', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1', '0.0.0.0']) expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111']) expect(isPrivateAddress(a), a).toBe(false);
  });
  it('matches a domain and its subdomains, and globs', () => {
    const rules = { allowDomains: ['example.com', '*.cdn.test'], denyDomains: ['evil.example.com'], allowPorts: [443], allowPrivate: false };
    expect(judgeHost(rules, 'api.example.com', 443).allowed).toBe(true);
    expect(judgeHost(rules, 'evil.example.com', 443).allowed).toBe(false);
    expect(judgeHost(rules, 'notexample.com', 443).allowed).toBe(false);
    expect(judgeHost(rules, 'a.cdn.test', 443).allowed).toBe(true);
    expect(judgeHost(rules, 'api.example.com', 22).allowed).toBe(false);
  });
});
