import { lookup } from 'node:dns/promises';
import { createServer, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, isIP, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Authenticator } from '../../auth/authenticator.js';
import type { AccessLimiter } from '../../limits/access-limiter.js';
import { type DestinationRules, judgeAddress, judgeHost } from './destination-policy.js';
import type { Principal } from '../../core/index.js';

export interface EgressOptions extends DestinationRules {
  readonly host: string;
  readonly port: number;
  /** Callers must present a client key (or JWT) as proxy credentials. */
  readonly requireAuth: boolean;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
}

const HOP_BY_HOP = new Set(['proxy-authorization', 'proxy-connection', 'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** `Proxy-Authorization: Basic base64(user:cg_key)` (a proxy URL with credentials) or `Bearer cg_key`. */
function proxyCredential(req: IncomingMessage): string | undefined {
  const header = req.headers['proxy-authorization'];
  if (typeof header !== 'string') return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!value) return undefined;
  if (/^bearer$/i.test(scheme!)) return value;
  if (/^basic$/i.test(scheme!)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : decoded;
  }
  return undefined;
}

/**
 * The egress proxy: an HTTP forward proxy (CONNECT for HTTPS, absolute-form for HTTP) that lets an
 * agent's tools reach only allowed hosts. Names are checked before resolution and every resolved
 * address after it, and the connection goes to the checked address (no DNS rebinding). It never
 * decrypts TLS. Every connection is logged with the principal.
 */
/** The caller when the egress proxy asks for no credential (lockdowns of scope `all` still apply). */
const ANONYMOUS: Principal = { id: 'anonymous', name: 'anonymous', kind: 'client' };

export class EgressProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  connections = 0;
  refused = 0;

  constructor(
    private readonly options: EgressOptions,
    private readonly auth: Authenticator,
    private readonly log: Logger,
    private readonly limiter?: AccessLimiter,
    /** Lockdowns: a refused or read-only caller gets no network through its tools either. */
    private readonly lockdowns?: { check(principal: Principal): { readonly refuse?: unknown; readonly readOnly: boolean } },
  ) {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => void this.onConnect(req, socket, head));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  private async principalOf(req: IncomingMessage): Promise<{ ok: true; id: string } | { ok: false; status: number; reason: string }> {
    let principal: Principal = ANONYMOUS;
    if (this.options.requireAuth) {
      if (this.limiter && (await this.limiter.authLocked(req.socket.remoteAddress ?? 'unknown'))) return { ok: false, status: 429, reason: 'too many failed authentication attempts' };
      const outcome = await this.auth.authenticate(proxyCredential(req), req.socket.remoteAddress ?? 'unknown');
      if (!outcome.ok) return { ok: false, status: outcome.status === 429 ? 429 : 407, reason: outcome.reason };
      principal = outcome.principal;
    }
    const lockdown = this.lockdowns?.check(principal);
    if (lockdown && (lockdown.refuse !== undefined || lockdown.readOnly)) return { ok: false, status: 403, reason: 'ClawGuard is in lockdown for this caller' };
    return { ok: true, id: principal.id };
  }

  /** Resolves and checks a destination; returns the address to connect to. */
  private async resolve(host: string, port: number): Promise<{ ok: true; address: string } | { ok: false; reason: string }> {
    const named = judgeHost(this.options, host, port);
    if (!named.allowed) return { ok: false, reason: named.reason };
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else {
      try {
        addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
      } catch {
        return { ok: false, reason: 'host does not resolve' };
      }
    }
    for (const address of addresses) {
      const verdict = judgeAddress(this.options, address);
      if (!verdict.allowed) return { ok: false, reason: verdict.reason };
    }
    return addresses[0] ? { ok: true, address: addresses[0] } : { ok: false, reason: 'host does not resolve' };
  }

  private record(fields: Record<string, unknown>): void {
    this.log.info({ egress: true, ...fields }, 'egress');
  }

  private async onConnect(req: IncomingMessage, client: Socket, head: Buffer): Promise<void> {
    const started = Date.now();
    client.on('error', () => undefined);
    const target = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(req.url ?? '');
    const refuse = (status: number, reason: string, host?: string, principal?: string): void => {
      this.refused++;
      this.record({ method: 'CONNECT', host, principal, decision: 'block', reason });
      const auth = status === 407 ? 'Proxy-Authenticate: Basic realm="clawguard"\r\n' : '';
      client.end(`HTTP/1.1 ${status} ${status === 407 ? 'Proxy Authentication Required' : 'Forbidden'}\r\n${auth}content-type: text/plain\r\nconnection: close\r\n\r\nClawGuard egress: ${reason}\n`);
    };
    const who = await this.principalOf(req);
    if (!who.ok) return refuse(who.status, who.reason);
    if (!target) return refuse(400, 'CONNECT needs host:port', undefined, who.id);
    const host = target[1]!;
    const port = Number(target[2]);
    const destination = await this.resolve(host, port);
    if (!destination.ok) return refuse(403, destination.reason, host, who.id);
    const upstream = connect({ host: destination.address, port, timeout: this.options.connectTimeoutMs });
    this.sockets.add(upstream);
    upstream.on('close', () => this.sockets.delete(upstream));
    upstream.once('connect', () => {
      upstream.setTimeout(this.options.idleTimeoutMs);
      this.connections++;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('timeout', () => upstream.destroy());
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (!client.destroyed && upstream.bytesRead === 0 && upstream.bytesWritten === 0) client.end(`HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\nClawGuard egress: ${error.code ?? 'connection failed'}\n`);
      else client.destroy();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      client.destroy();
      this.record({ method: 'CONNECT', host, port, address: destination.address, principal: who.id, decision: 'allow', bytesUp: upstream.bytesWritten, bytesDown: upstream.bytesRead, ms: Date.now() - started });
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refuse = (status: number, reason: string, host?: string, principal?: string): void => {
      this.refused++;
      this.record({ method: req.method, host, principal, decision: 'block', reason });
      res.writeHead(status, { 'content-type': 'text/plain', ...(status === 407 ? { 'proxy-authenticate': 'Basic realm="clawguard"' } : {}) }).end(`ClawGuard egress: ${reason}\n`);
    };
    const who = await this.principalOf(req);
    if (!who.ok) return refuse(who.status, who.reason);
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      return refuse(400, 'a proxy request needs an absolute http:// URL (use CONNECT for https)', undefined, who.id);
    }
    if (url.protocol !== 'http:') return refuse(400, 'only http:// is forwarded; https goes through CONNECT', url.hostname, who.id);
    const port = Number(url.port || 80);
    const destination = await this.resolve(url.hostname, port);
    if (!destination.ok) return refuse(403, destination.reason, url.hostname, who.id);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    headers.host = url.host;
    this.connections++;
    const forward = httpRequest({ host: destination.address, port, method: req.method, path: `${url.pathname}${url.search}`, headers, timeout: this.options.connectTimeoutMs }, (upstreamRes) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(upstreamRes.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      res.writeHead(upstreamRes.statusCode ?? 502, out);
      upstreamRes.pipe(res);
      upstreamRes.on('end', () => this.record({ method: req.method, host: url.hostname, port, address: destination.address, principal: who.id, decision: 'allow', status: upstreamRes.statusCode }));
    });
    forward.on('timeout', () => forward.destroy(new Error('timeout')));
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('ClawGuard egress: upstream failed\n');
      else res.destroy();
    });
    req.pipe(forward);
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
