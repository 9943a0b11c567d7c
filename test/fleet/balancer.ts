/**
 * A tiny round-robin HTTP load balancer for the fleet test (node:http only). Each request goes to the
 * next backend in turn; the answer (streams included) is piped back with `x-fleet-replica: <index>`.
 * Like a real balancer it takes a backend out when a connection to it is refused (and sends the request
 * to the next one: nothing reached the dead one), probes the backends it took out on `/readyz` and puts
 * them back once they answer, and cuts the client's connection when a backend dies mid-answer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Backend {
  readonly port: number;
  alive: boolean;
  /** Requests this backend is answering now. */
  inflight: number;
  served: number;
}

export interface Balancer {
  readonly url: string;
  readonly backends: Backend[];
  close(): Promise<void>;
}

export async function startBalancer(ports: readonly number[], probeMs = 300): Promise<Balancer> {
  const backends: Backend[] = ports.map((port) => ({ port, alive: true, inflight: 0, served: 0 }));
  let next = 0;
  const pick = (): number | undefined => {
    for (let i = 0; i < backends.length; i++) {
      const index = (next + i) % backends.length;
      if (backends[index]!.alive) {
        next = index + 1;
        return index;
      }
    }
    return undefined;
  };

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, tries: number): void => {
    const index = pick();
    if (index === undefined || tries <= 0) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"no replica available","type":"server_error"}}');
      return;
    }
    const backend = backends[index]!;
    const headers = { ...req.headers, host: `127.0.0.1:${backend.port}` };
    const upstream = http.request({ host: '127.0.0.1', port: backend.port, method: req.method, path: req.url, headers, agent: false });
    let answered = false;
    // Counted from dispatch: a request held for review has no answer yet but is on this backend.
    backend.inflight++;
    let counted = true;
    const settle = (): void => {
      if (counted) backend.inflight--;
      counted = false;
    };
    upstream.on('response', (answer) => {
      answered = true;
      backend.served++;
      res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'x-fleet-replica': String(index) });
      answer.on('data', (c: Buffer) => res.write(c));
      // Ended whole: end the client's answer. The replica died mid-answer: the client must see a broken
      // response (connection reset, chunked body cut), never a short one that looks complete.
      answer.on('end', () => (answer.complete ? res.end() : res.destroy()));
      answer.on('error', () => res.destroy());
      answer.on('close', () => {
        if (!answer.complete) res.destroy();
        settle();
      });
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      settle();
      if (!answered && error.code === 'ECONNREFUSED') {
        backend.alive = false;
        forward(req, res, body, tries - 1);
        return;
      }
      res.destroy();
    });
    res.on('close', () => {
      settle();
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  };

  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => forward(req, res, Buffer.concat(parts), backends.length));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const prober = setInterval(() => {
    for (const b of backends) {
      if (b.alive) continue;
      const probe = http.get({ host: '127.0.0.1', port: b.port, path: '/readyz', agent: false }, (r) => {
        r.resume();
        if (r.statusCode === 200) b.alive = true;
      });
      probe.on('error', () => undefined);
      probe.setTimeout(probeMs, () => probe.destroy());
    }
  }, probeMs);

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    backends,
    async close() {
      clearInterval(prober);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
