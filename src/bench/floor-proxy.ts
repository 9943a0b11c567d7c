/**
 * The floor for `npm run bench`: the least any Node.js gateway in front of an OpenAI-compatible API
 * does per request, with nothing of ClawGuard's in it. node:http in, the client's bearer key checked,
 * the JSON body parsed and serialized again (a gateway that inspects requests must read them), an
 * undici pool out, a non-streaming answer parsed and serialized again, a stream piped through as it
 * comes. No guards, no audit trail, no logs, no metrics, no key store.
 *
 * Run on the gateway core next to ClawGuard and Portkey, it shows how much of ClawGuard's cost per
 * request the runtime itself takes, and so what the issue-2 targets leave for everything else.
 *
 * Environment: PORT, UPSTREAM (base URL of the fake upstream, without /v1), CLIENT_KEY.
 */

import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { Pool } from 'undici';

const port = Number(process.env.PORT);
const upstream = process.env.UPSTREAM;
const key = Buffer.from(`Bearer ${process.env.CLIENT_KEY ?? ''}`);
if (!Number.isInteger(port) || port <= 0 || !upstream || key.length <= 7) {
  console.error('floor-proxy: set PORT, UPSTREAM and CLIENT_KEY');
  process.exit(2);
}

const pool = new Pool(upstream, { connections: 128 });

function authorized(header: string | undefined): boolean {
  if (header === undefined) return false;
  const given = Buffer.from(header);
  return given.length === key.length && timingSafeEqual(given, key);
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.end('ok');
    return;
  }
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    res.writeHead(404).end();
    return;
  }
  if (!authorized(req.headers.authorization)) {
    res.writeHead(401).end();
    return;
  }
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { stream?: boolean };
  const up = await pool.request({
    path: '/v1/chat/completions',
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-fake' },
    body: JSON.stringify(body),
  });
  if (body.stream === true) {
    res.writeHead(up.statusCode, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for await (const c of up.body) res.write(c);
    res.end();
    return;
  }
  const answer: unknown = JSON.parse(await up.body.text());
  res.writeHead(up.statusCode, { 'content-type': 'application/json' });
  res.end(JSON.stringify(answer));
}

http
  .createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(error));
    });
  })
  .listen(port, '127.0.0.1');
