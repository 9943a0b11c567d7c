/**
 * The streaming upstream for `npm run load` (node:http only). Like src/bench/fake-upstream.ts, but it
 * honours backpressure (it waits for `drain`) and counts what it managed to write per stream, so the
 * load run can show that a client that never reads cannot make ClawGuard buffer the whole answer:
 *
 *   POST /v1/chat/completions, model `*-big` -> a long stream (BIG_CHUNKS deltas, as fast as allowed)
 *   POST /v1/chat/completions (stream)       -> CHUNKS deltas, CHUNK_DELAY_MS apart
 *   GET  /health                             -> 200 ok
 *   GET  /stats                              -> {"big": [bytes written to each long stream], "bigBytes": full size}
 *
 * Env: PORT, CHUNKS (20), CHUNK_DELAY_MS (25), BIG_CHUNKS (3000), BIG_PAD (4000 filler bytes per event: ~12 MB). Run: node dist/load/upstream.js
 */
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const WORDS = 'The quick brown fox jumps over the lazy dog while the load harness keeps counting every single token here'.split(' ');

export interface LoadUpstreamOptions {
  readonly chunks?: number;
  readonly chunkDelayMs?: number;
  readonly bigChunks?: number;
  /** Filler bytes per event of the long stream. */
  readonly bigPad?: number;
}

const line = (model: string, delta: unknown, finish: string | null, pad = ''): Buffer =>
  Buffer.from(`data: ${JSON.stringify({ id: 'chatcmpl-load', object: 'chat.completion.chunk', created: 1700000000, model, ...(pad ? { system_fingerprint: pad } : {}), choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`);

/** `pad` bytes of filler per event (in `system_fingerprint`): large answers at little guard cost. */
function render(model: string, n: number, pad = 0): Buffer[] {
  const filler = 'f'.repeat(pad);
  const out = [line(model, { role: 'assistant', content: '' }, null)];
  for (let i = 0; i < n; i++) out.push(line(model, { content: (i === 0 ? '' : ' ') + WORDS[i % WORDS.length]! }, null, filler));
  out.push(line(model, {}, 'stop'), Buffer.from('data: [DONE]\n\n'));
  return out;
}

export function createLoadUpstream(options: LoadUpstreamOptions = {}): http.Server & { bigWritten: number[]; bigBytes: number } {
  const chunks = options.chunks ?? 20;
  const chunkDelayMs = options.chunkDelayMs ?? 25;
  const rendered = new Map<string, Buffer[]>();
  const big = render('gpt-load-big', options.bigChunks ?? 3000, options.bigPad ?? 4000);
  const bigWritten: number[] = [];
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') return void res.end('ok');
    if (req.method === 'GET' && req.url === '/stats') {
      res.setHeader('content-type', 'application/json');
      return void res.end(JSON.stringify({ big: bigWritten, bigBytes: big.reduce((a, b) => a + b.length, 0) }));
    }
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      void (async () => {
        let body: { model?: unknown; stream?: unknown };
        try {
          body = JSON.parse(Buffer.concat(parts).toString('utf8'));
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' });
          return void res.end('{"error":{"message":"invalid JSON","type":"invalid_request_error"}}');
        }
        const model = typeof body.model === 'string' ? body.model : 'gpt-load';
        if (body.stream !== true) {
          res.writeHead(200, { 'content-type': 'application/json' });
          return void res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } }));
        }
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
        const isBig = model.endsWith('-big');
        const lines = isBig ? big : (rendered.get(model) ?? rendered.set(model, render(model, chunks)).get(model)!);
        const slot = isBig ? bigWritten.push(0) - 1 : -1;
        let closed = false;
        res.on('close', () => (closed = true));
        for (const l of lines) {
          if (closed) return;
          const ok = res.write(l);
          if (slot >= 0) bigWritten[slot]! += l.length;
          if (!ok) await new Promise<void>((r) => {
            const done = (): void => {
              res.off('drain', done);
              res.off('close', done);
              r();
            };
            res.on('drain', done);
            res.on('close', done);
          });
          if (!isBig && chunkDelayMs > 0) await sleep(chunkDelayMs);
        }
        res.end();
      })();
    });
  });
  server.keepAliveTimeout = 65_000;
  return Object.assign(server, { bigWritten, bigBytes: big.reduce((a, b) => a + b.length, 0) });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT || 9100);
  const server = createLoadUpstream({ chunks: Number(process.env.CHUNKS || 20), chunkDelayMs: Number(process.env.CHUNK_DELAY_MS ?? 25), bigChunks: Number(process.env.BIG_CHUNKS || 3000), bigPad: Number(process.env.BIG_PAD ?? 4000) });
  server.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => process.exit(0));
}
