import { execFileSync } from 'node:child_process';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditConfigSchema } from '../../src/audit/config.js';
import { startAudit } from '../../src/audit/setup.js';
import { tempDir } from './helpers.js';

/** Splits an RFC 6587 octet-counted stream into messages. */
function octetFrames(data: Buffer): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    const len = Number(data.subarray(i, sp).toString());
    out.push(data.subarray(sp + 1, sp + 1 + len).toString('utf8'));
    i = sp + 1 + len;
  }
  return out;
}

function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('live SIEM forwarding', () => {
  let dir: string;
  let cleanup: () => void;
  const servers: { close(cb?: () => void): unknown }[] = [];
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
    cleanup();
  });

  it('sends JSON lines over HTTP with the configured secret header, never the payload', async () => {
    const bodies: string[] = [];
    const auth: (string | undefined)[] = [];
    const http = createHttpServer((req: IncomingMessage, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        bodies.push(b);
        auth.push(req.headers.authorization);
        res.end('ok');
      });
    });
    servers.push(http);
    const port = await listen(http);
    const config = auditConfigSchema.parse({
      payloads: 'redacted',
      siem: [{ type: 'http', url: `http://127.0.0.1:${port}/ingest`, headers: { authorization: 'env:SIEM_TOKEN' }, flushIntervalMs: 10 }],
    });
    const audit = await startAudit(config, { baseDir: dir, env: { SIEM_TOKEN: 'Bearer siem-token-123' } });
    audit.log.record({ type: 'auth', outcome: 'failure', surface: 'proxy', reason: 'invalid_key', payload: 'do not forward me' });
    audit.log.record({ type: 'decision', direction: 'input', action: 'block', findings: 1, failures: 0, findingTypes: ['injection.override'] });
    await audit.log.flush();
    await until(() => bodies.join('').split('\n').filter(Boolean).length >= 2);
    await audit.close();
    const lines = bodies.join('').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.seq, l.type])).toEqual([[1, 'auth'], [2, 'decision']]);
    expect(lines[1].data).toMatchObject({ action: 'block', findingTypes: ['injection.override'] });
    expect(bodies.join('')).not.toContain('do not forward me');
    expect(auth[0]).toBe('Bearer siem-token-123');
  });

  it('sends RFC 5424 syslog over TCP with octet counting', async () => {
    const chunks: Buffer[] = [];
    const tcp = createTcpServer((socket) => socket.on('data', (d) => chunks.push(d)));
    servers.push(tcp);
    const port = await listen(tcp);
    const config = auditConfigSchema.parse({ siem: [{ type: 'syslog', host: '127.0.0.1', port, tls: false }] });
    const audit = await startAudit(config, { baseDir: dir });
    audit.log.record({ type: 'auth', principal: 'key_1', outcome: 'failure', surface: 'admin', reason: 'invalid_key' });
    audit.log.record({ type: 'request.received', principal: 'key_"]x', route: '/v1/messages' });
    await audit.close();
    await until(() => octetFrames(Buffer.concat(chunks)).length >= 2);
    const frames = octetFrames(Buffer.concat(chunks));
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatch(/^<108>1 \d{4}-\d\d-\d\dT[\d:.]+Z \S+ clawguard \d+ auth \[clawguard@32473 seq="1" hash="[^"]+" principal="key_1"\] \uFEFF\{/);
    expect(frames[1]).toContain('principal="key_\\"\\]x"');
    expect(frames[1]).toMatch(/^<110>1 /);
    const json = JSON.parse(frames[0]!.slice(frames[0]!.indexOf('\uFEFF') + 1));
    expect(json).toMatchObject({ seq: 1, type: 'auth', data: { outcome: 'failure', reason: 'invalid_key' } });
  });

  it('sends syslog over TLS to a collector with a private CA', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    const chunks: Buffer[] = [];
    const tls = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (socket) => socket.on('data', (d) => chunks.push(d)));
    servers.push(tls);
    const port = await new Promise<number>((resolve) => tls.listen(0, '127.0.0.1', () => resolve((tls.address() as AddressInfo).port)));
    const config = auditConfigSchema.parse({ siem: [{ type: 'syslog', host: 'localhost', port, caFile: cert }] });
    const audit = await startAudit(config, { baseDir: dir });
    audit.log.record({ type: 'admin', action: 'lockdown.on', actor: 'admin_1' });
    await audit.close();
    await until(() => octetFrames(Buffer.concat(chunks)).length >= 1);
    expect(octetFrames(Buffer.concat(chunks))[0]).toMatch(/^<109>1 .* admin \[clawguard@32473 seq="1"/);
  });
});
