import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, type ScriptedUpstream, startScriptedUpstream } from '../helpers/scripted-upstream.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makePki(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const [name, cn, ext] of [['server', '127.0.0.1', 'server.ext'], ['client', 'agent-svc', '']] as const) {
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', ...(ext ? ['-extfile', ext] : []));
  }
}

let dir: string;
let upstream: ScriptedUpstream;
let gw: TestGateway;
const body = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cg-pki-'));
  makePki(dir);
  upstream = await startScriptedUpstream((_req, res) => json(res, 200, { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }));
  gw = await startTestGateway({
    server: { port: 0, tls: { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.crt') } },
    upstreams: [{ name: 'u', provider: 'openai', url: `${upstream.url}/v1` }],
    routes: [{ model: '*', upstream: 'u' }],
    roles: [{ name: 'default' }, { name: 'service', models: ['gpt-*'] }],
    auth: { mtls: { enabled: true, roles: { 'agent-svc': 'service' } } },
  });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

describe('TLS on the proxy listener', () => {
  it('serves HTTPS with TLS 1.2 or newer, and refuses TLS 1.1', async () => {
    expect(gw.proxyUrl.startsWith('https://')).toBe(true);
    const agent = new Agent({ connect: { ca: readFileSync(join(dir, 'ca.crt')) } });
    const res = await undiciFetch(`${gw.proxyUrl}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers: { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json' }, body });
    expect(res.status, await res.text()).toBe(200);
    const old = new Agent({ connect: { ca: readFileSync(join(dir, 'ca.crt')), maxVersion: 'TLSv1.1', minVersion: 'TLSv1' } });
    await expect(undiciFetch(`${gw.proxyUrl}/healthz`, { dispatcher: old })).rejects.toThrow();
  });

  it('turns a verified client certificate into a principal with its mapped role', async () => {
    const agent = new Agent({ connect: { ca: readFileSync(join(dir, 'ca.crt')), cert: readFileSync(join(dir, 'client.crt')), key: readFileSync(join(dir, 'client.key')) } });
    const ok = await undiciFetch(`${gw.proxyUrl}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body });
    expect(ok.status).toBe(200);
    const denied = await undiciFetch(`${gw.proxyUrl}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-x', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(denied.status).toBe(403);
    expect(gw.logs.join('')).toContain('"principal":"mtls:agent-svc"');
  });

  it('without a certificate or key, the caller is refused', async () => {
    const agent = new Agent({ connect: { ca: readFileSync(join(dir, 'ca.crt')) } });
    const res = await undiciFetch(`${gw.proxyUrl}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(401);
  });
});
